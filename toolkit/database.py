"""Connections to the store's database: SQLite set up for many writer processes, or PostgreSQL by URL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from .errors import StoreUnavailable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: writers rely on SQLite's busy timeout alone
    fcntl = None


def normalise_url(url: str) -> str:
    """A database URL as people write it; `postgresql://` means the psycopg 3 driver shipped with the toolkit."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# How long a writer waits for a locked SQLite file before it gives up, unless it asks for less (a phone's save
# tries briefly and is sent again later, so that the page never freezes for this long).
BUSY_TIMEOUT_S = 30.0


def make_engine(url: str) -> sa.Engine:
    """An engine set up for many writer processes: WAL and a busy timeout on SQLite."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            # Let SQLAlchemy's "begin" below decide how a transaction starts (pysqlite's own is lazy).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # a laptop on battery: a saved answer survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            # Writers take the lock up front so that two writers never deadlock upgrading a read lock.
            options = conn.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT":
                return  # each statement on its own (the coach's change watch: PRAGMA data_version outside a read)
            immediate = options.get("write", False)
            if immediate:  # how long this write waits for the lock: its own timeout, else the usual one
                busy_ms = int(1000 * options.get("busy_timeout_s", BUSY_TIMEOUT_S))
                if conn.info.get("busy_ms", 1000 * BUSY_TIMEOUT_S) != busy_ms:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
                    conn.info["busy_ms"] = busy_ms
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
    def turn(self, timeout: float | None = None) -> Iterator[None]:
        """Wait for this writer's turn (at most `timeout` seconds, then StoreUnavailable; None: as long as it takes)."""
        fd = self._open()
        held = self._held.__dict__.setdefault("paths", set())
        if fd is None or self.path in held:
            yield
            return
        if timeout is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            self._wait(fd, timeout)
        held.add(self.path)
        try:
            yield
        finally:
            held.discard(self.path)
            fcntl.flock(fd, fcntl.LOCK_UN)

    @staticmethod
    def _wait(fd: int, timeout: float) -> None:
        # flock has no timeout of its own: try, and sleep a little between tries, until the time is used up.
        give_up = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise StoreUnavailable("The store is busy with another writer; this is tried again.") from None
                time.sleep(0.005)

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
