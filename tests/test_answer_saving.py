"""An answer the store could not take yet is not lost: it waits in the kernel, the phone says "Saving…", and it is
sent again (with the same retry id) until it is saved. Taps are bounded. Driven as a participant would, on SQLite
and PostgreSQL, with the store locked from another connection; clocks are injected, nothing waits on time."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from toolkit import schema as t
from toolkit.apps.participant import ParticipantApp
from toolkit.apps.saving import SAVES_PER_WINDOW, WINDOW_S, Outbox, save_window
from toolkit.database import BUSY_TIMEOUT_S
from toolkit.store import StoreUnavailable, normalise_url

SHORT = 0.05  # seconds a save waits for a locked store in these tests


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@contextmanager
def locked(store):
    """Another connection holds the store's write lock (SQLite) or the answers table (PostgreSQL) until the end."""
    if store.dialect == "sqlite":
        other = sqlite3.connect(store.sqlite_path, isolation_level=None, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        engine = sa.create_engine(normalise_url(store.url))
        with engine.connect() as other:
            other.exec_driver_sql("BEGIN")
            other.exec_driver_sql("LOCK TABLE answers, group_answers IN EXCLUSIVE MODE")  # reads pass, writes wait
            try:
                yield
            finally:
                other.exec_driver_sql("ROLLBACK")
        engine.dispose()


def phone(store, session, clock, name="Ayesha"):
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False,
                         save_timeout=SHORT, monotonic=clock)
    app.join_form.name_box.value = name
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    return app


def rows(store, attempt_id, question_id=None):
    return [(a["question_id"], a["response"]) for a in store.answer_history(attempt_id)
            if question_id is None or a["question_id"] == question_id]


def test_a_tap_while_the_store_is_locked_shows_saving_and_is_stored_once_when_it_is_free(session_with_pretest):
    store, session, _ = session_with_pretest
    clock = Clock()
    app = phone(store, session, clock)
    app.input.choose(True)
    app.next.click()  # on "kiln"
    with locked(store):
        started = time.monotonic()
        app.input.choose("tip")
        took = time.monotonic() - started
        assert app.status.value == "<div class='tk-saving'>Saving…</div>"
        assert took < BUSY_TIMEOUT_S / 2  # it tried briefly: the page was not held for the store's busy timeout
        assert [b.value for b in app.input.buttons] == [True, False, False, False]  # the tap shows as chosen
        app.input.buttons[0].value = False  # the same tap again: sent again (still locked), and still chosen
        assert app.input.response == "tip" and app.input.buttons[0].value is True
        assert "Saving…" in app.status.value
        clock.advance(10)
        app._send_waiting()  # the polling loop tries again while the store is still locked: it keeps waiting
        assert "Saving…" in app.status.value
    assert rows(store, app.attempt["id"], "kiln") == []
    clock.advance(10)
    app.refresh()  # the polling loop, once the store is free
    assert app.status.value == "<div class='tk-saved'>✓ Saved</div>"
    assert rows(store, app.attempt["id"], "kiln") == [("kiln", "tip")]
    assert app.outbox.pending == {}


def test_a_later_tap_supersedes_the_one_waiting_and_the_same_answer_keeps_its_retry_id(session_with_pretest):
    store, session, _ = session_with_pretest
    clock = Clock()
    app = phone(store, session, clock)
    app.go(1)
    with locked(store):
        app.input.choose("tip")
        first = app.outbox.pending["kiln"].uid
        app.input.buttons[0].value = False  # the same answer again
        assert app.outbox.pending["kiln"].uid == first
        app.input.choose("som")  # changed its mind while the store was locked
        assert app.outbox.pending["kiln"].value == "som" and app.outbox.pending["kiln"].uid != first
    clock.advance(10)
    app.refresh()
    assert rows(store, app.attempt["id"], "kiln") == [("kiln", "som")]


def test_a_retry_of_a_save_that_did_reach_the_store_is_stored_once(session_with_pretest):
    store, session, activity = session_with_pretest
    attempt = store.start_attempt(activity["id"], store.join(session["join_code"], "Bilal")["id"])
    sent = []

    def send(question_id, response, uid):  # the first save commits, but its answer never comes back
        sent.append(uid)
        store.save_answer(attempt["id"], question_id, response, uid=uid)
        if len(sent) == 1:
            raise StoreUnavailable("the reply was lost")

    clock = Clock()
    outbox = Outbox(send, save_window(clock), clock=clock)
    assert outbox.give("kiln", "tip") == "saving"
    clock.advance(10)
    assert outbox.flush() == {"kiln": "saved"}
    assert sent[0] == sent[1]  # the retry carried the same id…
    assert rows(store, attempt["id"]) == [("kiln", "tip")]  # …so the store kept the answer once


def test_taps_that_repeat_the_saved_answer_are_not_sent_and_a_burst_of_taps_coalesces(session_with_pretest):
    store, session, _ = session_with_pretest
    clock = Clock()
    app = phone(store, session, clock)
    app.go(1)
    sends = []
    save = store.save_answer
    app.store.save_answer = lambda *a, **kw: (sends.append(a), save(*a, **kw))[1]
    app.input.choose("tip")
    for _ in range(200):
        app.input.buttons[0].value = False  # the chosen option, tapped again and again
    assert len(sends) == 1
    for i in range(200):  # two options, alternately, as fast as a thumb can
        app.input.choose("som" if i % 2 == 0 else "tip")
    assert len(sends) == SAVES_PER_WINDOW  # the page's bound: the rest waited…
    assert app.input.response == "tip" and "Saving…" in app.status.value
    clock.advance(WINDOW_S)
    app.refresh()  # …and the latest was saved when the window allowed
    assert store.latest_answers(app.attempt["id"])["kiln"] == "tip"
    assert len(rows(store, app.attempt["id"], "kiln")) <= SAVES_PER_WINDOW + 1
    assert "✓ Saved" in app.status.value


def test_submit_waits_for_an_answer_that_is_still_being_saved(session_with_pretest):
    store, session, _ = session_with_pretest
    clock = Clock()
    app = phone(store, session, clock)
    app.input.choose(True)
    with locked(store):
        app.next.click()  # the position waits too, and the page moves on
        app.input.choose("tip")
        app.go(9)
        assert app.review_note.value == "<div class='tk-saving'>1 of your answers are still being saved…</div>"
        app.submit_button.click()
        app.confirm_yes.click()
        assert "Some answers are still being saved" in app.confirm.children[0].value
    assert store.find_attempt(app.attempt["id"])["submitted_at"] is None
    app.submit_button.click()
    app.confirm_yes.click()  # the store is free: the waiting answer is saved first, then the attempt submitted
    assert store.latest_answers(app.attempt["id"]) == {"consent": True, "kiln": "tip"}
    assert store.find_attempt(app.attempt["id"])["submitted_at"] is not None
    assert "Your answers are submitted" in app.body.children[0].value
    app.refresh()  # the polling loop sends the position that waited
    assert store.find_attempt(app.attempt["id"])["position"] == 9


def test_a_group_edit_while_the_store_is_locked_is_saved_when_it_is_free(store, case_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], case_bank, "case_study", case_study_id=case_bank.case_studies[0].id)
    clock = Clock()
    amna = phone(store, session, clock, "Amna")
    store.open_activity(activity["id"])
    group = store.add_group(activity["id"], "Group 1", [amna.participant["id"]])
    amna.refresh()
    view = amna.group_view
    with locked(store):
        view.inputs["classification"].choose("tip")
        assert view.saved_lines["classification"].value == "<div class='tk-saving'>Saving…</div>"
        amna._show_activity(store.current_activity(session["id"]))  # drawn afresh (the coach changed the groups)
        assert amna.group_view is not view and amna.group_view.inputs["classification"].response == "tip"
        assert "Saving…" in amna.group_view.saved_lines["classification"].value
    clock.advance(10)
    amna.refresh()
    assert "Saved by you" in amna.group_view.saved_lines["classification"].value
    assert store.group_answers(group["id"])["classification"]["response"] == "tip"
    with store.read() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(t.group_answers)).scalar() == 1


@pytest.mark.parametrize("lang, expected", [
    ("en", "Please keep your answer to 2000 characters (it has 2001)."),
    ("ur", "براہِ کرم اپنا جواب 2000 حروف تک رکھیں (اس میں 2001 ہیں)۔"),
])
def test_an_open_answer_too_long_is_refused_in_the_persons_language_and_counted(session_with_pretest, lang,
                                                                               expected):
    store, session, _ = session_with_pretest
    app = phone(store, session, Clock())
    app.language.value = lang
    app.go(8)  # the open question
    app.input.box.value = "x" * 2001
    assert expected in app.status.value
    assert "comment" not in store.latest_answers(app.attempt["id"])
    assert "tk-over" in app.input.count.value and ">2001<" in app.input.count.value
    app.input.box.value = "x" * 2000
    assert "✓" in app.status.value and len(store.latest_answers(app.attempt["id"])["comment"]) == 2000
    assert "tk-limit-2000" in app.input.box._dom_classes  # the page stops typing at the limit


def test_a_group_answer_too_long_is_refused_and_the_groups_answer_is_kept(store, case_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], case_bank, "case_study", case_study_id=case_bank.case_studies[0].id)
    amna = phone(store, session, Clock(), "Amna")
    store.open_activity(activity["id"])
    group = store.add_group(activity["id"], "Group 1", [amna.participant["id"]])
    amna.refresh()
    box = amna.group_view.inputs["reasoning"]
    box.box.value = "Debt bondage."
    box.box.value = "y" * 2500
    assert "Please keep your answer to 2000 characters (it has 2500)." in amna.group_view.status.value
    assert store.group_answers(group["id"])["reasoning"]["response"] == "Debt bondage."
