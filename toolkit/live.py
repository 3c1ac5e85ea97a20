"""What the coach sees live: scores, who is where, and pre vs post, computed in plain Python from the store.

(The facilitator's analysis after the workshop lives in toolkit.analysis; this module stays light so the
coach's screen updates in a fraction of a second.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import questions
from .bank import Question, tr
from .design import attempt_bank
from .scoring import score, score_attempt
from .store import Store

IDLE_AFTER_S = 120


def activity_questions(store: Store, activity: dict) -> tuple[Question, ...]:
    bank = store.find_bank(activity["bank_hash"])
    if activity["case_study_id"]:
        return bank.case_study(activity["case_study_id"]).prompts
    return bank.questions


def pseudonym(index: int) -> str:
    """A name for the projector that identifies nobody: the order of joining."""
    return f"Participant {index + 1}"


def display_names(store: Store, session_id: str, pseudonyms: bool) -> dict[str, str]:
    people = store.session_participants(session_id)
    if pseudonyms:
        return {p["id"]: pseudonym(i) for i, p in enumerate(people)}
    return {p["id"]: p["display_name"] or f"{pseudonym(i)} (no name)" for i, p in enumerate(people)}


@dataclass(frozen=True)
class Snapshot:
    """One activity as the coach's console sees it in one refresh: its questions, its attempts and each attempt's
    latest answers, from one read of the answer log (Store.activity_snapshots). Every figure of the console
    (who is where, how many answered, the bars, the scores, pre vs post) is computed from it by the functions
    below, which read nothing."""

    activity: dict
    asked: tuple[Question, ...]
    forms: dict[str, tuple[Question, ...]]  # bank hash → questions: each form an attempt was taken on
    attempts: tuple[dict, ...]  # in the order they started, each with last_saved_at
    answers: dict[tuple[str, str], Any]  # (attempt id, question id) → the latest answer
    last_seq: int  # the newest answer's number: with the attempts, a version of what this shows
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # figures computed from it, by function

    @property
    def started(self) -> int:
        return len(self.attempts)

    @property
    def submitted(self) -> int:
        return sum(1 for a in self.attempts if a["submitted_at"] is not None)

    @property
    def progress(self) -> dict:
        """As Store.activity_progress gives it."""
        return {"started": self.started, "submitted": self.submitted, "answers": self.answers}

    @property
    def version(self) -> tuple:
        return (self.activity["id"], self.started, self.submitted, self.last_seq)

    def by_attempt(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict] = {}
        for (attempt_id, qid), response in self.answers.items():
            result.setdefault(attempt_id, {})[qid] = response
        return result

    def form_of(self, attempt: dict) -> tuple[Question, ...]:
        return self.forms.get(attempt_bank(attempt, self.activity), self.asked)


def snapshots(store: Store, activities: list[dict]) -> dict[str, Snapshot]:
    """The snapshots of these activities, from one read of the answer log for all of them."""
    read = store.activity_snapshots(a["id"] for a in activities)
    result = {}
    for a in activities:
        rows = read[a["id"]]
        forms = {h: activity_questions(store, {**a, "bank_hash": h})
                 for h in {attempt_bank(x, a) for x in rows["attempts"]}}
        result[a["id"]] = Snapshot(a, activity_questions(store, a), forms, tuple(rows["attempts"]),
                                   rows["answers"], rows["last_seq"])
    return result


def snapshot(store: Store, activity: dict) -> Snapshot:
    return snapshots(store, [activity])[activity["id"]]


def answer_counts(asked: tuple[Question, ...], progress: dict) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Per question of `progress` (Store.activity_progress): how many have answered it, by its type's rule (the
    phone's "Saved"), and how many answers fall in each of its chart's categories."""
    by_id = {q.id: q for q in asked}
    answered: Counter = Counter()
    choices: dict[str, Counter] = {}
    for (_attempt, qid), response in progress["answers"].items():
        q = by_id.get(qid)
        if q is None or not questions.answered(q, response):
            continue
        answered[qid] += 1
        choices.setdefault(qid, Counter()).update(questions.kind(q.type).tally(q, response))
    return dict(answered), {qid: dict(c) for qid, c in choices.items()}


def answered_by_attempt(asked: tuple[Question, ...], progress: dict) -> dict[str, int]:
    """How many questions each attempt has answered, by each type's rule."""
    by_id = {q.id: q for q in asked}
    result: Counter = Counter()
    for (attempt_id, qid), response in progress["answers"].items():
        if qid in by_id and questions.answered(by_id[qid], response):
            result[attempt_id] += 1
    return dict(result)


@dataclass(frozen=True)
class Status:
    participant_id: str
    name: str
    state: str  # not started | answering | idle | submitted
    position: int
    answered: int
    total: int

    def describe(self) -> str:
        if self.state == "submitted":
            return "submitted"
        if self.state == "not started":
            return "not started"
        where = f"question {min(self.position + 1, self.total)} of {self.total}"
        return f"{where}, idle" if self.state == "idle" else where


def status_board(store: Store, session_id: str, activity: dict, pseudonyms: bool = False,
                 now: datetime | None = None, snap: Snapshot | None = None) -> list[Status]:
    """Each person of the session: not started, answering question k of n, idle, or submitted (from `snap`, the
    refresh's snapshot of the activity, when given)."""
    return board(snap or snapshot(store, activity), display_names(store, session_id, pseudonyms), now)


def board(snap: Snapshot, names: dict[str, str], now: datetime | None = None) -> list[Status]:
    """The status board of these people over a snapshot."""
    now = now or datetime.now(timezone.utc)
    total = len(snap.asked)
    attempts = {a["participant_id"]: a for a in snap.attempts}
    answered = answered_by_attempt(snap.asked, snap.progress)
    result = []
    for pid, name in names.items():
        a = attempts.get(pid)
        if a is None:
            result.append(Status(pid, name, "not started", 0, 0, total))
            continue
        last = a["last_saved_at"] or a["started_at"]
        if last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        if a["submitted_at"] is not None:
            state = "submitted"
        elif (now - last).total_seconds() > IDLE_AFTER_S:
            state = "idle"
        else:
            state = "answering"
        result.append(Status(pid, name, state, a["position"], answered.get(a["id"], 0), total))
    return result


def attempt_scores(store: Store, activity: dict) -> dict[str, float]:
    """Percent score of each participant's attempt (answers so far; unanswered count as wrong)."""
    return scores(snapshot(store, activity))


def _memo(compute):
    """Computed once per snapshot (a snapshot never changes; the console keeps one while its version holds)."""
    def once(snap: Snapshot):
        if compute.__name__ not in snap.memo:
            snap.memo[compute.__name__] = compute(snap)
        return snap.memo[compute.__name__]
    once.__name__, once.__doc__ = compute.__name__, compute.__doc__
    return once


@_memo
def scores(snap: Snapshot) -> dict[str, float]:
    """Per participant, the percent score of their attempt in the snapshot, on the form it was taken on (a
    crossover gives two); answers so far, unanswered count as wrong."""
    given = snap.by_attempt()
    result = {}
    for a in snap.attempts:
        s = score_attempt(snap.form_of(a), given.get(a["id"], {}))
        if s.max_points:
            result[a["participant_id"]] = 100 * s.fraction
    return result


def percent_right(store: Store, activity: dict) -> dict[str, float]:
    """Per scored question of the activity's form: the mean score in percent over everyone who started on that form
    (unanswered = 0), so that it agrees with the class score. (In a crossover, the other half took the other form.)"""
    return right_by_question(snapshot(store, activity))


@_memo
def right_by_question(snap: Snapshot) -> dict[str, float]:
    """percent_right over a snapshot."""
    activity = snap.activity
    questions = [q for q in snap.asked if q.scored]
    on_form = {a["id"] for a in snap.attempts if attempt_bank(a, activity) == activity["bank_hash"]}
    if not on_form:
        return {}
    totals = dict.fromkeys((q.id for q in questions), 0.0)
    by_id = {q.id: q for q in questions}
    for (attempt_id, qid), response in snap.answers.items():
        if qid in by_id and attempt_id in on_form:
            totals[qid] += score(by_id[qid], response).fraction
    return {qid: 100 * v / len(on_form) for qid, v in totals.items()}


def normalized_gain(pre: float, post: float) -> float | None:
    """Hake's class-average normalized gain <g> from class means in percent."""
    return None if pre >= 100 else (post - pre) / (100 - pre)


@dataclass(frozen=True)
class PrePost:
    by_question: list[tuple[str, float | None, float | None]]
    by_objective: list[tuple[str, float | None, float | None]]
    pre_mean: float | None
    post_mean: float | None
    gain: float | None
    n_pre: int
    n_post: int


def pre_post(store: Store, pre: dict, post: dict, snaps: dict[str, Snapshot] | None = None) -> PrePost:
    """Pre vs post side by side: per question (same form) or per position (parallel forms), and per objective
    (from the refresh's snapshots of the two activities, when given)."""
    snaps = snaps if snaps and pre["id"] in snaps and post["id"] in snaps else snapshots(store, [pre, post])
    return compare(snaps[pre["id"]], snaps[post["id"]], store.find_bank(pre["bank_hash"]).objectives)


def compare(pre: Snapshot, post: Snapshot, objectives) -> PrePost:
    """pre_post over two snapshots and the pre-test bank's objectives."""
    pre_q, post_q = pre.asked, post.asked
    pre_right, post_right = right_by_question(pre), right_by_question(post)
    same_form = [q.id for q in pre_q] == [q.id for q in post_q]
    rows = []
    for i in range(max(len(pre_q), len(post_q))):
        a = pre_q[i] if i < len(pre_q) else None
        b = post_q[i] if i < len(post_q) else None
        if (a and not a.scored) or (b and not b.scored):
            continue
        label = f"{i + 1}. {tr((a or b).text)[:70]}" if same_form else f"{i + 1}. {a.id if a else '–'} / {b.id if b else '–'}"
        rows.append((label, pre_right.get(a.id) if a else None, post_right.get(b.id) if b else None))
    by_objective = []

    def mean_for(objective: str, questions, right) -> float | None:
        values = [right[q.id] for q in questions if objective in q.objectives and q.id in right]
        return sum(values) / len(values) if values else None

    for o in objectives:
        before, after = mean_for(o.id, pre_q, pre_right), mean_for(o.id, post_q, post_right)
        if before is not None or after is not None:
            by_objective.append((f"{o.id}. {tr(o.text)}", before, after))
    pre_scores, post_scores = scores(pre), scores(post)
    pre_mean = sum(pre_scores.values()) / len(pre_scores) if pre_scores else None
    post_mean = sum(post_scores.values()) / len(post_scores) if post_scores else None
    gain = normalized_gain(pre_mean, post_mean) if pre_mean is not None and post_mean is not None else None
    return PrePost(rows, by_objective, pre_mean, post_mean, gain, len(pre_scores), len(post_scores))
