"""The one deadline rule that the store, the phone and the coach's console share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from toolkit.deadline import due_at, seconds_left, seconds_open, time_is_up

OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def timed(limit=300, state="open", opened=OPENED):
    return {"state": state, "time_limit_s": limit, "opened_at": opened}


def test_a_naive_time_from_sqlite_and_an_aware_one_from_postgresql_give_the_same_deadline():
    assert due_at(timed(opened=OPENED.replace(tzinfo=None))) == due_at(timed()) == OPENED + timedelta(seconds=300)


def test_seconds_left_count_down_rounded_up_and_stop_at_zero():
    assert seconds_left(timed(), OPENED) == 300
    assert seconds_left(timed(), OPENED + timedelta(seconds=299.2)) == 1  # "0:00" only when time really is up
    assert seconds_left(timed(), OPENED + timedelta(seconds=300)) == 0
    assert seconds_left(timed(), OPENED + timedelta(hours=2)) == 0


def test_no_deadline_without_a_limit_or_once_the_activity_is_not_open():
    for activity in (timed(limit=None), timed(state="closed"), timed(opened=None)):
        assert due_at(activity) is None and seconds_left(activity, OPENED) is None
        assert not time_is_up(activity, OPENED + timedelta(days=1))


def test_time_is_up_at_the_deadline_and_the_store_allows_a_grace():
    assert not time_is_up(timed(), OPENED + timedelta(seconds=299.9))
    assert time_is_up(timed(), OPENED + timedelta(seconds=300))
    assert not time_is_up(timed(), OPENED + timedelta(seconds=304), grace=5)
    assert time_is_up(timed(), OPENED + timedelta(seconds=305), grace=5)


def test_seconds_open_for_a_timer_added_later():
    assert seconds_open(timed(opened=OPENED.replace(tzinfo=None)), OPENED + timedelta(seconds=90.7)) == 90
    assert seconds_open({"opened_at": None}, OPENED) == 0
