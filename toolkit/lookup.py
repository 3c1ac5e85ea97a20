"""Finding what a trainer names on the command line: a session by its join code or id, workshops by name.

One rule for every command (`toolkit report`, `export`, `certificates`, `bundle export`, `roster ...`): a session
is named by its id, or by its join code when exactly one session in the store has had that code (in any
state); a code that several sessions have had is refused with the ids to use instead, so that no command
silently picks a different session from another.
"""

from __future__ import annotations

from .errors import AmbiguousSession, NotFound
from .store import Store, normalise_join_code


def find_session(store: Store, code_or_id: str) -> dict:
    """The session with this id, or the one session that has had this join code (any state, any case)."""
    try:
        return store.find_session(code_or_id)
    except NotFound:
        pass
    code = normalise_join_code(code_or_id)
    matches = sorted((s for s in store.list_sessions() if s["join_code"] == code), key=lambda s: s["created_at"])
    if not matches:
        raise NotFound(f"No session in this store has the code or id {code_or_id!r}.")
    if len(matches) > 1:
        listed = "; ".join(f"{s['id']} ({s['title']}, {s['state']}, {s['created_at']:%Y-%m-%d})" for s in matches)
        raise AmbiguousSession(f"Several sessions have had the code {code}: {listed}. Pass the session id instead.")
    return matches[0]


def find_workshops(store: Store, name: str) -> list[dict]:
    """Workshops by id, by exact title, or by their series (cohort) name; else by a part of the title."""
    workshops = store.list_workshops()
    wanted = name.strip().casefold()
    for matches in ([w for w in workshops if w["id"] == name],
                    [w for w in workshops if w["title"].casefold() == wanted],
                    [w for w in workshops if (w["cohort"] or "").casefold() == wanted],
                    [w for w in workshops if wanted and wanted in w["title"].casefold()]):
        if matches:
            return sorted(matches, key=lambda w: (w["starts_on"] is None, w["starts_on"] or w["created_at"].date(),
                                                  w["created_at"]))
    raise NotFound(f"No workshop or series called {name!r} in this store.")
