"""Tries per address (limits.py): wrong join or card codes and joins from one network, counted in the store so
that every kernel and server sees the same count."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from .. import limits
from .. import schema as t
from ..errors import TooManyJoins, TooManyWrongCodes
from .core import StoreCore, _could_be_a_code


def _lock_key(text: str) -> int:
    """A 64-bit number for pg_advisory_xact_lock, the same in every server."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class Throttle(StoreCore):
    """Counting and refusing an address's tries."""

    def _tries(self, c: sa.Connection, kind: str, key: str, seconds: float) -> list[float]:
        """When `key` tried `kind` in the last `seconds`, oldest first."""
        since = self.clock() - seconds
        return list(c.execute(sa.select(t.throttle_events.c.at).where(
            t.throttle_events.c.kind == kind, t.throttle_events.c.key == key, t.throttle_events.c.at > since)
            .order_by(t.throttle_events.c.at)).scalars())

    def _note(self, c: sa.Connection, kind: str, key: str) -> None:
        """One more try of `kind` by `key`; tries older than any window that counts them are forgotten."""
        now_s = self.clock()
        c.execute(t.throttle_events.insert().values(kind=kind, key=key, at=now_s))
        if secrets.randbelow(8) == 0:  # now and then is enough: an expired row is never counted, only kept
            longest = {"wrong_code": limits.WRONG_CODE_WINDOW_S, "join": max(s for _, s in limits.JOINS_PER_ADDRESS)}
            c.execute(t.throttle_events.delete().where(t.throttle_events.c.kind == kind,
                                                       t.throttle_events.c.at < now_s - longest[kind]))

    def _lock(self, c: sa.Connection, kind: str, key: str) -> None:
        """Several servers on one PostgreSQL count one address's tries one at a time (SQLite has one writer)."""
        if self.dialect == "postgresql":
            c.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(f"{kind}/{key}"))))

    def _look_up_code(self, code: str, client: str | None, find) -> dict | None:
        """`find(connection)` for a normalised code, or None; with `client`, the address's wait is checked first
        and a wrong code counted, in one write transaction: pages of one phone trying codes at the same moment
        take their turns, so none slips past a wait that another's wrong code has just started."""
        if not client:
            if not _could_be_a_code(code):
                return None
            with self.read() as c:
                return find(c)
        key = client[:100]
        with self.transaction() as c:
            self._lock(c, "wrong_code", key)
            tries = self._tries(c, "wrong_code", key, limits.WRONG_CODE_WINDOW_S)
            wait = tries[-1] + limits.code_wait(len(tries), limits.WRONG_CODES_FREE_PER_ADDRESS) - self.clock() \
                if tries else 0.0
            if wait > 0:
                raise TooManyWrongCodes(f"Too many wrong codes from this network: wait {wait:.0f} s, then try again.",
                                        retry_after=wait)
            row = find(c) if _could_be_a_code(code) else None
            # a code an old session had is a stale link (yesterday's address), not a guess
            if row is None and not (_could_be_a_code(code) and c.execute(
                    sa.select(t.sessions.c.id).where(t.sessions.c.join_code == code).limit(1)).first()):
                self._note(c, "wrong_code", key)
            return row

    def _check_joins(self, c: sa.Connection, client: str) -> None:
        key = client[:100]
        self._lock(c, "join", key)
        recent = self._tries(c, "join", key, max(seconds for _, seconds in limits.JOINS_PER_ADDRESS))
        for most, seconds in limits.JOINS_PER_ADDRESS:
            tries = [at for at in recent if at > self.clock() - seconds]
            if len(tries) >= most:
                wait = tries[-most] + seconds - self.clock()
                raise TooManyJoins(f"{most} people joined from this network in {seconds / 60:.0f} minutes: wait "
                                   f"{wait / 60:.0f} min, then try again.", retry_after=max(wait, 1.0))
