"""Backups of a SQLite store: a consistent copy (SQLite's online backup API) in the data folder's backups/.

The store makes one whenever an activity closes; `toolkit backup` makes one on demand. Writers carry on
while the copy is taken (WAL), and only the newest few copies are kept.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

BACKUP_DIR = "backups"
PREFIX = "toolkit-"
KEEP = 20  # copies kept; a workshop's store is a few megabytes


class BackupError(Exception):
    """The copy could not be made; the message says why."""


def backups_dir(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / BACKUP_DIR


def list_backups(db_path: str | Path) -> list[Path]:
    """The store's backups, oldest first."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*.db"), key=lambda p: (p.stat().st_mtime_ns, p.name))


def backup_sqlite(db_path: str | Path, keep: int = KEEP) -> Path:
    """Copy the store at `db_path` into backups/ beside it and keep the newest `keep` copies; returns the copy."""
    db_path = Path(db_path).resolve()
    if not db_path.is_file():
        raise BackupError(f"There is no store at {db_path}.")
    folder = backups_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
    target = folder / f"{PREFIX}{stamp}.db"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{PREFIX}{stamp}-{n}.db"
    # Copy into a temporary name first: a copy cut short never looks like a backup.
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".db", dir=folder)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # one step: a read snapshot of the whole store, writers carry on meanwhile
                dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    except (sqlite3.Error, OSError) as e:
        Path(tmp).unlink(missing_ok=True)
        raise BackupError(f"Could not back up {db_path}: {e}") from e
    for old in list_backups(db_path)[: -max(1, keep)]:
        old.unlink(missing_ok=True)
    return target
