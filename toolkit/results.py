"""A store's results as tidy DataFrames, in the shapes toolkit.analysis reads.

Read-only, and only through the Store's verbs (it never writes, and never writes SQL). The answers frame has
one row per participant × scored question of every pre-test, post-test and check they started, unanswered
questions included with 0 points (as toolkit.scoring.score_attempt counts them); the survey and confidence
frames have one row per answer given, with the `moment` ('before' | 'after') the activity stands for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from . import questions
from .bank import Bank, tr
from .design import attempt_bank, session_design
from .scoring import score
from .store import Store

SCORED_KINDS = ("pretest", "posttest", "check", "retention")  # retention: a later session repeats post-test items
RATED_KINDS = ("survey", "confidence")
BEFORE, AFTER = "before", "after"
_BEFORE_WORDS = re.compile(r"\b(before|pre|start|beginning)\b", re.IGNORECASE)
_AFTER_WORDS = re.compile(r"\b(after|post|end|final)\b", re.IGNORECASE)

ANSWER_COLUMNS = ["workshop_id", "workshop", "session_id", "session", "session_position", "activity_id", "activity",
                  "activity_kind", "activity_position", "bank_id", "form", "participant_id", "question_id",
                  "question_position", "question_type", "objective", "points", "max_points", "response", "answered",
                  "submitted"]
RATING_COLUMNS = ["workshop_id", "session_id", "session_position", "activity_id", "activity", "activity_kind",
                  "moment", "bank_id", "participant_id", "question_id", "question_type", "objective", "response",
                  "submitted"]
PARTICIPANT_COLUMNS = ["participant_id", "workshop_id", "display_name", "sex", "organisation", "rank", "province",
                       "language", "match_code_hash", "joined_at", "sessions_attended", "sequence"]


@dataclass(frozen=True)
class Results:
    """Every table of a store (or of some of its workshops and sessions), ready for toolkit.analysis."""

    workshops: pd.DataFrame  # workshop_id, workshop, place, starts_on, ends_on, organiser, cohort
    sessions: pd.DataFrame  # session_id, workshop_id, session, join_code, state, position, created_at, design
    activities: pd.DataFrame  # activity_id, session_id, workshop_id, activity, activity_kind, position, state, ...
    questions: pd.DataFrame  # bank_id, form, question_id, position, question_type, text, objective, max_points, key…
    objectives: pd.DataFrame  # bank_id, objective, text
    participants: pd.DataFrame  # PARTICIPANT_COLUMNS
    attendance: pd.DataFrame  # session_id, participant_id, joined_at
    answers: pd.DataFrame  # ANSWER_COLUMNS
    survey: pd.DataFrame  # RATING_COLUMNS, reaction surveys
    confidence: pd.DataFrame  # RATING_COLUMNS, confidence self-assessments

    @property
    def empty(self) -> bool:
        return self.sessions.empty

    def select(self, workshops: Iterable[str] | None = None, sessions: Iterable[str] | None = None,
               participants: Iterable[str] | None = None) -> Results:
        """The results of some workshops, sessions and participants only (None: all of them)."""
        frames = {f.name: getattr(self, f.name) for f in fields(self)}
        if workshops is not None:
            keep = set(workshops)
            for name, frame in frames.items():
                if "workshop_id" in frame.columns:
                    frames[name] = frame[frame["workshop_id"].isin(keep)]
            frames["attendance"] = frames["attendance"][frames["attendance"]["session_id"].isin(
                frames["sessions"]["session_id"])]
        if sessions is not None:
            keep = set(sessions)
            for name in ("sessions", "activities", "attendance", "answers", "survey", "confidence"):
                frames[name] = frames[name][frames[name]["session_id"].isin(keep)]
            present = set(frames["attendance"]["participant_id"])
            frames["participants"] = frames["participants"][frames["participants"]["participant_id"].isin(present)]
        if participants is not None:
            keep = set(participants)
            for name in ("participants", "attendance", "answers", "survey", "confidence"):
                frames[name] = frames[name][frames[name]["participant_id"].isin(keep)]
        if sessions is not None or participants is not None:
            counts = frames["attendance"].groupby("participant_id").size()
            people = frames["participants"]
            frames["participants"] = people.assign(
                sessions_attended=people["participant_id"].map(counts).fillna(0).astype(int))
        return replace(self, **{k: v.reset_index(drop=True) for k, v in frames.items()})


def moment_of(activity: dict, session_activities: list[dict]) -> str:
    """'before' or 'after' the teaching: from the title when it says ("Confidence (before)"), else from its place.

    Placed before the session's first post-test it is 'before', after it 'after'; with no post-test, before
    the pre-test is 'before'; with no test at all, the first of several activities of its kind is 'before'
    and any later one (or a lone survey) 'after'.
    """
    title = activity.get("title") or ""
    after, before = bool(_AFTER_WORDS.search(title)), bool(_BEFORE_WORDS.search(title))
    if before != after:
        return BEFORE if before else AFTER
    position = activity["position"]
    posts = [a["position"] for a in session_activities if a["kind"] == "posttest"]
    if posts:
        return BEFORE if position < min(posts) else AFTER
    pres = [a["position"] for a in session_activities if a["kind"] == "pretest"]
    if pres:
        return BEFORE if position < min(pres) else AFTER
    same = sorted(a["position"] for a in session_activities if a["kind"] == activity["kind"])
    if len(same) > 1:
        return BEFORE if position == same[0] else AFTER
    return AFTER if activity["kind"] == "survey" else BEFORE


def _objective(objectives: tuple[str, ...]) -> str | list[str] | None:
    """One objective as a string (the usual case), several as a list, none as None (toolkit.analysis reads all)."""
    if not objectives:
        return None
    return objectives[0] if len(objectives) == 1 else list(objectives)




def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


class _Reader:
    """Collects the rows of every table while walking the store's workshops, sessions and activities."""

    def __init__(self, store: Store, kinds: Iterable[str] | None = None, snapshots: Mapping[str, Any] | None = None):
        self.store = store
        self.kinds = set(kinds) if kinds is not None else None
        self.snapshots = snapshots or {}
        self.rows: dict[str, list[dict]] = {name: [] for name in (
            "workshops", "sessions", "activities", "questions", "objectives", "attendance", "answers", "survey",
            "confidence")}
        self.people: dict[str, dict] = {}
        self.banks_seen: set[str] = set()

    def workshop(self, w: dict, session_ids: set[str] | None) -> None:
        self.rows["workshops"].append({"workshop_id": w["id"], "workshop": w["title"], "place": w["place"],
                                       "starts_on": w["starts_on"], "ends_on": w["ends_on"],
                                       "organiser": w["organiser"], "cohort": w["cohort"]})
        sessions = sorted(self.store.list_sessions(w["id"]), key=lambda s: (s["created_at"], s["id"]))
        for position, s in enumerate(sessions, start=1):
            if session_ids is None or s["id"] in session_ids:
                self.session(w, s, position)

    def session(self, w: dict, s: dict, position: int) -> None:
        self.rows["sessions"].append({"session_id": s["id"], "workshop_id": w["id"], "session": s["title"],
                                      "join_code": s["join_code"], "state": s["state"], "position": position,
                                      "created_at": s["created_at"],
                                      "design": session_design(s, self.store.list_activities(s["id"]))})
        for p in self.store.session_participants(s["id"]):
            self.rows["attendance"].append({"session_id": s["id"], "participant_id": p["id"],
                                            "joined_at": p["joined_at"]})
            known = self.people.get(p["id"])
            if known is None or p["joined_at"] < known["joined_at"]:
                self.people[p["id"]] = {"participant_id": p["id"], "workshop_id": p["workshop_id"],
                                        "display_name": p["display_name"], "sex": p["sex"],
                                        "organisation": p["organisation"], "rank": p["rank"],
                                        "province": p["province"], "language": p["language"],
                                        "match_code_hash": p["match_code_hash"], "joined_at": p["joined_at"],
                                        "sequence": p.get("sequence")}
        activities = self.store.list_activities(s["id"])
        context = {"workshop_id": w["id"], "workshop": w["title"], "session_id": s["id"], "session": s["title"],
                   "session_position": position}
        for a in activities:
            self.activity(a, activities, context)

    def bank(self, bank: Bank) -> None:
        if bank.hash in self.banks_seen:
            return
        self.banks_seen.add(bank.hash)
        for o in bank.objectives:
            self.rows["objectives"].append({"bank_id": bank.id, "objective": o.id, "text": tr(o.text)})
        for i, q in enumerate(bank.questions, start=1):
            self.rows["questions"].append({
                "bank_id": bank.id, "bank_hash": bank.hash, "form": bank.id, "question_id": q.id, "position": i,
                "question_type": q.type, "text": tr(q.text), "objective": _objective(q.objectives),
                "max_points": q.points if q.scored else None, "scored": q.scored, "difficulty": q.difficulty,
                "n_options": len(q.options), "key": q.key, "options": [o.id for o in q.options]})

    def activity(self, a: dict, siblings: list[dict], context: dict) -> None:
        bank = self.store.find_bank(a["bank_hash"])
        moment = moment_of(a, siblings) if a["kind"] in RATED_KINDS else None
        self.rows["activities"].append({
            "activity_id": a["id"], "session_id": context["session_id"], "workshop_id": context["workshop_id"],
            "activity": a["title"], "activity_kind": a["kind"], "position": a["position"], "state": a["state"],
            "bank_id": bank.id, "form": bank.id, "bank_hash": bank.hash, "moment": moment})
        if a["kind"] not in SCORED_KINDS + RATED_KINDS or a["case_study_id"]:
            return  # case studies are group work: their answers are the groups', not a person's
        if self.kinds is not None and a["kind"] not in self.kinds:
            return
        self.bank(bank)
        snap = self.snapshots.get(a["id"])
        attempts = list(snap.attempts) if snap is not None else self.store.list_attempts(a["id"])
        latest: dict[str, dict] = {}
        answers = snap.answers if snap is not None else self.store.activity_progress(a["id"])["answers"]
        for (attempt_id, question_id), response in answers.items():
            latest.setdefault(attempt_id, {})[question_id] = response
        base = {**context, "activity_id": a["id"], "activity": a["title"], "activity_kind": a["kind"],
                "bank_id": bank.id}
        for attempt in attempts:
            given = latest.get(attempt["id"], {})
            person = {"participant_id": attempt["participant_id"], "submitted": attempt["submitted_at"] is not None}
            taken = self.store.find_bank(attempt_bank(attempt, a))  # a crossover's other half took the other form
            self.bank(taken)
            if a["kind"] in SCORED_KINDS:
                self.scored(taken, {**base, "bank_id": taken.id}, a["position"], person, given)
                if a["kind"] == "check":  # a check's unscored questions (a word cloud) are the room's opinions
                    self.rated(taken, {**base, "moment": None}, person, given, "survey")
            else:
                self.rated(taken, {**base, "bank_id": taken.id, "moment": moment}, person, given, a["kind"])

    def scored(self, bank: Bank, base: dict, position: int, person: dict, given: dict) -> None:
        for i, q in enumerate(bank.questions, start=1):
            if not q.scored:
                continue
            response = given.get(q.id)
            s = score(q, response)
            self.rows["answers"].append({
                **base, "activity_position": position, "form": bank.id, **person, "question_id": q.id,
                "question_position": i, "question_type": q.type, "objective": _objective(q.objectives),
                "points": s.points, "max_points": s.max_points, "response": response,
                "answered": questions.answered(q, response)})

    def rated(self, bank: Bank, base: dict, person: dict, given: dict, kind: str) -> None:
        for q in bank.questions:
            response = given.get(q.id)
            if q.scored or not questions.answered(q, response):
                continue
            self.rows[kind].append({
                **base, **person, "question_id": q.id, "question_type": q.type,
                "objective": q.objectives[0] if q.objectives else None,
                "response": response.strip() if isinstance(response, str) else response})

    def results(self) -> Results:
        attendance = _frame(self.rows["attendance"], ["session_id", "participant_id", "joined_at"])
        counts = attendance.groupby("participant_id").size()
        people = [{**p, "sessions_attended": int(counts.get(pid, 0))} for pid, p in self.people.items()]
        rated = RATING_COLUMNS
        return Results(
            workshops=_frame(self.rows["workshops"], ["workshop_id", "workshop", "place", "starts_on", "ends_on",
                                                      "organiser", "cohort"]),
            sessions=_frame(self.rows["sessions"], ["session_id", "workshop_id", "session", "join_code", "state",
                                                    "position", "created_at", "design"]),
            activities=_frame(self.rows["activities"], ["activity_id", "session_id", "workshop_id", "activity",
                                                        "activity_kind", "position", "state", "bank_id", "form",
                                                        "bank_hash", "moment"]),
            questions=_frame(self.rows["questions"], ["bank_id", "bank_hash", "form", "question_id", "position",
                                                      "question_type", "text", "objective", "max_points", "scored",
                                                      "difficulty", "n_options", "key", "options"]),
            objectives=_frame(self.rows["objectives"], ["bank_id", "objective", "text"]).drop_duplicates(
                ["bank_id", "objective"], ignore_index=True),
            participants=_frame(sorted(people, key=lambda p: (p["joined_at"], p["participant_id"])),
                                PARTICIPANT_COLUMNS),
            attendance=attendance,
            answers=_frame(self.rows["answers"], ANSWER_COLUMNS),
            survey=_frame([{c: r.get(c) for c in rated} for r in self.rows["survey"]], rated),
            confidence=_frame([{c: r.get(c) for c in rated} for r in self.rows["confidence"]], rated),
        )


def load_results(store: Store, workshop_ids: Iterable[str] | None = None,
                 session_ids: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
                 snapshots: Mapping[str, Any] | None = None) -> Results:
    """Every table of the store, or of the given workshops and sessions (a session brings its workshop).

    With `kinds`, only the answers of activities of those kinds are read. `snapshots` (the coach's console:
    toolkit.live.Snapshot by activity id) give the attempts and latest answers of their activities instead of
    a read of the store."""
    sessions = set(session_ids) if session_ids is not None else None
    wanted = set(workshop_ids) if workshop_ids is not None else None
    if sessions is not None:
        wanted = (wanted or set()) | {store.find_session(s)["workshop_id"] for s in sessions}
    workshops = [w for w in store.list_workshops() if wanted is None or w["id"] in wanted]
    workshops.sort(key=lambda w: (w["starts_on"] is None, w["starts_on"] or w["created_at"].date(), w["created_at"]))
    reader = _Reader(store, kinds, snapshots)
    for w in workshops:
        reader.workshop(w, sessions)
    return reader.results()


def tested_answers(results: Results, kinds: tuple[str, ...] = ("pretest", "posttest")) -> pd.DataFrame:
    """Pre- and post-test rows (or those of `kinds`) of the attempts in which the person answered at least one
    question: what the pre/post figures are computed from, on the coach's console as in the report."""
    a = results.answers
    a = a[a["activity_kind"].isin(kinds)]
    took = a.groupby(["activity_id", "participant_id"])["answered"].transform("any").astype(bool)
    return a[took].reset_index(drop=True)
