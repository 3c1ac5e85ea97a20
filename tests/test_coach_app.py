"""The coach console, driven by clicks, checked against the store and the participants' answers."""

from __future__ import annotations

import re

from conftest import TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.apps.participant import ParticipantApp


def coach(store) -> CoachApp:
    return CoachApp(store=store, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)


def figure(html: str, name: str) -> int:
    return int(re.search(rf"id='tk-{name}'>(\d+)<", html).group(1))


def test_create_a_session_from_a_bank_and_show_the_join_code(store):
    app = coach(store)
    app.workshop_title.value = "Victim identification, Quetta"
    app.place.value = "Quetta"
    app.session_title.value = "Day 1"
    session = app.create_session()
    assert store.get_workshop(session["workshop_id"])["place"] == "Quetta"
    activities = store.list_activities(session["id"])
    assert [a["kind"] for a in activities] == ["pretest"]  # one test bank in the folder: no post-test chosen
    assert activities[0]["state"] == "draft"
    assert session["join_code"] in app.join_panel.value
    assert f"http://192.168.43.1:8866/?code={session['join_code']}" in app.join_panel.value
    assert "<svg" in app.join_panel.value  # the QR code, drawn inline


def test_a_session_needs_a_workshop_title(store):
    app = coach(store)
    assert app.create_session() is None
    assert "Give the workshop a title" in app.message.value
    assert store.list_sessions() == []


def test_open_the_pretest_and_watch_answers_arrive(store):
    app = coach(store)
    app.workshop_title.value = "W"
    session = app.create_session()
    activity = store.list_activities(session["id"])[0]
    app.activity_buttons[activity["id"]]["open"].click()
    assert store.get_activity(activity["id"])["state"] == "open"
    assert figure(app.joined.value, "joined") == 0

    phones = []
    for name, answer in (("Ayesha", "tip"), ("Bilal", "tip"), ("<i>Chand</i>", "som")):
        p = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
        p.join_form.name_box.value = name
        p.join_form.consent_box.value = True
        p.join_form.join_button.click()
        p.input.choose(True)
        p.next.click()
        p.input.choose(answer)
        phones.append(p)
    app.refresh()
    assert figure(app.joined.value, "joined") == 3
    assert "&lt;i&gt;Chand&lt;/i&gt;" in app.joined.value and "<i>Chand" not in app.joined.value
    assert figure(app.live.value, "started") == 3
    assert re.search(r"data-question='kiln'><b>3</b>", app.live.value)
    assert "<b>2</b> Trafficking in persons (TIP)</div>" in app.live.value
    assert "✓" not in app.live.value  # the right answer is marked only after reveal

    phones[0].go(9)
    phones[0].submit_button.click()
    phones[0].confirm_yes.click()
    app.refresh()
    assert figure(app.live.value, "submitted") == 1

    app.activity_buttons[activity["id"]]["revealed"].click()
    assert "<b>2</b> Trafficking in persons (TIP) ✓" in app.live.value


def test_continue_an_open_session(session_with_pretest):
    store, session, activity = session_with_pretest
    app = coach(store)
    assert session["join_code"] in app.session_picker.options[0][0]
    app.continue_button.click()
    assert app.session["id"] == session["id"]
    assert app.selected_activity == activity["id"]
