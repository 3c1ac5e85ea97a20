"""Self-generated identification codes for matching pre- and post-tests without names.

A participant answers a few stable questions (mother's first initial, day of birth, …). Only
hashes are stored: one of the whole code and one for each element left out, so that the
facilitator can apply the tolerant rule of the evaluation methods (codes that differ in one
element match when that match is unique) without ever holding the answers themselves.
"""

from __future__ import annotations

import hashlib
import unicodedata

# (field, kind): letter answers take one letter, number answers a number. Each field's prompt is the text
# `match_<field>` of the catalogues (toolkit/texts.py).
ELEMENTS = (("mother", "letter"), ("birthday", "day"), ("district", "letter"), ("siblings", "count"))
DIGEST_CHARS = 12  # five 12-hex digests joined by "." fill the store's 64-character column
SALT = "toolkit-match-code-v1"


class MatchCodeError(ValueError):
    """An answer the code cannot use; `reason` ("letter", "number", "day" or "range") names the text to show."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def normalise(field: str, value: str) -> str:
    kind = dict(ELEMENTS)[field]
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if kind == "letter":
        if not text:
            raise MatchCodeError("Please give one letter.", "letter")
        return text[0].casefold()
    try:
        number = int(text)
    except ValueError:
        raise MatchCodeError("Please give a number.", "number") from None
    if kind == "day" and not 1 <= number <= 31:
        raise MatchCodeError("The day of the month is between 1 and 31.", "day")
    if number < 0 or number > 40:
        raise MatchCodeError("Please give a number between 0 and 40.", "range")
    return str(number)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("|".join([SALT, *parts]).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def match_code_hash(answers: dict[str, str]) -> str:
    """The stored form: the whole code's digest, then one digest per element left out."""
    parts = [normalise(f, answers.get(f, "")) for f, *_ in ELEMENTS]
    digests = [_digest(parts)]
    for i in range(len(parts)):
        digests.append(_digest([p if j != i else "*" for j, p in enumerate(parts)]))
    return ".".join(digests)


def same_code(a: str, b: str) -> bool:
    return a.split(".")[0] == b.split(".")[0]


def differ_in_at_most_one(a: str, b: str) -> bool:
    """True when the two codes are equal, or equal but for one element."""
    da, db = a.split("."), b.split(".")
    return da[0] == db[0] or any(x == y for x, y in zip(da[1:], db[1:], strict=True))
