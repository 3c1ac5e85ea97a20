"""The store: the one place where the room meets. Apps call these verbs; they never write SQL.

Every verb returns plain dicts and raises a named error that the apps turn into a message.
SQLite (a file in the data folder, WAL) by default; PostgreSQL by URL. Opening a store brings it to the
current schema (toolkit/migrations/). A write that a retry could repeat (join, answer, group answer, vote,
attempt, question from the room) is stored once: the caller passes the same `uid` again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import limits, migrations
from . import schema as t
from .backup import KEEP as KEEP_BACKUPS
from .backup import backup_sqlite
from .bank import Bank, bank_from_store
from .database import WriterQueue, make_engine
from .database import normalise_url as normalise_url  # re-exported: callers import it from here
from .deadline import GRACE_S, time_is_up
from .design import DEFAULT_DESIGN, assign_sequence, check_design, ensure_sequence, form_for
from .errors import (  # noqa: F401  re-exported: callers import the store's errors from here
    ActivityNotOpen,
    AlreadySubmitted,
    InvalidText,
    NotAllowed,
    NotFound,
    StoreError,
    StoreTooNew,
    StoreUnavailable,
    TimeUp,
    TooFast,
    TooManyJoins,
    TooManyWrongCodes,
    UnknownJoinCode,
    UnknownParticipant,
)
from .limits import RESPONSE_LIMIT, clean_text

log = logging.getLogger(__name__)

# Join codes avoid letters and digits people confuse on a phone: O/0, I/1/L.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
ACTIVITY_STATES = ("draft", "open", "closed", "revealed")
SESSION_STATES = ("open", "closed")
ACTIVITY_KINDS = ("pretest", "posttest", "check", "survey", "confidence", "case_study", "retention")
PROFILE_FIELDS = ("sex", "organisation", "rank", "province")
PROFILE_CHOICES = ("required", "optional", "off")
DEFAULT_PROFILE = {"sex": "optional", "organisation": "optional", "rank": "optional", "province": "off"}
# Ids derived from a caller's uid (join, question from the room): a retry finds the row the first call made.
_UID_NAMESPACE = uuid.UUID("6f1c2f0e-3b7a-4d4e-9a51-2c8d3f6b7e10")


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


def id_from_uid(kind: str, uid: str) -> str:
    """The id a row made for this uid gets: the same uid sent again names the same row."""
    return str(uuid.uuid5(_UID_NAMESPACE, f"{kind}/{uid}"))


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


PERSONAL_CODE_LENGTH = 8  # longer than a join code, so one box can take either


def new_personal_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(PERSONAL_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    """What a person typed, as a join code: case, spaces and dashes forgiven."""
    return "".join(str(code).split()).upper().replace("-", "")


def _could_be_a_code(code: str) -> bool:
    """Whether a normalised code is made of code letters at all: anything else is wrong without asking the database
    (PostgreSQL refuses a NUL byte in a query, and a long text is no code)."""
    return 0 < len(code) <= PERSONAL_CODE_LENGTH and not set(code) - set(JOIN_CODE_ALPHABET)


def _lock_key(text: str) -> int:
    """A 64-bit number for pg_advisory_xact_lock, the same in every server."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def free_join_code(c: sa.Connection) -> str:
    """A new join code that no open session has, inside the caller's write transaction."""
    for _ in range(50):
        code = new_join_code()
        clash = c.execute(
            sa.select(t.sessions.c.id).where(t.sessions.c.join_code == code, t.sessions.c.state == "open")
        ).first()
        if clash is None:
            return code
    raise StoreError("Could not find a free join code; close some old sessions.")  # pragma: no cover - 887 million


def _row(r: sa.Row | None) -> dict | None:
    return dict(r._mapping) if r is not None else None


def _bounded_response(response: Any, field: str) -> Any:
    """An answer as the store keeps it: a typed text cleaned and within its limit (InvalidText says what to fix),
    a number finite, any other answer (choices, an order, a matching) of a bounded size."""
    if isinstance(response, str):
        return clean_text(response, field)
    if isinstance(response, float) and not math.isfinite(response):
        raise StoreError("Please type an ordinary number.")
    if response is not None and not isinstance(response, (bool, int, float)):
        try:
            size = len(json.dumps(response))
        except (TypeError, ValueError):
            raise StoreError("This answer cannot be stored.") from None
        if size > RESPONSE_LIMIT:
            raise StoreError("This answer is too large to store.")
    return response


def same_answer(stored: Any, given: Any) -> bool:
    """The same answer (True is not 1, and a matching is the same whatever the order of its items)."""
    return json.dumps(stored, sort_keys=True) == json.dumps(given, sort_keys=True)


class Store:
    """The service the apps call."""

    def __init__(self, url: str, create: bool = True, keep_backups: int = KEEP_BACKUPS):
        self.url = url
        self.engine = make_engine(url)
        self._writer = self.engine.execution_options(write=True)
        self._queue = WriterQueue(self.sqlite_path)
        self._banks: dict[str, Bank] = {}
        self.keep_backups = keep_backups
        self.backup_problem: str | None = None  # why the last automatic backup failed, if it did
        self.clock = time.time  # seconds since 1970: tries per address are compared across kernels and servers
        if create:
            self.create()

    def create(self) -> None:
        """Create the store, or bring one made by an older toolkit to the current schema.

        A participant kernel opens the store on every page load: when it is current this costs one query.
        """
        if migrations.revision_of(self.engine) == migrations.HEAD:
            return
        try:
            migrations.upgrade(self._writer)
        except migrations.UnknownRevision as e:
            raise StoreTooNew(f"This store was made by a newer version of the toolkit (schema revision "
                              f"{e.revision}); install that version to open it.") from None
        except migrations.UnknownTables as e:
            raise StoreError(f"This database already holds tables that are not a toolkit store ({e}); "
                             f"use an empty database.") from None
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(f"The store could not be opened: {e.orig}") from None

    def revision(self) -> str | None:
        """The schema revision the store is at (toolkit/migrations/versions/)."""
        return migrations.revision_of(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        self._queue.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def sqlite_path(self) -> Path | None:
        """The store's file, for a SQLite store on disk."""
        if self.dialect != "sqlite":
            return None
        database = self.engine.url.database
        return Path(database).resolve() if database and database != ":memory:" else None

    @contextmanager
    def _write(self, timeout: float | None = None) -> Iterator[sa.Connection]:
        """A write transaction; with a `timeout`, StoreUnavailable once the store has been locked that long."""
        writer = self._writer if timeout is None else self._writer.execution_options(busy_timeout_s=timeout)
        try:
            with self._queue.turn(timeout), writer.begin() as c:
                if timeout is not None and self.dialect == "postgresql":
                    c.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeout * 1000)}")
                    c.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000) + 1000}")
                yield c
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(f"The store did not save this, try again ({e.orig}).") from e

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as c:
                yield c
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(f"The store could not be read, try again ({e.orig}).") from e

    def _insert_ignoring_duplicates(self, table: sa.Table, values: dict | None = None,
                                    on: list[str] | None = None) -> sa.Executable:
        """INSERT that does nothing when the row is there already (on `on`'s unique columns, or any)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - only the two dialects are supported
            raise StoreError(f"unsupported database: {self.dialect}")
        stmt = insert(table)
        if values is not None:
            stmt = stmt.values(**values)
        return stmt.on_conflict_do_nothing(index_elements=on)

    # ------------------------------------------------------------ banks

    def add_bank(self, bank: Bank) -> str:
        """Keep the exact content of a bank; activities point at it by hash."""
        with self._write() as c:
            c.execute(
                self._insert_ignoring_duplicates(
                    t.banks,
                    dict(hash=bank.hash, bank_id=bank.id, title=bank.title.get("en", bank.id), kind=bank.kind,
                         content=bank.content, added_at=now()),
                )
            )
        self._banks[bank.hash] = bank
        return bank.hash

    def get_bank(self, bank_hash: str) -> Bank:
        if bank_hash not in self._banks:
            with self._read() as c:
                content = c.execute(sa.select(t.banks.c.content).where(t.banks.c.hash == bank_hash)).scalar()
            if content is None:
                raise NotFound(f"no bank with hash {bank_hash[:12]} in this store")
            self._banks[bank_hash] = bank_from_store(content, bank_hash)
        return self._banks[bank_hash]

    # ------------------------------------------------------------ workshops and sessions

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
        with self._write() as c:
            c.execute(t.workshops.insert().values(**row))
        return row

    def get_workshop(self, workshop_id: str) -> dict:
        with self._read() as c:
            row = _row(c.execute(sa.select(t.workshops).where(t.workshops.c.id == workshop_id)).first())
        if row is None:
            raise NotFound("That workshop is not in this store.")
        return row

    def list_workshops(self) -> list[dict]:
        with self._read() as c:
            return [_row(r) for r in c.execute(sa.select(t.workshops).order_by(t.workshops.c.created_at.desc()))]

    def add_session(self, workshop_id: str, title: str, design: str = DEFAULT_DESIGN) -> dict:
        """A live run of the workshop with a join code unique among open sessions; `design`: toolkit.design."""
        self.get_workshop(workshop_id)
        design = self._design(design)
        for tries_left in reversed(range(3)):
            try:
                with self._write() as c:
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
        with self._write() as c:
            if c.execute(t.sessions.update().where(t.sessions.c.id == session_id).values(design=design)).rowcount == 0:
                raise NotFound("That session is not in this store.")
        return self.get_session(session_id)

    def get_session(self, session_id: str) -> dict:
        with self._read() as c:
            row = _row(c.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id)).first())
        if row is None:
            raise NotFound("That session is not in this store.")
        return row

    def find_session(self, join_code: str, client: str | None = None) -> dict:
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
        with self._read() as c:
            return [_row(r) for r in c.execute(q)]

    def set_session_state(self, session_id: str, state: str) -> dict:
        """End a session (its open activity closes, its code is free again) or reopen it.

        A reopened session whose code another open session has taken meanwhile gets a new code.
        """
        if state not in SESSION_STATES:
            raise StoreError(f"A session's state is one of {', '.join(SESSION_STATES)}.")
        closed_activity = False
        with self._write() as c:
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
            self._backup_quietly()
        return self.get_session(session_id)

    def close_session(self, session_id: str) -> dict:
        return self.set_session_state(session_id, "closed")

    def reopen_session(self, session_id: str) -> dict:
        return self.set_session_state(session_id, "open")

    # ------------------------------------------------------------ activities

    def add_activity(self, session_id: str, bank: Bank, kind: str, title: str | None = None,
                     case_study_id: str | None = None, time_limit_s: int | None = None) -> dict:
        if kind not in ACTIVITY_KINDS:
            raise StoreError(f"Activity kind must be one of {', '.join(ACTIVITY_KINDS)}.")
        if case_study_id is not None:
            bank.case_study(case_study_id)
        self.add_bank(bank)
        with self._write() as c:
            position = c.execute(
                sa.select(sa.func.count()).select_from(t.activities).where(t.activities.c.session_id == session_id)
            ).scalar()
            row = dict(id=new_id(), session_id=session_id, position=position, kind=kind,
                       title=title or bank.title.get("en", bank.id), bank_hash=bank.hash, case_study_id=case_study_id,
                       state="draft", time_limit_s=time_limit_s, opened_at=None, closed_at=None, revealed_at=None,
                       created_at=now())
            c.execute(t.activities.insert().values(**row))
        return row

    def get_activity(self, activity_id: str) -> dict:
        with self._read() as c:
            row = _row(c.execute(sa.select(t.activities).where(t.activities.c.id == activity_id)).first())
        if row is None:
            raise NotFound("That activity is not in this store.")
        return row

    def list_activities(self, session_id: str) -> list[dict]:
        with self._read() as c:
            rows = c.execute(
                sa.select(t.activities).where(t.activities.c.session_id == session_id).order_by(t.activities.c.position)
            )
            return [_row(r) for r in rows]

    def set_activity_state(self, activity_id: str, state: str) -> dict:
        """Open, close or reveal an activity; opening one closes the other open activities of its session.

        When an open activity ends, a SQLite store is copied into the data folder's backups/; if that copy fails,
        the activity is closed all the same and `backup_problem` says why (else it is None).
        """
        if state not in ACTIVITY_STATES:
            raise StoreError(f"An activity's state is one of {', '.join(ACTIVITY_STATES)}.")
        stamp = {"open": "opened_at", "closed": "closed_at", "revealed": "revealed_at"}.get(state)
        self.backup_problem = None
        with self._write() as c:
            activity = _row(c.execute(sa.select(t.activities).where(t.activities.c.id == activity_id)).first())
            if activity is None:
                raise NotFound("That activity is not in this store.")
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
            self._backup_quietly()
        return self.get_activity(activity_id)

    def backup(self, keep: int | None = None) -> Path | None:
        """Copy a SQLite store into backups/ beside it, keeping the newest `keep`; None for PostgreSQL."""
        path = self.sqlite_path
        if path is None:
            return None
        return backup_sqlite(path, keep=self.keep_backups if keep is None else keep)

    def _backup_quietly(self) -> str | None:
        """Back up now; a failed copy (disk full, read-only folder) must not stop the coach closing an activity,
        so it is logged and kept in `backup_problem` (None after a copy that worked) for the console to show."""
        try:
            self.backup()
        except Exception as e:
            log.warning("could not back up the store: %s", e)
            self.backup_problem = str(e) or type(e).__name__
        else:
            self.backup_problem = None
        return self.backup_problem

    def set_time_limit(self, activity_id: str, time_limit_s: int | None) -> dict:
        """Seconds from opening until the activity is due (None: no limit)."""
        if time_limit_s is not None and (isinstance(time_limit_s, bool) or int(time_limit_s) <= 0):
            raise StoreError("A time limit is a number of seconds above zero, or none.")
        with self._write() as c:
            done = c.execute(t.activities.update().where(t.activities.c.id == activity_id)
                             .values(time_limit_s=None if time_limit_s is None else int(time_limit_s)))
            if done.rowcount == 0:
                raise NotFound("That activity is not in this store.")
        return self.get_activity(activity_id)

    def open_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "open")

    def close_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "closed")

    def reveal_activity(self, activity_id: str) -> dict:
        return self.set_activity_state(activity_id, "revealed")

    def current_activity(self, session_id: str) -> dict | None:
        """What participants should see now: the open activity, else the last one revealed, else none."""
        with self._read() as c:
            rows = [_row(r) for r in c.execute(
                sa.select(t.activities).where(t.activities.c.session_id == session_id,
                                              t.activities.c.state.in_(("open", "revealed")))
            )]
        open_ = [a for a in rows if a["state"] == "open"]
        if open_:
            return max(open_, key=lambda a: a["opened_at"])
        revealed = [a for a in rows if a["revealed_at"] is not None]
        return max(revealed, key=lambda a: a["revealed_at"]) if revealed else None

    # ------------------------------------------------------------ participants

    def join(self, join_code: str, display_name: str | None = None, language: str = "en",
             consent: bool = True, *, uid: str | None = None, client: str | None = None,
             **profile: str | None) -> dict:
        """A new participant of the session's workshop, with the token that brings them back.

        Pass a `uid` made once per join form: a retry with it returns the participant the first call made.
        Texts are checked here (limits.clean_text), so both databases take and refuse the same (InvalidText).
        With `client` (the phone's address), wrong codes and joins count against it (TooManyWrongCodes,
        TooManyJoins); without it (the CLI, the demo, tests) nothing is counted.
        """
        participant_id = id_from_uid("join", uid) if uid else new_id()
        if uid:
            with self._read() as c:
                joined = _row(c.execute(sa.select(t.participants).where(t.participants.c.id == participant_id)).first())
            if joined is not None:
                return joined
        unknown = set(profile) - set(PROFILE_FIELDS) - {"match_code_hash"}
        if unknown:
            raise StoreError(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
        name = limits.clean_text(display_name, "display_name")
        given = {k: limits.clean_text(v, k) for k, v in profile.items() if k in PROFILE_FIELDS}
        match_code = profile.get("match_code_hash")
        if match_code is not None and not (isinstance(match_code, str) and len(match_code) <= 64
                                           and not set(match_code) - set("0123456789abcdef.")):
            raise StoreError("A matching code is stored as its digests (matchcode.match_code_hash).")
        session = self.find_session(join_code, client=client)
        workshop = self.get_workshop(session["workshop_id"])
        for field, rule in workshop["profile_fields"].items():
            if rule == "required" and not given.get(field):
                raise InvalidText(f"Please answer: {field}.", field, "missing", limits.TEXT_LIMITS[field])
        if not consent:
            raise NotAllowed("You can join once you have read and accepted the notice.")
        if "match_code_hash" in profile:
            given["match_code_hash"] = match_code
        row = dict(id=participant_id, workshop_id=workshop["id"], token=secrets.token_urlsafe(16), display_name=name,
                   language=language if language in ("en", "ur") else "en", consent_at=now(), created_at=now(),
                   **given)
        with self._write() as c:
            if client:
                self._check_joins(c, client)
            row["sequence"] = assign_sequence(c, row)
            if c.execute(self._insert_ignoring_duplicates(t.participants, row, on=["id"])).rowcount == 0:
                # the same uid raced in from another kernel: that call's participant is the one
                return _row(c.execute(sa.select(t.participants).where(t.participants.c.id == participant_id)).first())
            c.execute(t.attendance.insert().values(session_id=session["id"], participant_id=row["id"], joined_at=now()))
            if client:
                self._note(c, "join", client)
        return row

    def find_participant(self, token: str) -> dict:
        with self._read() as c:
            row = _row(c.execute(sa.select(t.participants).where(t.participants.c.token == token)).first())
        if row is None:
            raise UnknownParticipant("This link is not known here. Join again with the code on the screen.")
        return row

    def attend(self, session_id: str, participant_id: str) -> None:
        """Record that a participant is in this session (a returning member of the cohort)."""
        with self._write() as c:
            c.execute(self._insert_ignoring_duplicates(
                t.attendance, dict(session_id=session_id, participant_id=participant_id, joined_at=now())))
            ensure_sequence(c, participant_id)

    def set_language(self, participant_id: str, language: str) -> None:
        with self._write() as c:
            c.execute(t.participants.update().where(t.participants.c.id == participant_id).values(language=language))

    def session_participants(self, session_id: str) -> list[dict]:
        with self._read() as c:
            rows = c.execute(
                sa.select(t.participants, t.attendance.c.joined_at)
                .join(t.attendance, t.attendance.c.participant_id == t.participants.c.id)
                .where(t.attendance.c.session_id == session_id)
                .order_by(t.attendance.c.joined_at)
            )
            return [_row(r) for r in rows]

    def attends(self, session_id: str, participant_id: str) -> bool:
        """Whether the participant is (still) in this session: the coach may have taken them out."""
        with self._read() as c:
            return c.execute(sa.select(t.attendance.c.participant_id).where(
                t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)
            ).first() is not None

    def _left_traces(self, c: sa.Connection, session_id: str, participant_ids: list[str] | None = None) -> set[str]:
        """Who of the session (or of `participant_ids`) answered, submitted, wrote for a group or asked in it."""
        activity_ids = sa.select(t.activities.c.id).where(t.activities.c.session_id == session_id)
        attempts = t.attempts
        answered = (sa.select(attempts.c.participant_id).join(t.answers, t.answers.c.attempt_id == attempts.c.id)
                    .where(attempts.c.activity_id.in_(activity_ids)))
        submitted = sa.select(attempts.c.participant_id).where(attempts.c.activity_id.in_(activity_ids),
                                                               attempts.c.submitted_at.is_not(None))
        group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
        grouped = sa.select(t.group_answers.c.participant_id).where(t.group_answers.c.group_id.in_(group_ids))
        asked = sa.select(t.audience_questions.c.participant_id).where(t.audience_questions.c.session_id == session_id)
        traces: set[str] = set()
        for q in (answered, submitted, grouped, asked):
            if participant_ids is not None:
                q = q.where(q.selected_columns[0].in_(participant_ids))
            traces.update(c.execute(q).scalars())
        return traces

    def silent_participants(self, session_id: str) -> list[dict]:
        """The session's participants who have not answered, written for a group or asked anything in it."""
        people = self.session_participants(session_id)
        with self._read() as c:
            traces = self._left_traces(c, session_id)
        return [p for p in people if p["id"] not in traces]

    def remove_from_session(self, session_id: str, participant_id: str) -> None:
        """Take someone who never answered out of the session (the coach's answer to made-up participants).

        Their attendance, empty attempts, group places and votes in this session go; a participant nothing else
        refers to (no other session, not on the roster) is deleted, so their link no longer works. Someone who
        answered, submitted, wrote for a group or asked a question in this session is refused (NotAllowed).
        """
        with self._write() as c:
            if c.execute(sa.select(t.attendance.c.participant_id).where(
                    t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)).first() is None:
                raise NotFound("That participant is not in this session.")
            if self._left_traces(c, session_id, [participant_id]):
                raise NotAllowed("This participant has answered in this session; their answers are kept.")
            activity_ids = sa.select(t.activities.c.id).where(t.activities.c.session_id == session_id)
            group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
            question_ids = sa.select(t.audience_questions.c.id).where(t.audience_questions.c.session_id == session_id)
            mine = {"participant_id": participant_id}
            c.execute(t.votes.delete().filter_by(**mine).where(t.votes.c.question_id.in_(question_ids)))
            c.execute(t.group_members.delete().filter_by(**mine).where(t.group_members.c.group_id.in_(group_ids)))
            c.execute(t.attempts.delete().filter_by(**mine).where(t.attempts.c.activity_id.in_(activity_ids)))
            c.execute(t.attendance.delete().filter_by(session_id=session_id, **mine))
            person = c.execute(sa.select(t.participants.c.rostered_at).where(t.participants.c.id == participant_id)).first()
            refers = [sa.select(x.c.participant_id).filter_by(**mine).limit(1)
                      for x in (t.attendance, t.attempts, t.group_members, t.group_answers, t.audience_questions, t.votes)]
            if person is not None and person.rostered_at is None and not any(c.execute(q).first() for q in refers):
                c.execute(t.participants.delete().where(t.participants.c.id == participant_id))

    # ------------------------------------------------------------ tries per address (limits.py)

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
            with self._read() as c:
                return find(c)
        key = client[:100]
        with self._write() as c:
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

    # ------------------------------------------------------------ rosters

    def add_rostered(self, workshop_id: str, people: list[dict]) -> list[dict]:
        """Participants from a trainer's list (toolkit.roster), each with a personal code for their card.

        `people` are dicts with name, sex, organisation, rank and contact. All are written in one transaction,
        or none (InvalidText: a text longer or odder than a phone could type, see limits.clean_text). They have not
        accepted the notice yet: their phone does that when it claims the card.
        """
        self.get_workshop(workshop_id)
        people = [{"name": limits.clean_text(p.get("name"), "display_name"),
                   **{k: limits.clean_text(p.get(k), k) for k in ("sex", "organisation", "rank", "contact")}}
                  for p in people]
        rows = []
        with self._write() as c:
            taken = set(c.execute(sa.select(t.participants.c.personal_code)
                                  .where(t.participants.c.personal_code.is_not(None))).scalars())
            for person in people:
                code = new_personal_code()
                while code in taken:
                    code = new_personal_code()
                taken.add(code)
                rows.append(dict(
                    id=new_id(), workshop_id=workshop_id, token=secrets.token_urlsafe(16),
                    display_name=person["name"],
                    sex=person.get("sex"), organisation=person.get("organisation"), rank=person.get("rank"),
                    contact=person.get("contact"), language="en", consent_at=None, created_at=now(),
                    rostered_at=now(), personal_code=code))
            if rows:
                c.execute(t.participants.insert(), rows)
        return rows

    def roster(self, workshop_id: str) -> list[dict]:
        """The workshop's rostered participants, by name; `consent_at` tells who has claimed their card."""
        with self._read() as c:
            rows = c.execute(sa.select(t.participants).where(t.participants.c.workshop_id == workshop_id,
                                                             t.participants.c.rostered_at.is_not(None))
                             .order_by(t.participants.c.display_name, t.participants.c.created_at))
            return [_row(r) for r in rows]

    def has_roster(self, workshop_id: str) -> bool:
        with self._read() as c:
            return c.execute(sa.select(t.participants.c.id).where(t.participants.c.workshop_id == workshop_id,
                                                                  t.participants.c.rostered_at.is_not(None))
                             .limit(1)).first() is not None

    def find_card(self, code: str, client: str | None = None) -> dict:
        """The rostered participant whose card carries this personal code (typed with or without the dash).

        With `client`, a wrong card code counts against the address like a wrong join code."""
        code = normalise_join_code(code)  # a card's code is typed like a join code
        row = self._look_up_code(code, client, lambda c: _row(c.execute(
            sa.select(t.participants).where(t.participants.c.personal_code == code)).first()))
        if row is None:
            raise UnknownParticipant("This card's code is not known here. Check the letters on the card, or join "
                                     "with the code on the screen.")
        return row

    def claim_card(self, code: str, language: str = "en", consent: bool = True,
                   client: str | None = None) -> tuple[dict, dict]:
        """A phone becomes the card's participant in the newest open session of their workshop.

        A card makes nobody new (the roster did), so only wrong codes count against `client`, not joins."""
        participant = self.find_card(code, client=client)
        if not consent:
            raise NotAllowed("You can join once you have read and accepted the notice.")
        sessions = [s for s in self.list_sessions(participant["workshop_id"]) if s["state"] == "open"]
        if not sessions:
            title = self.get_workshop(participant["workshop_id"])["title"]
            raise NotFound(f"No session of {title} is open yet. Wait for the coach to start it, then try again.")
        session = sessions[0]
        values = {"language": language if language in ("en", "ur") else "en"}
        with self._write() as c:
            c.execute(t.participants.update().where(t.participants.c.id == participant["id"],
                                                    t.participants.c.consent_at.is_(None)).values(consent_at=now()))
            c.execute(t.participants.update().where(t.participants.c.id == participant["id"]).values(**values))
            c.execute(self._insert_ignoring_duplicates(
                t.attendance, dict(session_id=session["id"], participant_id=participant["id"], joined_at=now())))
            ensure_sequence(c, participant["id"])
        return self.find_card(code), session

    # ------------------------------------------------------------ attempts and answers

    def start_attempt(self, activity_id: str, participant_id: str) -> dict:
        """The participant's attempt at the activity, created on first use."""
        with self._write() as c:
            c.execute(self._insert_ignoring_duplicates(
                t.attempts, dict(id=new_id(), activity_id=activity_id, participant_id=participant_id, position=0,
                                 started_at=now(), submitted_at=None,
                                 bank_hash=form_for(c, activity_id, participant_id))))
            return _row(c.execute(sa.select(t.attempts).where(
                t.attempts.c.activity_id == activity_id, t.attempts.c.participant_id == participant_id)).first())

    def find_attempt(self, activity_id: str, participant_id: str) -> dict | None:
        with self._read() as c:
            return _row(c.execute(sa.select(t.attempts).where(
                t.attempts.c.activity_id == activity_id, t.attempts.c.participant_id == participant_id)).first())

    def list_attempts(self, activity_id: str) -> list[dict]:
        """The activity's attempts, each with `answered` (questions with an answer now) and `last_saved_at`."""
        with self._read() as c:
            attempts = [_row(r) for r in c.execute(sa.select(t.attempts).where(t.attempts.c.activity_id == activity_id)
                                                   .order_by(t.attempts.c.started_at, t.attempts.c.id))]
            log = c.execute(
                sa.select(t.answers.c.attempt_id, t.answers.c.question_id, t.answers.c.response, t.answers.c.saved_at)
                .join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id)
                .where(t.attempts.c.activity_id == activity_id).order_by(t.answers.c.seq))
            latest: dict[str, dict[str, Any]] = {}
            last_saved: dict[str, Any] = {}
            for r in log:
                latest.setdefault(r.attempt_id, {})[r.question_id] = r.response
                last_saved[r.attempt_id] = r.saved_at
        for a in attempts:
            given = latest.get(a["id"], {}).values()
            a["answered"] = sum(1 for v in given if v is not None and v != "" and v != [])
            a["last_saved_at"] = last_saved.get(a["id"])
        return attempts

    def get_attempt(self, attempt_id: str) -> dict:
        with self._read() as c:
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
        with self._write(timeout) as c:
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
            c.execute(self._insert_ignoring_duplicates(
                t.answers, dict(uid=uid, attempt_id=attempt_id, question_id=question_id, response=response,
                                saved_at=now())))
        return {"uid": uid, "attempt_id": attempt_id, "question_id": question_id, "response": response}

    def latest_answers(self, attempt_id: str) -> dict[str, Any]:
        """The answer that counts for each question: the latest one saved."""
        with self._read() as c:
            rows = c.execute(
                sa.select(t.answers.c.question_id, t.answers.c.response)
                .where(t.answers.c.attempt_id == attempt_id).order_by(t.answers.c.seq)
            )
            return {r.question_id: r.response for r in rows}

    def answer_history(self, attempt_id: str) -> list[dict]:
        with self._read() as c:
            rows = c.execute(sa.select(t.answers).where(t.answers.c.attempt_id == attempt_id).order_by(t.answers.c.seq))
            return [_row(r) for r in rows]

    def set_position(self, attempt_id: str, position: int, timeout: float | None = None) -> None:
        with self._write(timeout) as c:
            c.execute(t.attempts.update().where(t.attempts.c.id == attempt_id).values(position=max(0, int(position))))

    def submit_attempt(self, attempt_id: str, timeout: float | None = None) -> dict:
        """Submit the attempt (once: submitting again changes nothing). Allowed after the deadline: that is
        when a timed test is handed in."""
        with self._write(timeout) as c:
            c.execute(t.attempts.update().where(t.attempts.c.id == attempt_id, t.attempts.c.submitted_at.is_(None))
                      .values(submitted_at=now()))
        return self.get_attempt(attempt_id)

    # ------------------------------------------------------------ groups (case-study exercises)

    def add_group(self, activity_id: str, name: str, participant_ids: list[str] = ()) -> dict:
        """A group of an activity; a participant belongs to one group per activity."""
        self.get_activity(activity_id)
        row = dict(id=new_id(), activity_id=activity_id, name=name.strip() or "Group")
        with self._write() as c:
            c.execute(t.groups.insert().values(**row))
        if participant_ids:
            self.set_group_members(row["id"], list(participant_ids))
        return {**row, "members": list(participant_ids)}

    def set_group_members(self, group_id: str, participant_ids: list[str]) -> None:
        """Put these participants in this group, taking them out of the activity's other groups."""
        with self._write() as c:
            group = c.execute(sa.select(t.groups).where(t.groups.c.id == group_id)).first()
            if group is None:
                raise NotFound("That group is not in this store.")
            siblings = sa.select(t.groups.c.id).where(t.groups.c.activity_id == group.activity_id)
            if participant_ids:
                c.execute(t.group_members.delete().where(t.group_members.c.group_id.in_(siblings),
                                                         t.group_members.c.participant_id.in_(participant_ids)))
            c.execute(t.group_members.delete().where(t.group_members.c.group_id == group_id,
                                                     t.group_members.c.participant_id.not_in(participant_ids or [""])))
            for pid in participant_ids:
                c.execute(self._insert_ignoring_duplicates(t.group_members, dict(group_id=group_id, participant_id=pid)))

    def list_groups(self, activity_id: str) -> list[dict]:
        with self._read() as c:
            groups = [_row(r) for r in c.execute(sa.select(t.groups).where(t.groups.c.activity_id == activity_id)
                                                  .order_by(t.groups.c.name))]
            members = c.execute(sa.select(t.group_members).where(t.group_members.c.group_id.in_([g["id"] for g in groups])))
            by_group: dict[str, list[str]] = {}
            for m in members:
                by_group.setdefault(m.group_id, []).append(m.participant_id)
        return [{**g, "members": by_group.get(g["id"], [])} for g in groups]

    def find_group(self, activity_id: str, participant_id: str) -> dict | None:
        return next((g for g in self.list_groups(activity_id) if participant_id in g["members"]), None)

    def save_group_answer(self, group_id: str, participant_id: str, prompt_id: str, response: Any,
                          uid: str | None = None, timeout: float | None = None) -> dict:
        """Append a member's edit of the group's shared answer; a retry with the same uid is stored once
        (and succeeds even if the exercise closed, its time ran out or the member moved to another group since).
        An edit equal to the prompt's latest answer is not stored again; a typed answer is cleaned and bounded."""
        uid = uid or new_id()
        response = _bounded_response(response, "group_answer")
        with self._write(timeout) as c:
            row = c.execute(
                sa.select(t.activities.c.state, t.activities.c.opened_at, t.activities.c.time_limit_s)
                .join(t.groups, t.groups.c.activity_id == t.activities.c.id)
                .join(t.group_members, t.group_members.c.group_id == t.groups.c.id)
                .where(t.groups.c.id == group_id, t.group_members.c.participant_id == participant_id)
            ).first()
            late = row is not None and time_is_up(dict(row._mapping), now(), grace=GRACE_S)
            if row is None or row.state != "open" or late:
                stored = c.execute(sa.select(t.group_answers).where(t.group_answers.c.uid == uid)).first()
                if stored is not None:
                    return {"uid": uid, "group_id": stored.group_id, "prompt_id": stored.prompt_id,
                            "response": stored.response, "participant_id": stored.participant_id,
                            "saved_at": stored.saved_at}
            if row is None:
                raise NotAllowed("You are not a member of this group.")
            if row.state != "open":
                raise ActivityNotOpen("The coach has closed this exercise; your group's answers are kept.")
            if late:
                raise TimeUp("Time is up: this was not saved. Your group's earlier answers are kept.")
            latest = c.execute(
                sa.select(t.group_answers).where(t.group_answers.c.group_id == group_id,
                                                 t.group_answers.c.prompt_id == prompt_id)
                .order_by(t.group_answers.c.seq.desc()).limit(1)).first()
            if latest is not None and same_answer(latest.response, response):
                return {"uid": latest.uid, "group_id": group_id, "prompt_id": prompt_id, "response": response,
                        "participant_id": latest.participant_id, "saved_at": latest.saved_at}
            saved_at = now()
            c.execute(self._insert_ignoring_duplicates(
                t.group_answers, dict(uid=uid, group_id=group_id, participant_id=participant_id, prompt_id=prompt_id,
                                      response=response, saved_at=saved_at)))
        return {"uid": uid, "group_id": group_id, "prompt_id": prompt_id, "response": response,
                "participant_id": participant_id, "saved_at": saved_at}

    def group_answers(self, group_id: str) -> dict[str, dict]:
        """The latest answer per prompt, with who saved it and when."""
        with self._read() as c:
            rows = c.execute(
                sa.select(t.group_answers.c.prompt_id, t.group_answers.c.response, t.group_answers.c.saved_at,
                          t.group_answers.c.participant_id, t.participants.c.display_name)
                .join(t.participants, t.participants.c.id == t.group_answers.c.participant_id)
                .where(t.group_answers.c.group_id == group_id).order_by(t.group_answers.c.seq)
            )
            return {r.prompt_id: dict(r._mapping) for r in rows}

    # ------------------------------------------------------------ questions from the room

    def ask(self, session_id: str, participant_id: str, text: str, anonymous: bool = False,
            uid: str | None = None) -> dict:
        """A question from the room; a retry with the same uid returns the question the first call stored.

        Only someone in the session asks (the coach may have taken them out); the text is checked by
        limits.clean_text, so both databases take and refuse the same (InvalidText)."""
        text = limits.clean_text(text, "room_question")
        if not text:
            raise InvalidText("Type your question first.", "room_question", "missing",
                              limits.TEXT_LIMITS["room_question"])
        row = dict(id=id_from_uid("ask", uid) if uid else new_id(), session_id=session_id,
                   participant_id=participant_id, text=text, anonymous=bool(anonymous), state="open", asked_at=now())
        with self._write() as c:
            self._must_attend(c, session_id, participant_id)
            if c.execute(self._insert_ignoring_duplicates(t.audience_questions, row, on=["id"])).rowcount == 0:
                return _row(c.execute(sa.select(t.audience_questions)
                                      .where(t.audience_questions.c.id == row["id"])).first())
        return row

    def vote(self, question_id: str, participant_id: str, up: bool = True) -> None:
        """One vote per person and question; voting twice counts once, `up=False` takes it back.

        Only someone in the question's session votes: a participant the coach took out cannot vote again."""
        with self._write() as c:
            session_id = c.execute(sa.select(t.audience_questions.c.session_id)
                                   .where(t.audience_questions.c.id == question_id)).scalar()
            if session_id is None:
                raise NotFound("That question is not in this store.")
            self._must_attend(c, session_id, participant_id)
            if up:
                c.execute(self._insert_ignoring_duplicates(
                    t.votes, dict(question_id=question_id, participant_id=participant_id, voted_at=now())))
            else:
                c.execute(t.votes.delete().where(t.votes.c.question_id == question_id,
                                                 t.votes.c.participant_id == participant_id))

    def _must_attend(self, c: sa.Connection, session_id: str, participant_id: str) -> None:
        if c.execute(sa.select(t.attendance.c.participant_id).where(
                t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)).first() is None:
            raise NotAllowed("You are no longer in this session. Join again with the code on the screen.")

    def set_question_state(self, question_id: str, state: str) -> None:
        if state not in ("open", "answered", "hidden"):
            raise StoreError("A question from the room is open, answered or hidden.")
        with self._write() as c:
            c.execute(t.audience_questions.update().where(t.audience_questions.c.id == question_id).values(state=state))

    def room_questions(self, session_id: str, participant_id: str | None = None,
                       include_hidden: bool = False) -> list[dict]:
        """Questions from the room, most votes first; the asker's name only where they gave it."""
        votes = (sa.select(t.votes.c.question_id, sa.func.count().label("votes"))
                 .group_by(t.votes.c.question_id).subquery())
        q = (sa.select(t.audience_questions, t.participants.c.display_name, sa.func.coalesce(votes.c.votes, 0).label("votes"))
             .join(t.participants, t.participants.c.id == t.audience_questions.c.participant_id)
             .outerjoin(votes, votes.c.question_id == t.audience_questions.c.id)
             .where(t.audience_questions.c.session_id == session_id))
        if not include_hidden:
            q = q.where(t.audience_questions.c.state != "hidden")
        with self._read() as c:
            rows = [_row(r) for r in c.execute(q)]
            mine = set()
            if participant_id:
                mine = set(c.execute(sa.select(t.votes.c.question_id).where(t.votes.c.participant_id == participant_id))
                           .scalars())
        for r in rows:
            r["asker"] = None if r["anonymous"] else r["display_name"]
            r["voted"] = r["id"] in mine
            r["mine"] = r["participant_id"] == participant_id
            del r["display_name"]
        rows.sort(key=lambda r: (r["state"] == "answered", -r["votes"], r["asked_at"]))
        return rows

    # ------------------------------------------------------------ what the coach watches

    def pulse(self, session_id: str) -> tuple:
        """A cheap marker that changes whenever something the coach sees changes."""
        with self._read() as c:
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
        """Who started and submitted, and per question how many answered and what they chose."""
        with self._read() as c:
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
        answered: Counter = Counter()
        choices: dict[str, Counter] = {}
        for (_attempt, qid), response in final.items():
            if response is None or response == "" or response == []:
                continue
            answered[qid] += 1
            counter = choices.setdefault(qid, Counter())
            if isinstance(response, list):
                counter.update(str(x) for x in response)
            elif isinstance(response, (str, bool, int, float)):
                counter[str(response)] += 1
        return {
            "started": len(attempts),
            "submitted": sum(1 for a in attempts if a["submitted_at"] is not None),
            "answered": dict(answered),
            "choices": {q: dict(cnt) for q, cnt in choices.items()},
            "answers": {k: v for k, v in final.items()},
        }
