"""Connections to the store's database: SQLite set up for many writer processes, or PostgreSQL by URL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: writers rely on SQLite's busy timeout alone
    fcntl = None


def normalise_url(url: str) -> str:
    """A database URL as people write it; `postgresql://` means the psycopg 3 driver shipped with the toolkit."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> sa.Engine:
    """An engine set up for many writer processes: WAL and a busy timeout on SQLite."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            # Let SQLAlchemy's "begin" below decide how a transaction starts (pysqlite's own is lazy).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # a laptop on battery: a saved answer survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            # Writers take the lock up front so that two writers never deadlock upgrading a read lock.
            immediate = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class WriterQueue:
    """Writers of one SQLite file wait their turn on a lock file beside it.

    SQLite alone makes a blocked writer sleep and retry (up to 100 ms a time): with 40 kernels writing at once,
    an unlucky one kept losing for seconds. Blocked on this lock, it wakes the moment the writer before it is
    done. The lock only orders writers; SQLite's own locking still guards the data (and takes over where there
    is no lock file: Windows, a read-only folder).
    """

    _held = threading.local()  # the queues this thread is in: a write inside a write must not wait for itself

    def __init__(self, db_path: Path | None):
        self.path = f"{db_path}-queue" if db_path is not None and fcntl is not None else None
        self._fd: int | None = None

    @contextmanager
    def turn(self) -> Iterator[None]:
        fd = self._open()
        held = self._held.__dict__.setdefault("paths", set())
        if fd is None or self.path in held:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(self.path)
        try:
            yield
        finally:
            held.discard(self.path)
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int | None:
        if self._fd is None and self.path is not None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                self.path = None
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
