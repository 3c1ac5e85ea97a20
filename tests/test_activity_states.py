"""An activity's states and kinds: one enumeration each, and one table of the transitions the store allows."""

from __future__ import annotations

import json

import pytest
from helpers import TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.store import (
    ACTIVITY_KINDS,
    ACTIVITY_STATES,
    TRANSITIONS,
    ActivityKind,
    ActivityState,
    NotAllowed,
    StoreError,
    TransitionNotAllowed,
)

ALLOWED = [(a.value, b.value) for a, nexts in TRANSITIONS.items() for b in nexts]


def test_the_enumerations_are_the_texts_the_database_and_bundles_hold():
    assert ACTIVITY_STATES == ("draft", "open", "closed", "revealed")
    assert ACTIVITY_KINDS == ("pretest", "posttest", "check", "survey", "confidence", "case_study", "retention")
    assert ActivityState.OPEN == "open" and f"{ActivityState.OPEN}" == "open" and str(ActivityKind.CASE_STUDY) == "case_study"
    assert json.dumps([ActivityState.REVEALED, ActivityKind.PRETEST]) == '["revealed", "pretest"]'
    assert set(TRANSITIONS) == set(ActivityState)  # every state says what may follow it
    assert all(ActivityState.DRAFT not in nexts for nexts in TRANSITIONS.values())


def _activity_in(store, bank, state: str) -> dict:
    """A fresh activity brought to `state` by the shortest allowed way."""
    session = store.add_session(store.add_workshop("W")["id"], "S")
    activity = store.add_activity(session["id"], bank, "pretest")
    for step in {"draft": [], "open": ["open"], "closed": ["open", "closed"], "revealed": ["open", "revealed"]}[state]:
        activity = store.set_activity_state(activity["id"], step)
    assert activity["state"] == state
    return activity


@pytest.mark.parametrize("current,wanted", ALLOWED)
def test_every_allowed_transition_works(store, all_types_bank, current, wanted):
    activity = _activity_in(store, all_types_bank, current)
    changed = store.set_activity_state(activity["id"], wanted)
    assert changed["state"] == wanted
    assert store.find_activity(activity["id"])["state"] == wanted
    stamp = {"open": "opened_at", "closed": "closed_at", "revealed": "revealed_at"}[wanted]
    assert changed[stamp] is not None


@pytest.mark.parametrize("current,wanted", [("open", "draft"), ("closed", "draft"), ("revealed", "draft"),
                                            ("open", "open"), ("draft", "draft")])
def test_a_transition_not_in_the_table_is_refused_and_changes_nothing(store, all_types_bank, current, wanted):
    activity = store.find_activity(_activity_in(store, all_types_bank, current)["id"])
    with pytest.raises(TransitionNotAllowed) as refused:
        store.set_activity_state(activity["id"], wanted)
    assert isinstance(refused.value, NotAllowed)  # the apps' handling of "not allowed" covers it
    assert (refused.value.current, refused.value.wanted) == (current, wanted)
    assert str(refused.value) == f"An activity that is {current} cannot become {wanted}."
    assert store.find_activity(activity["id"]) == activity


def test_an_unknown_state_or_kind_is_refused(store, all_types_bank):
    activity = _activity_in(store, all_types_bank, "draft")
    with pytest.raises(StoreError, match="An activity's state is one of draft, open, closed, revealed"):
        store.set_activity_state(activity["id"], "finished")
    with pytest.raises(StoreError, match="Activity kind must be one of"):
        store.add_activity(activity["session_id"], all_types_bank, "exam")
    assert store.add_activity(activity["session_id"], all_types_bank, ActivityKind.CHECK)["kind"] == "check"


def test_the_coachs_open_close_and_reveal_buttons_all_work(store, all_types_bank):
    """Each button the run panel offers (it is disabled only for the state the activity is in) is a move the
    table allows: open, close, reveal, open again after a reveal, close, and opening another closes this one."""
    app = CoachApp(store=store, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.prepare.workshop_title.value = "W"
    session = app.prepare.create()
    pre, post = store.list_activities(session["id"])[:2]
    run = app.panels["run"]

    def press(activity, action):
        run.refresh()
        button = run.buttons[activity["id"]][action]
        assert not button.disabled
        button.click()
        return store.find_activity(activity["id"])["state"]

    assert [press(pre, a) for a in ("open", "closed", "revealed", "open", "revealed", "closed", "open")] == [
        "open", "closed", "revealed", "open", "revealed", "closed", "open"]
    assert "was not" not in app.message.value
    assert press(post, "open") == "open"
    assert store.find_activity(pre["id"])["state"] == "closed"
    assert press(post, "revealed") == "revealed"
    run.refresh()
    assert run.buttons[post["id"]]["revealed"].disabled  # the one move the table refuses is not offered
