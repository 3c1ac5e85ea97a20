"""Scenario classification: one right category (e.g. the preset tip-som: TIP, SOM, both, neither)."""

from __future__ import annotations

from ..bank import Question
from . import register
from .options import OneOption


class Classification(OneOption):
    name = "classification"
    moodle_reads_as = "single"  # a Moodle single choice, with the toolkit comment
    option_feedback = True
    distractors = True

    def guess(self, q: Question) -> float:
        return 0.12


register(Classification())
