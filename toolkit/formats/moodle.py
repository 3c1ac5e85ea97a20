"""Moodle's question model, shared by GIFT and Moodle XML: what each Moodle type becomes in a bank, and back.

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
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import questions
from ..bank import PRESET_OPTIONS, Question
from ..questions import normalise
from .common import (
    CHANGED,
    ERROR,
    SKIPPED,
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


def _accepted_forms(accept: list) -> set[tuple[str, float]]:
    """(normalised text, points) of each accepted text of a bank's `accept`, in every language it has."""
    out = set()
    for entry in accept:
        text, points = (entry.get("text"), entry.get("points", 1)) if isinstance(entry, dict) else (entry, 1)
        texts = text.values() if isinstance(text, dict) else [text]
        if not isinstance(points, (int, float)):
            return set()
        out |= {(normalise(str(t)), round(float(points), 5)) for t in texts}
    return out


def pct(fraction: float) -> str:
    return f"{num(round(fraction * 100, 5))}%"


# ---------------------------------------------------------------- Moodle → bank


class Converter:
    """Turns Moodle questions into bank questions, reporting what does not fit."""

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
        build = getattr(self, f"_{mq.qtype}", None)
        if build is None:
            say(f"not imported: Moodle's '{mq.qtype}' questions have no equivalent in a bank", SKIPPED)
            return False
        if not mq.text.get("en"):
            say("not imported: the question has no English text", ERROR)
            return False
        q: dict[str, Any] = {"id": qid, "type": ""}
        extra_feedback: list[Text] = []
        body = build(mq, q, say, extra_feedback)
        if body is None:
            return False
        meta = mq.meta
        named = meta.get("type")  # the toolkit comment's type, for a Moodle question read as another of the same form
        if (questions.known(named) and questions.kind(named).moodle_reads_as == q["type"]
                and questions.kind(named).moodle_type == questions.kind(q["type"]).moodle_type):
            q["type"] = named
        scored = questions.kind(q["type"]).scored
        objectives = d.objectives_for(meta.get("objectives"), self.category, scored, mq.line, qid)
        out: dict[str, Any] = {"id": qid, "type": q["type"]}
        if objectives:
            out["objectives"] = objectives
        if meta.get("difficulty"):
            out["difficulty"] = meta["difficulty"]
        points = meta.get("points", mq.grade)
        if isinstance(points, (int, float)) and points > 0 and points != 1 and scored:
            out["points"] = num(points)
        out["text"] = compact(mq.text)
        out.update(body)
        if meta.get("unit") and "unit" in questions.kind(q["type"]).fields:
            out["unit"] = compact(as_text(meta["unit"])) or out.get("unit")
        feedback = compact(join_texts(mq.general_feedback, *extra_feedback))
        if feedback:
            out["feedback"] = feedback
        return d.add({k: v for k, v in out.items() if v is not None}, mq.line)

    # -- option ids: from the toolkit comment when it still fits the file, else a, b, c, …
    def _ids(self, mq: MQuestion, key: str, n: int, default: list[str], say) -> list[str]:
        ids = mq.meta.get(key)
        if isinstance(ids, list) and len(ids) == n and len(set(map(str, ids))) == n:
            return [str(i) for i in ids]
        if ids is not None:
            say(f"the toolkit comment lists {len(ids) if isinstance(ids, list) else 0} {key} but the question has {n}: "
                "new ids were given")
        return default

    def _options(self, mq: MQuestion, texts: list[tuple[Text, Text]], say) -> tuple[list[dict] | str, list[str]]:
        """Options from (text, feedback) pairs, or the preset named by the toolkit comment."""
        ids = self._ids(mq, "options", len(texts), letters(len(texts)), say)
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

    def _ordered(self, mq: MQuestion, options: list[dict], say, *, mix: bool) -> list[dict]:
        order = mq.meta.get("option_order")
        by_id = {o["id"]: o for o in options}
        if isinstance(order, list) and sorted(map(str, order)) == sorted(by_id):
            return [by_id[str(i)] for i in order]
        if mix and len(options) > 1:
            mixed = options[:]
            rng = random.Random(short(mq.text, 500))
            while [o["id"] for o in mixed] == [o["id"] for o in options]:
                rng.shuffle(mixed)
            say("the items came in their right order; they were mixed so that the question does not give away "
                "the answer")
            return mixed
        return options

    def _with_preset(self, mq: MQuestion, body: dict) -> dict:
        preset = mq.meta.get("preset")
        if preset and isinstance(body.get("options"), list):
            feedback = {o["id"]: o["feedback"] for o in body["options"] if o.get("feedback")}
            body["options"] = preset
            if feedback:
                body["option_feedback"] = feedback
        return body

    def _multichoice(self, mq, q, say, extra):
        answers = mq.answers
        if len(answers) < 2:
            say("not imported: a multiple-choice question needs at least two answers", ERROR)
            return None
        options, ids = self._options(mq, [(a.text, a.feedback) for a in answers], say)
        for o, a in zip(options, answers, strict=True):
            a.value = o["id"]
        if mq.single:
            q["type"] = "single"
            best = max(answers, key=lambda a: a.fraction)
            if best.fraction <= 0:
                say("not imported: no answer gives any credit, so there is no right answer", ERROR)
                return None
            full = [a for a in answers if abs(a.fraction - 1) < EPS]
            key = full[0] if full else best
            if not full:
                say(f"no answer gives full credit; the best one, '{short(best.text, 40)}' ({pct(best.fraction)}), "
                    "is now the right answer and scores 100%")
            for a in full[1:]:
                say(f"'{short(a.text, 40)}' also gives full credit in {self.what}, but a single-choice question "
                    f"has one right answer ('{short(key.text, 40)}'): it now scores 0")
            partial = [a for a in answers if a is not key and a not in full and a.fraction > 0]
            if partial:
                say("partial credit cannot be held (a single-choice answer is right or wrong); now scoring 0: "
                    + ", ".join(f"'{short(a.text, 30)}' ({pct(a.fraction)})" for a in partial))
            negative = [a for a in answers if a.fraction < 0]
            if negative:
                say("penalties cannot be held; now scoring 0: "
                    + ", ".join(f"'{short(a.text, 30)}' ({pct(a.fraction)})" for a in negative))
            body = {"options": options, "key": key.value}
        else:
            q["type"] = "multiple"
            right = [a for a in answers if a.fraction > 0]
            if not right:
                say("not imported: no answer gives any credit, so there is no right answer", ERROR)
                return None
            k = len(right)
            if any(abs(a.fraction - 1 / k) > EPS for a in right):
                say("these weights cannot be held: " + ", ".join(f"'{short(a.text, 30)}' {pct(a.fraction)}" for a in right)
                    + f"; in the bank each of the {k} right answers is worth 1/{k} ({pct(1 / k)})")
            free = [a for a in answers if a.fraction == 0]
            if free:
                say("choosing " + ", ".join(f"'{short(a.text, 30)}'" for a in free) + f" costs nothing in {self.what}; "
                    f"in the bank each wrong choice takes away 1/{k} ({pct(1 / k)}), never below 0")
            odd = [a for a in answers if a.fraction < 0 and abs(a.fraction + 1 / k) > EPS]
            if odd:
                say("these penalties cannot be held: " + ", ".join(f"'{short(a.text, 30)}' {pct(a.fraction)}" for a in odd)
                    + f"; in the bank each wrong choice takes away 1/{k} ({pct(1 / k)})")
            body = {"options": options, "key": [a.value for a in right]}
        return self._with_preset(mq, body)

    def _truefalse(self, mq, q, say, extra):
        q["type"] = "truefalse"
        by_text = {(a.text.get("en") or "").strip().lower(): a for a in mq.answers}
        true, false = by_text.get("true"), by_text.get("false")
        if true is None and false is None:
            say("not imported: a true/false question needs the answers 'true' and 'false'", ERROR)
            return None
        key = bool(true and true.fraction > 0.5) if true else not (false and false.fraction > 0.5)
        said = [(word, a.feedback) for word, a in (("true", true), ("false", false)) if a and compact(a.feedback)]
        if said:
            say(f"feedback on the answer{'s' if len(said) > 1 else ''} " + " and ".join(f"'{w}'" for w, _ in said)
                + " has no place in the bank "
                "(a true/false question has one feedback): it was added to the question's feedback, which everyone "
                "sees once results are revealed")
            for word, fb in said:
                extra.append({lang: f"If you answered {word}: {s}" for lang, s in fb.items()})
        return {"key": key}

    def _matching(self, mq, q, say, extra):
        items = [(t, a) for t, a in mq.pairs if t.get("en")]
        named = mq.meta.get("type")  # GIFT has no ordering question: the toolkit writes one as matching to positions
        if questions.known(named) and questions.kind(named).moodle_reads_as == "matching":
            body = self._ordering_from_matching(mq, q, items, say)
            if body is not None:
                return body
        q["type"] = "matching"
        answers: list[Text] = []
        for _t, a in mq.pairs:
            if a.get("en") and a not in answers:
                answers.append(a)
        if not items or len(answers) < 2:
            say("not imported: a matching question needs at least one item and two different answers", ERROR)
            return None
        if any(not a.get("en") for _t, a in items):
            say("not imported: an item has no answer to match", ERROR)
            return None
        item_ids = self._ids(mq, "items", len(items), [str(i) for i in range(1, len(items) + 1)], say)
        option_ids = self._ids(mq, "options", len(answers), letters(len(answers)), say)
        options = [{"id": oid, "text": compact(a)} for oid, a in zip(option_ids, answers, strict=True)]
        key = {iid: option_ids[answers.index(a)] for iid, (_t, a) in zip(item_ids, items, strict=True)}
        return {"options": self._ordered(mq, options, say, mix=False),
                "items": [{"id": iid, "text": compact(t)} for iid, (t, _a) in zip(item_ids, items, strict=True)], "key": key}

    def _ordering_from_matching(self, mq, q, items, say):
        """GIFT has no ordering type: the toolkit writes one as its items matched to their positions 1, 2, …"""
        positions = [a.get("en", "") for _t, a in items]
        n = len(items)
        if sorted(positions) != sorted(str(i) for i in range(1, n + 1)) or n < 2:
            say("the toolkit comment says 'ordering' but the answers are not the positions 1 to N: read as matching")
            return None
        ids = self._ids(mq, "options", n, letters(n), say)
        q["type"] = "ordering"
        options = [{"id": ids[int(p) - 1], "text": compact(t)} for (t, _a), p in zip(items, positions, strict=True)]
        return {"options": options, "key": ids}

    def _ordering(self, mq, q, say, extra):
        q["type"] = "ordering"
        answers = sorted(mq.answers, key=lambda a: a.fraction)
        if len(answers) < 2:
            say("not imported: an ordering question needs at least two items", ERROR)
            return None
        grading = str(mq.settings.get("gradingtype") or "ABSOLUTE_POSITION").upper()
        if grading not in ("ABSOLUTE_POSITION", "0"):
            say(f"Moodle grades this question by '{grading}'; the bank gives the fraction of items in their right "
                "position")
        select = str(mq.settings.get("selecttype") or "ALL").upper()
        if select not in ("ALL", "0"):
            say("Moodle shows only some of the items; the bank shows all of them")
        options, ids = self._options(mq, [(a.text, a.feedback) for a in answers], say)
        return {"options": self._ordered(mq, options, say, mix=True), "key": ids}

    def _numerical(self, mq, q, say, extra):
        q["type"] = "numeric"
        numbers = [a for a in mq.answers if a.value.strip() != "*"]
        others = [a for a in mq.answers if a.value.strip() == "*"]
        if not numbers:
            say("not imported: a numerical question needs a number as its answer", ERROR)
            return None
        full = [a for a in numbers if abs(a.fraction - 1) < EPS] or [max(numbers, key=lambda a: a.fraction)]
        key = full[0]
        if key.fraction < 1 - EPS:
            say(f"no answer gives full credit; {key.value} ({pct(key.fraction)}) is now the right answer")
        value = parse_number(key.value)
        if value is None:
            say(f"not imported: '{key.value}' is not a number", ERROR)
            return None
        rest = [a for a in numbers if a is not key]
        if rest:
            say("only one right answer can be held; these now score 0: "
                + ", ".join(f"{a.value} ± {num(a.tolerance)} ({pct(a.fraction)})" for a in rest))
        told = [(f"{a.value} ± {num(a.tolerance)}" if a.value != "*" else "Any other answer", a.feedback)
                for a in [key, *rest, *others] if compact(a.feedback)]
        if told:
            say("feedback per answer has no place in a numeric question: added to the question's feedback")
            for what, fb in told:
                extra.append({lang: f"{what}: {s}" for lang, s in fb.items()})
        body: dict[str, Any] = {"key": {"value": num(float(value)), "tolerance": num(abs(key.tolerance))}}
        base = [u for u, m in mq.units if abs(m - 1) < EPS]
        if base:
            body["unit"] = base[0]
        if len(mq.units) > len(base[:1]):
            say("units other than the main one cannot be held: " + ", ".join(u for u, _m in mq.units if u not in base[:1]))
        return body

    def _shortanswer(self, mq, q, say, extra):
        accepted = [a for a in mq.answers if a.text.get("en")]
        if not accepted:
            say("not imported: a short-answer question needs at least one accepted answer", ERROR)
            return None
        numbers = {parse_number(a.text["en"]) for a in accepted}
        if (all(abs(a.fraction - 1) < EPS for a in accepted) and len(numbers) == 1 and None not in numbers
                and not any(compact(a.feedback) for a in accepted) and not mq.meta):  # (the toolkit writes numeric as numerical)
            q["type"] = "numeric"
            say(f"a short answer that is a number ({accepted[0].text['en']}) was read as a numeric question")
            return {"key": {"value": num(float(numbers.pop())), "tolerance": 0}}
        q["type"] = "short"
        if len(accepted) == 1 and accepted[0].text["en"].lower() in ("t", "f", "true", "false"):
            say(f"read as a short answer whose one accepted answer is '{accepted[0].text['en']}' (for a true/false "
                "question write TRUE or FALSE in capitals)")
        kept = mq.meta.get("accept")
        if isinstance(kept, list) and _accepted_forms(kept) == {(normalise(a.text["en"]), round(a.fraction, 5))
                                                               for a in accepted}:
            return {"accept": kept}  # the toolkit comment's accepted answers, with their languages, as the file has them
        if str(mq.settings.get("usecase") or "0").strip() not in ("", "0"):
            say(f"{self.what} tells capitals apart in this question; the bank ignores case (and extra spaces and "
                "diacritics)")
        wild = [a for a in accepted if "*" in a.text["en"]]
        if wild:
            say("'*' is a wildcard in Moodle but a plain character in the bank: "
                + ", ".join(f"'{a.text['en']}'" for a in wild) + " must now be typed as written")
        zero = [a for a in accepted if a.fraction <= EPS]
        if zero:
            say("answers that earn nothing need no place in the bank (any answer not accepted earns 0): left out "
                + ", ".join(f"'{a.text['en']}' ({pct(a.fraction)})" for a in zero))
        told = [(a.text["en"], a.feedback) for a in accepted if compact(a.feedback)]
        if told:
            say("feedback per answer has no place in a short-answer question: added to the question's feedback")
            for what, fb in told:
                extra.append({lang: f"{what}: {s}" for lang, s in fb.items()})
        accept, seen = [], set()
        for a in accepted:
            form = normalise(a.text["en"])
            if a.fraction <= EPS or form in seen:
                if form in seen and a.fraction > EPS:
                    say(f"'{a.text['en']}' is accepted twice once case, spaces and diacritics are ignored: kept once")
                continue
            seen.add(form)
            points = min(a.fraction, 1.0)
            accept.append(a.text["en"] if abs(points - 1) < EPS else {"text": a.text["en"], "points": num(round(points, 5))})
        if not accept:
            say("not imported: no accepted answer earns any credit", ERROR)
            return None
        if all(isinstance(a, dict) for a in accept):
            best = max(accept, key=lambda a: a["points"])
            say(f"no answer gives full credit; the best one, '{best['text']}' ({pct(best['points'])}), now scores 100%")
            accept[accept.index(best)] = best["text"]
        return {"accept": accept}

    def _essay(self, mq, q, say, extra):
        q["type"] = "open"
        return {}


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

