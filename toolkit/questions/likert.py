"""Likert or confidence: a point on a scale (a preset `scale`, or `options`); not scored."""

from __future__ import annotations

from typing import Any

from ..bank import PRESET_SCALES, Checker, Option, Question, line_of, tr
from . import register
from .options import OneOption, parse_options

COMPACT_FROM = 7  # points: a longer scale (0-10) is a row of small buttons


class Likert(OneOption):
    name = "likert"
    scored = False
    rating = True
    option_answers = False  # a point of a scale: the survey tables read it, not the item analysis
    fields = frozenset({"options", "option_feedback", "scale"})
    reads_xlsform = ("select_one",)  # a form holds no key: a choice in it is unscored

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        if "scale" not in q:
            return {"options": parse_options(c, q, what, self.name)}
        if q.get("options") is not None:
            c.error(line_of(q, "scale"), f"{what}: give either 'scale' or 'options', not both")
        scale = q["scale"]
        if scale not in PRESET_SCALES:
            c.error(line_of(q, "scale"), f"{what}: unknown scale '{scale}' (use {', '.join(PRESET_SCALES)})")
            return {"options": ()}
        return {"options": tuple(Option(i, dict(t)) for i, t in PRESET_SCALES[scale])}

    def right_categories(self, q: Question) -> set[str]:
        return set()

    moodle_type = ""

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import SKIPPED

        say(f"not exported: {what} has no survey (likert) question", SKIPPED)
        return False

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import ChoiceInput

        return ChoiceInput(q, lang, [(o.id, tr(o.text, lang)) for o in q.options],
                           compact=len(q.options) >= COMPACT_FROM)

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.select(q, raw, "select_one", "likert")

    def from_xlsform(self, kind: str, text: dict, options: list[tuple[str, dict, str]]) -> tuple[dict[str, Any], str]:
        from ..formats.common import compact

        return ({"text": compact(text), "options": [{"id": cid, "text": compact(t) or cid} for cid, t, _c in options]},
                f"a form holds no answer key: imported as an unscored choice ({self.name})")


register(Likert())
