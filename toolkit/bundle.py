"""Session bundles: one file that carries a session, with everything it needs, from one store to another.

A bundle is gzip-compressed JSON that says what it is: `{"format": "toolkit-session-bundle", "version": 1, ...}`,
then the session's rows table by table (its workshop, the banks its activities used, activities, participants,
attendance, attempts, the answer log, groups, group answers, questions from the room and votes).

Integrity (bundle_key.py): the envelope carries a SHA-256 digest of everything else in it, so a bundle edited
after export (a name changed, attempts marked submitted, the file compressed again) is refused; when the office
shares a bundle key with its laptops (`toolkit bundle key`), a bundle is also signed (HMAC-SHA256), and a store that
has the key refuses a bundle not signed with it. A bundle written before digests existed (same format version: the
tables are unchanged) is read only when the importer says so (`unverified=True`).

Every value is checked against the store's rules before anything is written: the texts people type (their lengths
and characters, as `limits.clean_text` checks them at the phone), and the fields with a fixed set of values
(activity kinds and states, session and question states, sex, language, profile fields); the banks it carries
must be valid banks.

Importing merges: rows are matched by their ids (UUIDs, so sessions from several laptops never clash) and by the
uids of logged answers, so importing the same bundle twice adds nothing, and a later bundle of the same session
adds only what is new. An import adds rows and moves states forward (an activity closed since, an attempt
submitted since); it never deletes or moves anything back. Join codes: a closed session keeps its code; an open
session whose code another open session of the target store already has gets a new code, reported by the import
(codes need only be unique among open sessions, and the target's own session keeps the code people know).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import __version__, languages
from . import schema as t
from .bank import BankError, content_hash_of, parse_bank
from .bundle_key import SealBroken, check_seal, key_id, seal
from .design import DESIGNS, SEQUENCES, TESTS
from .errors import InvalidText
from .limits import clean_text, printable
from .lookup import find_session
from .store import (
    ACTIVITY_KINDS,
    ACTIVITY_STATES,
    PROFILE_CHOICES,
    PROFILE_FIELDS,
    SESSION_STATES,
    Store,
    StoreError,
    free_join_code,
)

FORMAT = "toolkit-session-bundle"
# 2: sessions.design, participants.sequence and attempts.bank_hash (counterbalanced forms, #16); a bundle of
# version 1 lacks them and reads as before (its sessions gave everyone the pre-test's form first).
VERSION = 2
# The tables of a bundle, in the order they are inserted (parents before children).
TABLES: dict[str, sa.Table] = {
    "workshops": t.workshops,
    "banks": t.banks,
    "sessions": t.sessions,
    "activities": t.activities,
    "participants": t.participants,
    "attendance": t.attendance,
    "attempts": t.attempts,
    "answers": t.answers,
    "groups": t.groups,
    "group_members": t.group_members,
    "group_answers": t.group_answers,
    "audience_questions": t.audience_questions,
    "votes": t.votes,
}
# Local sequence numbers are not carried: the importing store numbers the log rows in the bundle's order.
_LOCAL = {"seq"}
_ACTIVITY_ORDER = {"draft": 0, "open": 1, "closed": 2, "revealed": 3}
_CHUNK = 500
SEX_VALUES = ("female", "male", "undisclosed")  # what the join form and a roster store
QUESTION_STATES = ("open", "answered", "hidden")
# Typed texts and the limit they were typed under (limits.TEXT_LIMITS); a response that is text is an answer.
_TYPED = {("participants", "display_name"): "display_name", ("participants", "sex"): "sex",
          ("participants", "organisation"): "organisation", ("participants", "rank"): "rank",
          ("participants", "province"): "province", ("participants", "contact"): "contact",
          ("audience_questions", "text"): "room_question", ("answers", "response"): "open_answer",
          ("group_answers", "response"): "group_answer"}
_CHOICES = {("activities", "kind"): ACTIVITY_KINDS, ("activities", "state"): ACTIVITY_STATES,
            ("sessions", "state"): SESSION_STATES, ("participants", "sex"): SEX_VALUES,
            ("participants", "language"): languages.codes(), ("audience_questions", "state"): QUESTION_STATES,
            ("sessions", "design"): DESIGNS, ("participants", "sequence"): SEQUENCES}


class BadBundle(StoreError):
    """The file is not a bundle this toolkit can import; nothing was written."""


# ------------------------------------------------------------------ export


def session_rows(store: Store, session_id: str) -> dict[str, list[dict]]:
    """Every row that belongs to the session, by table, in the store's order."""
    s = t
    acts = sa.select(s.activities.c.id).where(s.activities.c.session_id == session_id)
    atts = sa.select(s.attempts.c.id).where(s.attempts.c.activity_id.in_(acts))
    grps = sa.select(s.groups.c.id).where(s.groups.c.activity_id.in_(acts))
    qs = sa.select(s.audience_questions.c.id).where(s.audience_questions.c.session_id == session_id)
    people = sa.union(
        sa.select(s.attendance.c.participant_id).where(s.attendance.c.session_id == session_id),
        sa.select(s.attempts.c.participant_id).where(s.attempts.c.activity_id.in_(acts)),
        sa.select(s.group_members.c.participant_id).where(s.group_members.c.group_id.in_(grps)),
        sa.select(s.group_answers.c.participant_id).where(s.group_answers.c.group_id.in_(grps)),
        sa.select(s.audience_questions.c.participant_id).where(s.audience_questions.c.session_id == session_id),
        sa.select(s.votes.c.participant_id).where(s.votes.c.question_id.in_(qs)),
    )
    workshops = sa.union(  # the session's, and any other a returning participant joined first
        sa.select(s.sessions.c.workshop_id).where(s.sessions.c.id == session_id),
        sa.select(s.participants.c.workshop_id).where(s.participants.c.id.in_(people)),
    )
    queries = {
        "workshops": sa.select(s.workshops).where(s.workshops.c.id.in_(workshops)).order_by(s.workshops.c.id),
        "banks": sa.select(s.banks).where(s.banks.c.hash.in_(
            sa.select(s.activities.c.bank_hash).where(s.activities.c.session_id == session_id))).order_by(s.banks.c.hash),
        "sessions": sa.select(s.sessions).where(s.sessions.c.id == session_id),
        "activities": sa.select(s.activities).where(s.activities.c.session_id == session_id)
        .order_by(s.activities.c.position),
        "participants": sa.select(s.participants).where(s.participants.c.id.in_(people))
        .order_by(s.participants.c.created_at, s.participants.c.id),
        "attendance": sa.select(s.attendance).where(s.attendance.c.session_id == session_id)
        .order_by(s.attendance.c.joined_at, s.attendance.c.participant_id),
        "attempts": sa.select(s.attempts).where(s.attempts.c.activity_id.in_(acts)).order_by(s.attempts.c.id),
        "answers": sa.select(s.answers).where(s.answers.c.attempt_id.in_(atts)).order_by(s.answers.c.seq),
        "groups": sa.select(s.groups).where(s.groups.c.activity_id.in_(acts)).order_by(s.groups.c.id),
        "group_members": sa.select(s.group_members).where(s.group_members.c.group_id.in_(grps))
        .order_by(s.group_members.c.group_id, s.group_members.c.participant_id),
        "group_answers": sa.select(s.group_answers).where(s.group_answers.c.group_id.in_(grps))
        .order_by(s.group_answers.c.seq),
        "audience_questions": sa.select(s.audience_questions).where(s.audience_questions.c.session_id == session_id)
        .order_by(s.audience_questions.c.asked_at, s.audience_questions.c.id),
        "votes": sa.select(s.votes).where(s.votes.c.question_id.in_(qs))
        .order_by(s.votes.c.question_id, s.votes.c.participant_id),
    }
    with store.read() as c:  # one snapshot for every table, even while answers arrive
        if c.dialect.name == "postgresql":  # (SQLite's read transaction is one already)
            c.execution_options(isolation_level="REPEATABLE READ")
        return {name: [_to_json(TABLES[name], r._mapping) for r in c.execute(q)] for name, q in queries.items()}


def export_bundle(store: Store, session: str, out: str | Path, key: bytes | None = None) -> dict:
    """Write the session (named by join code or id) to one bundle file, signed when a key is given; returns a
    summary."""
    found = find_session(store, session)
    rows = session_rows(store, found["id"])
    bundle = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "toolkit_version": __version__,
        "schema_revision": store.revision(),
        "session_id": found["id"],
        "counts": {name: len(v) for name, v in rows.items()},
        "tables": rows,
    }
    bundle = seal(bundle, key)
    data = gzip.compress(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a bundle cut short by a full disk is never left under its name.
    fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"session_id": found["id"], "title": found["title"], "join_code": found["join_code"],
            "path": str(out), "bytes": len(data), "counts": bundle["counts"],
            "key_id": key_id(key) if key is not None else None}


def _to_json(table: sa.Table, row) -> dict:
    out = {}
    for col in table.columns:
        if col.name in _LOCAL:
            continue
        v = row[col.name]
        if isinstance(v, datetime):
            # SQLite hands back naive datetimes; the store writes them in UTC.
            v = (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
        elif isinstance(v, date):
            v = v.isoformat()
        out[col.name] = v
    return out


# ------------------------------------------------------------------ reading and checking


def read_bundle(path: str | Path, key: bytes | None = None, unverified: bool = False) -> dict:
    """The bundle in the file, checked from top to bottom; BadBundle says what is wrong.

    With a `key`, the bundle must be signed with it; `unverified` reads a bundle that carries no digest (or, with
    a key, no signature), never one whose digest or signature does not match.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadBundle(f"Cannot read {path}: {e.strerror}.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError):
            raise BadBundle(f"{path} is cut short or damaged (the compressed data does not end properly); "
                            f"export the session again.") from None
    try:
        bundle = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadBundle(f"{path} is not a session bundle (make one with `toolkit bundle export`).") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BadBundle(f"{path} is not a session bundle (make one with `toolkit bundle export`).")
    version = bundle.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadBundle(f"{path}: the bundle's format version {version!r} is not valid.")
    if version > VERSION:
        raise BadBundle(f"{path} was made by a newer version of the toolkit (bundle format {version}); this one "
                        f"reads format {VERSION}. Upgrade the toolkit here to import it.")
    try:
        checked = check_seal(path, bundle, key, unverified)
    except SealBroken as e:
        raise BadBundle(str(e)) from None
    tables = bundle.get("tables")
    if not isinstance(tables, dict):
        raise BadBundle(f"{path}: the bundle has no tables.")
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise BadBundle(f"{path}: unknown table(s) {', '.join(sorted(unknown))}.")
    parsed = {name: [_from_json(path, name, r) for r in _rows(path, tables, name)] for name in TABLES}
    counts = bundle.get("counts") or {}
    for name, rows in parsed.items():
        if name in counts and counts[name] != len(rows):
            raise BadBundle(f"{path}: {name} holds {len(rows)} rows but the bundle says {counts[name]}.")
    sessions = parsed["sessions"]
    if len(sessions) != 1 or sessions[0]["workshop_id"] not in {w["id"] for w in parsed["workshops"]}:
        raise BadBundle(f"{path}: a bundle holds exactly one session and its workshop.")
    _check_references(path, parsed)
    _check_values(path, parsed)
    banks = {}
    for bank in parsed["banks"]:
        if content_hash_of(bank["content"]) != bank["hash"]:
            raise BadBundle(f"{path}: the content of bank {bank['bank_id']} does not match its hash; "
                            f"the file was changed after export.")
        try:  # the consoles and phones rebuild the bank from this content: it must be a bank
            banks[bank["hash"]] = parse_bank(bank["content"], f"bank {bank['bank_id']}", bank["hash"])
        except BankError as e:
            raise BadBundle(f"{path}: the bank {bank['bank_id']} it carries is not a valid bank "
                            f"({'; '.join(e.problems[:3])}); nothing was written.") from None
    for n, activity in enumerate(parsed["activities"], 1):
        case = activity["case_study_id"]
        if case is not None and case not in {c.id for c in banks[activity["bank_hash"]].case_studies}:
            raise BadBundle(f"{path}: activities row {n}: case study {case!r} is not in its bank; nothing was "
                            f"written.")
    _check_forms(path, parsed)
    return {**bundle, "tables": parsed, "session": sessions[0], "checked": checked}


def _check_forms(path: Path, parsed: dict[str, list[dict]]) -> None:
    """An attempt's form is its activity's bank, or for a pre- or post-test, the bank of one of the session's
    tests (a crossover gives half the room the other form)."""
    activities = {a["id"]: a for a in parsed["activities"]}
    tests = {a["bank_hash"] for a in parsed["activities"] if a["kind"] in TESTS and not a["case_study_id"]}
    for n, attempt in enumerate(parsed["attempts"], 1):
        activity = activities[attempt["activity_id"]]
        allowed = {activity["bank_hash"]} | (tests if activity["kind"] in TESTS else set())
        if attempt["bank_hash"] is not None and attempt["bank_hash"] not in allowed:
            raise BadBundle(f"{path}: attempts row {n}: bank_hash {attempt['bank_hash'][:12]!r} is not a form of its "
                            f"activity {activity['title']!r}; nothing was written.")


def _check_values(path: Path, parsed: dict[str, list[dict]]) -> None:
    """Every value is one the store itself would have taken: typed texts within their limits and characters,
    fixed fields within their values, and no text anywhere with a NUL or another control character."""
    for name, table in TABLES.items():
        texts = [c.name for c in table.columns if c.name not in _LOCAL and isinstance(c.type, (sa.String, sa.JSON))
                 and not (name == "banks" and c.name == "content")]  # (a bank's content is checked by its hash)
        for n, row in enumerate(parsed[name], 1):
            where = f"{path}: {name} row {n}"
            for (table_name, column), allowed in _CHOICES.items():
                if table_name == name and row[column] is not None and row[column] not in allowed:
                    raise BadBundle(f"{where}: {column} is {row[column]!r}, which the store does not take (it takes "
                                    f"{', '.join(allowed)}); nothing was written.")
            if name == "workshops" and not (isinstance(row["profile_fields"], dict) and all(
                    k in PROFILE_FIELDS and v in PROFILE_CHOICES for k, v in row["profile_fields"].items())):
                raise BadBundle(f"{where}: profile_fields is {row['profile_fields']!r}; the store takes the fields "
                                f"{', '.join(PROFILE_FIELDS)}, each {', '.join(PROFILE_CHOICES)}; nothing was written.")
            for column in texts:
                value, field = row[column], _TYPED.get((name, column))
                if field is not None and (isinstance(value, str) or not isinstance(table.c[column].type, sa.JSON)):
                    try:
                        clean_text(value, field)
                    except InvalidText as e:
                        raise BadBundle(f"{where}: {column}: {e} The store would not have taken it; nothing was "
                                        f"written.") from None
                elif not all(printable(v) for v in _strings(value)):
                    raise BadBundle(f"{where}: {column} holds a NUL or another control character, which the store "
                                    f"does not take; nothing was written.")


def _strings(value: Any):
    """Every text in a value (a JSON answer may hold lists and mappings of texts)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)


def _check_references(path: Path, parsed: dict[str, list[dict]]) -> None:
    """Every row the bundle's rows point at is in the bundle: it carries its session whole."""
    for name, table in TABLES.items():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            known = {r[fk.column.name] for r in parsed[target]}
            for row in parsed[name]:
                if row[fk.parent.name] not in known:
                    raise BadBundle(f"{path}: {name}.{fk.parent.name} refers to {row[fk.parent.name]!r}, which is not "
                                    f"in the bundle's {target}; the file was changed after export.")


def _rows(path: Path, tables: dict, name: str) -> list:
    rows = tables.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadBundle(f"{path}: table {name} must be a list of rows.")
    return rows


def _from_json(path: Path, name: str, row: dict) -> dict:
    table = TABLES[name]
    columns = {c.name: c for c in table.columns if c.name not in _LOCAL}
    unknown = set(row) - set(columns)
    if unknown:
        raise BadBundle(f"{path}: {name} has unknown column(s) {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    for col_name, col in columns.items():
        v = row.get(col_name)
        if v is None:
            if not col.nullable:
                raise BadBundle(f"{path}: a row of {name} has no {col_name}.")
            out[col_name] = None
            continue
        try:
            out[col_name] = _value(col.type, v)
        except (TypeError, ValueError):
            raise BadBundle(f"{path}: {name}.{col_name} holds {v!r}, which is not a valid value.") from None
    return out


def _value(kind: sa.types.TypeEngine, v: Any) -> Any:
    if isinstance(kind, sa.DateTime):
        if not isinstance(v, str):
            raise TypeError
        d = datetime.fromisoformat(v)
        return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(kind, sa.Date):
        if not isinstance(v, str):
            raise TypeError
        return date.fromisoformat(v)
    if isinstance(kind, sa.Boolean):
        if not isinstance(v, bool):
            raise TypeError
        return v
    if isinstance(kind, sa.Integer):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError
        return v
    if isinstance(kind, sa.String):  # also Text
        if not isinstance(v, str) or (kind.length and len(v) > kind.length):
            raise ValueError
        return v
    return v  # JSON


# ------------------------------------------------------------------ import


def import_bundle(store: Store, path: str | Path, key: bytes | None = None, unverified: bool = False) -> dict:
    """Merge the bundle into the store in one transaction; returns what was added and changed.

    A bad file raises BadBundle before anything is written; a bundle the store cannot take is rolled back.
    `key` and `unverified` are read_bundle's.
    """
    bundle = read_bundle(path, key, unverified)
    tables = bundle["tables"]
    session = bundle["session"]
    store.backup_quietly()  # a SQLite store is copied first: an unwanted merge can be undone from backups/
    added: dict[str, int] = {}
    changed: list[str] = []
    try:
        with store.transaction() as c:
            for name in ("workshops", "banks"):
                added[name] = _insert_missing(store, c, name, tables[name])
            recoded = _merge_session(store, c, session, added, changed)
            added["activities"] = _insert_missing(store, c, "activities", tables["activities"])
            changed += _advance_activities(c, tables["activities"])
            for name in ("participants", "attendance"):
                added[name] = _insert_missing(store, c, name, tables[name])
            added["attempts"] = _insert_missing(store, c, "attempts", tables["attempts"])
            attempt_ids = _attempt_ids(c, tables["attempts"])
            changed += _advance_attempts(c, tables["attempts"], attempt_ids)
            answers = [{**a, "attempt_id": attempt_ids.get(a["attempt_id"], a["attempt_id"])} for a in tables["answers"]]
            added["answers"] = _insert_missing(store, c, "answers", answers)
            added["groups"] = _insert_missing(store, c, "groups", tables["groups"])
            added["group_members"] = _insert_missing(store, c, "group_members", _free_members(c, tables))
            for name in ("group_answers", "audience_questions", "votes"):
                added[name] = _insert_missing(store, c, name, tables[name])
            changed += _advance_questions(c, tables["audience_questions"])
    except sa.exc.DBAPIError as e:  # a row the store refused (a broken reference, a value too long)
        raise BadBundle(f"{path} could not be imported; nothing was written. The store refused a row: {e.orig}") from None
    final = store.find_session(session["id"])
    return {"session_id": session["id"], "title": session["title"], "join_code": final["join_code"],
            "recoded_from": recoded, "added": added, "changed": changed, "checked": bundle["checked"]}


def _key(name: str) -> list[str]:
    table = TABLES[name]
    if name in ("answers", "group_answers"):
        return ["uid"]
    return [c.name for c in table.primary_key.columns]


def _existing(c: sa.Connection, name: str, keys: list[tuple]) -> set[tuple]:
    table = TABLES[name]
    cols = [table.c[k] for k in _key(name)]
    found: set[tuple] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i:i + _CHUNK]
        where = cols[0].in_([k[0] for k in chunk]) if len(cols) == 1 else sa.tuple_(*cols).in_(chunk)
        found.update(tuple(r) for r in c.execute(sa.select(*cols).where(where)))
    return found


def _insert_missing(store: Store, c: sa.Connection, name: str, rows: list[dict]) -> int:
    """Insert the rows the store does not have yet, in the bundle's order; returns how many."""
    if not rows:
        return 0
    key = _key(name)
    keys = [tuple(r[k] for k in key) for r in rows]
    have = _existing(c, name, keys)
    missing, seen = [], set(have)
    for row, k in zip(rows, keys, strict=True):
        if k not in seen:  # a row the bundle holds twice (the same answer uid) is one row
            seen.add(k)
            missing.append(row)
    if not missing:
        return 0
    # ignoring duplicates as well: a unique rule other than the key (one attempt per activity) was checked apart
    c.execute(store.insert_ignoring_duplicates(TABLES[name]), missing)
    # what was stored, counted in the store: a row refused by another unique rule is not counted
    return len(_existing(c, name, list(dict.fromkeys(keys))) - have)


def _merge_session(store: Store, c: sa.Connection, session: dict, added: dict, changed: list) -> str | None:
    """Insert the session or move its state forward; an open session whose code is taken gets a new one."""
    s = t.sessions
    existing = c.execute(sa.select(s).where(s.c.id == session["id"])).first()
    if existing is not None:
        added["sessions"] = 0
        if existing.state == "open" and session["state"] == "closed":
            c.execute(s.update().where(s.c.id == session["id"]).values(state="closed"))
            changed.append(f"session {session['title']!r} closed")
        return None
    row = dict(session)
    recoded = None
    if row["state"] == "open" and c.execute(
            sa.select(s.c.id).where(s.c.join_code == row["join_code"], s.c.state == "open")).first() is not None:
        recoded, row["join_code"] = row["join_code"], free_join_code(c)
    c.execute(s.insert().values(**row))
    added["sessions"] = 1
    return recoded


def _advance_activities(c: sa.Connection, rows: list[dict]) -> list[str]:
    a = t.activities
    notes = []
    for row in rows:
        cur = c.execute(sa.select(a).where(a.c.id == row["id"])).first()
        values: dict[str, Any] = {k: row[k] for k in ("opened_at", "closed_at", "revealed_at")
                                  if row[k] is not None and getattr(cur, k) is None}
        if _ACTIVITY_ORDER.get(row["state"], 0) > _ACTIVITY_ORDER.get(cur.state, 0):
            values["state"] = row["state"]
            notes.append(f"activity {row['title']!r} {cur.state} -> {row['state']}")
        if values:
            c.execute(a.update().where(a.c.id == row["id"]).values(**values))
    return notes


def _attempt_ids(c: sa.Connection, rows: list[dict]) -> dict[str, str]:
    """The bundle's attempt id -> the store's: the same participant's attempt may already have another id here."""
    a = t.attempts
    mapping = {}
    for row in rows:
        here = c.execute(sa.select(a.c.id).where(a.c.activity_id == row["activity_id"],
                                                 a.c.participant_id == row["participant_id"])).scalar()
        if here is not None and here != row["id"]:
            mapping[row["id"]] = here
    return mapping


def _advance_attempts(c: sa.Connection, rows: list[dict], ids: dict[str, str]) -> list[str]:
    a = t.attempts
    submitted = 0
    for row in rows:
        if row["submitted_at"] is None:
            continue
        n = c.execute(a.update().where(a.c.id == ids.get(row["id"], row["id"]), a.c.submitted_at.is_(None))
                      .values(submitted_at=row["submitted_at"])).rowcount
        submitted += n
    return [f"{submitted} attempt(s) submitted"] if submitted else []


def _free_members(c: sa.Connection, tables: dict) -> list[dict]:
    """Memberships to add: a participant already in another group of the activity here stays there."""
    activity_of = {g["id"]: g["activity_id"] for g in tables["groups"]}
    g, m = t.groups, t.group_members
    rows = []
    for member in tables["group_members"]:
        elsewhere = c.execute(
            sa.select(m.c.group_id).join(g, g.c.id == m.c.group_id)
            .where(g.c.activity_id == activity_of.get(member["group_id"]), m.c.participant_id == member["participant_id"],
                   m.c.group_id != member["group_id"])).first()
        if elsewhere is None:
            rows.append(member)
    return rows


def _advance_questions(c: sa.Connection, rows: list[dict]) -> list[str]:
    q = t.audience_questions
    n = 0
    for row in rows:
        if row["state"] != "open":
            n += c.execute(q.update().where(q.c.id == row["id"], q.c.state == "open").values(state=row["state"])).rowcount
    return [f"{n} question(s) from the room answered or hidden"] if n else []
