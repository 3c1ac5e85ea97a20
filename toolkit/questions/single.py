"""Single choice: one right option among two or more."""

from __future__ import annotations

from typing import Any

from ..bank import Question
from . import PASS, register
from .options import OneOption, moodle_choices


class Single(OneOption):
    name = "single"
    option_feedback = True
    distractors = True
    reads_moodle = ("multichoice",)  # with one right answer (<single>true)
    scores_xlsform = ("select_one",)
    key_hint = "add objectives and a key"

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """The best answer is the key; other credit and penalties cannot be held (said)."""
        from ..formats.common import ERROR, short
        from ..formats.moodle import EPS, pct

        if not mq.single:
            return PASS
        options = moodle_choices(mq, read)
        if options is None:
            return None
        answers, say = mq.answers, read.say
        best = max(answers, key=lambda a: a.fraction)
        if best.fraction <= 0:
            say("not imported: no answer gives any credit, so there is no right answer", ERROR)
            return None
        full = [a for a in answers if abs(a.fraction - 1) < EPS]
        key = full[0] if full else best
        if not full:
            say(f"no answer gives full credit; the best one, '{short(best.text, 40)}' ({pct(best.fraction)}), "
                "is now the right answer and scores 100%")
        for a in full[1:]:
            say(f"'{short(a.text, 40)}' also gives full credit in {read.what}, but a single-choice question "
                f"has one right answer ('{short(key.text, 40)}'): it now scores 0")
        partial = [a for a in answers if a is not key and a not in full and a.fraction > 0]
        if partial:
            say("partial credit cannot be held (a single-choice answer is right or wrong); now scoring 0: "
                + ", ".join(f"'{short(a.text, 30)}' ({pct(a.fraction)})" for a in partial))
        negative = [a for a in answers if a.fraction < 0]
        if negative:
            say("penalties cannot be held; now scoring 0: "
                + ", ".join(f"'{short(a.text, 30)}' ({pct(a.fraction)})" for a in negative))
        return read.with_preset({"options": options, "key": key.value})

    def from_aiken(self, options: list[dict], right: list[str]) -> dict[str, Any] | None:
        return {"options": options, "key": right[0]} if len(right) == 1 else None

    def guess(self, q: Question) -> float:
        return 0.5 / max(2, len(q.options))


register(Single())
