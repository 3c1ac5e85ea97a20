"""What one page and one phone may do, driven as on the phone: wrong codes wait longer and longer, a page joins a few
people, an address a dozen in ten minutes, texts are bounded with a counter and refused in the person's language;
the coach sees who never answered and takes them out."""

from __future__ import annotations

import pytest
from helpers import TEST_BANKS

from toolkit import limits
from toolkit.apps.coach import CoachApp
from toolkit.apps.participant import ParticipantApp
from toolkit.apps.request import CLIENT_ADDRESS


def page(store, query: str) -> ParticipantApp:
    return ParticipantApp(store=store, query=query, start_polling=False)


def fill_and_join(app: ParticipantApp, name: str, **profile) -> None:
    form = app.join_form
    form.name_box.value = name
    for field, value in profile.items():
        form.profile_boxes[field].value = value
    form.consent_box.value = True
    form.join_button.click()


def clocked(app: ParticipantApp, start: float = 1000.0) -> list[float]:
    now = [start]
    app.tries.clock = lambda: now[0]
    return now


@pytest.fixture
def open_session(store):
    workshop = store.add_workshop("W", profile_fields={"rank": "required", "organisation": "optional"})
    return store, store.add_session(workshop["id"], "S")


def test_one_page_joins_three_people_however_often_it_joins_as_someone_else(open_session):
    store, session = open_session
    app = page(store, f"code={session['join_code']}")
    for i in range(limits.JOINS_PER_PAGE):
        fill_and_join(app, f"Person {i}", rank="ASI")
        assert app.participant["display_name"] == f"Person {i}"
        app.join_as_someone_else()
    fill_and_join(app, "One too many", rank="ASI")
    assert app.participant is None
    assert "3 people have already joined from this page" in app.join_form.message.value
    assert len(store.session_participants(session["id"])) == limits.JOINS_PER_PAGE


def test_wrong_codes_on_one_page_wait_longer_and_longer_and_then_the_right_code_works(open_session):
    store, session = open_session
    app = page(store, "lang=ur")
    now = clocked(app)
    form = app.join_form
    for _ in range(limits.WRONG_CODES_FREE_PER_PAGE):
        form.code_box.value = "ZZZZZZ"
        form.continue_button.click()
        assert "کوڈ ZZZZZZ والا کوئی سیشن کھلا نہیں ہے" in form.message.value
    form.code_box.value = session["join_code"]
    form.continue_button.click()  # the right code waits too: a guesser learns nothing while the wait runs
    assert form.session is None
    assert "براہِ کرم 2 سیکنڈ انتظار کریں" in form.message.value
    now[0] += 2
    form.continue_button.click()
    assert form.session["id"] == session["id"] and form.message.value == ""


def test_wrong_card_codes_count_too_and_the_wait_follows_the_page_into_its_next_join_form(open_session):
    store, session = open_session
    store.add_rostered(session["workshop_id"], [dict(name="Ayesha", sex=None, organisation=None, rank="ASI",
                                                     contact=None)])
    app = page(store, f"code={session['join_code']}")
    clocked(app)
    form = app.join_form
    for _ in range(limits.WRONG_CODES_FREE_PER_PAGE):
        form.card_box.value = "ZZZZ-ZZZZ"
        form.card_panel.children[0].children[1].click()  # "Use my card"
        assert "code is not known here" in form.message.value
    fill_and_join(app, "Gul", rank="ASI")
    app.join_as_someone_else()  # a new form, with the code in the address, does not start the count again
    assert app.join_form.session is None
    assert "wait 2 seconds" in app.join_form.message.value


def test_wrong_codes_from_one_address_count_across_its_pages(open_session, monkeypatch):
    store, session = open_session
    store.clock = lambda: 1_000_000.0  # the store's clock stands still: the wait shown is exactly the wait
    monkeypatch.setenv(CLIENT_ADDRESS, "192.168.43.20")
    per_page = limits.WRONG_CODES_FREE_PER_PAGE
    for _ in range(limits.WRONG_CODES_FREE_PER_ADDRESS // per_page):  # each page stays within its own allowance
        app = page(store, "")
        for _ in range(per_page):
            app.join_form.code_box.value = "ZZZZZZ"
            app.join_form.continue_button.click()
    scanned = page(store, f"code={session['join_code']}")  # even the QR code's address waits
    assert scanned.join_form.session is None
    assert "wait 2 seconds" in scanned.join_form.message.value
    monkeypatch.setenv(CLIENT_ADDRESS, "192.168.43.21")
    assert page(store, f"code={session['join_code']}").join_form.session["id"] == session["id"]


def test_joins_from_one_address_are_bounded_across_its_pages(open_session, monkeypatch):
    store, session = open_session
    store.clock = lambda: 1_000_000.0
    monkeypatch.setenv(CLIENT_ADDRESS, "192.168.43.30")
    most, _seconds = limits.JOINS_PER_ADDRESS[0]
    for i in range(most):
        fill_and_join(page(store, f"code={session['join_code']}"), f"P{i}", rank="ASI")
    late = page(store, f"code={session['join_code']}&lang=ur")
    fill_and_join(late, "One too many", rank="ASI")
    assert late.participant is None
    assert "براہِ کرم 10 منٹ انتظار کریں" in late.join_form.message.value
    assert len(store.session_participants(session["id"])) == most


def test_a_name_with_a_nul_byte_gets_a_message_in_urdu_and_nothing_is_stored(open_session):
    store, session = open_session
    app = page(store, f"code={session['join_code']}&lang=ur")
    fill_and_join(app, "Ali\x00", rank="ASI")
    assert app.participant is None
    assert "“نام” کے خانے میں ایک ایسا حرف ہے جو محفوظ نہیں ہو سکتا" in app.join_form.message.value
    assert store.session_participants(session["id"]) == []
    fill_and_join(app, "Ali", rank="  ")
    assert "براہِ کرم “عہدہ” کا خانہ پُر کریں" in app.join_form.message.value
    fill_and_join(app, "Ali", rank="ASI")
    assert app.participant["display_name"] == "Ali"


def test_a_long_rank_is_cut_at_its_limit_where_the_phone_sees_it_with_a_counter(open_session):
    store, session = open_session
    app = page(store, f"code={session['join_code']}")
    form = app.join_form
    assert "0/100" in form.counters["rank"].value
    form.profile_boxes["rank"].value = "R" * 150
    assert form.profile_boxes["rank"].value == "R" * 100  # sent back to the phone: the box shows the cut
    assert "100/100" in form.counters["rank"].value
    form.name_box.value = "Ayesha"
    assert "6/100" in form.counters["display_name"].value
    assert form.counters["organisation"].value.count("/120") == 1
    form.consent_box.value = True
    form.join_button.click()
    assert store.session_participants(session["id"])[0]["rank"] == "R" * 100


def test_a_question_to_the_coach_with_a_nul_byte_says_so_and_is_not_sent(open_session):
    store, session = open_session
    app = page(store, f"code={session['join_code']}")
    fill_and_join(app, "Amna", rank="ASI")
    app.tabs.value = "room"
    room = app.room
    room.box.value = "Who pays?\x00"
    room.send.click()
    assert "There is a character in your question that cannot be stored" in room.status.value
    assert room.box.value == "Who pays?\x00"  # nothing typed is lost
    room.box.value = "x" * 1500
    assert len(room.box.value) == 1000 and "1000/1000" in room.counter.value
    room.box.value = "Who pays for the shelter?"
    room.send.click()
    assert [q["text"] for q in store.room_questions(session["id"])] == ["Who pays for the shelter?"]


def test_the_coach_sees_who_never_answered_and_takes_them_out_with_their_votes(store, all_types_bank):
    coach = CoachApp(store=store, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "pretest")
    coach.show_session(session["id"])
    coach.nav.value = "run"
    run = coach.panels["run"]
    asker = page(store, f"code={session['join_code']}")
    fill_and_join(asker, "Amna")
    question = store.ask(session["id"], asker.participant["id"], "Who pays for the shelter?")
    puppets = []
    for i in range(3):
        p = page(store, f"code={session['join_code']}")
        fill_and_join(p, f"Puppet {i}")
        store.vote(question["id"], p.participant["id"])
        puppets.append(p)
    puppets[1].tabs.value = "room"  # a page left open on the questions
    puppets[1].room.vote_buttons[question["id"]].value = False
    puppets[1].room.vote_buttons[question["id"]].value = True
    coach.refresh()
    silent = run.silent
    assert list(silent.remove_buttons) == [p.participant["id"] for p in puppets]
    assert "Puppet 0" in silent.children[1].children[0].children[0].value
    silent.remove_buttons[puppets[0].participant["id"]].click()
    assert store.room_questions(session["id"])[0]["votes"] == 2
    assert list(silent.remove_buttons) == [p.participant["id"] for p in puppets[1:]]
    silent.remove_all.click()
    assert store.room_questions(session["id"])[0]["votes"] == 2  # nothing happens before the confirmation
    silent.remove_all_yes.click()
    assert store.room_questions(session["id"])[0]["votes"] == 0
    assert [p["display_name"] for p in store.session_participants(session["id"])] == ["Amna"]
    assert silent.remove_buttons == {}
    puppets[1].room.vote_buttons[question["id"]].value = False
    puppets[1].room.vote_buttons[question["id"]].value = True  # a vote from a page taken out counts no more
    assert "The coach has taken you out of this session" in puppets[1].room.status.value
    assert store.room_questions(session["id"])[0]["votes"] == 0
    assert puppets[1].room.vote_buttons[question["id"]].value is False

    store.open_activity(activity["id"])
    puppets[0].refresh()  # the page of someone taken out: the join form again, and why
    assert puppets[0].participant is None and puppets[0].join_form is not None
    assert "The coach has taken you out of this session" in puppets[0].message.value
    asker.refresh()
    assert asker.attempt is not None  # everyone else goes on as before


def test_someone_taken_out_while_on_a_question_hears_it_within_a_few_looks(session_with_pretest):
    from toolkit.apps.participant import ATTENDANCE_EVERY

    store, session, _ = session_with_pretest
    app = page(store, f"code={session['join_code']}")
    fill_and_join(app, "Slow")
    assert app.input is not None  # on the first question, nothing answered yet
    store.remove_from_session(session["id"], app.participant["id"])
    for _ in range(ATTENDANCE_EVERY):
        app.refresh()
    assert app.participant is None
    assert "The coach has taken you out of this session" in app.message.value


def test_a_known_persons_link_with_a_guessed_code_is_counted_and_tells_nothing_while_the_wait_runs(store,
                                                                                                   monkeypatch):
    store.clock = lambda: 1_000_000.0
    mine = store.add_workshop("Mine")
    my_session = store.add_session(mine["id"], "S")
    me = store.join(my_session["join_code"], "Gul")
    other = store.add_session(store.add_workshop("Another workshop")["id"], "S")
    monkeypatch.setenv(CLIENT_ADDRESS, "192.168.43.40")
    for _ in range(limits.WRONG_CODES_FREE_PER_ADDRESS):
        app = page(store, f"code=ZZZZZZ&token={me['token']}")
        assert app.session["id"] == my_session["id"]  # a wrong code in the link: back to their own session
    guessed = page(store, f"code={other['join_code']}&token={me['token']}")
    assert guessed.join_form is None and guessed.session["id"] == my_session["id"]  # not the other's join form
    monkeypatch.setenv(CLIENT_ADDRESS, "192.168.43.41")
    assert page(store, f"code={other['join_code']}&token={me['token']}").join_form.session["id"] == other["id"]


@pytest.mark.parametrize("address, counted", [("192.168.43.7", "192.168.43.7"), ("fe80::1", "fe80::1"),
                                              ("127.0.0.1", None), ("127.0.0.5", None), ("::1", None),
                                              ("::ffff:127.0.0.1", None), (None, None)])
def test_the_laptop_itself_is_not_a_phone(address, counted, monkeypatch):
    from toolkit.apps.request import client_address

    if address is None:
        monkeypatch.delenv(CLIENT_ADDRESS, raising=False)
    else:
        monkeypatch.setenv(CLIENT_ADDRESS, address)
    assert client_address() == counted
