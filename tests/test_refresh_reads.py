"""What one refresh of the coach's console reads (issue #15, "one read per refresh"): a tick after an answer
arrived reads the answer log once, whatever the panel shows; a tick when nothing changed costs one cheap statement
at most (SQLite's PRAGMA data_version; none on PostgreSQL, which announces writes by NOTIFY); and a save is seen
on the next tick whether it came from another connection (a phone's kernel) or from the coach's own store."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from helpers import ROOT, TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.bank import load_bank
from toolkit.store import Store, progress

BANK = ROOT / "question_banks" / "prepost-form-a.yaml"
ANSWERS = re.compile(r"\banswers\b", re.IGNORECASE)  # the answer log (not group_answers)


class Statements:
    """The statements an engine runs, from SQLAlchemy's before_cursor_execute event."""

    def __init__(self, engine: sa.Engine):
        self.seen: list[str] = []
        self.engine = engine
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        self.seen = []
        return self

    def __exit__(self, *_exc) -> None:
        pass

    @property
    def log_reads(self) -> list[str]:
        return [s for s in self.seen if ANSWERS.search(s)]

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def answer_all(store: Store, activity: dict, people: list[dict], bank, which: int) -> None:
    for p in people:
        attempt = store.start_attempt(activity["id"], p["id"])
        for q in chosen(bank):
            store.save_answer(attempt["id"], q.id, q.options[which % len(q.options)].id)


@pytest.fixture
def workshop_under_way(store):
    """A session whose pre-test is closed and whose post-test is open: five people took the pre-test, four have
    answered the post-test, and a sixth has joined and opened the post-test without answering yet."""
    bank = load_bank(BANK)
    workshop = store.add_workshop("Refresh workshop", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], bank, "pretest")
    post = store.add_activity(session["id"], bank, "posttest")
    people = [store.join(session["join_code"], f"Person {i}") for i in range(6)]
    store.open_activity(pre["id"])
    answer_all(store, pre, people[:5], bank, 1)
    store.set_activity_state(pre["id"], "closed")
    store.open_activity(post["id"])
    answer_all(store, post, people[:4], bank, 0)
    late = store.start_attempt(post["id"], people[5]["id"])
    return store, session, store.find_activity(post["id"]), bank, late


def chosen(bank) -> list:
    """The bank's questions answered by choosing an option."""
    return [q for q in bank.questions if q.type == "single"]


def coach_on(store: Store, session: dict, post: dict, tab: str) -> CoachApp:
    app = CoachApp(store=store, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.show_session(session["id"])
    app.select(post["id"])
    app.nav.value = tab
    app.refresh()  # the tick after the console was drawn
    return app


def delivered(app: CoachApp) -> None:
    """Until a write by another connection can be seen by the console: on PostgreSQL its notice travels to the
    console's listening connection (ChangeWatch.wait); elsewhere at once."""
    watch = getattr(app, "_watch", None)
    if watch is not None:
        assert watch.wait(30)


def answered_shown(app: CoachApp, question_id: str) -> int:
    cell = re.search(rf"class='tk-answered' data-question='{re.escape(question_id)}'><b>(\d+)</b>",
                     app.panels["results"].questions.value)
    return int(cell.group(1))


@pytest.mark.parametrize("tab", ["results", "run", "presenter"])
def test_a_refresh_after_an_answer_reads_the_answer_log_once(workshop_under_way, tab):
    store, session, post, bank, late = workshop_under_way
    app = coach_on(store, session, post, tab)
    phone = Store(store.url)  # a participant's kernel: another engine, another connection
    counted = Statements(store.engine)
    try:
        q = chosen(bank)[0]
        phone.save_answer(late["id"], q.id, q.options[0].id)
        app.panels["presenter"].index = [x.id for x in bank.questions].index(q.id)
        delivered(app)
        with counted:
            app.refresh()
        assert len(counted.log_reads) == 1, counted.log_reads
        if tab == "results":  # the chart shows it, and pre vs post is drawn from the same read
            assert answered_shown(app, q.id) == 5
            assert "id='tk-gain'" in app.panels["results"].comparison.value
        elif tab == "run":
            assert "1 of" in app.panels["run"].board.value  # the late one has answered one question
        else:
            assert "5 answered" in app.panels["presenter"].view.value
    finally:
        counted.close()
        phone.close()
        app.show_prepare()


@pytest.mark.parametrize("tab", ["results", "run", "presenter", "join"])
def test_a_tick_when_nothing_changed_costs_one_cheap_statement_at_most(workshop_under_way, tab):
    store, session, post, _bank, _late = workshop_under_way
    app = coach_on(store, session, post, tab)
    counted = Statements(store.engine)
    try:
        app.refresh()  # settles whatever the first ticks wrote or read
        for _ in range(3):
            with counted:
                app.refresh()
            if store.dialect == "sqlite":
                assert counted.seen == ["PRAGMA data_version"]
            else:  # PostgreSQL: the notices that arrived on the listening connection, no statement
                assert counted.seen == []
    finally:
        counted.close()
        app.show_prepare()


def test_a_save_by_another_connection_and_one_by_the_coachs_own_store_are_both_seen(workshop_under_way):
    store, session, post, bank, late = workshop_under_way
    app = coach_on(store, session, post, "results")
    phone = Store(store.url)
    first, second = chosen(bank)[:2]
    try:
        assert (answered_shown(app, first.id), answered_shown(app, second.id)) == (4, 4)
        phone.save_answer(late["id"], first.id, first.options[0].id)  # another connection, another engine
        delivered(app)
        app.refresh()
        assert answered_shown(app, first.id) == 5
        store.save_answer(late["id"], second.id, second.options[0].id)  # the coach kernel's own store
        app.refresh()
        assert answered_shown(app, second.id) == 5
        counted = Statements(store.engine)
        with counted:
            app.refresh()
        counted.close()
        assert counted.log_reads == []  # and then nothing more is read
    finally:
        phone.close()
        app.show_prepare()


def test_the_watch_says_changed_after_each_write_and_not_otherwise(store):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    watch = store.watch_changes(session["id"])
    other = Store(store.url)
    try:
        assert watch.how == ("data_version" if store.dialect == "sqlite" else "listen")
        assert watch.changed()  # the first look
        assert not watch.changed()
        other.join(session["join_code"], "From another kernel")
        assert watch.wait(30)
        assert watch.changed()
        assert not watch.changed()
        store.join(session["join_code"], "From this kernel")
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()
        other.close()


def test_without_listen_or_data_version_the_watch_follows_the_sessions_pulse_in_one_statement(store, monkeypatch):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")

    monkeypatch.setattr(progress, "CHANNEL_SQL", "1/0")  # PostgreSQL: LISTEN fails
    monkeypatch.setattr(type(store), "sqlite_path", property(lambda _s: None))  # SQLite: as if in memory
    watch = store.watch_changes(session["id"])
    counted = Statements(store.engine)
    try:
        assert watch.how == "pulse"
        assert watch.changed()
        with counted:
            assert not watch.changed()
        assert len([s for s in counted.seen if s != "BEGIN"]) == 1  # (SQLite begins its read)
        store.join(session["join_code"], "Amna")
        assert watch.changed()
    finally:
        counted.close()
        watch.close()


@pytest.mark.postgres
def test_a_listening_connection_that_is_gone_is_opened_again_and_nothing_is_missed(store):
    if store.dialect != "postgresql":
        pytest.skip("LISTEN is PostgreSQL's")
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    watch = store.watch_changes(session["id"])
    other = Store(store.url)
    try:
        watch.changed()
        gone = watch._conn
        gone.close()  # as when the server restarts or the connection breaks
        assert watch.changed()  # said changed, and listening again on a new connection
        assert watch.how == "listen" and watch._conn is not gone
        assert not watch.changed()
        other.join(session["join_code"], "Amna")
        assert watch.wait(30)
        assert watch.changed()
    finally:
        watch.close()
        other.close()


def test_who_never_answered_is_followed_without_reading_the_log_again(store):
    """The Run tab's "Joined, never answered": someone who answers the watched activity leaves the list on the
    next tick, from the refresh's one read; someone who leaves a trace elsewhere (a question from the room)
    leaves it at the next refresh the coach asks for (a tab), and taking them out is refused meanwhile."""
    bank = load_bank(BANK)
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], bank, "pretest")
    store.open_activity(activity["id"])
    amna, bilal, chand = (store.join(session["join_code"], n) for n in ("Amna", "Bilal", "Chand"))
    app = coach_on(store, session, store.find_activity(activity["id"]), "run")
    silent = app.panels["run"].silent
    app.refresh()
    assert list(silent.remove_buttons) == [amna["id"], bilal["id"], chand["id"]]
    phone = Store(store.url)
    counted = Statements(store.engine)
    try:
        q = chosen(bank)[0]
        phone.save_answer(phone.start_attempt(activity["id"], amna["id"])["id"], q.id, q.options[0].id)
        delivered(app)
        with counted:
            app.refresh()
        assert list(silent.remove_buttons) == [bilal["id"], chand["id"]]
        assert len(counted.log_reads) == 1
        phone.ask(session["id"], bilal["id"], "Who pays for the shelter?")
        delivered(app)
        app.refresh()
        assert list(silent.remove_buttons) == [bilal["id"], chand["id"]]  # not asked again on a tick
        silent.remove_buttons[bilal["id"]].click()
        assert "answered meanwhile and stay" in silent.status.value
        assert [p["display_name"] for p in store.session_participants(session["id"])] == ["Amna", "Bilal", "Chand"]
        app.nav.value = "join"
        app.nav.value = "run"  # a refresh the coach asked for
        assert list(silent.remove_buttons) == [chand["id"]]
    finally:
        counted.close()
        phone.close()
        app.show_prepare()


def test_a_watch_nobody_closed_is_closed_with_its_store(store):
    """A coach console that is never shown another session (a test, a kernel that ends) must not keep its
    watch's own connection open after the store is closed: on PostgreSQL each one is a server connection of
    its own, outside the pool, and a day of them ran the server out ("too many clients")."""
    session = store.add_session(store.add_workshop("W")["id"], "S")
    if store.dialect == "postgresql":
        with store.engine.connect() as c:
            channel = c.exec_driver_sql(f"SELECT {progress.CHANNEL_SQL}").scalar()
        listening = sa.text("SELECT count(*) FROM pg_stat_activity WHERE query = :q")
        outside = sa.create_engine(store.engine.url)
        try:
            watch = store.watch_changes(session["id"])
            assert watch.how == "listen" and watch.changed()
            with outside.connect() as c:
                assert c.execute(listening, {"q": f'LISTEN "{channel}"'}).scalar() == 1
            store.close()
            with outside.connect() as c:
                assert c.execute(listening, {"q": f'LISTEN "{channel}"'}).scalar() == 0
        finally:
            outside.dispose()
    else:
        watch = store.watch_changes(session["id"])
        assert watch.how == "data_version" and watch.changed()
        store.close()
        assert watch.how == "data_version" and watch._conn is None
