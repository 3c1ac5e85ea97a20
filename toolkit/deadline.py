"""When a timed activity is due: the one rule that the store (which refuses late answers), the phone's clock
and the coach's console share.

An activity with a time limit is due `time_limit_s` seconds after the coach opened it. Times come from the
store as UTC: PostgreSQL returns them with their zone, SQLite without it, so a naive time here means UTC.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

# An answer tapped just before the deadline may reach the store just after it (the network, a busy kernel):
# the store takes it for this many seconds more. The phone itself stops taking answers at the deadline.
GRACE_S = 5.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """A time from the store, with its zone (a naive one is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def due_at(activity: dict) -> datetime | None:
    """When an open activity with a time limit is due; None when it has no limit or is not open."""
    if activity.get("state") != "open" or not activity.get("time_limit_s") or not activity.get("opened_at"):
        return None
    return as_utc(activity["opened_at"]) + timedelta(seconds=activity["time_limit_s"])


def seconds_left(activity: dict, now: datetime | None = None) -> int | None:
    """Whole seconds until it is due (0 once it is; never negative); None when there is no deadline."""
    due = due_at(activity)
    if due is None:
        return None
    left = (due - as_utc(now or utc_now())).total_seconds()
    return max(0, math.ceil(left))  # rounded up: "0:00 left" is shown only when time really is up


def time_is_up(activity: dict, now: datetime | None = None, grace: float = 0.0) -> bool:
    """Whether the deadline (plus `grace` seconds) has passed."""
    due = due_at(activity)
    return due is not None and as_utc(now or utc_now()) >= due + timedelta(seconds=grace)


def seconds_open(activity: dict, now: datetime | None = None) -> int:
    """Whole seconds since the coach opened the activity (0 when it has not been opened)."""
    if not activity.get("opened_at"):
        return 0
    return max(0, int((as_utc(now or utc_now()) - as_utc(activity["opened_at"])).total_seconds()))
