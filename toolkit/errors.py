"""The store's named errors: what a person can fix or must know. The apps turn each into a message in the
person's language by its type (and its fields), never by parsing its English text."""

from __future__ import annotations


class StoreError(Exception):
    """Something the person can fix or must know; the message says what."""


class StoreUnavailable(StoreError):
    """The database did not answer (locked for too long, or the server is unreachable)."""


class StoreTooNew(StoreError):
    """The store was made by a newer version of the toolkit."""


class NotFound(StoreError):
    pass


class UnknownJoinCode(NotFound):
    pass


class UnknownParticipant(NotFound):
    pass


class AmbiguousSession(StoreError):
    """Several sessions have had this join code: the person must name one by its id."""


class NotAllowed(StoreError):
    pass


class ActivityNotOpen(NotAllowed):
    pass


class AlreadySubmitted(NotAllowed):
    pass


class TooFast(NotAllowed):
    """Too many tries of one thing in a short while (joins, wrong codes, saves): wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidText(StoreError):
    """A text that the store does not take: too long, or with characters no database stores (NUL, controls).

    `field` names what was typed (a key of `limits.TEXT_LIMITS`), `reason` is "too_long", "characters" or
    "missing" (a required field left empty), `limit` the most characters the field takes.
    """

    def __init__(self, message: str, field: str, reason: str, limit: int):
        super().__init__(message)
        self.field, self.reason, self.limit = field, reason, limit


class TransitionNotAllowed(NotAllowed):
    """An activity cannot go from state `current` to state `wanted` (activities.TRANSITIONS)."""

    def __init__(self, message: str, current: str, wanted: str):
        super().__init__(message)
        self.current, self.wanted = current, wanted


class TimeUp(ActivityNotOpen):
    """The activity's time limit has passed (and the few seconds' grace for an answer already on its way)."""


class TooManyWrongCodes(TooFast):
    """Wrong join or card codes from this page or address: even the right code waits `retry_after` seconds."""


class TooManyJoins(TooFast):
    """Many people joined from this page or address in a short while: the next waits `retry_after` seconds."""
