"""Multiple response: several right options; partial credit, a wrong choice takes one right one away."""

from __future__ import annotations

import random
from typing import Any

from ..bank import Checker, Question, tr
from . import PASS, QuestionKind, register
from .options import labels, moodle_choices, parse_options


class Multiple(QuestionKind):
    name = "multiple"
    fields = frozenset({"options", "option_feedback"})
    option_feedback = True
    option_answers = True
    reads_moodle = ("multichoice",)  # with several right answers (<single>false)
    scores_xlsform = ("select_multiple",)
    key_hint = "options, objectives and a key"

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        return {"options": parse_options(c, q, what, self.name)}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        ids = [o.id for o in parsed["options"]]
        keys = [str(k) for k in (key if isinstance(key, list) else [key])]
        if not keys:
            c.error(line, f"{what}: key must list at least one right option")
        for k in keys:
            if k not in ids and ids:
                c.error(line, f"{what}: key '{k}' is not among the options ({', '.join(ids)})")
        if len(set(keys)) != len(keys):
            c.error(line, f"{what}: key lists an option twice")
        return tuple(keys)

    def fraction(self, q: Question, response: Any) -> float:
        if not isinstance(response, (list, tuple)):
            return 0.0
        chosen = {str(r) for r in response}
        right = len(chosen & set(q.key))
        wrong = len(chosen - set(q.key))
        return max(0.0, (right - wrong) / len(q.key))

    def describe(self, q: Question, response: Any, lang: str) -> str:
        names = labels(q, lang)
        chosen = response if isinstance(response, list) else [response]
        return ", ".join(names.get(str(r), str(r)) for r in chosen)

    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        return [(o.id, tr(o.text)) for o in q.options]

    def tally(self, q: Question, response: Any) -> list[str]:
        return [str(x) for x in response] if isinstance(response, list) else []

    def right_categories(self, q: Question) -> set[str]:
        return set(q.key or ())

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        from ..formats.csvfmt import split

        return [k for k in split(cell) if k]

    def csv_cell(self, key: Any) -> str:
        return "|".join(key)

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.select(q, raw, "select_multiple")

    moodle_type = "multichoice"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.moodle import choices

        return choices(q, raw, mq, say, what, set(q.key), single=False, natural="multiple")

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.choices()

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """Each right answer is worth 1/k and each wrong one takes 1/k away: other weights are said."""
        from ..formats.common import ERROR, short
        from ..formats.moodle import EPS, pct

        if mq.single:
            return PASS
        options = moodle_choices(mq, read)
        if options is None:
            return None
        answers, say = mq.answers, read.say
        right = [a for a in answers if a.fraction > 0]
        if not right:
            say("not imported: no answer gives any credit, so there is no right answer", ERROR)
            return None
        k = len(right)
        if any(abs(a.fraction - 1 / k) > EPS for a in right):
            say("these weights cannot be held: " + ", ".join(f"'{short(a.text, 30)}' {pct(a.fraction)}" for a in right)
                + f"; in the bank each of the {k} right answers is worth 1/{k} ({pct(1 / k)})")
        free = [a for a in answers if a.fraction == 0]
        if free:
            say("choosing " + ", ".join(f"'{short(a.text, 30)}'" for a in free) + f" costs nothing in {read.what}; "
                f"in the bank each wrong choice takes away 1/{k} ({pct(1 / k)}), never below 0")
        odd = [a for a in answers if a.fraction < 0 and abs(a.fraction + 1 / k) > EPS]
        if odd:
            say("these penalties cannot be held: " + ", ".join(f"'{short(a.text, 30)}' {pct(a.fraction)}" for a in odd)
                + f"; in the bank each wrong choice takes away 1/{k} ({pct(1 / k)})")
        return read.with_preset({"options": options, "key": [a.value for a in right]})

    def from_aiken(self, options: list[dict], right: list[str]) -> dict[str, Any] | None:
        """`ANSWER: A, C` (an extension of Aiken)."""
        return {"options": options, "key": list(dict.fromkeys(right))} if len(right) > 1 else None

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import ChoiceInput

        return ChoiceInput(q, lang, [(o.id, tr(o.text, lang)) for o in q.options], multiple=True)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        if right:
            return [o.id for o in q.options if o.id in q.key]
        chosen = [o.id for o in q.options if rng.random() < (0.5 if o.id in q.key else 0.35)]
        return chosen or [rng.choice(q.options).id]


register(Multiple())
