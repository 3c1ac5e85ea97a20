"""The store's service: round trips, idempotent writes, activity states, join codes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from toolkit import schema
from toolkit.live import answer_counts, answered_by_attempt
from toolkit.store import (
    JOIN_CODE_ALPHABET,
    ActivityNotOpen,
    AlreadySubmitted,
    StoreError,
    UnknownJoinCode,
    UnknownParticipant,
)


def test_join_and_answer_round_trip(session_with_pretest, all_types_bank):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"].lower(), "  Ayesha Khan ", sex="female", organisation="Punjab Police")
    assert p["display_name"] == "Ayesha Khan"
    assert store.find_participant(p["token"])["id"] == p["id"]
    assert [x["id"] for x in store.session_participants(session["id"])] == [p["id"]]
    attempt = store.start_attempt(activity["id"], p["id"])
    assert store.start_attempt(activity["id"], p["id"])["id"] == attempt["id"]  # one attempt per activity
    store.save_answer(attempt["id"], "elements", ["act", "means"])
    store.save_answer(attempt["id"], "agencies", {"internal": "police"})
    store.save_answer(attempt["id"], "elements", ["act", "means", "purpose"])
    assert store.latest_answers(attempt["id"]) == {"elements": ["act", "means", "purpose"],
                                                   "agencies": {"internal": "police"}}
    assert [a["response"] for a in store.answer_history(attempt["id"])][0] == ["act", "means"]  # history kept
    assert store.find_bank(activity["bank_hash"]).question("nrm").key == all_types_bank.question("nrm").key


def test_the_same_answer_sent_twice_is_stored_once(session_with_pretest):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"])
    attempt = store.start_attempt(activity["id"], p["id"])
    store.save_answer(attempt["id"], "consent", True, uid="retry-1")
    store.save_answer(attempt["id"], "consent", True, uid="retry-1")
    assert len(store.answer_history(attempt["id"])) == 1


def test_answers_are_refused_once_closed_or_submitted_and_nothing_is_lost(session_with_pretest):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"])
    attempt = store.start_attempt(activity["id"], p["id"])
    store.save_answer(attempt["id"], "consent", True)
    store.close_activity(activity["id"])
    with pytest.raises(ActivityNotOpen):
        store.save_answer(attempt["id"], "kiln", "tip")
    store.open_activity(activity["id"])
    store.submit_attempt(attempt["id"])
    with pytest.raises(AlreadySubmitted):
        store.save_answer(attempt["id"], "kiln", "tip")
    assert store.latest_answers(attempt["id"]) == {"consent": True}


def test_opening_an_activity_closes_the_other_open_one(session_with_pretest, all_types_bank):
    store, session, pre = session_with_pretest
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    assert store.current_activity(session["id"])["id"] == pre["id"]
    store.open_activity(post["id"])
    assert store.find_activity(pre["id"])["state"] == "closed"
    assert store.current_activity(session["id"])["id"] == post["id"]
    store.close_activity(post["id"])
    assert store.current_activity(session["id"]) is None
    store.reveal_activity(pre["id"])
    assert store.current_activity(session["id"])["id"] == pre["id"]


def test_join_codes_are_short_unambiguous_and_unique_among_open_sessions(store):
    workshop = store.add_workshop("W")
    codes = [store.add_session(workshop["id"], f"S{i}")["join_code"] for i in range(30)]
    assert len(set(codes)) == 30
    for code in codes:
        assert len(code) == 6 and set(code) <= set(JOIN_CODE_ALPHABET)
        assert not set(code) & set("O0I1L")


def test_unknown_codes_and_tokens_are_named_errors(store):
    with pytest.raises(UnknownJoinCode, match="No open session has the code ZZZZZZ"):
        store.find_session_by_code("zzz zzz")
    with pytest.raises(UnknownParticipant):
        store.find_participant("nope")


def test_required_profile_fields_and_consent_are_enforced(store):
    workshop = store.add_workshop("W", profile_fields={"sex": "required"})
    session = store.add_session(workshop["id"], "S")
    with pytest.raises(StoreError, match="Please answer: sex"):
        store.join(session["join_code"], "A")
    with pytest.raises(StoreError, match="accepted the notice"):
        store.join(session["join_code"], "A", sex="female", consent=False)
    assert store.join(session["join_code"], "A", sex="female")["sex"] == "female"


def test_progress_counts_latest_answers_per_question(session_with_pretest):
    store, session, activity = session_with_pretest
    for i, choice in enumerate(["tip", "tip", "som"]):
        p = store.join(session["join_code"], f"P{i}")
        a = store.start_attempt(activity["id"], p["id"])
        store.save_answer(a["id"], "kiln", "som")
        store.save_answer(a["id"], "kiln", choice)  # the latest answer counts
        store.save_answer(a["id"], "elements", ["act", "means"])
        if i == 0:
            store.submit_attempt(a["id"])
    progress = store.activity_progress(activity["id"])
    assert progress["started"] == 3 and progress["submitted"] == 1
    answered, choices = answer_counts(store.find_bank(activity["bank_hash"]).questions, progress)
    assert answered == {"kiln": 3, "elements": 3}
    assert choices["kiln"] == {"tip": 2, "som": 1}
    assert choices["elements"] == {"act": 3, "means": 3}


def test_pulse_changes_when_the_room_does(session_with_pretest):
    store, session, activity = session_with_pretest
    before = store.pulse(session["id"])
    p = store.join(session["join_code"])
    after_join = store.pulse(session["id"])
    a = store.start_attempt(activity["id"], p["id"])
    store.save_answer(a["id"], "consent", True)
    after_answer = store.pulse(session["id"])
    assert len({before, after_join, after_answer}) == 3


def test_a_returning_participant_attends_the_next_session_of_the_cohort(store):
    workshop = store.add_workshop("Coaching series", cohort="Islamabad women officers")
    s1 = store.add_session(workshop["id"], "Coaching 1")
    s2 = store.add_session(workshop["id"], "Coaching 2")
    p = store.join(s1["join_code"], "Sana")
    store.attend(s2["id"], p["id"])
    store.attend(s2["id"], p["id"])
    assert [x["display_name"] for x in store.session_participants(s2["id"])] == ["Sana"]


def test_groups_share_one_answer_per_prompt_with_who_saved_it(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "check")
    a, b, c = (store.join(session["join_code"], n) for n in ("Amna", "Bushra", "Chand"))
    g1 = store.add_group(activity["id"], "Group 1", [a["id"], b["id"]])
    g2 = store.add_group(activity["id"], "Group 2", [c["id"]])
    store.set_group_members(g2["id"], [c["id"], b["id"]])  # Bushra moves to group 2
    assert {g["name"]: sorted(g["members"]) for g in store.list_groups(activity["id"])} == {
        "Group 1": [a["id"]], "Group 2": sorted([b["id"], c["id"]])}
    assert store.get_group(activity["id"], b["id"])["id"] == g2["id"]
    with pytest.raises(ActivityNotOpen):
        store.save_group_answer(g2["id"], b["id"], "kiln", "som")
    store.open_activity(activity["id"])
    store.save_group_answer(g2["id"], b["id"], "kiln", "som")
    store.save_group_answer(g2["id"], c["id"], "kiln", "tip", uid="edit-1")
    store.save_group_answer(g2["id"], c["id"], "kiln", "tip", uid="edit-1")
    latest = store.group_answers(g2["id"])
    assert latest["kiln"]["response"] == "tip" and latest["kiln"]["display_name"] == "Chand"
    with pytest.raises(StoreError, match="not a member"):
        store.save_group_answer(g2["id"], a["id"], "kiln", "som")
    assert store.group_answers(g1["id"]) == {}


def test_questions_from_the_room_sorted_by_votes_and_anonymous_when_asked(store):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    a, b, c = (store.join(session["join_code"], n) for n in ("Amna", "Bushra", "Chand"))
    first = store.ask(session["id"], a["id"], "Who leads on internal trafficking?")
    second = store.ask(session["id"], b["id"], "Is a relative helping for free smuggling?", anonymous=True)
    with pytest.raises(StoreError, match="Type your question"):
        store.ask(session["id"], a["id"], "   ")
    for voter in (a, c, c):
        store.vote(second["id"], voter["id"])
    pulse = store.pulse(session["id"])
    store.vote(first["id"], b["id"])
    assert store.pulse(session["id"]) != pulse
    listed = store.room_questions(session["id"], participant_id=c["id"])
    assert [(q["text"], q["votes"], q["asker"], q["voted"]) for q in listed] == [
        ("Is a relative helping for free smuggling?", 2, None, True),
        ("Who leads on internal trafficking?", 1, "Amna", False),
    ]
    store.vote(second["id"], c["id"], up=False)
    store.set_question_state(first["id"], "answered")
    store.set_question_state(second["id"], "hidden")
    assert [q["state"] for q in store.room_questions(session["id"])] == ["answered"]
    assert len(store.room_questions(session["id"], include_hidden=True)) == 2


def test_questions_from_the_room_with_equal_votes_keep_the_order_they_were_asked_in(store):
    """A tie is broken by when the question was asked, not by how the database happens to return the rows;
    an answered question goes below every open one whatever its votes."""
    import datetime as dt

    import sqlalchemy as sa

    session = store.add_session(store.add_workshop("W")["id"], "S")
    a, b = (store.join(session["join_code"], n) for n in ("Amna", "Bushra"))
    later = store.ask(session["id"], a["id"], "Asked second, stored first?")
    earlier = store.ask(session["id"], b["id"], "Asked first?")
    third = store.ask(session["id"], b["id"], "Asked third?")
    base = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)
    with store.transaction() as c:  # the rows' stored order is the opposite of the order they were asked in
        for minutes, q in ((5, later), (1, earlier), (9, third)):
            c.execute(sa.update(schema.audience_questions).where(schema.audience_questions.c.id == q["id"])
                      .values(asked_at=base + dt.timedelta(minutes=minutes)))
    assert [q["text"] for q in store.room_questions(session["id"])] == [
        "Asked first?", "Asked second, stored first?", "Asked third?"]
    store.vote(third["id"], a["id"])
    store.set_question_state(third["id"], "answered")
    assert [q["text"] for q in store.room_questions(session["id"])][-1] == "Asked third?"


# ------------------------------------------------------------------ retries: every write a retry could repeat


def test_a_retried_join_returns_the_participant_the_first_call_made(session_with_pretest):
    store, session, _activity = session_with_pretest
    first = store.join(session["join_code"], "Amna", sex="female", uid="join-form-1")
    again = store.join(session["join_code"], "Amna", sex="female", uid="join-form-1")
    assert (again["id"], again["token"]) == (first["id"], first["token"])
    assert len(store.session_participants(session["id"])) == 1
    store.close_session(session["id"])  # the retry arrives after the coach ended the session: still the same person
    assert store.join(session["join_code"], "Amna", uid="join-form-1")["id"] == first["id"]
    store.reopen_session(session["id"])
    assert store.join(session["join_code"], "Amna")["id"] != first["id"]  # no uid: another person of that name


def test_retried_answers_succeed_once_stored_even_after_close_or_submit(session_with_pretest):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"])
    attempt = store.start_attempt(activity["id"], p["id"])
    store.save_answer(attempt["id"], "kiln", "tip", uid="a1")
    store.submit_attempt(attempt["id"])
    assert store.save_answer(attempt["id"], "kiln", "tip", uid="a1")["response"] == "tip"
    assert store.submit_attempt(attempt["id"])["submitted_at"] is not None  # submitting twice is harmless
    store.close_activity(activity["id"])
    assert store.save_answer(attempt["id"], "kiln", "tip", uid="a1")["uid"] == "a1"
    with pytest.raises(AlreadySubmitted):
        store.save_answer(attempt["id"], "kiln", "som", uid="a2")  # a new answer is still refused
    assert [a["uid"] for a in store.answer_history(attempt["id"])] == ["a1"]


def test_retried_group_answers_votes_and_questions_count_once(store, all_types_bank):
    session = store.add_session(store.add_workshop("W")["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "case_study")
    a, b = (store.join(session["join_code"], n) for n in ("Amna", "Bushra"))
    group = store.add_group(activity["id"], "Group 1", [a["id"], b["id"]])
    store.open_activity(activity["id"])
    store.save_group_answer(group["id"], a["id"], "kiln", "tip", uid="g1")
    store.close_activity(activity["id"])
    assert store.save_group_answer(group["id"], a["id"], "kiln", "tip", uid="g1")["response"] == "tip"
    with pytest.raises(ActivityNotOpen):
        store.save_group_answer(group["id"], a["id"], "kiln", "som", uid="g2")
    q1 = store.ask(session["id"], a["id"], "Who leads?", uid="ask-1")
    q2 = store.ask(session["id"], a["id"], "Who leads?", uid="ask-1")
    assert q1["id"] == q2["id"] and len(store.room_questions(session["id"])) == 1
    for _ in range(2):
        store.vote(q1["id"], b["id"])
    assert store.room_questions(session["id"])[0]["votes"] == 1
    assert store.start_attempt(activity["id"], a["id"])["id"] == store.start_attempt(activity["id"], a["id"])["id"]


# ------------------------------------------------------------------ ending a session


def test_ending_a_session_closes_its_activity_and_frees_its_code(session_with_pretest):
    store, session, activity = session_with_pretest
    closed = store.close_session(session["id"])
    assert closed["state"] == "closed"
    assert store.find_activity(activity["id"])["state"] == "closed"
    with pytest.raises(UnknownJoinCode):
        store.find_session_by_code(session["join_code"])
    assert store.reopen_session(session["id"])["join_code"] == session["join_code"]  # still free: kept
    assert store.find_session_by_code(session["join_code"])["id"] == session["id"]
    with pytest.raises(StoreError, match="open, closed"):
        store.set_session_state(session["id"], "paused")


def test_a_reopened_session_whose_code_was_taken_meanwhile_gets_a_new_one(store):
    workshop = store.add_workshop("W")
    old = store.add_session(workshop["id"], "Monday")
    store.close_session(old["id"])
    new = store.add_session(workshop["id"], "Tuesday")
    with store.transaction() as c:  # Tuesday happens to draw Monday's code, free since Monday ended
        c.execute(schema.sessions.update().where(schema.sessions.c.id == new["id"]).values(join_code=old["join_code"]))
    reopened = store.reopen_session(old["id"])
    assert reopened["join_code"] != old["join_code"]
    assert store.find_session_by_code(old["join_code"])["id"] == new["id"]
    assert store.find_session_by_code(reopened["join_code"])["id"] == old["id"]


def test_attempts_of_an_activity_say_how_far_each_person_got(session_with_pretest):
    store, session, activity = session_with_pretest
    a, b = store.join(session["join_code"], "Amna"), store.join(session["join_code"], "Bushra")
    first = store.start_attempt(activity["id"], a["id"])
    store.save_answer(first["id"], "kiln", "tip")
    store.save_answer(first["id"], "kiln", "som")
    store.save_answer(first["id"], "elements", ["act"])
    store.save_answer(first["id"], "elements", [])  # cleared: no longer answered
    store.start_attempt(activity["id"], b["id"])
    listed = {x["participant_id"]: x for x in store.list_attempts(activity["id"])}
    answered = answered_by_attempt(store.find_bank(activity["bank_hash"]).questions,
                                   store.activity_progress(activity["id"]))
    assert answered.get(listed[a["id"]]["id"], 0) == 1 and listed[a["id"]]["last_saved_at"] is not None
    assert answered.get(listed[b["id"]]["id"], 0) == 0 and listed[b["id"]]["last_saved_at"] is None


def test_the_coach_changes_an_activitys_time_limit(session_with_pretest):
    store, _session, activity = session_with_pretest
    assert store.set_time_limit(activity["id"], 600)["time_limit_s"] == 600
    assert store.set_time_limit(activity["id"], None)["time_limit_s"] is None
    with pytest.raises(StoreError, match="above zero"):
        store.set_time_limit(activity["id"], 0)


def test_a_save_after_the_deadline_is_refused_after_a_few_seconds_grace(store, all_types_bank, case_bank,
                                                                        monkeypatch):
    from datetime import timedelta

    import toolkit.store.attempts
    import toolkit.store.groups
    from toolkit.deadline import GRACE_S
    from toolkit.store import TimeUp

    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    pre = store.open_activity(store.add_activity(session["id"], all_types_bank, "pretest", time_limit_s=60)["id"])
    p = store.join(session["join_code"], "Amna")
    attempt = store.start_attempt(pre["id"], p["id"])

    def at(seconds):  # the store's clock, this long after the coach opened the activity
        monkeypatch.setattr(toolkit.store.attempts, "now", lambda: pre["opened_at"] + timedelta(seconds=seconds))

    at(60 + GRACE_S - 1)  # an answer already on its way at the deadline
    store.save_answer(attempt["id"], "consent", True, uid="in-flight")
    at(60 + GRACE_S)
    with pytest.raises(TimeUp) as refused:
        store.save_answer(attempt["id"], "kiln", "tip")
    assert isinstance(refused.value, ActivityNotOpen)  # callers that handle "not open" handle this too
    store.save_answer(attempt["id"], "consent", True, uid="in-flight")  # a retry of one stored in time
    assert store.latest_answers(attempt["id"]) == {"consent": True}
    store.set_time_limit(pre["id"], 120)  # the coach gives more time: answers are taken again
    store.save_answer(attempt["id"], "kiln", "tip")
    assert store.submit_attempt(attempt["id"])["submitted_at"] is not None  # handing in is allowed late

    case = store.add_activity(session["id"], case_bank, "case_study", case_study_id=case_bank.case_studies[0].id,
                              time_limit_s=60)
    monkeypatch.undo()
    case = store.open_activity(case["id"])
    group = store.add_group(case["id"], "G", [p["id"]])
    monkeypatch.setattr(toolkit.store.groups, "now", lambda: case["opened_at"] + timedelta(seconds=60 + GRACE_S))
    with pytest.raises(TimeUp):
        store.save_group_answer(group["id"], p["id"], "classification", "tip")
    assert store.group_answers(group["id"]) == {}


def test_a_typed_answer_is_cleaned_and_bounded(session_with_pretest, case_bank):
    from toolkit.store import InvalidText

    store, session, activity = session_with_pretest
    p = store.join(session["join_code"], "Amna")
    attempt = store.start_attempt(activity["id"], p["id"])
    store.save_answer(attempt["id"], "comment", "  More on PEACE\ninterviews \n")
    assert store.latest_answers(attempt["id"])["comment"] == "More on PEACE\ninterviews"
    with pytest.raises(InvalidText) as too_long:
        store.save_answer(attempt["id"], "comment", "x" * 2001)
    assert (too_long.value.field, too_long.value.reason, too_long.value.limit) == ("open_answer", "too_long", 2000)
    with pytest.raises(InvalidText) as nul:
        store.save_answer(attempt["id"], "comment", "a\x00b")
    assert nul.value.reason == "characters"
    with pytest.raises(StoreError, match="ordinary number"):
        store.save_answer(attempt["id"], "age", float("inf"))
    with pytest.raises(StoreError, match="too large"):
        store.save_answer(attempt["id"], "elements", ["act"] * 5000)
    assert store.latest_answers(attempt["id"]) == {"comment": "More on PEACE\ninterviews"}

    case = store.open_activity(store.add_activity(session["id"], case_bank, "case_study",
                                                  case_study_id=case_bank.case_studies[0].id)["id"])
    group = store.add_group(case["id"], "G", [p["id"]])
    with pytest.raises(InvalidText) as group_too_long:
        store.save_group_answer(group["id"], p["id"], "reasoning", "y" * 2001)
    assert group_too_long.value.field == "group_answer"
    store.save_group_answer(group["id"], p["id"], "reasoning", " Debt bondage. ")
    assert store.group_answers(group["id"])["reasoning"]["response"] == "Debt bondage."


def test_an_answer_equal_to_the_latest_is_not_stored_again(session_with_pretest):
    store, session, activity = session_with_pretest
    p = store.join(session["join_code"])
    attempt = store.start_attempt(activity["id"], p["id"])
    for response in ("tip", "tip", "som", "som", "tip"):
        store.save_answer(attempt["id"], "kiln", response)  # each a new tap, with a new uid
    store.save_answer(attempt["id"], "agencies", {"internal": "police", "smuggling": "fia"})
    store.save_answer(attempt["id"], "agencies", {"smuggling": "fia", "internal": "police"})
    store.save_answer(attempt["id"], "consent", True)
    store.save_answer(attempt["id"], "consent", 1)  # not the same answer as True
    assert [(a["question_id"], a["response"]) for a in store.answer_history(attempt["id"])] == [
        ("kiln", "tip"), ("kiln", "som"), ("kiln", "tip"), ("agencies", {"internal": "police", "smuggling": "fia"}),
        ("consent", True), ("consent", 1)]


def test_a_save_with_a_timeout_gives_up_on_a_locked_store_and_saves_once_it_is_free(session_with_pretest):
    import sqlite3

    import sqlalchemy as sa

    from toolkit.store import StoreUnavailable, normalise_url

    store, session, activity = session_with_pretest
    attempt = store.start_attempt(activity["id"], store.join(session["join_code"])["id"])
    if store.dialect == "sqlite":
        other = sqlite3.connect(store.sqlite_path, isolation_level=None, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        release = lambda: (other.execute("ROLLBACK"), other.close())  # noqa: E731
    else:
        engine = sa.create_engine(normalise_url(store.url))
        other = engine.connect()
        other.exec_driver_sql("BEGIN")
        other.exec_driver_sql("LOCK TABLE answers IN EXCLUSIVE MODE")
        release = lambda: (other.exec_driver_sql("ROLLBACK"), other.close(), engine.dispose())  # noqa: E731
    try:
        with pytest.raises(StoreUnavailable):
            store.save_answer(attempt["id"], "kiln", "tip", uid="once", timeout=0.05)
    finally:
        release()
    store.save_answer(attempt["id"], "kiln", "tip", uid="once", timeout=0.05)
    store.save_answer(attempt["id"], "kiln", "tip", uid="once")
    assert [a["uid"] for a in store.answer_history(attempt["id"])] == ["once"]


def test_the_languages_of_a_sessions_banks_are_read_without_rebuilding_them(store, all_types_bank):
    """The join screen asks which languages a session's banks offer: the store reads each bank's `languages:`
    from its kept content, as parse_bank states them, and rebuilds none (a participant's kernel rebuilds only the
    bank it shows)."""
    from toolkit.bank import parse_bank
    from toolkit.store import Store

    english_only = parse_bank({**all_types_bank.content, "id": "english-only", "languages": ["en"]}, "<en>")
    unstated = dict(all_types_bank.content, id="unstated")
    unstated.pop("languages")
    unstated = parse_bank(unstated, "<unstated>")
    for bank in (all_types_bank, english_only, unstated):
        store.add_bank(bank)
    assert all_types_bank.languages == ("en", "ur") and unstated.languages == ("en",)

    fresh = Store(store.url)  # a kernel's own store: it has rebuilt no bank yet
    try:
        assert fresh.bank_languages([english_only.hash, unstated.hash]) == {"en"}
        assert fresh.bank_languages([english_only.hash, all_types_bank.hash]) == {"en", "ur"}
        assert fresh._banks == {}  # none rebuilt to answer
        fresh.find_bank(all_types_bank.hash)  # one it has rebuilt answers from the bank itself
        assert fresh.bank_languages([all_types_bank.hash]) == {"en", "ur"}
        assert fresh.bank_languages([]) == set()
    finally:
        fresh.close()
