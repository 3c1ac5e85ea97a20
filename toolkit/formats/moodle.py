"""Moodle's question model, shared by GIFT and Moodle XML: what each Moodle type becomes in a bank, and back.

Each bank type reads and writes its own Moodle questions (toolkit.questions: `reads_moodle` and `from_moodle`,
`moodle_type` and `to_moodle`); this module holds what they share (MQuestion, Reading, the grades Moodle takes).

Moodle type      bank type                     what the bank cannot hold (reported per question)
multichoice 1    single (classification*)      partial credit, penalties, several full-credit answers
multichoice N    multiple                      weights other than 1/k per right option and -1/k per wrong one
truefalse        truefalse                     feedback per answer (kept in the question's feedback)
matching         matching                      -
numerical        numeric                       further answers with partial credit, feedback per answer, units ≠ 1
shortanswer      short, or numeric when exact  case told apart (usecase 1), wildcards (*), feedback per answer
essay            open                          -
ordering         ordering                      other grading types, showing only some of the items
description      -                             skipped: there is no question to answer
category         an objective                  -
* with a toolkit comment, which also restores ids, objectives, difficulty, points and units.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import languages, questions
from ..bank import PRESET_OPTIONS, Bank, Question
from .common import (
    CHANGED,
    ERROR,
    SKIPPED,
    TODO,
    Draft,
    Export,
    Text,
    as_text,
    compact,
    join_texts,
    letters,
    num,
    question_meta,
    short,
)

# The only grades Moodle accepts for an answer (question/engine/bank.php, fraction_options_full: p/q for q <= 6,
# p/10, 1/q for q <= 10, and 1/20; each also negative): 1/11 (9.09091%) makes Moodle refuse the whole file.
MOODLE_GRADES = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2, 0.1666667,
                 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0)
EPS = 1e-5


def moodle_accepts(fraction: float) -> bool:
    """Whether Moodle accepts `fraction` as an answer's grade (as written, to 5 decimals of a percent)."""
    return any(abs(abs(round(fraction * 100, 5) / 100) - g) < 1e-6 for g in MOODLE_GRADES)


@dataclass
class Answer:
    text: Text
    fraction: float = 0.0
    feedback: Text = field(default_factory=dict)
    tolerance: float = 0.0
    value: str = ""  # numerical: the number as written, '*' for any other answer


@dataclass
class MQuestion:
    qtype: str
    line: int
    name: str = ""
    idnumber: str = ""
    text: Text = field(default_factory=dict)
    general_feedback: Text = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    single: bool = True
    pairs: list[tuple[Text, Text]] = field(default_factory=list)  # matching: (sub-question, its answer)
    units: list[tuple[str, float]] = field(default_factory=list)
    grade: float | None = None
    category: str | None = None
    meta: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # ordering: gradingtype, selecttype


def parse_number(s: str) -> Decimal | None:
    try:
        d = Decimal(s.strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def pct(fraction: float) -> str:
    return f"{num(round(fraction * 100, 5))}%"


# ---------------------------------------------------------------- Moodle → bank


class Reading:
    """A Moodle question on its way into a bank, as a type's `from_moodle` reads it: `say` what the bank cannot
    hold, `extra` feedback that joins the question's, `what` the file's format; options and their ids."""

    def __init__(self, mq: MQuestion, what: str, say: Callable[..., None]):
        self.mq, self.what, self.say = mq, what, say
        self.extra: list[Text] = []

    # -- option ids: from the toolkit comment when it still fits the file, else a, b, c, …
    def ids(self, key: str, n: int, default: list[str]) -> list[str]:
        ids = self.mq.meta.get(key)
        if isinstance(ids, list) and len(ids) == n and len(set(map(str, ids))) == n:
            return [str(i) for i in ids]
        if ids is not None:
            self.say(f"the toolkit comment lists {len(ids) if isinstance(ids, list) else 0} {key} but the question "
                     f"has {n}: new ids were given")
        return default

    def options(self, texts: list[tuple[Text, Text]]) -> tuple[list[dict] | str, list[str]]:
        """Options from (text, feedback) pairs, or the preset named by the toolkit comment."""
        mq = self.mq
        ids = self.ids("options", len(texts), letters(len(texts)))
        preset = PRESET_OPTIONS.get(mq.meta.get("preset") or "")
        if preset and [t.get("en") for t, _fb in texts] == [t["en"] for _i, t in preset]:
            ids = [i for i, _t in preset]
        else:
            mq.meta.pop("preset", None)
        options = []
        for oid, (text, fb) in zip(ids, texts, strict=True):
            o: dict[str, Any] = {"id": oid, "text": compact(text) or "(no text)"}
            if compact(fb):
                o["feedback"] = compact(fb)
            options.append(o)
        return options, ids

    def ordered(self, options: list[dict], *, mix: bool) -> list[dict]:
        """The options in the toolkit comment's order; else as they came, or mixed (`mix`) when they came in the
        right order, which would give the answer away."""
        mq = self.mq
        order = mq.meta.get("option_order")
        by_id = {o["id"]: o for o in options}
        if isinstance(order, list) and sorted(map(str, order)) == sorted(by_id):
            return [by_id[str(i)] for i in order]
        if mix and len(options) > 1:
            mixed = options[:]
            rng = random.Random(short(mq.text, 500))
            while [o["id"] for o in mixed] == [o["id"] for o in options]:
                rng.shuffle(mixed)
            self.say("the items came in their right order; they were mixed so that the question does not give "
                     "away the answer")
            return mixed
        return options

    def with_preset(self, body: dict) -> dict:
        """`body` with the toolkit comment's preset for its options (their feedback as `option_feedback`)."""
        preset = self.mq.meta.get("preset")
        if preset and isinstance(body.get("options"), list):
            feedback = {o["id"]: o["feedback"] for o in body["options"] if o.get("feedback")}
            body["options"] = preset
            if feedback:
                body["option_feedback"] = feedback
        return body


class Converter:
    """Turns Moodle questions into bank questions, reporting what does not fit: each Moodle type is read by the
    types that say they read it (QuestionKind.reads_moodle, from_moodle)."""

    def __init__(self, draft: Draft, what: str):
        self.draft = draft
        self.what = what  # "GIFT", "Moodle XML": how the file is named in reports
        self.category: str | None = None

    def add(self, mq: MQuestion) -> None:
        d = self.draft
        if mq.qtype == "category":
            self.category = mq.category
            return
        qid = d.question_id(mq.name, exact=mq.idnumber, fallback_text=short(mq.text, 200), where=mq.line)
        if not self._add(mq, qid):
            d.question_ids.discard(qid)

    def _add(self, mq: MQuestion, qid: str) -> bool:
        d = self.draft
        say = lambda msg, level=CHANGED: d.report(mq.line, msg, qid, level)  # noqa: E731
        for note in mq.notes:
            say(note)
        if mq.qtype == "description":
            say(f"not imported: a description (text without a question) has no place in a bank: "
                f"'{short(mq.text)}'", SKIPPED)
            return False
        readers = questions.moodle_readers(mq.qtype)
        if not readers:
            say(f"not imported: Moodle's '{mq.qtype}' questions have no equivalent in a bank", SKIPPED)
            return False
        if not mq.text.get("en"):
            say("not imported: the question has no English text", ERROR)
            return False
        read = Reading(mq, self.what, say)
        for reader in readers:
            body = reader.from_moodle(mq, read)
            if body is not questions.PASS:
                break
        else:
            say(f"not imported: Moodle's '{mq.qtype}' questions have no equivalent in a bank", SKIPPED)
            return False
        if body is None:
            return False
        qtype = reader.name
        meta = mq.meta
        named = meta.get("type")  # the toolkit comment's type, for a Moodle question read as another of the same form
        if (questions.known(named) and questions.kind(named).moodle_reads_as == qtype
                and questions.kind(named).moodle_type == questions.kind(qtype).moodle_type):
            qtype = named
        scored = questions.kind(qtype).scored
        objectives = d.objectives_for(meta.get("objectives"), self.category, scored, mq.line, qid)
        out: dict[str, Any] = {"id": qid, "type": qtype}
        if objectives:
            out["objectives"] = objectives
        if meta.get("difficulty"):
            out["difficulty"] = meta["difficulty"]
        points = meta.get("points", mq.grade)
        if isinstance(points, (int, float)) and points > 0 and points != 1 and scored:
            out["points"] = num(points)
        out["text"] = compact(mq.text)
        out.update(body)
        if meta.get("unit") and "unit" in questions.kind(qtype).fields:
            out["unit"] = compact(as_text(meta["unit"])) or out.get("unit")
        feedback = compact(join_texts(mq.general_feedback, *read.extra))
        if feedback:
            out["feedback"] = feedback
        return d.add({k: v for k, v in out.items() if v is not None}, mq.line)


# ---------------------------------------------------------------- bank → Moodle


def from_bank(q: Question, raw: dict, line: int, export: Export, what: str) -> MQuestion | None:
    """The Moodle question for a bank question; None (reported) for a type Moodle has no equivalent for."""
    say = lambda msg, level=CHANGED: export.report(line, msg, q.id, level)  # noqa: E731
    mq = MQuestion(qtype=questions.kind(q.type).moodle_type, line=line, name=q.id, idnumber=q.id, text=dict(q.text),
                   general_feedback=dict(q.feedback), grade=q.points)
    return mq if questions.kind(q.type).to_moodle(q, raw, mq, say, what) else None


def choices(q: Question, raw: dict, mq: MQuestion, say, what: str, right: set[str], single: bool,
            natural: str) -> bool:
    """A multichoice question of `q`'s options, `right` the right ones (each worth 1/k; with several, a wrong one
    takes 1/k away); False (said) when Moodle would refuse the grade."""
    k = len(right)
    if not moodle_accepts(1 / k):
        say(f"not exported: with {k} right options each is worth 1/{k} ({pct(1 / k)}), a grade Moodle does not "
            "accept (it takes 1/2 to 1/10, and 1/20): Moodle would refuse the whole file. Give the question at "
            "most 10 right options, or split it in two", SKIPPED)
        return False
    mq.single = single
    for o in q.options:
        fraction = float(o.id in right) if single else (1 / k if o.id in right else -1 / k)
        mq.answers.append(Answer(dict(o.text), fraction, dict(o.feedback)))
    mq.meta = question_meta(q, raw, options=[o.id for o in q.options], natural_type=natural)
    return True



def multilang_said(bank: Bank, export: Export) -> None:
    """Say, once, that the texts in languages other than English go to Moodle as multilang spans (Moodle XML, GIFT),
    which Moodle shows one language at a time only with its filter on."""
    others = [lang for lang in bank.languages if lang != languages.ENGLISH and any(q.text.get(lang) for q in bank.questions)]
    if others:
        names = " and ".join(languages.english_name(lang) for lang in others)
        export.report(1, f"the {names} texts are written as Moodle multilang spans: in Moodle, turn on the "
                         "'Multi-language content' filter (Site administration > Plugins > Filters > Manage "
                         f"filters, and in the course), or every question shows English and {names} one after the "
                         f"other; each participant then sees the language of their Moodle profile", level=TODO)
