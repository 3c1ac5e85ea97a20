"""What the coach watches: a cheap marker of change in a session, and an activity's progress."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import schema as t
from .core import StoreCore, _row


class Progress(StoreCore):
    """The verbs the coach's console follows."""

    def pulse(self, session_id: str) -> tuple:
        """A cheap marker that changes whenever something the coach sees changes."""
        with self.read() as c:
            people = c.execute(sa.select(sa.func.count()).select_from(t.attendance)
                               .where(t.attendance.c.session_id == session_id)).scalar()
            activity_ids = sa.select(t.activities.c.id).where(t.activities.c.session_id == session_id)
            attempt_ids = sa.select(t.attempts.c.id).where(t.attempts.c.activity_id.in_(activity_ids))
            last_answer = c.execute(sa.select(sa.func.max(t.answers.c.seq))
                                    .where(t.answers.c.attempt_id.in_(attempt_ids))).scalar()
            attempts = c.execute(sa.select(sa.func.count(), sa.func.count(t.attempts.c.submitted_at))
                                 .where(t.attempts.c.activity_id.in_(activity_ids))).first()
            states = tuple(c.execute(sa.select(t.activities.c.state).where(t.activities.c.session_id == session_id)
                                     .order_by(t.activities.c.position)).scalars())
            group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
            last_group_answer = c.execute(sa.select(sa.func.max(t.group_answers.c.seq))
                                          .where(t.group_answers.c.group_id.in_(group_ids))).scalar()
            members = c.execute(sa.select(sa.func.count()).select_from(t.group_members)
                                .where(t.group_members.c.group_id.in_(group_ids))).scalar()
            question_ids = sa.select(t.audience_questions.c.id).where(t.audience_questions.c.session_id == session_id)
            state = t.audience_questions.c.state
            room = c.execute(sa.select(sa.func.count(), sa.func.count(sa.case((state == "answered", 1))),
                                       sa.func.count(sa.case((state == "hidden", 1))))
                             .where(t.audience_questions.c.session_id == session_id)).first()
            room_votes = c.execute(sa.select(sa.func.count()).select_from(t.votes)
                                   .where(t.votes.c.question_id.in_(question_ids))).scalar()
        return (people, last_answer or 0, tuple(attempts), states, last_group_answer or 0, members, tuple(room), room_votes)

    def activity_progress(self, activity_id: str) -> dict:
        """Who started and submitted, and each attempt's latest answer to each question (`answers`). Whether an
        answer counts as answered, and which bar of the coach's chart it is, is its question type's rule
        (toolkit.live.answer_counts), not the store's."""
        with self.read() as c:
            attempts = [_row(r) for r in c.execute(sa.select(t.attempts).where(t.attempts.c.activity_id == activity_id))]
            latest = c.execute(
                sa.select(t.answers.c.attempt_id, t.answers.c.question_id, t.answers.c.response)
                .join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id)
                .where(t.attempts.c.activity_id == activity_id)
                .order_by(t.answers.c.seq)
            )
            final: dict[tuple[str, str], Any] = {}
            for r in latest:
                final[(r.attempt_id, r.question_id)] = r.response
        return {
            "started": len(attempts),
            "submitted": sum(1 for a in attempts if a["submitted_at"] is not None),
            "answers": final,
        }
