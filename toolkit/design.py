"""How the pre- and post-test forms are given, so that a difference between the forms does not pass for learning.

A session with a pre-test and a post-test on two forms has a design (`sessions.design`):

- crossover (the default for a new session): half the room takes form A before and form B after, the other half
  B before and A after. Each participant gets a sequence (AB or BA) when they join, balanced within their
  organisation and sex (where the profile asks them) in the order people join; a returning member of the cohort
  keeps theirs. The analysis (toolkit.analysis.crossover) then tells the forms' difference from the learning.
- a-then-b: everyone takes the pre-test's form first (how every session ran before this design existed).
- same-form: the same questions before and after (chosen, or because both tests use one bank).

The functions here run inside the store's write transactions (the caller's connection); they never commit.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from . import schema as t

DESIGNS = ("crossover", "same-form", "a-then-b")
DEFAULT_DESIGN = "crossover"
SEQUENCES = ("AB", "BA")
TESTS = ("pretest", "posttest")
DESIGN_WORDS = {
    "crossover": "crossover: half the room took form A first and form B after, the other half B first and A after",
    "a-then-b": "A then B: everyone took the pre-test's form first and the other form after",
    "same-form": "same form: the same questions before and after",
}


def check_design(design: str) -> str:
    if design not in DESIGNS:
        raise ValueError(f"A session's design is one of {', '.join(DESIGNS)} (not {design!r}).")
    return design


def _stratum(value: str | None) -> str:
    return " ".join(str(value).split()).casefold() if value else ""


def _lock(c: sa.Connection, workshop_id: str) -> None:
    """Two servers on one PostgreSQL assign a workshop's sequences one at a time (SQLite has one writer)."""
    if c.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sequence/{workshop_id}".encode()).digest()[:8], "big", signed=True)
        c.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def choose_sequence(taken: list[tuple[str, str | None, str | None]], person_id: str, sex: str | None,
                    organisation: str | None) -> str:
    """The sequence that keeps the workshop balanced: first within the person's organisation × sex, then within
    their sex, then their organisation, then the whole room; a full tie is settled by the person's id (random
    across people, the same on every retry).

    `taken`: (sequence, sex, organisation) of the workshop's participants who have one, in order of joining.
    """
    sex_key, org_key = _stratum(sex), _stratum(organisation)

    def imbalance(choice: str) -> tuple[int, ...]:
        counts = [[0, 0] for _ in range(4)]  # stratum, sex, organisation, room: [AB, BA]
        for sequence, s, o in [*taken, (choice, sex, organisation)]:
            i = SEQUENCES.index(sequence)
            same_sex, same_org = _stratum(s) == sex_key, _stratum(o) == org_key
            for level, inside in enumerate((same_sex and same_org, same_sex, same_org, True)):
                counts[level][i] += inside
        return tuple(abs(ab - ba) for ab, ba in counts)

    a, b = imbalance("AB"), imbalance("BA")
    if a != b:
        return "AB" if a < b else "BA"
    return SEQUENCES[hashlib.sha256(person_id.encode()).digest()[0] & 1]


def assign_sequence(c: sa.Connection, person: dict) -> str:
    """A balanced sequence for a participant about to be written (a dict with id, workshop_id, sex, organisation)."""
    _lock(c, person["workshop_id"])
    p = t.participants
    taken = [(r.sequence, r.sex, r.organisation) for r in c.execute(
        sa.select(p.c.sequence, p.c.sex, p.c.organisation)
        .where(p.c.workshop_id == person["workshop_id"], p.c.sequence.is_not(None), p.c.id != person["id"])
        .order_by(p.c.consent_at, p.c.created_at, p.c.id))
        if r.sequence in SEQUENCES]
    return choose_sequence(taken, person["id"], person.get("sex"), person.get("organisation"))


def ensure_sequence(c: sa.Connection, participant_id: str) -> str | None:
    """The participant's sequence, assigned now if they have none yet (a rostered person claiming their card, a
    store from before crossovers); None for an unknown participant."""
    p = t.participants
    person = c.execute(sa.select(p).where(p.c.id == participant_id)).first()
    if person is None:
        return None
    if person.sequence in SEQUENCES:
        return person.sequence
    sequence = assign_sequence(c, dict(person._mapping))
    c.execute(p.update().where(p.c.id == participant_id).values(sequence=sequence))
    return sequence


def test_pairs(activities: list[dict]) -> list[tuple[dict, dict]]:
    """The session's pre-tests paired with its post-tests in order (the first with the first, ...)."""
    ordered = sorted(activities, key=lambda a: a["position"])
    pres = [a for a in ordered if a["kind"] == "pretest"]
    posts = [a for a in ordered if a["kind"] == "posttest"]
    return list(zip(pres, posts, strict=False))


def session_design(session: dict, activities: list[dict]) -> str | None:
    """The design the session's participants actually get: None without a pre- and a post-test; same-form when
    both use one bank, whatever was chosen; a session from before designs existed is a-then-b."""
    pairs = test_pairs(activities)
    if not pairs:
        return None
    if all(pre["bank_hash"] == post["bank_hash"] for pre, post in pairs):
        return "same-form"
    chosen = session.get("design") or "a-then-b"
    return "a-then-b" if chosen == "same-form" else chosen  # two banks cannot be one form: A then B it is


def form_for(c: sa.Connection, activity_id: str, participant_id: str) -> str | None:
    """The bank hash this participant takes in this activity: in a crossover, someone of sequence BA takes the
    post-test's form in the pre-test and the pre-test's in the post-test; everything else is the activity's bank."""
    a, s = t.activities, t.sessions
    activity = c.execute(sa.select(a).where(a.c.id == activity_id)).first()
    if activity is None:
        return None
    if activity.kind not in TESTS or activity.case_study_id:
        return activity.bank_hash
    session = c.execute(sa.select(s).where(s.c.id == activity.session_id)).first()
    siblings = [dict(r._mapping) for r in c.execute(sa.select(a).where(a.c.session_id == activity.session_id))]
    if session is None or session_design(dict(session._mapping), siblings) != "crossover":
        return activity.bank_hash
    for pre, post in test_pairs(siblings):
        if activity_id in (pre["id"], post["id"]) and pre["bank_hash"] != post["bank_hash"]:
            if ensure_sequence(c, participant_id) == "BA":
                return post["bank_hash"] if activity_id == pre["id"] else pre["bank_hash"]
            break
    return activity.bank_hash


def posttest_forms(store, activity: dict) -> list[str]:
    """The banks a post-test was taken on: its own, and in a crossover also its pre-test's (the B-then-A half took
    that form after); what a later retention check repeats."""
    siblings = store.list_activities(activity["session_id"])
    if session_design(store.find_session(activity["session_id"]), siblings) == "crossover":
        for pre, post in test_pairs(siblings):
            if post["id"] == activity["id"] and pre["bank_hash"] != post["bank_hash"]:
                return [post["bank_hash"], pre["bank_hash"]]
    return [activity["bank_hash"]]


def attempt_bank(attempt: dict | None, activity: dict) -> str:
    """The bank an attempt was taken on (older attempts, and none yet: the activity's)."""
    return (attempt or {}).get("bank_hash") or activity["bank_hash"]


def design_line(design: str | None, sequences: dict[str, int] | None = None) -> str:
    """The design in one line, for the coach's console and the report."""
    if design is None:
        return "Design: no pre-test and post-test pair in this session."
    counts = ""
    if design == "crossover" and sequences:
        counts = f" ({sequences.get('AB', 0)} A then B, {sequences.get('BA', 0)} B then A)"
    return f"Design: {DESIGN_WORDS[design]}{counts}."


def describe_session(store, session_id: str) -> str:
    """The session's design in one line, with how many people have each sequence in a crossover."""
    session = store.find_session(session_id)
    design = session_design(session, store.list_activities(session_id))
    sequences: dict[str, int] = {}
    for person in store.session_participants(session_id):
        if person.get("sequence") in SEQUENCES:
            sequences[person["sequence"]] = sequences.get(person["sequence"], 0) + 1
    return design_line(design, sequences)
