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

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import TextInput

        return TextInput(q, lang, field=field)


register(Open())
