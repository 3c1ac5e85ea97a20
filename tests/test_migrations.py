"""Schema revisions: the shipped scripts build schema.py's tables, older stores open in this version, and opening
a current store stays one cheap read. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from helpers import POSTGRES_URL, ROOT

from toolkit import migrations, schema
from toolkit.store import Store, StoreError, StoreTooNew, make_engine, normalise_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """The URL of an empty database: a new SQLite file, or a PostgreSQL schema of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/toolkit.db"
        return
    if not POSTGRES_URL:
        pytest.skip("set TOOLKIT_TEST_POSTGRES=postgresql://… to run the store's tests on PostgreSQL")
    name = f"toolkit_mig_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(normalise_url(POSTGRES_URL))
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{name}"
    with engine.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


def _upgrade_to(url: str, revision: str) -> None:
    engine = make_engine(url)
    with engine.execution_options(write=True).begin() as c:
        command.upgrade(migrations.alembic_config(connection=c), revision)
    engine.dispose()


def _one_open_session_per_code(url: str) -> bool:
    engine = make_engine(url)
    indexes = sa.inspect(engine).get_indexes("sessions")
    engine.dispose()
    return any(i["name"] == "one_open_session_per_join_code" and i["unique"] for i in indexes)


def test_head_is_the_newest_shipped_revision():
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_current_head() == migrations.HEAD
    assert [r.revision for r in script.walk_revisions()][-1] == migrations.FIRST


def test_the_revisions_build_exactly_the_tables_of_schema_py(empty_url):
    store = Store(empty_url)
    assert store.revision() == migrations.HEAD
    with store.engine.connect() as c:
        context = MigrationContext.configure(c, opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, *_: not (type_ == "table" and name == "alembic_version"),
        })
        assert compare_metadata(context, schema.metadata) == []
    store.close()


def _old_row(store: Store, table: str, **values) -> dict:
    """A row written into the table as the store's database has it (an older revision's columns)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=store.engine)
    with store.transaction() as c:
        c.execute(reflected.insert().values(**values))
    return values


def test_a_store_at_the_first_revision_keeps_its_data_when_upgraded(empty_url, all_types_bank):
    _upgrade_to(empty_url, migrations.FIRST)
    old = Store(empty_url, create=False)  # the verbs of this version on the first revision's tables
    assert old.revision() == migrations.FIRST
    workshop = old.add_workshop("Series", cohort="Islamabad")
    # sessions, participants and attempts as the first revision's columns hold them (today's verbs write more)
    first = _old_row(old, "sessions", id=str(uuid.uuid4()), workshop_id=workshop["id"], title="Coaching 1",
                     join_code="ABCDEF", state="open", created_at=datetime.now(timezone.utc))
    activity = old.add_activity(first["id"], all_types_bank, "pretest")
    old.open_activity(activity["id"])
    p = _old_row(old, "participants", id=str(uuid.uuid4()), workshop_id=workshop["id"], token="token-of-sana",
                 display_name="Sana", sex="female", language="en", consent_at=datetime.now(timezone.utc),
                 created_at=datetime.now(timezone.utc))
    _old_row(old, "attendance", session_id=first["id"], participant_id=p["id"], joined_at=datetime.now(timezone.utc))
    attempt = _old_row(old, "attempts", id=str(uuid.uuid4()), activity_id=activity["id"], participant_id=p["id"],
                       position=0, started_at=datetime.now(timezone.utc))
    old.save_answer(attempt["id"], "kiln", "tip", uid="a1")
    # Only the service kept codes unique among open sessions then: a pair raced in on PostgreSQL.
    second = _old_row(old, "sessions", id=str(uuid.uuid4()), workshop_id=workshop["id"], title="Coaching 2",
                      join_code="GHJKMN", state="open", created_at=datetime.now(timezone.utc))
    with old.transaction() as c:
        c.execute(schema.sessions.update().where(schema.sessions.c.id == first["id"])
                  .values(created_at=first["created_at"].replace(year=2025)))
        c.execute(schema.sessions.update().where(schema.sessions.c.id == second["id"])
                  .values(join_code=first["join_code"]))
    with old.read() as c:  # the newest one answers the code
        newest = c.execute(sa.text("SELECT id FROM sessions WHERE join_code = :code AND state = 'open' "
                                   "ORDER BY created_at DESC"), {"code": first["join_code"]}).scalar()
    assert newest == second["id"]
    old.close()
    assert not _one_open_session_per_code(empty_url)

    store = Store(empty_url)
    assert store.revision() == migrations.HEAD
    assert _one_open_session_per_code(empty_url)
    assert store.find_session_by_code(first["join_code"])["id"] == second["id"]  # the code still leads where it did
    moved = store.find_session(first["id"])["join_code"]
    assert moved != first["join_code"] and store.find_session_by_code(moved)["id"] == first["id"]
    assert store.find_participant(p["token"])["display_name"] == "Sana"
    assert store.latest_answers(attempt["id"]) == {"kiln": "tip"}
    assert store.find_bank(activity["bank_hash"]).hash == all_types_bank.hash
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as c:  # the database itself now refuses a pair
        c.execute(schema.sessions.update().where(schema.sessions.c.id == second["id"]).values(join_code=moved))
    store.close()


def test_a_store_made_by_toolkit_0_1_before_migrations_opens(empty_url, all_types_bank):
    _upgrade_to(empty_url, migrations.FIRST)
    engine = make_engine(empty_url)
    with engine.begin() as c:  # 0.1.0 made the same tables with create_all and kept no Alembic version
        c.execute(sa.text("DROP TABLE alembic_version"))
    engine.dispose()
    old = Store(empty_url, create=False)
    workshop = old.add_workshop("W")
    session = _old_row(old, "sessions", id=str(uuid.uuid4()), workshop_id=workshop["id"], title="S",
                       join_code="ABCDEF", state="open", created_at=datetime.now(timezone.utc))
    old.close()

    store = Store(empty_url)
    assert store.revision() == migrations.HEAD
    assert store.find_session_by_code(session["join_code"])["id"] == session["id"]
    store.close()


def test_a_store_from_a_newer_toolkit_is_refused_with_a_message(empty_url):
    Store(empty_url).close()
    engine = make_engine(empty_url)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreTooNew, match="newer version of the toolkit"):
        Store(empty_url)


def test_a_database_holding_other_tables_is_not_taken_over(empty_url):
    engine = make_engine(empty_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE payroll (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a toolkit store"):
        Store(empty_url)


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def test_opening_a_current_store_is_one_read_without_alembic(tmp_path):
    """A participant kernel opens the store on every page load: it must not queue behind writers."""
    url = f"sqlite:///{tmp_path}/toolkit.db"
    Store(url).close()
    writer = sa.create_engine(url, connect_args={"timeout": 0.1, "isolation_level": None})
    with writer.connect() as c:
        c.exec_driver_sql("PRAGMA journal_mode=WAL")
        c.exec_driver_sql("BEGIN IMMEDIATE")  # a coach's write in progress holds the write lock
        c.exec_driver_sql("INSERT INTO store_info VALUES ('busy', 'yes')")
        result = _python(f"""
            import sys, time
            from toolkit.store import Store
            t0 = time.perf_counter()
            store = Store({url!r})
            print(store.revision(), 'alembic' in sys.modules, round((time.perf_counter() - t0) * 1000, 1))
        """)
        c.exec_driver_sql("ROLLBACK")
    writer.dispose()
    assert result.returncode == 0, result.stderr
    revision, alembic_loaded, _ms = result.stdout.split()
    assert (revision, alembic_loaded) == (migrations.HEAD, "False")


def test_kernels_opening_an_old_store_at_once_migrate_it_once(empty_url):
    _upgrade_to(empty_url, migrations.FIRST)
    code = f"""
        from toolkit.store import Store
        print(Store({empty_url!r}).revision())
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [e for _o, e in outs]
    assert {o.strip() for o, _e in outs} == {migrations.HEAD}
    assert _one_open_session_per_code(empty_url)
