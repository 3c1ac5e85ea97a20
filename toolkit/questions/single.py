"""Single choice: one right option among two or more."""

from __future__ import annotations

from ..bank import Question
from . import register
from .options import OneOption


class Single(OneOption):
    name = "single"
    option_feedback = True
    distractors = True

    def guess(self, q: Question) -> float:
        return 0.5 / max(2, len(q.options))


register(Single())
