"""The store: the one place where the room meets. Apps call these verbs; they never write SQL.

Every verb returns plain dicts and raises a named error that the apps turn into a message.
SQLite (a file in the data folder, WAL) by default; PostgreSQL by URL. Opening a store brings it to the
current schema (toolkit/migrations/). A write that a retry could repeat (join, answer, group answer, vote,
attempt, question from the room) is stored once: the caller passes the same `uid` again.

`core` holds the engine, transactions, idempotent inserts, backups and the id and code helpers; each noun
has its module of verbs, and `Store` is made of them all.
"""

from ..database import make_engine, normalise_url
from ..errors import (
    ActivityNotOpen,
    AlreadySubmitted,
    InvalidText,
    NotAllowed,
    NotFound,
    StoreError,
    StoreTooNew,
    StoreUnavailable,
    TimeUp,
    TooFast,
    TooManyJoins,
    TooManyWrongCodes,
    TransitionNotAllowed,
    UnknownJoinCode,
    UnknownParticipant,
)
from .activities import ACTIVITY_KINDS, ACTIVITY_STATES, TRANSITIONS, Activities, ActivityKind, ActivityState
from .attempts import Attempts
from .core import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    PERSONAL_CODE_LENGTH,
    free_join_code,
    id_from_uid,
    new_id,
    new_join_code,
    new_personal_code,
    normalise_join_code,
    same_answer,
)
from .groups import Groups
from .participants import DEFAULT_PROFILE, PROFILE_CHOICES, PROFILE_FIELDS, Participants
from .progress import Progress
from .room_questions import RoomQuestions
from .sessions import SESSION_STATES, Sessions
from .throttle import Throttle
from .workflows import Workflows


class Store(Sessions, Activities, Participants, Throttle, Attempts, Groups, RoomQuestions, Progress,
            Workflows):
    """The service the apps call: one object with every noun's verbs."""


__all__ = [
    "ACTIVITY_KINDS", "ACTIVITY_STATES", "TRANSITIONS", "ActivityKind", "ActivityState", "DEFAULT_PROFILE", "JOIN_CODE_ALPHABET", "JOIN_CODE_LENGTH",
    "PERSONAL_CODE_LENGTH", "PROFILE_CHOICES", "PROFILE_FIELDS", "SESSION_STATES",
    "ActivityNotOpen", "AlreadySubmitted", "InvalidText", "NotAllowed", "NotFound", "Store", "StoreError",
    "StoreTooNew", "StoreUnavailable", "TimeUp", "TooFast", "TooManyJoins", "TooManyWrongCodes", "TransitionNotAllowed", "UnknownJoinCode",
    "UnknownParticipant",
    "free_join_code", "id_from_uid", "make_engine", "new_id", "new_join_code", "new_personal_code",
    "normalise_join_code", "normalise_url", "same_answer",
]
