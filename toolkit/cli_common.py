"""What the commands share: naming the store (`--data DIR`, `--db URL`) once, and opening it."""

from __future__ import annotations

from pathlib import Path

import click

from . import config

data_option = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False), default=None,
    help="The data folder holding the store (default: ./toolkit-data, or TOOLKIT_DATA).")
db_option = click.option(
    "--db", "db_url", default=None,
    help="The store as a database URL (e.g. postgresql://user@host/toolkit) or a data folder, instead of the "
         "data folder's SQLite file.")


def store_options(f):
    """`--data DIR` and `--db URL`, in that order in --help."""
    return data_option(db_option(f))


def data_folder(data_dir: str | None) -> Path:
    if data_dir and "://" in data_dir:
        raise click.BadParameter(f"{data_dir!r} is a database URL: pass it as --db, and --data for a folder.",
                                 param_hint="--data")
    return Path(data_dir) if data_dir else config.default_data_dir()


def store_url(data_dir: str | None, db_url: str | None) -> str:
    """The store the person named: --db (a URL or a folder), else the data folder's SQLite file."""
    from .errors import StoreError

    try:
        return config.store_url(db_url) if db_url else config.sqlite_url(data_folder(data_dir))
    except StoreError as e:
        raise click.BadParameter(str(e), param_hint="--db") from None


def open_store(data_dir: str | None, db_url: str | None):
    from .store import Store, StoreError

    try:
        return Store(store_url(data_dir, db_url))
    except StoreError as e:
        raise click.ClickException(str(e)) from None
