"""What the store takes from a phone, the same on SQLite and PostgreSQL: texts checked before the database, wrong
codes and joins counted per address across kernels, and the coach taking out people who never answered."""

from __future__ import annotations

import pytest

from toolkit import limits
from toolkit.errors import InvalidText, NotAllowed, TooManyJoins, TooManyWrongCodes, UnknownJoinCode, UnknownParticipant
from toolkit.store import Store


def clocked(store: Store, start: float = 1_000_000.0) -> list[float]:
    now = [start]
    store.clock = lambda: now[0]
    return now


def profile_workshop(store: Store) -> dict:
    workshop = store.add_workshop("W", profile_fields={"organisation": "optional", "rank": "required",
                                                       "province": "optional"})
    return store.add_session(workshop["id"], "S")


@pytest.mark.parametrize("field, value, reason", [
    ("display_name", "Ayesha\x00", "characters"),
    ("display_name", "A" * 101, "too_long"),
    ("rank", "R" * 150, "too_long"),
    ("organisation", "FIA\x00Quetta", "characters"),
    ("province", "\ud800", "characters"),
])
def test_a_join_with_a_text_no_database_takes_is_refused_and_nothing_is_stored(store, field, value, reason):
    session = profile_workshop(store)
    given = {"display_name": "Ayesha", "rank": "ASI", field: value}
    name = given.pop("display_name")
    with pytest.raises(InvalidText) as e:
        store.join(session["join_code"], name, **given)
    assert (e.value.field, e.value.reason, e.value.limit) == (field, reason, limits.TEXT_LIMITS[field])
    assert store.session_participants(session["id"]) == []


def test_texts_at_their_limit_are_stored_whole_and_a_required_field_of_spaces_is_missing(store):
    session = profile_workshop(store)
    p = store.join(session["join_code"], "N" * 100, rank="R" * 100, organisation=" Punjab\tPolice ")
    assert (p["display_name"], p["rank"], p["organisation"]) == ("N" * 100, "R" * 100, "Punjab Police")
    with pytest.raises(InvalidText) as e:
        store.join(session["join_code"], "Dua", rank="   ")
    assert (e.value.field, e.value.reason) == ("rank", "missing")


def test_codes_with_a_nul_or_too_long_are_just_wrong(store):
    session = profile_workshop(store)
    for code in (session["join_code"] + "\x00", "\x00", "K" * 5000):
        with pytest.raises(UnknownJoinCode):
            store.find_session_by_code(code)
        with pytest.raises(UnknownParticipant):
            store.find_card(code)


def test_a_question_to_the_coach_with_a_nul_or_too_long_is_refused(store):
    session = profile_workshop(store)
    p = store.join(session["join_code"], "Ayesha", rank="ASI")
    for text, reason in (("Who pays?\x00", "characters"), ("x" * 1001, "too_long"), ("  \n ", "missing")):
        with pytest.raises(InvalidText) as e:
            store.ask(session["id"], p["id"], text)
        assert (e.value.field, e.value.reason) == ("room_question", reason)
    assert store.ask(session["id"], p["id"], "Line one\nline two")["text"] == "Line one\nline two"
    assert len(store.room_questions(session["id"])) == 1


def test_wrong_codes_from_one_address_wait_longer_and_longer_across_kernels(store):
    session = profile_workshop(store)
    other_kernel = Store(store.url)  # another page of the same phone: the count is in the store
    now = clocked(store)
    other_kernel.clock = store.clock
    try:
        for i in range(limits.WRONG_CODES_FREE_PER_ADDRESS):
            with pytest.raises(UnknownJoinCode):
                (store if i % 2 else other_kernel).find_session_by_code("ZZZZZZ", client="10.0.0.7")
        with pytest.raises(TooManyWrongCodes) as e:  # even the right code waits now
            store.find_session_by_code(session["join_code"], client="10.0.0.7")
        assert e.value.retry_after == pytest.approx(2)
        assert store.find_session_by_code(session["join_code"], client="10.0.0.8")["id"] == session["id"]  # another phone
        now[0] += 2
        with pytest.raises(UnknownJoinCode):
            other_kernel.find_session_by_code("ZZZZZY", client="10.0.0.7")
        with pytest.raises(TooManyWrongCodes) as e:
            other_kernel.find_session_by_code(session["join_code"], client="10.0.0.7")
        assert e.value.retry_after == pytest.approx(4)  # the wait doubles
        with pytest.raises(TooManyWrongCodes):  # a join with the code waits as well
            store.join(session["join_code"], "Gul", rank="ASI", client="10.0.0.7")
        now[0] += 4
        assert store.find_session_by_code(session["join_code"], client="10.0.0.7")["id"] == session["id"]
        for _ in range(10):
            now[0] += 3600  # the count empties after an hour
            with pytest.raises(UnknownJoinCode):
                store.find_session_by_code("ZZZZZX", client="10.0.0.7")
        assert store.find_session_by_code(session["join_code"], client="10.0.0.7")["id"] == session["id"]
    finally:
        other_kernel.close()


def test_a_wait_never_passes_a_minute():
    assert [limits.code_wait(n, 5) for n in (0, 4, 5, 6, 9, 10, 50)] == [0, 0, 2, 4, 32, 60, 60]


def test_wrong_card_codes_count_like_wrong_join_codes_and_a_stale_link_does_not(store):
    session = profile_workshop(store)
    clocked(store)
    [ayesha] = store.add_rostered(session["workshop_id"], [dict(name="Ayesha", sex="female", organisation="FIA",
                                                                rank="ASI", contact=None)])
    old = store.add_session(session["workshop_id"], "Yesterday")
    store.close_session(old["id"])
    for _ in range(30):  # a room reloading yesterday's links is not guessing
        with pytest.raises(UnknownJoinCode):
            store.find_session_by_code(old["join_code"], client="10.0.0.9")
    for _ in range(limits.WRONG_CODES_FREE_PER_ADDRESS):
        with pytest.raises(UnknownParticipant):
            store.find_card("ZZZZZZZZ", client="10.0.0.9")
    with pytest.raises(TooManyWrongCodes):
        store.claim_card(ayesha["personal_code"], client="10.0.0.9")
    assert store.find_card(ayesha["personal_code"])["consent_at"] is None


def test_joins_per_address_are_bounded_and_a_retry_is_not_a_second_join(store):
    session = profile_workshop(store)
    now = clocked(store)
    most, seconds = limits.JOINS_PER_ADDRESS[0]
    first = store.join(session["join_code"], "P0", rank="ASI", uid="u0", client="10.0.0.5")
    assert store.join(session["join_code"], "P0", rank="ASI", uid="u0", client="10.0.0.5")["id"] == first["id"]
    for i in range(1, most):
        store.join(session["join_code"], f"P{i}", rank="ASI", client="10.0.0.5")
    with pytest.raises(TooManyJoins) as e:
        store.join(session["join_code"], "One too many", rank="ASI", client="10.0.0.5")
    assert e.value.retry_after == pytest.approx(seconds)
    store.join(session["join_code"], "Another phone", rank="ASI", client="10.0.0.6")
    store.join(session["join_code"], "Without an address: the CLI, the demo", rank="ASI")
    assert len(store.session_participants(session["id"])) == most + 2
    day, day_seconds = limits.JOINS_PER_ADDRESS[1]
    joined = most
    while joined < day:
        now[0] += seconds
        for _ in range(min(most, day - joined)):
            store.join(session["join_code"], "Later", rank="ASI", client="10.0.0.5")
            joined += 1
    now[0] += seconds
    with pytest.raises(TooManyJoins):  # the longer window: at most `day` a day from one address
        store.join(session["join_code"], "Later", rank="ASI", client="10.0.0.5")
    now[0] += day_seconds
    store.join(session["join_code"], "Next day", rank="ASI", client="10.0.0.5")


def test_the_coach_takes_out_who_never_answered_and_their_votes_go_back(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "S")
    activity = store.add_activity(session["id"], all_types_bank, "pretest")
    store.open_activity(activity["id"])
    asker, answerer, puppet, idle = (store.join(session["join_code"], n) for n in ("Asker", "Answerer", "P", "Idle"))
    question = store.ask(session["id"], asker["id"], "Who pays for the shelter?")
    store.save_answer(store.start_attempt(activity["id"], answerer["id"])["id"], "consent", True)
    store.start_attempt(activity["id"], puppet["id"])  # the page opened the test, nothing was answered
    group = store.add_group(activity["id"], "G", [puppet["id"], answerer["id"]])
    for p in (asker, answerer, puppet, idle):
        store.vote(question["id"], p["id"])
    assert store.room_questions(session["id"])[0]["votes"] == 4
    assert [p["display_name"] for p in store.silent_participants(session["id"])] == ["P", "Idle"]

    store.remove_from_session(session["id"], puppet["id"])
    assert store.room_questions(session["id"])[0]["votes"] == 3
    assert [p["id"] for p in store.session_participants(session["id"])] == [asker["id"], answerer["id"], idle["id"]]
    assert store.get_attempt(activity["id"], puppet["id"]) is None
    assert store.list_groups(activity["id"])[0]["members"] == [answerer["id"]] == store.get_group(
        activity["id"], answerer["id"])["members"]
    assert group["id"] == store.get_group(activity["id"], answerer["id"])["id"]
    with pytest.raises(UnknownParticipant):  # nothing else knew them: their link no longer works
        store.find_participant(puppet["token"])
    with pytest.raises(NotAllowed):
        store.vote(question["id"], puppet["id"])
    for someone in (asker, answerer):
        with pytest.raises(NotAllowed):
            store.remove_from_session(session["id"], someone["id"])
    assert len(store.session_participants(session["id"])) == 3


def test_taking_out_a_cohort_member_or_a_rostered_person_keeps_them_for_the_workshop(store):
    workshop = store.add_workshop("W")
    day1 = store.add_session(workshop["id"], "Day 1")
    member = store.join(day1["join_code"], "Member")
    [rostered] = store.add_rostered(workshop["id"], [dict(name="Rostered", sex=None, organisation=None, rank=None,
                                                          contact=None)])
    day2 = store.add_session(workshop["id"], "Day 2")
    store.attend(day2["id"], member["id"])
    store.claim_card(rostered["personal_code"])
    for p in (member, rostered):
        store.remove_from_session(day2["id"], p["id"])
        assert not store.attends(day2["id"], p["id"])
    assert store.session_participants(day2["id"]) == []
    assert store.attends(day1["id"], member["id"])
    assert store.find_participant(member["token"])["id"] == member["id"]
    assert store.find_card(rostered["personal_code"])["id"] == rostered["id"]
    with pytest.raises(NotAllowed):
        store.ask(day2["id"], member["id"], "Still here?")


def test_a_roster_holds_what_a_phone_could_type_and_says_which_cell_does_not(store, tmp_path):
    from toolkit.roster import read_roster

    path = tmp_path / "people.csv"
    path.write_text("name,sex,organisation,rank\n" + "A" * 101 + ",F,FIA,ASI\nBilal,M,FIA,AS\x07I\nDua,F,FIA,ASI\n")
    roster = read_roster(str(path))
    assert [str(p) for p in roster.blocking] == [
        "people.csv: line 2, column A: the name is longer than 100 characters; shorten it.",
        "people.csv: line 3, column D: the rank has a character that cannot be stored (a control character); "
        "type it again."]
    workshop = store.add_workshop("W")
    with pytest.raises(InvalidText) as e:  # the store refuses it too, on both databases, and writes nobody
        store.add_rostered(workshop["id"], [dict(name="Dua", sex="female", organisation="FIA", rank="ASI",
                                                 contact=None),
                                            dict(name="Bilal", sex="male", organisation="FIA", rank="R" * 150,
                                                 contact=None)])
    assert (e.value.field, e.value.reason) == ("rank", "too_long")
    assert store.roster(workshop["id"]) == []


def test_pages_of_one_phone_trying_codes_at_the_same_moment_take_their_turns(store):
    import threading

    session = profile_workshop(store)
    clocked(store)  # the clock stands still: once a wait starts, it runs for every later try
    for _ in range(limits.WRONG_CODES_FREE_PER_ADDRESS - 1):  # one free try left
        with pytest.raises(UnknownJoinCode):
            store.find_session_by_code("ZZZZZZ", client="10.0.0.70")
    kernels = [Store(store.url) for _ in range(6)]
    outcomes: list[str] = []
    start = threading.Barrier(len(kernels))

    def guess(kernel: Store) -> None:
        kernel.clock = store.clock
        start.wait()
        try:
            kernel.find_session_by_code("ZZZZZY", client="10.0.0.70")
        except UnknownJoinCode:
            outcomes.append("tried")
        except TooManyWrongCodes:
            outcomes.append("waits")

    threads = [threading.Thread(target=guess, args=(k,)) for k in kernels]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    for k in kernels:
        k.close()
    assert sorted(outcomes) == ["tried"] + ["waits"] * (len(kernels) - 1)
    with pytest.raises(TooManyWrongCodes):
        store.find_session_by_code(session["join_code"], client="10.0.0.70")


def test_joins_from_one_address_at_the_same_moment_stop_at_the_bound(store):
    import threading

    session = profile_workshop(store)
    clocked(store)
    most, _seconds = limits.JOINS_PER_ADDRESS[0]
    kernels = [Store(store.url) for _ in range(most + 4)]
    outcomes: list[str] = []
    start = threading.Barrier(len(kernels))

    def join(kernel: Store, i: int) -> None:
        kernel.clock = store.clock
        start.wait()
        try:
            kernel.join(session["join_code"], f"P{i}", rank="ASI", client="10.0.0.80")
            outcomes.append("joined")
        except TooManyJoins:
            outcomes.append("waits")

    threads = [threading.Thread(target=join, args=(k, i)) for i, k in enumerate(kernels)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    for k in kernels:
        k.close()
    assert sorted(outcomes) == ["joined"] * most + ["waits"] * 4
    assert len(store.session_participants(session["id"])) == most
