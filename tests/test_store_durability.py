"""The store loses nothing: many writer processes at once, a writer killed inside its transaction, and backups.
Runs on SQLite and on PostgreSQL (when TOOLKIT_TEST_POSTGRES is set)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import sqlalchemy as sa
from click.testing import CliRunner
from helpers import ROOT

from toolkit import schema as t
from toolkit.backup import backup_sqlite, list_backups
from toolkit.cli import main
from toolkit.store import Store

WRITERS = 40
ANSWERS = 30

# One participant's kernel: join, start the attempt, say "ready", wait for "go", then save its answers,
# sending every fifth one twice as a retry would.
WRITER = textwrap.dedent("""
    import sys
    from toolkit.store import Store
    url, code, activity_id, index, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    store = Store(url)
    p = store.join(code, f"Writer {index}", uid=f"join-{index}")
    attempt = store.start_attempt(activity_id, p["id"])
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(n):
        store.save_answer(attempt["id"], f"q{i % 10}", i, uid=f"w{index}-{i}")
        if i % 5 == 0:
            store.save_answer(attempt["id"], f"q{i % 10}", i, uid=f"w{index}-{i}")
    store.close()
""")

# A kernel that commits some answers, then is killed inside the transaction of the next one. The transaction
# is made large (and SQLite's page cache small) so that uncommitted pages are already in the write-ahead log.
VICTIM = textwrap.dedent("""
    import sys, time
    import sqlalchemy as sa
    from toolkit.store import Store
    url, attempt_id, committed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store(url)
    for i in range(committed):
        store.save_answer(attempt_id, f"q{i}", i, uid=f"kept-{i}")
    if store.dialect == "sqlite":
        sa.event.listen(store.engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA cache_size=-64"))
        store.engine.dispose()

    @sa.event.listens_for(store.engine, "after_cursor_execute")
    def _inside(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO ANSWERS"):
            rows = [(f"doomed-{i}", attempt_id, "q", '"' + "x" * 400 + '"', "2026-01-01 00:00:00") for i in range(4000)]
            mark = "?" if store.dialect == "sqlite" else "%s"
            cursor.executemany("INSERT INTO answers (uid, attempt_id, question_id, response, saved_at) "
                               f"VALUES ({', '.join([mark] * 5)})", rows)
            print("inside", flush=True)
            time.sleep(600)

    store.save_answer(attempt_id, "q", "never", uid="doomed")
""")


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _answers(store: Store, activity_id: str) -> list[str]:
    with store.read() as c:
        return list(c.execute(sa.select(t.answers.c.uid).join(t.attempts, t.attempts.c.id == t.answers.c.attempt_id)
                              .where(t.attempts.c.activity_id == activity_id)).scalars())


def test_forty_writer_processes_store_every_answer_exactly_once(session_with_pretest):
    store, session, activity = session_with_pretest
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store.url, session["join_code"], activity["id"], str(i),
                               str(ANSWERS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env()) for i in range(WRITERS)]
    try:
        for p in procs:  # every kernel has joined and holds its attempt: now they all write at once
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        errors = [p.communicate(timeout=120)[1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0] * WRITERS, [e for e in errors if e][:1]
    uids = _answers(store, activity["id"])
    assert len(uids) == WRITERS * ANSWERS
    assert set(uids) == {f"w{i}-{n}" for i in range(WRITERS) for n in range(ANSWERS)}
    assert len(store.session_participants(session["id"])) == WRITERS
    assert store.activity_progress(activity["id"])["started"] == WRITERS
    if store.dialect == "sqlite":
        with sqlite3.connect(store.sqlite_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_writer_killed_inside_its_transaction_loses_only_that_transaction(session_with_pretest, tmp_path):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"], "Victim")
    attempt = store.start_attempt(activity["id"], p["id"])
    committed = 25
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, store.url, attempt["id"], str(committed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        line = victim.stdout.readline().strip()
        assert line == "inside", victim.stderr.read()
        if store.dialect == "sqlite":  # uncommitted pages really are in the log the next opener must recover
            assert os.path.getsize(f"{store.sqlite_path}-wal") > 1_000_000
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL

    after = Store(store.url)
    if after.dialect == "sqlite":
        with sqlite3.connect(after.sqlite_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    history = after.answer_history(attempt["id"])
    assert [a["uid"] for a in history] == [f"kept-{i}" for i in range(committed)]
    after.save_answer(attempt["id"], "q", "after the crash", uid="after")  # nothing is left locked
    assert after.latest_answers(attempt["id"])["q"] == "after the crash"
    after.close()


# ------------------------------------------------------------------ backups


def test_closing_an_activity_backs_the_store_up_and_keeps_a_bounded_number(sqlite_store, all_types_bank):
    store = sqlite_store
    store.keep_backups = 3
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    pre = store.add_activity(session["id"], all_types_bank, "pretest")
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    store.open_activity(pre["id"])
    assert list_backups(store.sqlite_path) == []  # opening alone copies nothing
    p = store.join(session["join_code"], "Amna")
    attempt = store.start_attempt(pre["id"], p["id"])
    store.save_answer(attempt["id"], "kiln", "tip")
    store.close_activity(pre["id"])
    backups = list_backups(store.sqlite_path)
    assert len(backups) == 1 and backups[0].parent == store.sqlite_path.parent / "backups"
    copy = Store(f"sqlite:///{backups[0]}")
    assert copy.latest_answers(attempt["id"]) == {"kiln": "tip"}
    copy.close()
    for _ in range(3):
        store.open_activity(pre["id"])
        store.open_activity(post["id"])  # opening the post-test closes the pre-test: a backup
    store.close_session(session["id"])  # closes the post-test: a backup
    assert len(list_backups(store.sqlite_path)) == 3


def test_a_backup_taken_while_a_writer_is_busy_holds_only_committed_answers(sqlite_store, all_types_bank):
    store = sqlite_store
    session = store.add_session(store.add_workshop("W")["id"], "S")
    activity = store.open_activity(store.add_activity(session["id"], all_types_bank, "pretest")["id"])
    p = store.join(session["join_code"], "Amna")
    attempt = store.start_attempt(activity["id"], p["id"])
    store.save_answer(attempt["id"], "kiln", "tip", uid="committed")
    with store.transaction() as c:  # a write in progress, holding the write lock
        c.execute(t.answers.insert().values(uid="pending", attempt_id=attempt["id"], question_id="kiln",
                                            response="som", saved_at=sa.func.now()))
        copy_path = backup_sqlite(store.sqlite_path, keep=5)
    with sqlite3.connect(copy_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        assert [r[0] for r in db.execute("SELECT uid FROM answers")] == ["committed"]
    assert {a["uid"] for a in store.answer_history(attempt["id"])} == {"committed", "pending"}


def test_toolkit_backup_copies_the_store_of_a_data_folder(tmp_path):
    data = tmp_path / "quetta"
    assert CliRunner().invoke(main, ["demo", "--data", str(data)]).exit_code == 0
    result = CliRunner().invoke(main, ["backup", "--data", str(data), "--keep", "2"])
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output and str(data / "backups") in result.output
    for _ in range(3):
        CliRunner().invoke(main, ["backup", "--data", str(data), "--keep", "2"])
    assert len(list(data.joinpath("backups").glob("toolkit-*.db"))) == 2


def test_toolkit_backup_of_a_folder_without_a_store_says_so(tmp_path):
    result = CliRunner().invoke(main, ["backup", "--data", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "There is no store at" in result.output and "Traceback" not in result.output


def test_a_save_with_a_timeout_does_not_wait_behind_a_writer_that_holds_the_queue(sqlite_store, all_types_bank):
    import threading

    import pytest

    from toolkit.store import StoreUnavailable

    store = sqlite_store
    session = store.add_session(store.add_workshop("W")["id"], "S")
    activity = store.open_activity(store.add_activity(session["id"], all_types_bank, "pretest")["id"])
    attempt = store.start_attempt(activity["id"], store.join(session["join_code"])["id"])
    other = Store(store.url)  # another kernel, in the middle of a long write
    holding, done = threading.Event(), threading.Event()

    def long_write():
        with other._queue.turn():
            holding.set()
            done.wait(60)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert holding.wait(30)
        with pytest.raises(StoreUnavailable):
            store.save_answer(attempt["id"], "kiln", "tip", uid="queued", timeout=0.05)
    finally:
        done.set()
        writer.join()
        other.close()
    store.save_answer(attempt["id"], "kiln", "tip", uid="queued", timeout=0.05)
    assert [a["uid"] for a in store.answer_history(attempt["id"])] == ["queued"]


def test_a_short_timeout_is_for_that_write_only(sqlite_store):
    from toolkit.database import BUSY_TIMEOUT_S

    def busy_timeout(timeout=None):
        with sqlite_store.transaction(timeout) as c:
            return c.exec_driver_sql("PRAGMA busy_timeout").scalar()

    usual = int(BUSY_TIMEOUT_S * 1000)
    assert [busy_timeout(), busy_timeout(0.05), busy_timeout(), busy_timeout(0.05), busy_timeout()] == [
        usual, 50, usual, 50, usual]  # the pooled connection is the same: the coach's writes still wait their turn
