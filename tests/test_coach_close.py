"""Closing an activity when the laptop's disk is full: the coach sees on the console what did not happen and what
to do (the activity not closed, or closed without a backup), never only a line in a log."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import sqlalchemy as sa
from helpers import TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.backup import BackupError


@contextmanager
def _disk_full(store, statement: str):
    """SQLite's answer to a write when the disk is full, to the statements that start with `statement`."""

    def full(cursor, sql, parameters, context):
        if sql.lstrip().upper().startswith(statement):
            raise sqlite3.OperationalError("database or disk is full")

    sa.event.listen(store.engine, "do_execute", full)
    try:
        yield
    finally:
        sa.event.remove(store.engine, "do_execute", full)


def _console(store, all_types_bank):
    workshop = store.add_workshop("Victim identification", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], all_types_bank, "pretest")
    store.open_activity(pre["id"])
    app = CoachApp(store=store, banks_dir=TEST_BANKS, start_polling=False)
    app.show_session(session["id"])
    app.nav.value = "run"
    return app, pre


def test_a_close_the_full_disk_refused_is_shown_and_the_activity_stays_open(sqlite_store, all_types_bank):
    store = sqlite_store
    app, pre = _console(store, all_types_bank)

    with _disk_full(store, "UPDATE ACTIVITIES"):
        app.panels["run"].buttons[pre["id"]]["closed"].click()
    assert store.find_activity(pre["id"])["state"] == "open"
    assert "The activity was not closed" in app.message.value
    assert "database or disk is full" in app.message.value and "then press Close again" in app.message.value
    assert store.backup_problem is None  # nothing was closed, so no backup was due

    app.panels["run"].buttons[pre["id"]]["closed"].click()  # space freed: it closes, and the message goes
    assert store.find_activity(pre["id"])["state"] == "closed" and app.message.value == ""


def test_a_close_whose_backup_failed_says_so_on_the_console(sqlite_store, all_types_bank, monkeypatch):
    store = sqlite_store
    app, pre = _console(store, all_types_bank)

    def no_space(*_args, **_kwargs):
        raise BackupError(f"Could not back up {store.sqlite_path}: [Errno 28] No space left on device")

    monkeypatch.setattr("toolkit.store.core.backup_sqlite", no_space)
    app.panels["run"].buttons[pre["id"]]["closed"].click()
    assert store.find_activity(pre["id"])["state"] == "closed"  # the close itself is never held up by a backup
    assert store.backup_problem.endswith("[Errno 28] No space left on device")
    assert "The activity is closed, but no backup copy of the store was made" in app.message.value
    assert "No space left on device" in app.message.value and "toolkit backup" in app.message.value
    assert not list((store.sqlite_path.parent / "backups").glob("*.db"))


def test_ending_the_session_when_the_disk_is_full_says_so_and_the_session_stays_open(sqlite_store, all_types_bank):
    store = sqlite_store
    app, _pre = _console(store, all_types_bank)

    run = app.panels["run"]
    with _disk_full(store, "UPDATE SESSIONS"):
        run.end_button.click()
        run.end_yes.click()
    assert store.find_session(app.session["id"])["state"] == "open"
    assert "The session was not ended" in app.message.value and "database or disk is full" in app.message.value
