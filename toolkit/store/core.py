"""The store's core: the engine, its transactions, idempotent inserts and backups, and the id and code helpers
every noun uses."""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .. import migrations
from .. import schema as t
from ..backup import KEEP as KEEP_BACKUPS
from ..backup import backup_sqlite
from ..bank import Bank
from ..database import WriterQueue, make_engine
from ..errors import StoreError, StoreTooNew, StoreUnavailable
from ..limits import RESPONSE_LIMIT, clean_text

log = logging.getLogger(__name__)

# The channel a PostgreSQL store's writes are announced on, computed in SQL by the writer and by the coach's
# listener (store/progress.py, ChangeWatch): one per schema, so that stores sharing a database (several test
# runs, several workshops) do not wake each other.
CHANNEL_SQL = "'toolkit_' || md5(current_schema())"

# Join codes avoid letters and digits people confuse on a phone: O/0, I/1/L.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
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


class StoreCore:
    """The engine, its transactions and backups: what every noun's verbs build on."""

    def __init__(self, url: str, create: bool = True, keep_backups: int = KEEP_BACKUPS):
        self.url = url
        self.engine = make_engine(url)
        self._writer = self.engine.execution_options(write=True)
        self._queue = WriterQueue(self.sqlite_path)
        self._local = threading.local()  # the open transaction of this thread, which verbs called in it join
        self._banks: dict[str, Bank] = {}
        self._watches: weakref.WeakSet = weakref.WeakSet()  # change watches open on this store (progress.py)
        self.keep_backups = keep_backups
        self.backup_problem: str | None = None  # why the last automatic backup failed, if it did
        self.clock = time.time  # seconds since 1970: tries per address are compared across kernels and servers
        self.commits = 0  # write transactions this Store committed: the coach's change watch sees its own writes
        self.writer_token = new_id()  # the payload of this Store's NOTIFY (PostgreSQL), which its own watch skips
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
        """Close the store: its change watches' own connections (a LISTEN is never in the pool), then the pool."""
        for watch in list(self._watches):
            watch.close()
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
    def transaction(self, timeout: float | None = None) -> Iterator[sa.Connection]:
        """A write transaction: all of it is stored, or none (an error rolls it back); with a `timeout`,
        StoreUnavailable once the store has been locked that long.

        Verbs called inside an open transaction (in the same thread) join it, reads too: a workflow that calls
        several verbs in `with store.transaction():` stores all of their writes or none (store/workflows.py).
        """
        joined = getattr(self._local, "connection", None)
        if joined is not None:
            yield joined
            return
        writer = self._writer if timeout is None else self._writer.execution_options(busy_timeout_s=timeout)
        try:
            with self._queue.turn(timeout), writer.begin() as c:
                if timeout is not None and self.dialect == "postgresql":
                    c.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeout * 1000)}")
                    c.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000) + 1000}")
                self._local.connection = c
                try:
                    yield c
                finally:
                    self._local.connection = None
                if self.dialect == "postgresql":  # delivered at commit, to the coach's console (ChangeWatch)
                    c.execute(sa.text(f"SELECT pg_notify({CHANNEL_SQL}, :token)"), {"token": self.writer_token})
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(f"The store did not save this, try again ({e.orig}).") from e
        self.commits += 1

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading (inside an open transaction, that transaction's, so it sees what the
        transaction wrote); StoreUnavailable when the database does not answer."""
        joined = getattr(self._local, "connection", None)
        if joined is not None:
            yield joined
            return
        try:
            with self.engine.connect() as c:
                yield c
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(f"The store could not be read, try again ({e.orig}).") from e

    def insert_ignoring_duplicates(self, table: sa.Table, values: dict | None = None,
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

    def backup(self, keep: int | None = None) -> Path | None:
        """Copy a SQLite store into backups/ beside it, keeping the newest `keep`; None for PostgreSQL."""
        path = self.sqlite_path
        if path is None:
            return None
        return backup_sqlite(path, keep=self.keep_backups if keep is None else keep)

    def backup_quietly(self) -> str | None:
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
