"""Saving a page's answers without freezing it: an answer the store could not take yet stays in the kernel
and is sent again, with the same retry id, until it is saved.

A save tries once, briefly (a locked store must not hold the kernel, or the phone freezes). When the store is
unavailable the answer is kept, latest per question, and the polling loop sends it again with a growing pause.
An answer equal to the one the store holds is not sent at all, and one page sends at most a few saves in a
short while: beyond that, taps coalesce and the latest is sent when the window allows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError, StoreUnavailable
from ..limits import SlidingWindow
from ..store import same_answer

SAVED, SAVING = "saved", "saving"
# One page: at most this many saves in this many seconds (a person answering quickly taps every second or two).
SAVES_PER_WINDOW, WINDOW_S = 20, 10.0
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.5, 3.0  # a store free again is used within a few seconds


def save_window(clock: Callable[[], float] = time.monotonic) -> SlidingWindow:
    """The bound on how fast one page writes, shared by its outboxes."""
    return SlidingWindow(SAVES_PER_WINDOW, WINDOW_S, clock=clock)


@dataclass
class Pending:
    value: Any
    uid: str  # the retry id: the same for this answer however often it is sent
    tries: int = 0
    next_try: float = 0.0


class Outbox:
    """The answers of one attempt (or one group) that the person gave and the store has not taken yet.

    `send(key, value, uid)` saves one answer (raising StoreUnavailable when the store is locked); `saved` is
    what the store holds per key, kept up to date by the caller when others change it.
    """

    def __init__(self, send: Callable[[str, Any, str], Any], window: SlidingWindow,
                 clock: Callable[[], float] = time.monotonic, saved: dict[str, Any] | None = None):
        self.send, self.window, self.clock = send, window, clock
        self.saved: dict[str, Any] = saved if saved is not None else {}
        self.pending: dict[str, Pending] = {}

    def give(self, key: str, value: Any) -> str:
        """The person answered: SAVED (now, or the store already held it) or SAVING (kept, sent again later).

        A refusal (closed, time up, a text too long) raises its StoreError and the answer is not kept.
        Giving the answer that is waiting again sends it again now, with the same retry id.
        """
        waiting = self.pending.get(key)
        if waiting is not None and same_answer(waiting.value, value):
            waiting.next_try = 0.0
        elif waiting is None and key in self.saved and same_answer(self.saved[key], value):
            return SAVED
        else:  # a new answer for this question: it replaces any that was waiting
            self.pending[key] = Pending(value, str(uuid.uuid4()))
        return self._try(key)

    def is_waiting(self, key: str) -> bool:
        return key in self.pending

    def value(self, key: str, default: Any = None) -> Any:
        """The person's latest answer: the one waiting to be saved, else the saved one."""
        if key in self.pending:
            return self.pending[key].value
        return self.saved.get(key, default)

    def flush(self, force: bool = False) -> dict[str, str | StoreError]:
        """Send the answers that are due (`force`: all, now, beyond the rate bound); what became of each one tried.

        Stops at the first that must wait: while the store is locked, one try per round is enough."""
        outcomes: dict[str, str | StoreError] = {}
        now = self.clock()
        for key in list(self.pending):
            if not force and self.pending[key].next_try > now:
                continue
            try:
                outcomes[key] = self._try(key, bounded=not force)
            except StoreError as e:
                outcomes[key] = e
            if outcomes[key] == SAVING:
                break
        return outcomes

    def _try(self, key: str, bounded: bool = True) -> str:
        waiting = self.pending[key]
        if bounded and not self.window.allow("save"):
            waiting.next_try = self.clock() + self.window.retry_after("save")
            return SAVING
        try:
            self.send(key, waiting.value, waiting.uid)
        except StoreUnavailable:
            waiting.tries += 1
            waiting.next_try = self.clock() + min(LONGEST_PAUSE_S, FIRST_PAUSE_S * 2 ** (waiting.tries - 1))
            return SAVING
        except StoreError:
            del self.pending[key]
            raise
        if self.pending.get(key) is waiting:
            del self.pending[key]
        self.saved[key] = waiting.value
        return SAVED
