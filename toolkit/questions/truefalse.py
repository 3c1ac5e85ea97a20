"""True or false: the key is true or false; the phone shows two buttons in the person's language."""

from __future__ import annotations

import random
from typing import Any

from ..bank import Checker, Question
from . import QuestionKind, register


def _labels(lang: str) -> tuple[str, str]:
    """"True" and "False" in the person's language (the phone's texts, toolkit.apps.inputs)."""
    from ..apps.inputs import TRUE_FALSE

    return TRUE_FALSE.get(lang, TRUE_FALSE["en"])


class TrueFalse(QuestionKind):
    name = "truefalse"
    option_answers = True
    reads_moodle = ("truefalse",)

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        if not isinstance(key, bool):
            c.error(line, f"{what}: key must be true or false, not '{key}'")
            return None
        return key

    def fraction(self, q: Question, response: Any) -> float:
        return 1.0 if isinstance(response, bool) and response == q.key else 0.0

    def describe(self, q: Question, response: Any, lang: str) -> str:
        return _labels(lang)[0 if response else 1]

    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        return [("True", "True"), ("False", "False")]

    def tally(self, q: Question, response: Any) -> list[str]:
        return [str(response)] if isinstance(response, (str, bool, int, float)) else []

    def right_categories(self, q: Question) -> set[str]:
        return {str(q.key)}

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        v = {"true": True, "false": False, "t": True, "f": False, "yes": True, "no": False}.get(cell.strip().lower())
        if v is None:
            problems.append(f"key must be true or false, not '{cell}'")
        return v

    def csv_cell(self, key: Any) -> str:
        return "true" if key else "false"

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.true_false(q)

    moodle_type = "truefalse"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import question_meta
        from ..formats.moodle import Answer

        mq.answers = [Answer({"en": "true"}, float(q.key is True)), Answer({"en": "false"}, float(q.key is False))]
        mq.meta = question_meta(q, raw, natural_type=self.name)
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.one_line("TRUE" if mq.answers[0].fraction == 1 else "FALSE")

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """The answers 'true' and 'false'; their feedback joins the question's (said)."""
        from ..formats.common import ERROR, compact
        from ..texts import t

        by_text = {(a.text.get("en") or "").strip().lower(): a for a in mq.answers}
        true, false = by_text.get("true"), by_text.get("false")
        if true is None and false is None:
            read.say("not imported: a true/false question needs the answers 'true' and 'false'", ERROR)
            return None
        key = bool(true and true.fraction > 0.5) if true else not (false and false.fraction > 0.5)
        said = [(word, a.feedback) for word, a in (("true", true), ("false", false)) if a and compact(a.feedback)]
        if said:
            read.say(f"feedback on the answer{'s' if len(said) > 1 else ''} " + " and ".join(f"'{w}'" for w, _ in said)
                     + " has no place in the bank "
                     "(a true/false question has one feedback): it was added to the question's feedback, which "
                     "everyone sees once results are revealed")
            for word, fb in said:
                read.extra.append({lang: t("if_you_answered", lang, feedback=s,
                                           answer=_labels(lang)[0 if word == "true" else 1].lower())
                                   for lang, s in fb.items()})
        return {"key": key}

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import ChoiceInput

        yes, no = _labels(lang)
        return ChoiceInput(q, lang, [(True, yes), (False, no)])

    def guess(self, q: Question) -> float:
        return 0.3

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        return q.key if right else not q.key


register(TrueFalse())
