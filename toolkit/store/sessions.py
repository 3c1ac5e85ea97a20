"""Banks, workshops and sessions: what a room is run from."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from .. import schema as t
from ..bank import Bank, bank_from_store, stated_languages
from ..design import DEFAULT_DESIGN, check_design
from ..errors import NotFound, StoreError, UnknownJoinCode
from .core import (
    StoreCore,
    _could_be_a_code,
    _row,
    free_join_code,
    new_id,
    normalise_join_code,
    now,
)
from .participants import DEFAULT_PROFILE, PROFILE_CHOICES, PROFILE_FIELDS

SESSION_STATES = ("open", "closed")


class Sessions(StoreCore):
    """The verbs of banks, workshops and sessions."""

    def add_bank(self, bank: Bank) -> str:
        """Keep the exact content of a bank; activities point at it by hash."""
        with self.transaction() as c:
            c.execute(
                self.insert_ignoring_duplicates(
                    t.banks,
                    dict(hash=bank.hash, bank_id=bank.id, title=bank.title.get("en", bank.id), kind=bank.kind,
                         content=bank.content, added_at=now()),
                )
            )
        self._banks[bank.hash] = bank
        return bank.hash

    def find_bank(self, bank_hash: str) -> Bank:
        if bank_hash not in self._banks:
            with self.read() as c:
                content = c.execute(sa.select(t.banks.c.content).where(t.banks.c.hash == bank_hash)).scalar()
            if content is None:
                raise NotFound(f"no bank with hash {bank_hash[:12]} in this store")
            self._banks[bank_hash] = bank_from_store(content, bank_hash)
        return self._banks[bank_hash]

    def bank_languages(self, bank_hashes: Iterable[str]) -> set[str]:
        """The languages these banks offer (each bank's `languages:`), read from their kept content, without
        rebuilding the banks this store has not read yet (a participant's kernel rebuilds only the one it shows)."""
        wanted = set(bank_hashes)
        have = {lang for h in wanted & self._banks.keys() for lang in self._banks[h].languages}
        rest = sorted(wanted - self._banks.keys())
        if rest:
            with self.read() as c:
                for (langs,) in c.execute(sa.select(t.banks.c.content["languages"]).where(t.banks.c.hash.in_(rest))):
                    have.update(stated_languages(langs))
        return have

    def add_workshop(self, title: str, place: str | None = None, starts_on: date | None = None,
                     ends_on: date | None = None, organiser: str | None = None, cohort: str | None = None,
                     profile_fields: dict[str, str] | None = None) -> dict:
        if not title or not title.strip():
            raise StoreError("A workshop needs a title.")
        fields = dict(DEFAULT_PROFILE)
        for k, v in (profile_fields or {}).items():
            if k not in PROFILE_FIELDS or v not in PROFILE_CHOICES:
                raise StoreError(f"Profile field {k!r} can be {', '.join(PROFILE_CHOICES)}; fields are {', '.join(PROFILE_FIELDS)}.")
            fields[k] = v
        row = dict(id=new_id(), title=title.strip(), place=place, starts_on=starts_on, ends_on=ends_on,
                   organiser=organiser, cohort=cohort, profile_fields=fields, created_at=now())
        with self.transaction() as c:
            c.execute(t.workshops.insert().values(**row))
        return row

    def find_workshop(self, workshop_id: str) -> dict:
        with self.read() as c:
            row = _row(c.execute(sa.select(t.workshops).where(t.workshops.c.id == workshop_id)).first())
        if row is None:
            raise NotFound("That workshop is not in this store.")
        return row

    def list_workshops(self) -> list[dict]:
        with self.read() as c:
            return [_row(r) for r in c.execute(sa.select(t.workshops).order_by(t.workshops.c.created_at.desc()))]

    def add_session(self, workshop_id: str, title: str, design: str = DEFAULT_DESIGN) -> dict:
        """A live run of the workshop with a join code unique among open sessions; `design`: toolkit.design."""
        self.find_workshop(workshop_id)
        design = self._design(design)
        for tries_left in reversed(range(3)):
            try:
                with self.transaction() as c:
                    row = dict(id=new_id(), workshop_id=workshop_id, title=title.strip() or "Session",
                               join_code=free_join_code(c), state="open", created_at=now(), design=design)
                    c.execute(t.sessions.insert().values(**row))
                return row
            except sa.exc.IntegrityError:  # another server took the code meanwhile (PostgreSQL)
                if not tries_left:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _design(design: str) -> str:
        try:
            return check_design(design)
        except ValueError as e:
            raise StoreError(str(e)) from None

    def set_session_design(self, session_id: str, design: str) -> dict:
        """How the session gives its pre- and post-test forms (toolkit.design); attempts already started keep
        the form they were started on."""
        design = self._design(design)
        with self.transaction() as c:
            if c.execute(t.sessions.update().where(t.sessions.c.id == session_id).values(design=design)).rowcount == 0:
                raise NotFound("That session is not in this store.")
        return self.find_session(session_id)

    def find_session(self, session_id: str) -> dict:
        with self.read() as c:
            row = _row(c.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id)).first())
        if row is None:
            raise NotFound("That session is not in this store.")
        return row

    def find_session_by_code(self, join_code: str, client: str | None = None) -> dict:
        """The open session with this code. With `client` (the phone's address) a wrong code counts against that
        address, and after a few of them a growing wait runs (TooManyWrongCodes), for the right code too."""
        code = normalise_join_code(join_code)
        row = self._look_up_code(code, client, lambda c: _row(c.execute(
            sa.select(t.sessions).where(t.sessions.c.join_code == code, t.sessions.c.state == "open")
            .order_by(t.sessions.c.created_at.desc())).first()))
        if row is None:
            shown = code if _could_be_a_code(code) else ""
            raise UnknownJoinCode(f"No open session has the code {shown or '(empty)'}. Check the code on the screen.")
        return row

    def list_sessions(self, workshop_id: str | None = None) -> list[dict]:
        q = sa.select(t.sessions).order_by(t.sessions.c.created_at.desc())
        if workshop_id:
            q = q.where(t.sessions.c.workshop_id == workshop_id)
        with self.read() as c:
            return [_row(r) for r in c.execute(q)]

    def set_session_state(self, session_id: str, state: str) -> dict:
        """End a session (its open activity closes, its code is free again) or reopen it.

        A reopened session whose code another open session has taken meanwhile gets a new code.
        """
        if state not in SESSION_STATES:
            raise StoreError(f"A session's state is one of {', '.join(SESSION_STATES)}.")
        closed_activity = False
        with self.transaction() as c:
            session = _row(c.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id)).first())
            if session is None:
                raise NotFound("That session is not in this store.")
            values: dict[str, Any] = {"state": state}
            if state == "closed":
                closed_activity = c.execute(
                    t.activities.update().where(t.activities.c.session_id == session_id, t.activities.c.state == "open")
                    .values(state="closed", closed_at=now())).rowcount > 0
            elif session["state"] != "open" and c.execute(
                    sa.select(t.sessions.c.id).where(t.sessions.c.join_code == session["join_code"],
                                                     t.sessions.c.state == "open")).first() is not None:
                values["join_code"] = free_join_code(c)
            c.execute(t.sessions.update().where(t.sessions.c.id == session_id).values(**values))
        if closed_activity:
            self.backup_quietly()
        return self.find_session(session_id)

    def close_session(self, session_id: str) -> dict:
        return self.set_session_state(session_id, "closed")

    def reopen_session(self, session_id: str) -> dict:
        return self.set_session_state(session_id, "open")
