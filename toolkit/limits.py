"""Every input from the network is bounded: how long a text may be, which characters it may hold, and how
often one page or one address may try a thing. One table here; the store enforces it (so SQLite and
PostgreSQL take and refuse the same texts), the phone shows it (a counter, `maxlength`).
"""

from __future__ import annotations

import ipaddress
import time
import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable

from .errors import InvalidText

# The most characters each typed field takes. Chosen for what a person writes on a phone: a full name with
# titles, an organisation spelled out, an open answer of a few paragraphs. Never more than its column holds.
TEXT_LIMITS: dict[str, int] = {
    "display_name": 100,
    "sex": 20,
    "organisation": 120,
    "rank": 100,
    "province": 100,
    "contact": 100,
    "open_answer": 2000,  # an open question's answer, and each free-text prompt of a case study
    "group_answer": 2000,
    "room_question": 1000,
    "word": 40,  # one word or phrase of a short answer
}
# The most characters of an answer that is not typed (choices, an order, a matching) in its JSON form: far above
# any bank's, so that only a forged message meets it.
RESPONSE_LIMIT = 10_000
MULTILINE = frozenset({"open_answer", "group_answer", "room_question"})

_FIELD_WORDS = {
    "display_name": "name", "open_answer": "answer", "group_answer": "group's answer",
    "room_question": "question", "contact": "contact",
}


def _allowed(ch: str, multiline: bool) -> bool:
    if ch in "\n\t":
        return multiline
    category = unicodedata.category(ch)
    # Cc: NUL and the other control characters (PostgreSQL refuses NUL; none is ever typed on purpose);
    # Cs: a lone surrogate, which is no character at all and cannot be encoded as UTF-8.
    return category not in ("Cc", "Cs")


def printable(text: str, multiline: bool = True) -> bool:
    """Whether a text holds only characters the store takes (no NUL, no other control character)."""
    return all(_allowed(ch, multiline) for ch in text)


def clean_text(value: object, field: str) -> str | None:
    """The text as the store keeps it (stripped, NFC; None when empty), or InvalidText saying what to fix."""
    if value is None:
        return None
    limit = TEXT_LIMITS[field]
    words = _FIELD_WORDS.get(field, field)
    if not isinstance(value, str):
        raise InvalidText(f"The {words} must be text.", field, "characters", limit)
    text = unicodedata.normalize("NFC", value).strip()
    multiline = field in MULTILINE
    if not multiline:
        text = " ".join(text.split())  # a name or an organisation is one line: tabs and newlines become spaces
    if not all(_allowed(ch, multiline) for ch in text):
        raise InvalidText(f"The {words} has a character that cannot be stored; please type it again.",
                          field, "characters", limit)
    if len(text) > limit:
        raise InvalidText(f"Please keep the {words} to {limit} characters (it has {len(text)}).",
                          field, "too_long", limit)
    return text or None


class SlidingWindow:
    """How many times each key (a page, an address) did a thing in the last `seconds`, and whether once more
    is allowed. Memory is bounded: keys whose events have all expired are dropped as the window is used."""

    def __init__(self, most: int, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.most, self.seconds, self.clock = most, seconds, clock
        self.events: dict[str, deque] = defaultdict(deque)

    def _expire(self, key: str, now: float) -> deque:
        window = self.events[key]
        while window and now - window[0] >= self.seconds:
            window.popleft()
        return window

    def allow(self, key: str) -> bool:
        """Count one more try for `key` if the window has room; say whether it had."""
        now = self.clock()
        window = self._expire(key, now)
        if len(window) >= self.most:
            return False
        window.append(now)
        if len(self.events) > 10_000:  # many addresses: forget those with nothing left in the window
            for other in [k for k, w in self.events.items() if not w or now - w[-1] >= self.seconds]:
                del self.events[other]
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may now)."""
        now = self.clock()
        window = self._expire(key, now)
        if len(window) < self.most:
            return 0.0
        return max(0.0, self.seconds - (now - window[0]))


# ---------------------------------------------------------------- codes and joins (toolkit/store/throttle.py, apps/join.py)
#
# Guessing a join code: a page gets WRONG_CODES_FREE_PER_PAGE wrong codes, then waits 2, 4, 8 … seconds (at most
# WRONG_CODE_WAIT_MAX_S) before its next try; so does an address, counted across all its pages and kernels in
# the store, after WRONG_CODES_FREE_PER_ADDRESS wrong codes in the last WRONG_CODE_WINDOW_S. While a wait runs,
# even the right code waits: otherwise the answer to a try would still tell a guesser whether it was right.
# An address is bounded to about 85 tries in its first hour and 60 an hour after that (see the README).
# The address's allowance is larger than a page's because several phones may share it (see JOINS_PER_ADDRESS):
# a room's typos must not make the room wait; and the longest wait stays short (a minute) for the same reason.
WRONG_CODES_FREE_PER_PAGE = 5
WRONG_CODES_FREE_PER_ADDRESS = 20
WRONG_CODE_WINDOW_S = 3600.0
WRONG_CODE_WAIT_MAX_S = 60.0

# One page is one person: a shared phone may join a few people, one after the other; more is a script.
JOINS_PER_PAGE = 3
# New participants per address, in (most, seconds) windows. On the laptop's own Wi-Fi or the venue's, every
# phone has an address of its own, so this is per phone. Phones share one address only when they reach the
# laptop through another phone's hotspot, which takes 10 devices at most (Android's limit; an iPhone's is 5):
# 12 in 10 minutes lets a full hotspot and a shared phone join at once. A second, longer window bounds what one
# address can add to a day (returning participants come back with their link and do not count).
JOINS_PER_ADDRESS = ((12, 600.0), (30, 6 * 3600.0))


def code_wait(wrong: int, free: int) -> float:
    """Seconds to wait after the `wrong`-th wrong code: none for the first `free`, then 2, 4, 8 … up to a minute."""
    if wrong < free:
        return 0.0
    return float(min(2 ** (wrong - free + 1), WRONG_CODE_WAIT_MAX_S))


class PageTries:
    """What one page (one kernel) has tried: wrong codes, with their growing wait, and the people it joined."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.wrong = 0
        self.last_wrong = 0.0
        self.joined: set[str] = set()

    def wait(self) -> float:
        """Seconds until this page may try a code again (0 when it may now)."""
        if not self.wrong:
            return 0.0
        return max(0.0, self.last_wrong + code_wait(self.wrong, WRONG_CODES_FREE_PER_PAGE) - self.clock())

    def wrong_code(self) -> None:
        self.wrong += 1
        self.last_wrong = self.clock()

    def may_join(self, participant_id: str | None = None) -> bool:
        """Whether one more person may join from this page (the one it already joined may come again)."""
        return participant_id in self.joined or len(self.joined) < JOINS_PER_PAGE

    def joined_one(self, participant_id: str) -> None:
        self.joined.add(participant_id)


def is_this_laptop(address: str | None) -> bool:
    """Whether a request came from the laptop itself (loopback): a rehearsal, the trainer trying the page, the
    browser tests. No phone on the network has such an address, so the per-address bounds leave it alone."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)
