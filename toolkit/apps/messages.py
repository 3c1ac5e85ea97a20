"""What a person is told when the store or its limits refuse something: one catalogue text per named error of
toolkit/errors.py, in the person's language. A page never shows an error's own (English) words.

`saving=True` is a refused answer ("Not saved: …"); otherwise a refused join, question or other step.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from ..errors import (
    ActivityNotOpen,
    AlreadySubmitted,
    AmbiguousSession,
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
from ..limits import JOINS_PER_PAGE
from ..matchcode import MatchCodeError
from .texts import ENGLISH, panel, t

# (error, text when an answer was refused, text otherwise): the first row whose error the refusal is an
# instance of, so a subclass comes before its parent. InvalidText has texts of its own (by its reason).
TEXTS: tuple[tuple[type[StoreError], str, str], ...] = (
    (StoreUnavailable, "store_busy", "store_busy"),
    (StoreTooNew, "store_too_new", "store_too_new"),
    (AmbiguousSession, "ambiguous_session", "ambiguous_session"),
    (UnknownJoinCode, "not_found", "unknown_code"),
    (UnknownParticipant, "unknown_link", "unknown_link"),
    (NotFound, "not_found", "not_found"),
    (TimeUp, "time_up_not_saved", "time_up"),
    (AlreadySubmitted, "submitted_not_saved", "already_submitted"),
    (ActivityNotOpen, "closed_not_saved", "closed"),
    (TooManyWrongCodes, "codes_wait", "codes_wait"),
    (TooManyJoins, "joins_wait", "joins_wait"),
    (TooFast, "too_fast", "too_fast"),
    (TransitionNotAllowed, "transition_not_allowed", "transition_not_allowed"),
    (NotAllowed, "not_in_group", "not_allowed"),
    (StoreError, "answer_refused", "refused"),
)
INVALID_TEXT = {  # reason: (text when an answer was refused, text for a field of a form)
    "too_long": ("answer_too_long", "text_too_long"),
    "characters": ("answer_characters", "text_characters"),
    "missing": ("text_missing", "text_missing"),
}
MATCH_CODE = {"letter": "match_letter", "number": "match_number", "day": "match_day", "range": "match_range",
              "key": "match_key"}


def error_text(error: StoreError, lang: str, *, saving: bool = False, typed: Any = None, **fmt: Any) -> str:
    """The refusal in the person's language (plain text). `typed` is the refused answer (its length is told);
    `fmt` fills what the error does not carry (the join code as typed)."""
    if isinstance(error, InvalidText):
        key = INVALID_TEXT.get(error.reason, INVALID_TEXT["characters"])[0 if saving else 1]
        n = len(unicodedata.normalize("NFC", typed).strip()) if isinstance(typed, str) else error.limit + 1
        return t(key, lang, what=field_words(error.field, lang), limit=error.limit, n=n)
    key = next(row[1 if saving else 2] for row in TEXTS if isinstance(error, row[0]))
    wait = getattr(error, "retry_after", 0.0)
    return t(key, lang, **{"code": "…", "s": max(1, math.ceil(wait)), "m": max(1, math.ceil(wait / 60)), **fmt})


def field_words(field: str, lang: str) -> str:
    key = f"field_{field}"
    return t(key, lang) if key in ENGLISH else field


def problem(error: StoreError, lang: str, **kw: Any) -> str:
    """The refusal as the page shows it (HTML, escaped)."""
    return panel("line.html", css="tk-problem", text=error_text(error, lang, **kw))


def refusal_text(error: StoreError, lang: str, typed: Any = None) -> str:
    """Why an answer was not saved (plain text: the template that shows it escapes it, a widget of text shows it
    as it is)."""
    return error_text(error, lang, saving=True, typed=typed)


def match_code_text(error: MatchCodeError, lang: str) -> str:
    return t(MATCH_CODE.get(error.reason, "match_letter"), lang)


def page_full(lang: str) -> str:
    return panel("line.html", css="tk-problem", text=t("page_full", lang, n=JOINS_PER_PAGE))
