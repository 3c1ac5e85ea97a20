"""Schema revisions (Alembic), shipped inside the package and run when a Store opens: no alembic.ini needed.

Opening a store that is already current costs one query (`revision_of`); Alembic is imported and run only
when the store is new, older, or was made by toolkit 0.1.0 (before migrations; it is stamped at 0001).

To change the schema (developers): edit toolkit/schema.py, then write the next revision, e.g.

    from alembic import command
    from toolkit.migrations import alembic_config
    from toolkit.store import Store
    Store("sqlite:///scratch.db")  # a store at the current head
    command.revision(alembic_config("sqlite:///scratch.db"), "what changes", rev_id="0003", autogenerate=True)

check and tidy the generated file in versions/, and set HEAD below; tests/test_migrations.py checks that the
revisions build exactly the tables of toolkit/schema.py.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

HEAD = "0005"
FIRST = "0001"
SCRIPTS = Path(__file__).resolve().parent
# pg_advisory_xact_lock key: kernels opening an older PostgreSQL store at once migrate it one at a time.
_PG_LOCK = 0x7417C0DE


class UnknownRevision(Exception):
    """The store is at a revision this toolkit does not know: a newer toolkit made it."""

    def __init__(self, revision: str):
        super().__init__(revision)
        self.revision = revision


class UnknownTables(Exception):
    """The database holds tables but neither a revision nor the mark of a toolkit 0.1.0 store."""


def alembic_config(url: str | None = None, connection: sa.Connection | None = None):
    """An Alembic configuration for the shipped scripts, on an open connection or (for developers) a URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def revision_of(engine: sa.Engine) -> str | None:
    """The store's revision in one query; None for a new store or one made before migrations."""
    try:
        with engine.connect() as c:
            return c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no such table
        return None


def upgrade(writer: sa.Engine) -> str | None:
    """Bring the store to HEAD in one transaction; returns the revision it was at (None: new store)."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with writer.begin() as conn:  # on SQLite the writer begins IMMEDIATE: one migrating process at a time
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))
        cfg = alembic_config(connection=conn)
        tables = set(sa.inspect(conn).get_table_names())
        before = None
        if "alembic_version" in tables:
            before = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if before is None and tables - {"alembic_version"}:
            if "store_info" not in tables or conn.exec_driver_sql(
                    "SELECT value FROM store_info WHERE name = 'schema_version'").scalar() != "1":
                raise UnknownTables(", ".join(sorted(tables)))
            command.stamp(cfg, FIRST)  # made by toolkit 0.1.0: its tables are revision 0001
            before = FIRST
        if before is not None:
            try:
                ScriptDirectory.from_config(cfg).get_revision(before)
            except CommandError:
                raise UnknownRevision(before) from None
        if before != HEAD:
            command.upgrade(cfg, HEAD)
        return before
