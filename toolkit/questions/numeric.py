"""Numeric: a number, right within a tolerance; an optional `unit` shown beside the box."""

from __future__ import annotations

import random
import re
from typing import Any

from ..bank import Checker, Question, line_of
from . import QuestionKind, register


class Numeric(QuestionKind):
    name = "numeric"
    fields = frozenset({"unit"})

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        return {"unit": c.text(q, "unit", what, required=False)}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            return {"value": float(key), "tolerance": 0.0}
        if not isinstance(key, dict) or "value" not in key:
            c.error(line, f"{what}: key must be a number or {{value: N, tolerance: T}}")
            return None
        value, tol = key.get("value"), key.get("tolerance", 0)
        for name, v in (("value", value), ("tolerance", tol)):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                c.error(line_of(key, name, line), f"{what}: key {name} must be a number, not '{v}'")
                return None
        if tol < 0:
            c.error(line_of(key, "tolerance", line), f"{what}: key tolerance cannot be negative")
        unknown = set(key) - {"value", "tolerance"}
        if unknown:
            c.error(line, f"{what}: key has unknown field(s) {', '.join(map(str, unknown))}")
        return {"value": float(value), "tolerance": float(tol)}

    def fraction(self, q: Question, response: Any) -> float:
        try:
            value = float(response)
        except (TypeError, ValueError):
            return 0.0
        return 1.0 if abs(value - q.key["value"]) <= q.key["tolerance"] + 1e-9 else 0.0

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        from ..formats.common import num

        m = re.match(r"^\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*(?:(?::|±|\+/-)\s*([\d.]+(?:[eE][-+]?\d+)?))?\s*$", cell)
        try:
            if m:
                return {"value": num(float(m.group(1))), "tolerance": num(float(m.group(2) or 0))}
        except ValueError:
            pass
        problems.append(f"a numeric key is a number or number:tolerance (e.g. 18:0.5), not '{cell}'")
        return None

    def csv_cell(self, key: Any) -> str:
        from ..formats.common import num

        value, tol = num(key["value"]), num(key["tolerance"])
        return f"{value}:{tol}" if tol else str(value)

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        whole = float(q.key["value"]).is_integer() and float(q.key["tolerance"]).is_integer()
        form.row("integer" if whole else "decimal", q.text, hint=q.unit)  # the unit as its hint

    moodle_type = "numerical"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import num, question_meta
        from ..formats.moodle import Answer

        mq.answers = [Answer({"en": str(num(q.key["value"]))}, 1.0, {}, float(q.key["tolerance"]),
                             str(num(q.key["value"])))]
        if q.unit:
            mq.units = [(q.unit.get("en", ""), 1.0)]
        mq.meta = question_meta(q, raw, natural_type=self.name)
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        from ..formats.common import num

        a = mq.answers[0]
        return gift.one_line("#" + f"{a.value}:{num(a.tolerance)}")

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import NumberInput

        return NumberInput(q, lang)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        value = q.key["value"]
        return value if right else value + rng.choice((-1, 1)) * max(1, abs(value) // 2)


register(Numeric())
