"""Scoring of every scored question type. Runs in the kernel; the browser never sees a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    key = question.key
    t = question.type
    if t in ("single", "classification"):
        return 1.0 if str(response) == key else 0.0
    if t == "truefalse":
        return 1.0 if isinstance(response, bool) and response == key else 0.0
    if t == "multiple":
        if not isinstance(response, (list, tuple)):
            return 0.0
        chosen = {str(r) for r in response}
        right = len(chosen & set(key))
        wrong = len(chosen - set(key))
        return max(0.0, (right - wrong) / len(key))
    if t == "ordering":
        if not isinstance(response, (list, tuple)):
            return 0.0
        given = [str(r) for r in response]
        return sum(1 for a, b in zip(given, key, strict=False) if a == b) / len(key)
    if t == "matching":
        if not isinstance(response, dict):
            return 0.0
        return sum(1 for item, option in key.items() if str(response.get(item)) == option) / len(key)
    if t == "numeric":
        try:
            value = float(response)
        except (TypeError, ValueError):
            return 0.0
        return 1.0 if abs(value - key["value"]) <= key["tolerance"] + 1e-9 else 0.0
    return 0.0


def score(question: Question, response: Any) -> Score | None:
    """The score of one response; None for questions that are not scored (likert, open)."""
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
