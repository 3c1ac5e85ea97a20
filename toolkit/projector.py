"""Words the coach hid from the projector (a word cloud's rude or identifying word): kept in the store, so that
a reload of the coach's page, or a second laptop on the same store, hides them too.

One small record per hidden word in table store_info (name `cloud:` and a digest of activity, question and
word; value the digest of activity and question, and the word), as toolkit.room_status keeps its records:
no schema change for a list that the projector alone reads.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from . import schema as t
from .questions import normalise
from .store import Store

PREFIX = "cloud:"
_NAME = t.store_info.c.name.type.length  # 40
_VALUE = t.store_info.c.value.type.length  # 200


def _digest(*parts: str, size: int) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:size]


def hidden_words(store: Store, activity_id: str, question_id: str) -> set[str]:
    """The (normalised) words of this question the projector does not show."""
    scope = _digest(activity_id, question_id, size=16)
    with store.read() as c:
        rows = c.execute(sa.select(t.store_info.c.value).where(t.store_info.c.name.like(PREFIX + "%"))).scalars().all()
    out = set()
    for value in rows:
        try:
            where, word = json.loads(value)
        except (ValueError, TypeError):
            continue
        if where == scope and isinstance(word, str):
            out.add(word)
    return out


def set_hidden(store: Store, activity_id: str, question_id: str, word: str, hidden: bool = True) -> None:
    """Hide a word from the projector, or show it again."""
    word = normalise(word)
    name = PREFIX + _digest(activity_id, question_id, word, size=_NAME - len(PREFIX))
    value = json.dumps([_digest(activity_id, question_id, size=16), word], ensure_ascii=False, separators=(",", ":"))
    if len(value) > _VALUE:
        raise ValueError(f"a word of {len(word)} characters is too long to hide")
    with store.transaction() as c:
        c.execute(sa.delete(t.store_info).where(t.store_info.c.name == name))
        if hidden:
            c.execute(sa.insert(t.store_info).values(name=name, value=value))
