"""Activities: a session's tests, surveys and case studies, in order, and their states."""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa

from .. import schema as t
from ..bank import Bank
from ..errors import NotFound, StoreError, TransitionNotAllowed
from .core import StoreCore, _row, new_id, now


class ActivityState(str, Enum):
    """An activity's state; a member is its text, as the database and bundles hold it."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    REVEALED = "revealed"

    def __str__(self) -> str:
        return self.value


class ActivityKind(str, Enum):
    """What an activity is; a member is its text, as the database and bundles hold it."""

    PRETEST = "pretest"
    POSTTEST = "posttest"
    CHECK = "check"
    SURVEY = "survey"
    CONFIDENCE = "confidence"
    CASE_STUDY = "case_study"
    RETENTION = "retention"

    def __str__(self) -> str:
        return self.value


_S = ActivityState
# The states that may follow each state: the coach's Open, Close and Reveal (toolkit/apps/coach_run.py) are offered
# on any activity not already in that state, and opening one closes the session's other open one. Nothing goes
# back to draft (its answers would look never asked), and a state does not follow itself (opening an open
# activity again would restart its clock).
TRANSITIONS: dict[ActivityState, frozenset[ActivityState]] = {
    _S.DRAFT: frozenset({_S.OPEN, _S.CLOSED, _S.REVEALED}),
    _S.OPEN: frozenset({_S.CLOSED, _S.REVEALED}),
    _S.CLOSED: frozenset({_S.OPEN, _S.REVEALED}),  # opened again: a late group gets more time
    _S.REVEALED: frozenset({_S.OPEN, _S.CLOSED}),
}
ACTIVITY_STATES = tuple(s.value for s in ActivityState)
ACTIVITY_KINDS = tuple(k.value for k in ActivityKind)


def check_transition(current: str, wanted: str) -> ActivityState:
    """`wanted` as a state, if it may follow `current` (TransitionNotAllowed says which it may not)."""
    try:
        state = ActivityState(wanted)
    except ValueError:
        raise StoreError(f"An activity's state is one of {', '.join(ACTIVITY_STATES)}.") from None
    if state not in TRANSITIONS.get(ActivityState(current), frozenset()):
        raise TransitionNotAllowed(f"An activity that is {current} cannot become {state}.", current, state.value)
    return state


class Activities(StoreCore):
    """The verbs of activities."""

    def add_activity(self, session_id: str, bank: Bank, kind: str, title: str | None = None,
                     case_study_id: str | None = None, time_limit_s: int | None = None) -> dict:
        if kind not in ACTIVITY_KINDS:
            raise StoreError(f"Activity kind must be one of {', '.join(ACTIVITY_KINDS)}.")
        kind = ActivityKind(kind).value
        if case_study_id is not None:
            bank.case_study(case_study_id)
        self.add_bank(bank)
        with self.transaction() as c:
            position = c.execute(
                sa.select(sa.func.count()).select_from(t.activities).where(t.activities.c.session_id == session_id)
            ).scalar()
            row = dict(id=new_id(), session_id=session_id, position=position, kind=kind,
                       title=title or bank.title.get("en", bank.id), bank_hash=bank.hash, case_study_id=case_study_id,
                       state=ActivityState.DRAFT.value, time_limit_s=time_limit_s, opened_at=None, closed_at=None, revealed_at=None,
                       created_at=now())
            c.execute(t.activities.insert().values(**row))
        return row

    def find_activity(self, activity_id: str) -> dict:
        with self.read() as c:
            row = _row(c.execute(sa.select(t.activities).where(t.activities.c.id == activity_id)).first())
        if row is None:
            raise NotFound("That activity is not in this store.")
        return row

    def list_activities(self, session_id: str) -> list[dict]:
        with self.read() as c:
            rows = c.execute(
                sa.select(t.activities).where(t.activities.c.session_id == session_id).order_by(t.activities.c.position)
            )
            return [_row(r) for r in rows]

    def set_activity_state(self, activity_id: str, state: str) -> dict:
        """Open, close or reveal an activity, as TRANSITIONS allows (TransitionNotAllowed otherwise); opening one
        closes the other open activities of its session.

        When an open activity ends, a SQLite store is copied into the data folder's backups/; if that copy fails,
        the activity is closed all the same and `backup_problem` says why (else it is None).
        """
        if state not in ACTIVITY_STATES:
            raise StoreError(f"An activity's state is one of {', '.join(ACTIVITY_STATES)}.")
        state = ActivityState(state).value
        stamp = {"open": "opened_at", "closed": "closed_at", "revealed": "revealed_at"}.get(state)
        self.backup_problem = None
        with self.transaction() as c:
            activity = _row(c.execute(sa.select(t.activities).where(t.activities.c.id == activity_id)).first())
            if activity is None:
                raise NotFound("That activity is not in this store.")
            check_transition(activity["state"], state)
            closed_one = activity["state"] == "open" and state != "open"
            if state == "open":
                closed_one = c.execute(
                    t.activities.update()
                    .where(t.activities.c.session_id == activity["session_id"], t.activities.c.state == "open",
                           t.activities.c.id != activity_id)
                    .values(state="closed", closed_at=now())
                ).rowcount > 0
            values: dict[str, Any] = {"state": state}
            if stamp:
                values[stamp] = now()
            c.execute(t.activities.update().where(t.activities.c.id == activity_id).values(**values))
        if closed_one:
            self.backup_quietly()
        return self.find_activity(activity_id)

    def set_time_limit(self, activity_id: str, time_limit_s: int | None) -> dict:
        """Seconds from opening until the activity is due (None: no limit)."""
        if time_limit_s is not None and (isinstance(time_limit_s, bool) or int(time_limit_s) <= 0):
            raise StoreError("A time limit is a number of seconds above zero, or none.")
        with self.transaction() as c:
            done = c.execute(t.activities.update().where(t.activities.c.id == activity_id)
                             .values(time_limit_s=None if time_limit_s is None else int(time_limit_s)))
            if done.rowcount == 0:
                raise NotFound("That activity is not in this store.")
        return self.find_activity(activity_id)

    def open_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "open")

    def close_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "closed")

    def reveal_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "revealed")

    def banks_shown_now(self, limit: int = 4) -> list[str]:
        """The banks participants may be shown now: those of the open and revealed activities of open sessions,
        the latest opened first, at most `limit` (what a participant's kernel reads ahead of its page request)."""
        opened = sa.func.coalesce(t.activities.c.opened_at, t.activities.c.revealed_at)
        with self.read() as c:
            rows = c.execute(
                sa.select(t.activities.c.bank_hash, sa.func.max(opened).label("at"))
                .select_from(t.activities.join(t.sessions, t.sessions.c.id == t.activities.c.session_id))
                .where(t.sessions.c.state == "open", t.activities.c.state.in_(("open", "revealed")))
                .group_by(t.activities.c.bank_hash).order_by(sa.desc("at")).limit(limit))
            return [r.bank_hash for r in rows]

    def current_activity(self, session_id: str) -> dict | None:
        """What participants should see now: the open activity, else the last one revealed, else none."""
        with self.read() as c:
            rows = [_row(r) for r in c.execute(
                sa.select(t.activities).where(t.activities.c.session_id == session_id,
                                              t.activities.c.state.in_(("open", "revealed")))
            )]
        open_ = [a for a in rows if a["state"] == "open"]
        if open_:
            return max(open_, key=lambda a: a["opened_at"])
        revealed = [a for a in rows if a["revealed_at"] is not None]
        return max(revealed, key=lambda a: a["revealed_at"]) if revealed else None
