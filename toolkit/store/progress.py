"""What the coach watches: whether anything changed (at the cost of one cheap query, or none), and the latest
answers of activities, read once per refresh."""

from __future__ import annotations

import contextlib
import json
import logging
import select
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .. import schema as t
from .activities import ACTIVITY_STATES
from .core import CHANNEL_SQL, StoreCore, _row

log = logging.getLogger(__name__)
DECODED_KEPT = 200_000  # answers whose decoded response a Store keeps (by uid) for the coach's refreshes


class Progress(StoreCore):
    """The verbs the coach's console follows."""

    @property
    def _decoded(self) -> dict[int, Any]:
        """Responses of the answer log already decoded, by uid (an answer, once stored, never changes, and its
        uid names it in any copy of the store)."""
        if "_decoded_responses" not in self.__dict__:
            self._decoded_responses: dict[int, Any] = {}
        return self._decoded_responses

    def pulse(self, session_id: str) -> tuple:
        """A marker that changes whenever something the coach sees in this session changes: one statement of
        aggregates. The console uses it only where the database has no cheaper way to tell (ChangeWatch)."""
        a, room, count = t.activities, t.audience_questions, sa.func.count
        activity_ids = sa.select(a.c.id).where(a.c.session_id == session_id)
        attempt_ids = sa.select(t.attempts.c.id).where(t.attempts.c.activity_id.in_(activity_ids))
        group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
        question_ids = sa.select(room.c.id).where(room.c.session_id == session_id)
        in_session = a.c.session_id == session_id
        parts = [
            sa.select(count()).select_from(t.attendance).where(t.attendance.c.session_id == session_id),
            sa.select(sa.func.max(t.answers.c.seq)).where(t.answers.c.attempt_id.in_(attempt_ids)),
            sa.select(count()).select_from(t.attempts).where(t.attempts.c.activity_id.in_(activity_ids)),
            sa.select(count(t.attempts.c.submitted_at)).where(t.attempts.c.activity_id.in_(activity_ids)),
            *(sa.select(count(sa.case((a.c.state == state, 1)))).where(in_session)
              for state in ACTIVITY_STATES),
            sa.select(sa.func.max(a.c.opened_at)).where(in_session),
            sa.select(sa.func.sum(a.c.time_limit_s)).where(in_session),
            sa.select(sa.func.max(t.group_answers.c.seq)).where(t.group_answers.c.group_id.in_(group_ids)),
            sa.select(count()).select_from(t.group_members).where(t.group_members.c.group_id.in_(group_ids)),
            sa.select(count()).select_from(room).where(room.c.session_id == session_id),
            sa.select(count(sa.case((room.c.state == "answered", 1)))).where(room.c.session_id == session_id),
            sa.select(count(sa.case((room.c.state == "hidden", 1)))).where(room.c.session_id == session_id),
            sa.select(count()).select_from(t.votes).where(t.votes.c.question_id.in_(question_ids)),
        ]
        with self.read() as c:
            return tuple(c.execute(sa.select(*(p.scalar_subquery() for p in parts))).one())

    def activity_snapshots(self, activity_ids: Iterable[str]) -> dict[str, dict]:
        """Per activity: its attempts (in the order they started, each with `last_saved_at`, its latest save or
        None) and each attempt's latest answer to each question (`answers`, keyed (attempt id, question id)),
        from one read of the answer log for all the activities together, and `last_seq`, the newest answer's
        number (a version of the answers). Whether an answer counts as answered, and which bar of the coach's
        chart it is, is its question type's rule (toolkit.live), not the store's."""
        ids = list(dict.fromkeys(activity_ids))
        if not ids:
            return {}
        out = {i: {"attempts": [], "answers": {}, "last_seq": 0} for i in ids}
        of_activities = t.attempts.c.activity_id.in_(ids)
        latest = (sa.select(sa.func.max(t.answers.c.seq))
                  .join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id).where(of_activities)
                  .group_by(t.answers.c.attempt_id, t.answers.c.question_id))
        with self.read() as c:
            # answers first: an attempt is never taken away once it has an answer, so each answer's attempt
            # is among those read next, even where the two statements see different moments (PostgreSQL)
            # the response as its JSON text: a stored answer never changes, so each is decoded once (_decoded)
            rows = c.execute(sa.select(t.answers.c.seq, t.answers.c.uid, t.answers.c.attempt_id,
                                       t.answers.c.question_id, sa.cast(t.answers.c.response, sa.Text).label("response"),
                                       t.answers.c.saved_at, t.attempts.c.activity_id)
                             .join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id)
                             .where(t.answers.c.seq.in_(latest)).order_by(t.answers.c.seq)).all()
            attempts = [_row(r) for r in c.execute(sa.select(t.attempts).where(of_activities)
                                                   .order_by(t.attempts.c.started_at, t.attempts.c.id))]
        last_saved: dict[str, Any] = {}
        decoded = self._decoded
        if len(decoded) > DECODED_KEPT:
            decoded.clear()
        for r in rows:
            mine = out[r.activity_id]
            response = decoded.get(r.uid, decoded)
            if response is decoded:
                response = decoded[r.uid] = None if r.response is None else json.loads(r.response)
            mine["answers"][(r.attempt_id, r.question_id)] = response
            mine["last_seq"] = r.seq
            before = last_saved.get(r.attempt_id)
            last_saved[r.attempt_id] = r.saved_at if before is None else max(before, r.saved_at)
        for a in attempts:
            a["last_saved_at"] = last_saved.get(a["id"])
            out[a["activity_id"]]["attempts"].append(a)
        return out

    def activity_progress(self, activity_id: str) -> dict:
        """Who started and submitted, and each attempt's latest answer to each question (`answers`), as in
        `activity_snapshots`."""
        snap = self.activity_snapshots([activity_id])[activity_id]
        return {
            "started": len(snap["attempts"]),
            "submitted": sum(1 for a in snap["attempts"] if a["submitted_at"] is not None),
            "answers": snap["answers"],
        }

    def watch_changes(self, session_id: str) -> ChangeWatch:
        """A watch whose `changed()` says whether the store may have changed since it was last asked."""
        watch = ChangeWatch(self, session_id)
        self._watches.add(watch)  # closed with the store, whoever forgets to close it
        return watch


class ChangeWatch:
    """Whether anything was written to the store since the last look, for the coach's console that looks twice
    a second: the answer log stays the source of truth, this only says when to read it again.

    - SQLite (a file): `PRAGMA data_version` on a connection of its own, which changes when another connection
      commits, whichever process it is in; and the store's own count of its commits (`StoreCore.commits`), so
      that a write of this process is seen even on the watch's connection. One statement a look.
    - PostgreSQL: LISTEN on the store's channel, to which every write transaction sends a NOTIFY
      (StoreCore.transaction); a look reads the notices that arrived, no statement at all. Where LISTEN is not
      possible, or the listening connection breaks, the session's `pulse` (one statement) until it is back.
    - Anything else (SQLite in memory): the pulse.

    A change anywhere in the store counts (another session's too): the refresh that follows reads what it shows.
    """

    def __init__(self, store: Progress, session_id: str):
        self.store = store
        self.session_id = session_id
        self.how = "pulse"
        self._conn: Any = None
        self._last: Any = None
        self._heard = 0  # notices received so far
        self._open()

    def _open(self) -> None:
        try:
            if self.store.dialect == "sqlite" and self.store.sqlite_path is not None:
                self._conn = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self.how = "data_version"
            elif self.store.dialect == "postgresql":
                raw = self.store.engine.raw_connection()
                pg = raw.driver_connection
                raw.detach()  # the listening connection is the watch's own: never handed back to the pool
                pg.rollback()
                pg.autocommit = True
                channel = pg.execute(f"SELECT {CHANNEL_SQL}").fetchone()[0]
                pg.execute(f'LISTEN "{channel}"')
                self._conn = pg
                self.how = "listen"
        except Exception as e:  # no LISTEN here (a pooler, rights): the pulse tells instead
            log.warning("the coach's console follows the store by its pulse: %s", e)
            self._conn, self.how = None, "pulse"

    def _look(self) -> bool:
        commits = self.store.commits
        if self.how == "data_version":
            marker = (commits, self._conn.exec_driver_sql("PRAGMA data_version").scalar())
        elif self.how == "listen":
            # this Store's own writes are counted by `commits` at once: their notices, arriving later, are skipped
            heard = sum(1 for n in self._conn.notifies(timeout=0) if n.payload != self.store.writer_token)
            marker = (commits, self._heard + heard)
            self._heard += heard
        else:
            marker = self.store.pulse(self.session_id)
        changed = marker != self._last
        self._last = marker
        return changed

    def changed(self) -> bool:
        """Whether the store may have changed since the last call (True the first time)."""
        try:
            return self._look()
        except Exception as e:
            if self.how == "pulse":
                raise
            log.warning("the coach's change watch broke (%s); it is opened again", e)
            self.close()
            self._open()
            self._last = None
            try:
                self._look()  # the mark from which the next look compares
            except Exception:  # still broken: the next look tries again
                self.close()
            return True

    def wait(self, timeout: float) -> bool:
        """Wait until a write may have happened, at most `timeout` seconds: on PostgreSQL, until a notice is there
        to read (it is read by the next `changed`); elsewhere at once. Whether one may have happened."""
        if self.how != "listen" or self._conn is None:
            return True
        ready, _w, _x = select.select([self._conn.fileno()], [], [], timeout)
        return bool(ready)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection is gone already
                self._conn.close()
            self._conn = None
