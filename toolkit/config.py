"""Where things live: the data folder, the store's address, the shipped banks and notebooks."""

from __future__ import annotations

import os
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


def db_url() -> str:
    """The store used by a kernel: TOOLKIT_DB, else the SQLite file in the data folder."""
    return os.environ.get(ENV_DB) or sqlite_url(default_data_dir())
