"""The participant app, driven as a participant would (set values, click), checked against the store."""

from __future__ import annotations

import html
import json

import pytest

from toolkit.apps.participant import ParticipantApp


def join(store, session, name="Ayesha", query=None):
    app = ParticipantApp(store=store, query=query or f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    form.name_box.value = name
    form.consent_box.value = True
    form.join_button.click()
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


def answer_every_question_and_submit(app, bank) -> None:
    """Tap a right answer to every question of the all-types bank, then submit and confirm."""
    for q in bank.questions:
        ANSWERS[q.id](app.input)
        app.next.click()
    app.submit_button.click()
    app.confirm_yes.click()


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
    assert store.find_attempt(app.attempt["id"])["submitted_at"] is not None
    assert "Your answers are submitted" in app.body.children[0].value
    assert "Your score" not in app.body.children[0].value  # nothing before the coach reveals


def test_typing_the_code_works_and_a_wrong_code_says_what_to_do(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query="", start_polling=False)
    form = app.join_form
    form.code_box.value = "NOPE22"
    form.continue_button.click()
    assert "No open session has the code NOPE22" in form.message.value
    form.code_box.value = " " + session["join_code"].lower()
    form.continue_button.click()
    assert form.session["id"] == session["id"] and form.message.value == ""
    form.name_box.value = "Dua"
    form.consent_box.value = True
    form.join_button.click()
    assert app.session["id"] == session["id"] and app.participant["display_name"] == "Dua"


def test_joining_needs_the_notice_accepted(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    app.join_form.join_button.click()
    assert "Please tick" in app.join_form.message.value
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
    app.input.choose("tip")  # the save is refused: the page shows the activity as it now is, and says why
    assert app.message.value == ("<div class='tk-problem'>Not saved: the coach has closed this activity. "
                                 "Your earlier answers are kept.</div>")
    assert "The coach has closed this activity. Your saved answers are kept." in app.body.children[0].value
    assert store.latest_answers(app.attempt["id"]) == {"consent": False}


def test_tapping_the_chosen_option_again_keeps_it_chosen_and_stores_nothing_more(session_with_pretest):
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.go(1)
    app.input.choose("som")
    app.input.buttons[1].value = False  # a second tap on the chosen option
    assert [b.value for b in app.input.buttons] == [False, True, False, False]
    assert app.input.response == "som" and "Saved" in app.status.value
    assert [a["response"] for a in store.answer_history(app.attempt["id"])] == ["som"]


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
    heading = app.join_form.step.children[0].value
    assert "<script>" not in heading and "&lt;script&gt;" in heading


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


def test_a_self_generated_code_is_stored_only_as_its_hash(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    answers = {"mother": "Rukhsana", "birthday": "14", "district": "Quetta", "siblings": "2"}
    assert form.code_boxes == {}  # made when the panel is opened
    form.code_panel.selected_index = 0
    assert set(form.code_boxes) == set(answers)
    form.code_boxes["mother"].value = "R"
    form.consent_box.value = True
    form.join_button.click()
    assert "Please answer all four" in form.message.value  # half a code cannot match anything
    for field, value in answers.items():
        form.code_boxes[field].value = value
    form.join_button.click()
    from toolkit.matchcode import match_code_hash, store_key

    stored = store.find_participant(app.participant["token"])
    assert stored["match_code_hash"] == match_code_hash(answers, store_key(store))
    assert "Rukhsana" not in json.dumps(stored, default=str)


def test_a_time_limit_counts_down_and_ends_at_the_review(store, all_types_bank):
    from datetime import timedelta

    import sqlalchemy as sa

    from toolkit import schema

    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "pretest", time_limit_s=300)
    store.open_activity(activity["id"])
    app = join(store, session)
    assert 295 <= app.seconds_left() <= 300
    assert "left" in app.clock.value
    with store.engine.begin() as c:  # the coach opened it six minutes ago
        opened = store.find_activity(activity["id"])["opened_at"] - timedelta(minutes=6)
        c.execute(sa.update(schema.activities).where(schema.activities.c.id == activity["id"]).values(opened_at=opened))
    app.activity = store.find_activity(activity["id"])
    app.refresh()
    assert app.seconds_left() == 0
    assert "Time is up" in app.clock.value
    assert "You answered 0 of 9 questions." in app.body.children[0].value


def _timed_pretest(store, bank, limit=300):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], bank, "pretest", time_limit_s=limit)
    return session, store.open_activity(activity["id"])


def test_after_time_is_up_the_review_has_no_way_back_and_a_late_tap_is_not_saved(store, all_types_bank):
    from datetime import timedelta

    session, activity = _timed_pretest(store, all_types_bank)
    clock = [activity["opened_at"] + timedelta(seconds=10)]
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False,
                         now=lambda: clock[0])
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    app.input.choose(True)
    app.next.click()
    stale = app.input  # the question still on the phone's screen when time runs out
    clock[0] = activity["opened_at"] + timedelta(seconds=301)
    app.refresh()
    assert app.index == 9 and "Time is up" in app.clock.value
    buttons = [b.description for box in app.body.children if hasattr(box, "children") for b in box.children
               if hasattr(b, "description")]
    assert "Back" not in buttons and "Question 2" not in buttons and "Submit my answers" in buttons
    app.go(1)  # Back from a page drawn before: still the review
    assert app.index == 9 and app.input is None
    stale.choose("tip")  # a tap that arrives now
    assert "Time is up: this answer was not saved." in app.message.value
    assert store.latest_answers(app.attempt["id"]) == {"consent": True}
    app.submit_button.click()
    app.confirm_yes.click()  # handing in after the deadline is what time up asks for
    assert store.find_attempt(app.attempt["id"])["submitted_at"] is not None


def test_an_answer_the_store_refuses_as_late_tells_the_phone_that_time_is_up(store, all_types_bank, monkeypatch):
    from datetime import timedelta

    import toolkit.store.attempts

    session, activity = _timed_pretest(store, all_types_bank)
    app = join(store, session)
    app.go(1)
    # the phone still shows a second of time, but the answer reaches the store after the deadline and its grace
    monkeypatch.setattr(toolkit.store.attempts, "now", lambda: activity["opened_at"] + timedelta(seconds=306))
    app.input.choose("tip")
    assert app.index == 9  # the review
    assert app.message.value == ("<div class='tk-problem'>Time is up: this answer was not saved. "
                                 "Your earlier answers are kept; please submit.</div>")
    assert store.latest_answers(app.attempt["id"]) == {}


def test_waiting_says_what_comes_next_and_a_shared_phone_can_change_person(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    store.add_activity(session["id"], all_types_bank, "posttest")
    app = join(store, session, name="Gul")
    assert "Next: Post-test: Every question type" in app.body.children[0].value
    app.not_you.click()
    assert app.participant is None and app.join_form is not None
    app.join_form.name_box.value = "Huma"
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    assert [p["display_name"] for p in store.session_participants(session["id"])] == ["Gul", "Huma"]


def test_a_token_from_another_workshop_joins_this_one_afresh(store):
    old = store.add_workshop("Last year")
    old_session = store.add_session(old["id"], "S")
    person = store.join(old_session["join_code"], "Iqra")
    new = store.add_workshop("This year")
    new_session = store.add_session(new["id"], "S")
    app = ParticipantApp(store=store, query=f"code={new_session['join_code']}&token={person['token']}",
                         start_polling=False)
    assert app.participant is None and app.join_form.session["id"] == new_session["id"]


def case_activity(store, case_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], case_bank, "case_study", case_study_id=case_bank.case_studies[0].id)
    return session, activity


def test_two_members_edit_one_group_answer_and_see_each_other(store, case_bank):
    session, activity = case_activity(store, case_bank)
    amna, bilal = join(store, session, "Amna"), join(store, session, "Bilal")
    store.open_activity(activity["id"])
    amna.refresh()
    assert "The coach will put you in a group" in amna.body.children[0].value
    store.add_group(activity["id"], "Group 1", [amna.participant["id"], bilal.participant["id"]])
    amna.refresh()
    bilal.refresh()
    view_a, view_b = amna.group_view, bilal.group_view
    view_a.inputs["classification"].choose("tip")
    assert "Saved by you" in view_a.saved_lines["classification"].value
    bilal.refresh()
    assert view_b.inputs["classification"].response == "tip"
    assert "Saved by Amna" in view_b.saved_lines["classification"].value
    view_b.inputs["reasoning"].box.value = "Debt bondage: the debt keeps growing."
    view_b.inputs["classification"].choose("both")
    amna.refresh()
    assert view_a.inputs["classification"].response == "both"
    assert view_a.inputs["reasoning"].response == "Debt bondage: the debt keeps growing."
    group = store.get_group(activity["id"], amna.participant["id"])
    assert store.group_answers(group["id"])["classification"]["response"] == "both"
    store.reveal_activity(activity["id"])
    amna.refresh()
    debrief = amna.group_view.debrief.value
    assert "Debrief" in debrief and case_bank.case_studies[0].debrief["en"][:40] in html.unescape(debrief)


def test_questions_to_the_coach_can_be_sent_anonymously_and_voted(session_with_pretest):
    store, session, _ = session_with_pretest
    amna, bilal = join(store, session, "Amna"), join(store, session, "Bilal")
    amna.tabs.value = "room"
    amna.room.box.value = "Can a <b>relative</b> be a smuggler?"
    amna.room.anonymous.value = True
    amna.room.send.click()
    assert "Sent" in amna.room.status.value
    bilal.tabs.value = "room"
    listed = bilal.room.listing.children[0].children[1].value
    assert "&lt;b&gt;relative&lt;/b&gt;" in listed and "Anonymous" in listed and "Amna" not in listed
    (question_id,) = bilal.room.vote_buttons
    bilal.room.vote_buttons[question_id].value = True
    assert store.room_questions(session["id"])[0]["votes"] == 1
    amna.refresh()
    assert amna.room.vote_buttons[question_id].description == "▲ 1"


def test_a_double_tap_on_join_and_send_stores_one_participant_and_one_question(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    form.name_box.value = "Ayesha"
    form.consent_box.value = True
    form.join()
    form.join()  # the second tap arrives after the first was handled
    assert len(store.session_participants(session["id"])) == 1
    app.tabs.value = "room"
    app.room.box.value = "Who pays for the shelter?"
    app.room.send.click()
    app.room.box.value = "Who pays for the shelter?"
    app.room.send.click()  # a new question typed again is a new question
    assert len(store.room_questions(session["id"])) == 2


def test_a_timed_group_exercise_stops_taking_edits_when_time_is_up(store, case_bank):
    from datetime import timedelta

    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], case_bank, "case_study", case_study_id=case_bank.case_studies[0].id,
                                  time_limit_s=600)
    activity = store.open_activity(activity["id"])
    clock = [activity["opened_at"] + timedelta(seconds=60)]
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False,
                         now=lambda: clock[0])
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    group = store.add_group(activity["id"], "Group 1", [app.participant["id"]])
    app.refresh()
    view = app.group_view
    view.inputs["classification"].choose("tip")
    clock[0] = activity["opened_at"] + timedelta(seconds=601)
    view.inputs["classification"].choose("som")  # a tap after the deadline
    assert view.status.value == "<div class='tk-problem'>Time is up. Your group&#39;s saved answers are kept.</div>"
    assert all(b.disabled for b in view.inputs["classification"].buttons)
    assert store.group_answers(group["id"])["classification"]["response"] == "tip"


def open_widgets():
    """The widgets this kernel holds open: ipywidgets' registry (a private dict, checked below)."""
    from ipywidgets.widgets.widget import _instances

    return dict(_instances)


def test_ipywidgets_keeps_its_open_widgets_in_the_registry_the_tests_count():
    # the test below counts ipywidgets' private registry of open widgets: if it moves, this fails first
    import ipywidgets as w
    from ipywidgets.widgets import widget

    button = w.Button()
    assert isinstance(widget._instances, dict)
    assert widget._instances[button.model_id] is button and button.layout.model_id in widget._instances
    key = button.model_id
    button.close()
    assert key not in widget._instances and button.comm is None


def test_the_page_frame_is_made_before_the_page_request_and_takes_the_address_language(session_with_pretest,
                                                                                        monkeypatch):
    # a pool kernel waits for the page request in page_query_string; what does not depend on it is made before
    from toolkit.apps import participant

    store, session, _ = session_with_pretest
    before, at_request = len(open_widgets()), []

    def page_query_string(while_waiting=None):
        at_request.append(len(open_widgets()) - before)
        return f"code={session['join_code']}&lang=ur"

    monkeypatch.setattr(participant, "page_query_string", page_query_string)
    app = participant.ParticipantApp(store=store, start_polling=False)
    assert at_request[0] >= 10 and len(open_widgets()) - before > at_request[0]  # the frame, then the join form
    assert app.lang == "ur" and app.language.value == "ur" and "tk-rtl" in app._dom_classes
    assert list(app.tabs.options) == app._tab_options() and app.tabs.options[0][0] != "Activity"
    app.language.value = "en"  # the switch still works
    assert app.lang == "en" and "tk-rtl" not in app._dom_classes and app.tabs.options[0][0] == "Activity"


def test_the_first_questions_frame_is_made_before_the_page_request_and_joining_opens_only_its_input(
        session_with_pretest, all_types_bank, monkeypatch):
    # made while the pool kernel waits for its page, the frame reaches the phone in the page's first message (the
    # states of every widget then open); joining opened a dozen widgets more, one message each, while the
    # participant waited for question 1
    import comm

    from toolkit.apps import participant

    store, session, _ = session_with_pretest
    opened, requested = [], []
    original = comm.DummyComm.publish_msg
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, *a, **k: (
        opened.append(self.comm_id) if msg_type == "comm_open" else None, original(self, msg_type, *a, **k)))
    monkeypatch.setattr(participant, "page_query_string", lambda while_waiting=None: (
        requested.append(len(opened)), f"code={session['join_code']}&lang=ur")[1])
    app = participant.ParticipantApp(store=store, start_polling=False)
    frame = app._first_frame
    assert {x.comm.comm_id for x in frame.widgets()} <= set(opened[:requested[0]])  # all before the request
    form = app.join_form
    form.name_box.value = "Ayesha"
    form.consent_box.value = True
    at_join = len(opened)
    form.join_button.click()
    assert app.question_frame is frame and app._first_frame is None
    assert set(opened[at_join:]) == {x.comm.comm_id for x in app.input.children} | {app.input.comm.comm_id}
    # … and it shows the first question as a frame made for it would, in the page's language
    from toolkit.bank import tr
    from toolkit.texts import t

    first = all_types_bank.questions[0]
    assert "1" in frame.counter.value and "9" in frame.counter.value  # question 1 of 9
    assert html.unescape(tr(first.text, "ur")) in html.unescape(frame.text.value)
    assert (frame.progress.value, frame.progress.max) == (1, 9)
    assert frame.back.disabled and frame.next.description == t("next", "ur") != t("next", "en")
    assert (frame.back.icon, frame.next.icon) == ("arrow-right", "arrow-left")  # right to left
    assert app.status.value and app.status is frame.status
    ANSWERS[first.id](app.input)
    app.next.click()
    assert app.index == 1 and not app.back.disabled and "2" in frame.counter.value


def test_a_script_for_the_page_is_one_update_and_the_same_script_twice_runs_twice(session_with_pretest,
                                                                                  monkeypatch):
    # the token goes into the page's address by a script (tests/test_browser.py sees it there); capturing a display
    # in the Output widget sent four messages for it, the widget's outputs set at once send one
    import comm

    store, session, _ = session_with_pretest
    app = join(store, session)
    sent = []
    original = comm.DummyComm.publish_msg
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, data=None, *a, **k: (
        sent.append((self.comm_id, msg_type, data or {})), original(self, msg_type, data, *a, **k)))
    app._forget_in_browser()
    app._forget_in_browser()
    mine = [(kind, d.get("state", {})) for c, kind, d in sent if c == app.script.comm.comm_id]
    assert [kind for kind, _ in mine] == ["comm_msg", "comm_msg"]
    first, second = (state["outputs"][0]["data"]["application/javascript"] for _, state in mine)
    assert "localStorage.removeItem" in first and first != second  # told apart: the page runs it again
    assert [kind for c, kind, _ in sent if c != app.script.comm.comm_id] == []


def test_every_types_input_opens_with_its_children_and_sends_nothing_more_as_it_is_made(all_types_bank, monkeypatch):
    # ipywidgets opens a widget at the end of Widget.__init__; an input that set its children after that sent them
    # in an update of their own for every question (apps/inputs.py _OpenedWhenMade opens it once made)
    import comm
    import ipywidgets as w

    from toolkit.apps.inputs import make_input

    sent = []
    original = comm.DummyComm.publish_msg
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, data=None, *a, **k: (
        sent.append((self.comm_id, msg_type, data or {})), original(self, msg_type, data, *a, **k)))
    for q in all_types_bank.questions:
        sent.clear()
        made = make_input(q, "en")
        mine = [(kind, data) for c, kind, data in sent if c == made.comm.comm_id]
        assert [kind for kind, _ in mine] == ["comm_open"], q.id
        children = mine[0][1]["state"]["children"]
        assert children and children == [f"IPY_MODEL_{x.model_id}" for x in made.children], q.id
        made.response = None  # and a change after it is sent as before
        made.layout = w.Layout(width="50%")
        assert [kind for c, kind, _ in sent if c == made.comm.comm_id][-1] == "comm_msg", q.id


def test_a_widget_closed_quietly_is_forgotten_by_the_kernel_and_its_page_is_sent_nothing(monkeypatch):
    # close_quietly does what Widget.close does but for the comm_close, through the comm's `_closed` flag and
    # ipywidgets' registry: if either changes, this fails
    import comm
    import ipywidgets as w
    from ipywidgets.widgets import widget

    from toolkit.apps.screens import close_quietly

    sent = []
    quiet, loud = w.Button(), w.Button()
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, *a, **k: sent.append(msg_type))
    channel, key = quiet.comm, quiet.model_id
    close_quietly(quiet)
    assert quiet.comm is None and key not in widget._instances
    assert channel.comm_id not in comm.get_comm_manager().comms
    channel.close()  # what Widget.close would call: the flag close_quietly set makes it return at once
    assert sent == []
    loud.close()  # the usual close still tells the page
    assert sent == ["comm_close"]


def test_a_quiz_closes_the_screens_it_leaves_without_a_message_for_each_widget(session_with_pretest, monkeypatch):
    import comm

    sent = []
    original = comm.DummyComm.publish_msg
    monkeypatch.setattr(comm.DummyComm, "publish_msg",
                        lambda self, msg_type, *a, **k: (sent.append(msg_type), original(self, msg_type, *a, **k)))
    store, session, _ = session_with_pretest
    app = join(store, session)
    counts = []
    for _ in range(9):
        counts.append(len(open_widgets()))
        app.next.click()
    assert "You answered" in app.body.children[0].value
    assert sent.count("comm_open") > 100 and "comm_close" not in sent
    assert max(counts) - min(counts) < 20  # and yet what each screen left held is closed: nothing piles up


def test_the_widgets_of_a_quiz_open_with_their_classes_and_no_update_follows_for_them(session_with_pretest,
                                                                                      all_types_bank, monkeypatch):
    # add_class on a widget just made sent one update more for each (a fifth of a question's messages)
    import comm

    sent = []
    original = comm.DummyComm.publish_msg
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, data=None, *a, **k: (
        sent.append((msg_type, data or {})), original(self, msg_type, data, *a, **k)))
    store, session, _ = session_with_pretest
    answer_every_question_and_submit(join(store, session), all_types_bank)
    opened = [d["state"] for kind, d in sent if kind == "comm_open"]
    assert sum("tk-choice" in s.get("_dom_classes", ()) for s in opened) >= 10  # the choices open with it
    classes_only = [d for kind, d in sent if kind == "comm_msg" and d.get("method") == "update"
                    and set(d["state"]) == {"_dom_classes"}]
    assert classes_only == []


def test_the_widgets_of_screens_left_are_closed_and_answers_come_back_on_going_back(session_with_pretest,
                                                                                    all_types_bank):
    from toolkit.apps.screens import widgets_under

    store, session, _ = session_with_pretest
    before = open_widgets()
    app = join(store, session)

    def held() -> set[str]:
        """The open widgets made since the page began that the page can no longer show."""
        reachable = widgets_under([app, *app.kept_aside()]).values()
        assert all(x.comm is not None for x in reachable)  # nothing the page shows (or shows again) is closed
        shown = {x.model_id for x in reachable}
        return {k for k in open_widgets() if k not in before and k not in shown}

    assert held() == set()  # the join form is closed once the first question shows
    counts = []
    for lap in range(3):  # forward through the quiz (answering the first time) and back to the first question
        for q in all_types_bank.questions:
            assert app.input.answered == (lap > 0), q.id  # going forward again, the answer is shown again
            if lap == 0:
                ANSWERS[q.id](app.input)
            app.next.click()
            assert held() == set(), q.id
            counts.append(len(open_widgets()) - len(before))
        while app.index > 0:
            (app.back if app.input is not None else app.body.children[-2].children[0]).click()
            assert held() == set()
            assert app.input.answered, all_types_bank.questions[app.index].id  # its answer is shown again
    assert max(counts) < 120 and counts[9:18] == counts[18:]  # bounded: going through the quiz again costs nothing more
    app.go(len(all_types_bank.questions))
    app.submit_button.click()
    app.confirm_yes.click()
    assert held() == set()
    assert store.latest_answers(app.attempt["id"]) == {
        "consent": True, "kiln": "tip", "border": "som", "elements": ["act", "means", "purpose"],
        "nrm": ["identify", "screen", "refer", "protect"], "agencies": {"internal": "police", "smuggling": "fia"},
        "age": 18, "confident": "4", "comment": "More on <b>PEACE</b> interviews",
    }
    reloaded = ParticipantApp(store=store, query=f"code={session['join_code']}&token={app.participant['token']}",
                              start_polling=False)
    assert "Your answers are submitted" in reloaded.body.children[0].value


def test_the_clock_a_question_shows_survives_the_screens_around_it(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "Day 1")
    activity = store.add_activity(session["id"], all_types_bank, "pretest", time_limit_s=600)
    store.open_activity(activity["id"])
    app = join(store, session)
    app.next.click()
    app.go(len(all_types_bank.questions))  # the review shows the clock's screen, then a question again
    app.go(0)
    header = app.body.children[0]
    assert app.clock in header.children and app.clock.comm is not None and "tk-clock" in app.clock.value


def test_the_room_list_closes_the_rows_it_redraws_and_an_ordering_keeps_its_buttons(session_with_pretest, all_types_bank,
                                                                                    monkeypatch):
    import comm

    from toolkit.apps.inputs import make_input
    from toolkit.apps.screens import widgets_under

    store, session, _ = session_with_pretest
    app = join(store, session)
    app.tabs.value = "room"
    app.room.box.value = "Question 1?"
    app.room.send.click()
    first_rows = app.room.listing.children
    first_ids = {x.model_id for x in widgets_under(first_rows).values()}
    closed = []
    monkeypatch.setattr(comm.DummyComm, "publish_msg", lambda self, msg_type, *a, **k: msg_type == "comm_close"
                        and closed.append(self.comm_id))
    app.room.box.value = "Question 2?"
    app.room.send.click()  # the list is drawn again: the rows it showed are closed, their vote buttons too
    assert len(app.room.listing.children) == 2
    assert all(x.comm is None for x in widgets_under(first_rows).values())
    # and the page is told (it redraws on every vote of anyone: a page that kept every row would fill up)
    assert first_ids <= set(closed)
    assert all(x.comm is not None for x in widgets_under(app.room.listing.children).values())
    app.room.vote_buttons[next(iter(app.room.vote_buttons))].value = True
    assert app.room.listing.children[0].children[0].comm is not None
    nrm = next(q for q in all_types_bank.questions if q.id == "nrm")
    box = make_input(nrm, "en")
    made = widgets_under([box])
    first = list(box.remaining.children)
    for item in ("identify", "screen", "refer"):  # quick taps on the buttons as first drawn all count
        next(b for b in first if b.description == box._labels[item]).click()
    shown = [b.description for b in box.remaining.children if b.layout.display != "none"]
    assert shown == [box._labels["protect"]] and box.response == ["identify", "screen", "refer"]
    assert [x.value for x in box.placed.children if x.layout.display != "none"] == [
        f"{i}. {box._labels[x]}" for i, x in enumerate(("identify", "screen", "refer"), 1)]
    box.give(None)
    assert all(b.layout.display != "none" for b in box.remaining.children)
    assert all(x.layout.display == "none" for x in box.placed.children) and box.reset.layout.display == "none"
    box.give(["protect", "refer", "screen", "identify"])  # an answer come back from the store
    assert not [b for b in box.remaining.children if b.layout.display != "none"]
    assert set(widgets_under([box])) - set(made) == {id(x) for line in box.placed.children
                                                     for x in (line, line.layout, line.style)}
    assert len(box.placed.children) == 4  # one line per place, made once


def test_the_question_frame_stays_from_question_to_question_and_a_double_tap_moves_on_by_one(session_with_pretest):
    store, session, _ = session_with_pretest
    app = join(store, session)
    header, text, _input, status, buttons = app.body.children
    first_next = app.next
    made = set(open_widgets())
    app.next.click()
    assert app.index == 1
    assert [app.body.children[i] for i in (0, 1, 3, 4)] == [header, text, status, buttons]  # the same widgets
    assert app.body.children[2] is app.input and app.input.model_id not in made  # only the input is new
    assert "Question 2 of 9" in header.children[0].value and not app.back.disabled
    assert all(x.comm is not None for x in (header, text, status, buttons))
    first_next.click()  # the second tap of a double tap, on the pair of the question left
    assert app.index == 1
    app.next.click()
    assert app.index == 2 and app.next is first_next  # the pairs take turns
    app.back.click()
    app.back.click()
    assert app.index == 0 and app.back.disabled
    app.go(8)
    assert app.next.description == "Review"
    app.go(9)  # the review closes the frame, both pairs too
    assert all(x.comm is None for x in (header, text, status, buttons, first_next))


def test_a_tap_sent_before_the_same_question_is_drawn_again_still_counts(session_with_pretest):
    """A refusal or a new look at the activity draws the question on screen again: the phone's tap on Next, sent
    before that redraw reached it, must move on (a frame that swapped its buttons here left phones stuck)."""
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.next.click()
    tapped = app.next
    app.go(app.index)  # the same question drawn again, as _show_activity does after a refusal
    assert app.index == 1 and app.next is tapped
    tapped.click()
    assert app.index == 2


def test_the_buttons_of_a_choice_share_one_layout_that_outlives_the_question(session_with_pretest):
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.go(1)  # kiln: a single choice
    buttons = app.input.buttons
    assert len({id(b.layout) for b in buttons}) == 1 and len({id(b.style) for b in buttons}) == 1
    layout = buttons[0].layout
    app.go(5)  # agencies: lists to choose from, no choice buttons on screen
    assert buttons[0].comm is None and layout.comm is not None  # the question left is closed, not what it shared
    app.go(1)
    assert app.input.buttons[0].layout is layout


def test_a_page_and_its_join_form_share_the_layouts_and_styles_none_of_them_changes(session_with_pretest):
    """Each widget made without one opens a layout (and a style) of its own: two or three messages to every phone
    of a room joining at once, and as many closes when the form is left. The page's fixed widgets, the join form
    and the question frame share the kernel's (apps/screens.py lean)."""
    import ipywidgets as w

    store, session, _ = session_with_pretest
    before = set(open_widgets())
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    plain = (app.message, app.clock, form.message, form.consent_box, form.join_button, form.step)
    assert len({id(x.layout) for x in plain}) == 1
    assert form.name_box.layout is form.code_box.layout and form.name_box.style is form.code_box.style
    assert form.consent_box.layout.comm is not None
    opened = [x for k, x in open_widgets().items() if k not in before]
    assert sum(isinstance(x, w.Layout) for x in opened) < len(opened) / 4  # was one a widget, and more
    form.name_box.value, form.consent_box.value = "Ayesha", True
    form.join_button.click()
    assert app.index == 0 and app.next.layout is app.back.layout
    assert app.next.layout.comm is not None  # closing the form closed its widgets, not what they shared


def test_the_room_tab_hides_the_body_alone(session_with_pretest):
    """The widgets whose layout the page changes (the body, the room's panel, the tabs) keep layouts of their
    own: hiding the body must not hide what shares the kernel's layouts."""
    store, session, _ = session_with_pretest
    app = join(store, session)
    app.tabs.value = "room"
    assert app.body.layout.display == "none" and app.room_panel.layout.display is None
    assert app.message.layout.display is None and app.clock.layout.display is None
    assert app.next.layout.display is None and app.input.layout.display is None
    app.tabs.value = "activity"
    assert app.body.layout.display is None and app.room_panel.layout.display == "none"


def test_a_pool_kernel_reads_ahead_the_bank_shown_now_and_joining_rebuilds_no_other(store, all_types_bank,
                                                                                     monkeypatch):
    """Before its page request a kernel rebuilds the bank of what the room shows now, and again while it waits
    (it may have been warmed before the trainer opened anything); joining then reads only who is asking. The
    session's other banks are not rebuilt: the language switch reads their `languages:` from the store."""
    from toolkit.apps import participant
    from toolkit.bank import parse_bank
    from toolkit.store import Store

    workshop = store.add_workshop("Read ahead", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    english_only = parse_bank({**all_types_bank.content, "id": "english-only", "languages": ["en"]}, "<en>")
    pretest = store.add_activity(session["id"], english_only, "pretest")
    store.add_activity(session["id"], all_types_bank, "survey")  # in Urdu too; a draft: not shown
    kernel_store = Store(store.url)  # the kernel's own: it has rebuilt nothing yet
    seen = {}

    def page_query_string(while_waiting=None):
        seen["before"] = set(kernel_store._banks)  # nothing open yet when the kernel was warmed
        store.open_activity(pretest["id"])  # the trainer opens the pre-test while the kernel waits
        while_waiting()
        seen["waiting"] = set(kernel_store._banks)
        return f"code={session['join_code']}"

    monkeypatch.setattr(participant, "page_query_string", page_query_string)
    rebuilt = []
    monkeypatch.setattr(kernel_store, "find_bank", lambda h, find=kernel_store.find_bank: (
        rebuilt.append(h), find(h))[1])
    app = participant.ParticipantApp(store=kernel_store, start_polling=False)
    assert seen == {"before": set(), "waiting": {english_only.hash}}
    assert [v for _, v in app.language.options] == ["en", "ur"]  # the survey's Urdu, read without its bank
    app.join_form.name_box.value = "Ayesha"
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    assert app.input is not None and app.activity["id"] == pretest["id"]
    assert all_types_bank.hash not in kernel_store._banks and set(rebuilt) == {english_only.hash}
    kernel_store.close()
