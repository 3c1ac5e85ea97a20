"""Where things live: the data folder, the store's address, the shipped banks and notebooks."""

from __future__ import annotations

import os
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# An installed wheel carries the notebooks and banks inside the package; a source checkout has them beside it.
_SHIPPED = PACKAGE_DIR / "_shipped"

# Environment variables that `toolkit serve` sets for the kernels it starts.
ENV_DB = "TOOLKIT_DB"
ENV_BANKS = "TOOLKIT_BANKS"
ENV_DATA = "TOOLKIT_DATA"
ENV_JOIN_URL = "TOOLKIT_JOIN_URL"


def shipped_dir(name: str) -> Path:
    inside = _SHIPPED / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def notebooks_dir() -> Path:
    return shipped_dir("notebooks")


def banks_dir() -> Path:
    return Path(os.environ.get(ENV_BANKS) or shipped_dir("question_banks"))


def default_data_dir() -> Path:
    return Path(os.environ.get(ENV_DATA) or Path.cwd() / "toolkit-data")


def sqlite_url(data_dir: str | Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'toolkit.db'}"


def store_url(where: str | Path) -> str:
    """The database URL of a store named as people name it: a database URL (`postgresql://…`, `sqlite:///…`),
    a data folder (its `toolkit.db`, made if missing), or an SQLite file; a StoreError says what to write
    otherwise."""
    from .errors import StoreError

    text = str(where).strip()
    if not text:
        raise StoreError("No store named: give a data folder (e.g. ./toolkit-data) or a database URL "
                         "(e.g. postgresql://user@host/toolkit).")
    if "://" in text or re.match(r"[A-Za-z][A-Za-z0-9+.-]+:(?![\\/]{2})", text):
        import sqlalchemy as sa

        from .database import normalise_url

        try:
            sa.engine.make_url(normalise_url(text))
        except (sa.exc.ArgumentError, ValueError):
            raise StoreError(f"{text!r} is not a database URL: write e.g. postgresql://user@host/toolkit, or name "
                             "a data folder such as ./toolkit-data.") from None
        return text
    path = Path(text).expanduser()
    if path.is_file():
        if path.suffix not in (".db", ".sqlite", ".sqlite3"):
            raise StoreError(f"{text} is a file, not a data folder or a store: name the data folder that holds "
                             "toolkit.db, or a database URL.")
        return f"sqlite:///{path.resolve()}"
    return sqlite_url(path)


def db_url() -> str:
    """The store used by a kernel: TOOLKIT_DB (a database URL or a data folder), else the data folder's SQLite file."""
    return store_url(os.environ.get(ENV_DB) or default_data_dir())
