"""Self-generated identification codes for matching pre- and post-tests without names.

A participant answers a few stable questions (mother's first initial, day of birth, …). Only digests are stored:
one of the whole code and one for each element left out, so that the facilitator can apply the tolerant rule of
the evaluation methods (codes that differ in one element match when that match is unique) without ever holding
the answers themselves.

The answers come from a small space (about a million codes; a digest that leaves one element out, a few
thousand), so a digest anyone can compute is read back by trying them all. Each digest is therefore scrypt (a
slow, memory-hard hash) of the answers salted with the workshop's matching key: the file `match-key` in the data
folder beside the store, made on first use and copied to every laptop of the workshop like the bundle key (then
the same person's code is the same on every laptop). The store and the bundles hold the digests and the key's id,
never the key. Codes stored before the key (digests salted with a text in this source, which anyone can read
back) stay as they were and still match each other; they never match a code made with a key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

# (field, kind): letter answers take one letter, number answers a number. Each field's prompt is the text
# `match_<field>` of the catalogues (toolkit/texts.py).
ELEMENTS = (("mother", "letter"), ("birthday", "day"), ("district", "letter"), ("siblings", "count"))
KEY_FILE = "match-key"
KEY_ID_CHARS = 8
DIGEST_CHARS = 10  # the key's id and five 10-hex digests, joined by ".", fit the store's 64-character column
# scrypt's cost: 16 MB and some 50 ms a digest on a laptop (benchmarks/match_code_cost.py), a quarter of a second
# for a join's five; whoever holds the key as well still pays that for every guess.
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
SCHEME = b"toolkit-match-code-v2"
LEGACY_DIGEST_CHARS = 12  # codes stored before the key: five 12-hex digests
_WITH_KEY = re.compile(rf"^[0-9a-f]{{{KEY_ID_CHARS}}}(\.[0-9a-f]{{{DIGEST_CHARS}}}){{5}}$")
_LEGACY = re.compile(rf"^[0-9a-f]{{{LEGACY_DIGEST_CHARS}}}(\.[0-9a-f]{{{LEGACY_DIGEST_CHARS}}}){{4}}$")


class MatchCodeError(ValueError):
    """An answer the code cannot use; `reason` ("letter", "number", "day", "range", or "key": the
    laptop's matching key is broken) names the text to show."""

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


# ------------------------------------------------------------------ the workshop's key


def key_id(key: bytes) -> str:
    """A short name for the key, stored with each code, so that codes of different keys are told apart (it
    reveals nothing of the key)."""
    return hashlib.sha256(b"toolkit match key id\0" + key).hexdigest()[:KEY_ID_CHARS]


def key_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / KEY_FILE


def read_key(path: str | Path) -> bytes:
    """The key in a key file (64 hexadecimal digits)."""
    path = Path(path)
    try:
        key = bytes.fromhex(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        key = b""
    if len(key) < 16:
        raise MatchCodeError(f"{path} is not a matching key: copy the workshop's {KEY_FILE} file here again.", "key")
    return key


def workshop_key(data_dir: str | Path) -> bytes:
    """The data folder's matching key, made there the first time it is needed (copy it to the other laptops)."""
    path = key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_bytes(32).hex() + "\n")
            os.chmod(tmp, 0o600)
            os.link(tmp, path)  # never over a key another kernel made a moment ago: theirs is the one
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return read_key(path)


def store_key(store) -> bytes:
    """The matching key of the data folder the store lives in (a PostgreSQL store: the default data folder)."""
    from . import config

    return workshop_key(store.sqlite_path.parent if store.sqlite_path else config.default_data_dir())


# ------------------------------------------------------------------ codes


def _digest(key: bytes, parts: list[str], cost: dict) -> str:
    secret = "|".join(parts).encode("utf-8")
    return hashlib.scrypt(secret, salt=SCHEME + b"\0" + key, dklen=DIGEST_CHARS // 2, **cost).hex()


def match_code_hash(answers: dict[str, str], key: bytes, cost: dict | None = None) -> str:
    """The stored form: the key's id, the whole code's digest, then one digest per element left out.

    `cost`: scrypt's n, r, p (SCRYPT; codes of another cost never match: only tests and benchmarks that make
    thousands of codes choose a lower one)."""
    cost = SCRYPT if cost is None else cost
    parts = [normalise(f, answers.get(f, "")) for f, *_ in ELEMENTS]
    found = [_digest(key, parts, cost)]
    for i in range(len(parts)):
        found.append(_digest(key, [p if j != i else "*" for j, p in enumerate(parts)], cost))
    return ".".join([key_id(key), *found])


def digests(stored: str | None) -> list[str] | None:
    """The five digests of a stored code, each marked with its key's id (or "legacy"), so that codes made with
    different keys never compare equal; None for a value that is not a code."""
    stored = str(stored or "")
    if _WITH_KEY.match(stored):
        scheme, *parts = stored.split(".")
        return [f"{scheme}:{d}" for d in parts]
    if _LEGACY.match(stored):
        return [f"legacy:{d}" for d in stored.split(".")]
    return None


def same_code(a: str, b: str) -> bool:
    da, db = digests(a), digests(b)
    return da is not None and db is not None and da[0] == db[0]


def differ_in_at_most_one(a: str, b: str) -> bool:
    """True when the two codes are equal, or equal but for one element."""
    da, db = digests(a), digests(b)
    return da is not None and db is not None and any(x == y for x, y in zip(da, db, strict=True))
