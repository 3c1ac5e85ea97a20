"""Attempts and answers: a participant's go at an activity and the append-only log of their answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import schema as t
from ..deadline import GRACE_S, time_is_up
from ..design import form_for
from ..errors import ActivityNotOpen, AlreadySubmitted, NotFound, TimeUp
from .core import StoreCore, _bounded_response, _row, new_id, now, same_answer


class Attempts(StoreCore):
    """The verbs of attempts and answers."""

    def start_attempt(self, activity_id: str, participant_id: str) -> dict:
        """The participant's attempt at the activity, created on first use."""
        with self.transaction() as c:
            c.execute(self.insert_ignoring_duplicates(
                t.attempts, dict(id=new_id(), activity_id=activity_id, participant_id=participant_id, position=0,
                                 started_at=now(), submitted_at=None,
                                 bank_hash=form_for(c, activity_id, participant_id))))
            return _row(c.execute(sa.select(t.attempts).where(
                t.attempts.c.activity_id == activity_id, t.attempts.c.participant_id == participant_id)).first())

    def get_attempt(self, activity_id: str, participant_id: str) -> dict | None:
        with self.read() as c:
            return _row(c.execute(sa.select(t.attempts).where(
                t.attempts.c.activity_id == activity_id, t.attempts.c.participant_id == participant_id)).first())

    def list_attempts(self, activity_id: str) -> list[dict]:
        """The activity's attempts, each with `last_saved_at` (its latest save, None before any). How many questions
        an attempt has answered is each question type's rule: toolkit.live.answered_by_attempt."""
        with self.read() as c:
            attempts = [_row(r) for r in c.execute(sa.select(t.attempts).where(t.attempts.c.activity_id == activity_id)
                                                   .order_by(t.attempts.c.started_at, t.attempts.c.id))]
            last_saved = dict(c.execute(
                sa.select(t.answers.c.attempt_id, sa.func.max(t.answers.c.saved_at))
                .join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id)
                .where(t.attempts.c.activity_id == activity_id).group_by(t.answers.c.attempt_id)).all())
        for a in attempts:
            a["last_saved_at"] = last_saved.get(a["id"])
        return attempts

    def find_attempt(self, attempt_id: str) -> dict:
        with self.read() as c:
            row = _row(c.execute(sa.select(t.attempts).where(t.attempts.c.id == attempt_id)).first())
        if row is None:
            raise NotFound("That attempt is not in this store.")
        return row

    def save_answer(self, attempt_id: str, question_id: str, response: Any, uid: str | None = None,
                    timeout: float | None = None) -> dict:
        """Append an answer; the same uid sent twice (a retry) is stored once, and an answer equal to the
        question's latest is not stored again. A typed answer is cleaned and bounded (`limits.clean_text`).

        Refused once the activity is closed, the attempt submitted, or the time limit passed (TimeUp, after a
        few seconds' grace); a retry of an answer already stored succeeds even then. With a `timeout`, a store
        locked for longer raises StoreUnavailable instead of waiting (the caller keeps the answer and retries).
        """
        uid = uid or new_id()
        response = _bounded_response(response, "open_answer")
        with self.transaction(timeout) as c:
            state = c.execute(
                sa.select(t.activities.c.state, t.activities.c.opened_at, t.activities.c.time_limit_s,
                          t.attempts.c.submitted_at)
                .join(t.attempts, t.attempts.c.activity_id == t.activities.c.id)
                .where(t.attempts.c.id == attempt_id)
            ).first()
            if state is None:
                raise NotFound("That attempt is not in this store.")
            late = time_is_up(dict(state._mapping), now(), grace=GRACE_S)
            if state.submitted_at is not None or state.state != "open" or late:
                stored = c.execute(sa.select(t.answers).where(t.answers.c.uid == uid)).first()
                if stored is not None:
                    return {"uid": uid, "attempt_id": stored.attempt_id, "question_id": stored.question_id,
                            "response": stored.response}
            if state.submitted_at is not None:
                raise AlreadySubmitted("Your answers were already submitted.")
            if state.state != "open":
                raise ActivityNotOpen("The coach has closed this activity; your earlier answers are kept.")
            if late:
                raise TimeUp("Time is up: this answer was not saved. Your earlier answers are kept.")
            latest = c.execute(
                sa.select(t.answers.c.uid, t.answers.c.response)
                .where(t.answers.c.attempt_id == attempt_id, t.answers.c.question_id == question_id)
                .order_by(t.answers.c.seq.desc()).limit(1)).first()
            if latest is not None and same_answer(latest.response, response):
                return {"uid": latest.uid, "attempt_id": attempt_id, "question_id": question_id, "response": response}
            c.execute(self.insert_ignoring_duplicates(
                t.answers, dict(uid=uid, attempt_id=attempt_id, question_id=question_id, response=response,
                                saved_at=now())))
        return {"uid": uid, "attempt_id": attempt_id, "question_id": question_id, "response": response}

    def latest_answers(self, attempt_id: str) -> dict[str, Any]:
        """The answer that counts for each question: the latest one saved."""
        with self.read() as c:
            rows = c.execute(
                sa.select(t.answers.c.question_id, t.answers.c.response)
                .where(t.answers.c.attempt_id == attempt_id).order_by(t.answers.c.seq)
            )
            return {r.question_id: r.response for r in rows}

    def answer_history(self, attempt_id: str) -> list[dict]:
        with self.read() as c:
            rows = c.execute(sa.select(t.answers).where(t.answers.c.attempt_id == attempt_id).order_by(t.answers.c.seq))
            return [_row(r) for r in rows]

    def set_position(self, attempt_id: str, position: int, timeout: float | None = None) -> None:
        with self.transaction(timeout) as c:
            c.execute(t.attempts.update().where(t.attempts.c.id == attempt_id).values(position=max(0, int(position))))

    def submit_attempt(self, attempt_id: str, timeout: float | None = None) -> dict:
        """Submit the attempt (once: submitting again changes nothing). Allowed after the deadline: that is
        when a timed test is handed in."""
        with self.transaction(timeout) as c:
            c.execute(t.attempts.update().where(t.attempts.c.id == attempt_id, t.attempts.c.submitted_at.is_(None))
                      .values(submitted_at=now()))
        return self.find_attempt(attempt_id)
