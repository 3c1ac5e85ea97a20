"""Numeric: a number, right within a tolerance; an optional `unit` shown beside the box."""

from __future__ import annotations

import random
import re
from typing import Any

from ..bank import Checker, Question, line_of
from . import PASS, QuestionKind, register


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
    reads_moodle = ("numerical", "shortanswer")  # Moodle's short answer: when its one answer is a number
    scores_xlsform = ("integer", "decimal", "range")
    key_hint = "objectives and a key {value: …, tolerance: …}"

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

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """One right number and its tolerance; further answers, feedback per answer and other units are said."""
        from ..formats.common import ERROR, compact, num
        from ..formats.moodle import EPS, parse_number, pct

        if mq.qtype != self.moodle_type:
            return self._from_short_answer(mq, read)
        say = read.say
        numbers = [a for a in mq.answers if a.value.strip() != "*"]
        others = [a for a in mq.answers if a.value.strip() == "*"]
        if not numbers:
            say("not imported: a numerical question needs a number as its answer", ERROR)
            return None
        full = [a for a in numbers if abs(a.fraction - 1) < EPS] or [max(numbers, key=lambda a: a.fraction)]
        key = full[0]
        if key.fraction < 1 - EPS:
            say(f"no answer gives full credit; {key.value} ({pct(key.fraction)}) is now the right answer")
        value = parse_number(key.value)
        if value is None:
            say(f"not imported: '{key.value}' is not a number", ERROR)
            return None
        rest = [a for a in numbers if a is not key]
        if rest:
            say("only one right answer can be held; these now score 0: "
                + ", ".join(f"{a.value} ± {num(a.tolerance)} ({pct(a.fraction)})" for a in rest))
        told = [(f"{a.value} ± {num(a.tolerance)}" if a.value != "*" else "Any other answer", a.feedback)
                for a in [key, *rest, *others] if compact(a.feedback)]
        if told:
            say("feedback per answer has no place in a numeric question: added to the question's feedback")
            for what, fb in told:
                read.extra.append({lang: f"{what}: {s}" for lang, s in fb.items()})
        body: dict[str, Any] = {"key": {"value": num(float(value)), "tolerance": num(abs(key.tolerance))}}
        base = [u for u, m in mq.units if abs(m - 1) < EPS]
        if base:
            body["unit"] = base[0]
        if len(mq.units) > len(base[:1]):
            say("units other than the main one cannot be held: " + ", ".join(u for u, _m in mq.units if u not in base[:1]))
        return body

    def _from_short_answer(self, mq, read) -> dict[str, Any] | None:
        """A short answer whose accepted answers are all one number with full credit and no feedback (and no toolkit
        comment: the toolkit writes a numeric question as numerical)."""
        from ..formats.common import compact, num
        from ..formats.moodle import EPS, parse_number

        accepted = [a for a in mq.answers if a.text.get("en")]
        numbers = {parse_number(a.text["en"]) for a in accepted}
        if not (accepted and all(abs(a.fraction - 1) < EPS for a in accepted) and len(numbers) == 1
                and None not in numbers and not any(compact(a.feedback) for a in accepted) and not mq.meta):
            return PASS
        read.say(f"a short answer that is a number ({accepted[0].text['en']}) was read as a numeric question")
        return {"key": {"value": num(float(numbers.pop())), "tolerance": 0}}

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import NumberInput

        return NumberInput(q, lang)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        value = q.key["value"]
        return value if right else value + rng.choice((-1, 1)) * max(1, abs(value) // 2)


register(Numeric())
