"""The participant app, driven as a participant would (set values, click), checked against the store."""

from __future__ import annotations

import json

import pytest

from toolkit.apps.participant import ParticipantApp


def join(store, session, name="Ayesha", query=None):
    app = ParticipantApp(store=store, query=query or f"code={session['join_code']}", start_polling=False)
    app.name_box.value = name
    app.consent_box.value = True
    app.join_button.click()
    return app


ANSWERS = {  # a right answer to every question of the all-types bank, given by tapping
    "consent": lambda i: i.choose(True),
    "kiln": lambda i: i.choose("tip"),
    "border": lambda i: i.choose("som"),
    "elements": lambda i: [i.choose(x) for x in ("act", "means", "purpose")],
    "nrm": lambda i: [i.tap(x) for x in ("identify", "screen", "refer", "protect")],
    "agencies": lambda i: [setattr(i.dropdowns["internal"], "value", "police"),
                           setattr(i.dropdowns["smuggling"], "value", "fia")],
    "age": lambda i: setattr(i.box, "value", "18"),
    "confident": lambda i: i.choose("4"),
    "comment": lambda i: setattr(i.box, "value", "More on <b>PEACE</b> interviews"),
}


def test_join_with_the_code_in_the_address_then_answer_every_type(session_with_pretest, all_types_bank):
    store, session, activity = session_with_pretest
    app = join(store, session)
    assert app.participant["display_name"] == "Ayesha"
    assert app.params["token"] == app.participant["token"]
    for i, q in enumerate(all_types_bank.questions):
        assert app.body.children[0].children[0].value.count(f"Question {i + 1} of 9") == 1
        ANSWERS[q.id](app.input)
        assert "Saved" in app.status.value, q.id
        app.next.click()
    saved = store.latest_answers(app.attempt["id"])
    assert saved == {
        "consent": True, "kiln": "tip", "border": "som", "elements": ["act", "means", "purpose"],
        "nrm": ["identify", "screen", "refer", "protect"], "agencies": {"internal": "police", "smuggling": "fia"},
        "age": 18, "confident": "4", "comment": "More on <b>PEACE</b> interviews",
    }
    assert "You answered 9 of 9 questions." in app.body.children[0].value
    app.submit_button.click()
    app.confirm_yes.click()
    assert store.get_attempt(app.attempt["id"])["submitted_at"] is not None
    assert "Your answers are submitted" in app.body.children[0].value
    assert "Your score" not in app.body.children[0].value  # nothing before the coach reveals


def test_typing_the_code_works_and_a_wrong_code_says_what_to_do(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query="", start_polling=False)
    app.code_box.value = "NOPE22"
    app.continue_button.click()
    assert "No open session has the code NOPE22" in app.message.value
    app.code_box.value = " " + session["join_code"].lower()
    app.continue_button.click()
    assert app.session["id"] == session["id"] and app.message.value == ""


def test_joining_needs_the_notice_accepted(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    app.join_button.click()
    assert "Please tick" in app.message.value
    assert store.session_participants(session["id"]) == []


def test_a_reload_resumes_at_the_same_question_with_answers_in_place(session_with_pretest):
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.input.choose(True)
    app.next.click()
    app.input.choose("som")
    app.next.click()
    reloaded = ParticipantApp(store=store, query=f"code={session['join_code']}&token={app.participant['token']}",
                              start_polling=False)
    assert reloaded.participant["id"] == app.participant["id"]
    assert reloaded.index == 2
    reloaded.back.click()
    assert reloaded.input.response == "som"
    assert [b.value for b in reloaded.input.buttons] == [False, True, False, False]


def test_answers_already_saved_survive_the_coach_closing_the_activity(session_with_pretest):
    store, session, activity = session_with_pretest
    app = join(store, session)
    app.input.choose(False)
    store.close_activity(activity["id"])
    app.next.click()
    app.input.choose("tip")  # the save is refused, and says so
    assert "Not saved" in app.status.value or "closed" in app.body.children[0].value
    app.refresh()
    assert "closed this activity" in app.body.children[0].value
    assert store.latest_answers(app.attempt["id"]) == {"consent": False}


def test_the_page_waits_then_moves_on_when_the_coach_opens_an_activity(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "check")
    app = join(store, session, name="Bilal")
    assert "Nothing is open yet" in app.body.children[0].value
    store.open_activity(activity["id"])
    app.refresh()
    assert "Question 1 of 9" in app.body.children[0].children[0].value


def test_after_reveal_the_participant_sees_score_and_feedback(session_with_pretest):
    store, session, activity = session_with_pretest
    app = join(store, session)
    app.input.choose(True)
    app.next.click()
    app.input.choose("som")  # wrong: the kiln family is trafficking
    app.go(9)
    app.submit_button.click()
    app.confirm_yes.click()
    store.reveal_activity(activity["id"])
    app.refresh()
    page = app.body.children[0].value
    assert "Your score: 1 of 7 (14%)" in page
    assert "Nobody crossed a border or paid to be moved." in page  # the chosen option's feedback


def test_urdu_is_offered_and_switches_the_page_right_to_left(session_with_pretest):
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.language.value = "ur"
    assert "tk-rtl" in app._dom_classes
    assert "سوال 1 از 9" in app.body.children[0].children[0].value
    assert app.input.buttons[0].description == "درست"
    assert store.find_participant(app.participant["token"])["language"] == "ur"
    app.language.value = "en"
    assert "tk-rtl" not in app._dom_classes


def test_what_a_participant_types_is_shown_as_text(store, all_types_bank):
    workshop = store.add_workshop("W <script>alert(1)</script>")
    session = store.add_session(workshop["id"], "S")
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    assert "<script>" not in app.body.children[0].value
    assert "&lt;script&gt;" in app.body.children[0].value


def _widget_states(widget, seen=None) -> list[dict]:
    """Every widget state the page would receive, walking the widget tree through its traits."""
    import ipywidgets as w

    seen = seen if seen is not None else set()
    if id(widget) in seen:
        return []
    seen.add(id(widget))
    states = [widget.get_state()]
    for name in widget.keys:
        value = getattr(widget, name)
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(child, w.Widget):
                states += _widget_states(child, seen)
    return states


@pytest.mark.parametrize("question_id", ["kiln", "border", "elements"])
def test_the_page_receives_no_key_or_feedback_before_reveal(session_with_pretest, all_types_bank, question_id):
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.go([q.id for q in all_types_bank.questions].index(question_id))
    sent = json.dumps(_widget_states(app), ensure_ascii=False)
    q = all_types_bank.question(question_id)
    for option in q.options:
        assert option.text["en"] in sent  # the options are there…
        for text in option.feedback.values():
            assert text not in sent  # …but not their feedback
    for text in q.feedback.values():
        assert text not in sent
    assert all("key" not in state for state in _widget_states(app))
