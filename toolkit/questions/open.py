"""Open text: a few paragraphs typed on the phone; not scored, read by the facilitator."""

from __future__ import annotations

from typing import Any

from ..bank import Question
from . import QuestionKind, register


class Open(QuestionKind):
    name = "open"
    scored = False
    free_text = True
    reads_moodle = ("essay",)
    # a form holds no key: its typed answers, and the choices no unscored type holds, are read as open questions
    reads_xlsform = ("select_multiple", "rank", "text", "integer", "decimal", "range")

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.row("text", q.text)

    moodle_type = "essay"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import question_meta

        mq.meta = question_meta(q, raw, natural_type=self.name)
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.one_line("")

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        return {}

    def from_xlsform(self, kind: str, text: dict, options: list[tuple[str, dict, str]]) -> tuple[dict[str, Any], str]:
        """The choices of a select_multiple or rank row listed in the text; what a key would make it is said."""
        from ..formats.common import compact

        if options:
            listed = {lang: t + "\n" + "\n".join(f"- {o[1].get(lang) or o[1].get('en') or o[0]}" for o in options)
                      for lang, t in text.items()}
            what = "ranking" if kind == "rank" else kind
            return {"text": compact(listed)}, (f"a {what} question holds no answer key and the bank has no unscored "
                                               "question of its kind: imported as an open question with the choices "
                                               "listed in its text")
        told = "" if kind == "text" else f"a form holds no answer key: the {kind} question is imported as an open question"
        return {"text": compact(text)}, told

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import TextInput

        return TextInput(q, lang, field=field)


register(Open())
