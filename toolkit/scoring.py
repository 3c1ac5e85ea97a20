"""Scoring: the points of an answer (each type scores its own: toolkit.questions) and of an attempt.

Runs in the kernel; the browser never sees a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import questions
from .bank import Question


@dataclass(frozen=True)
class Score:
    points: float
    max_points: float

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def correct(self) -> bool:
        return self.points >= self.max_points


def fraction_right(question: Question, response: Any) -> float:
    """The fraction of the question's points that `response` earns (0 for no or a malformed answer)."""
    if response is None or question.key is None:
        return 0.0
    return questions.kind(question.type).fraction(question, response)


def score(question: Question, response: Any) -> Score | None:
    """The score of one response; None for questions that are not scored (a survey's)."""
    if not question.scored:
        return None
    return Score(round(question.points * fraction_right(question, response), 6), question.points)


def score_attempt(questions: tuple[Question, ...] | list[Question], responses: dict[str, Any]) -> Score:
    """Total score over the scored questions; an unanswered question scores 0."""
    points = maximum = 0.0
    for q in questions:
        s = score(q, responses.get(q.id))
        if s is not None:
            points += s.points
            maximum += s.max_points
    return Score(round(points, 6), maximum)
