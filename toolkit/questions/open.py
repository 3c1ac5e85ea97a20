"""Open text: a few paragraphs typed on the phone; not scored, read by the facilitator."""

from __future__ import annotations

from ..bank import Question
from . import QuestionKind, register


class Open(QuestionKind):
    name = "open"
    scored = False
    free_text = True

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.row("text", q.text)

    moodle_type = "essay"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import question_meta

        mq.meta = question_meta(q, raw, natural_type=self.name)
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.one_line("")

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import TextInput

        return TextInput(q, lang, field=field)


register(Open())
