"""What the types with options share: reading a bank's options (a list, or a preset), and one-option answers."""

from __future__ import annotations

import random
from typing import Any

from ..bank import PRESET_OPTIONS, Checker, Option, Question, line_of, tr
from . import QuestionKind


def parse_options(c: Checker, q: dict, what: str, qtype: str) -> tuple[Option, ...]:
    """A question's `options`: a list of at least two, or the name of a preset (with `option_feedback`)."""
    raw = q.get("options")
    preset_feedback = q.get("option_feedback") or {}
    if isinstance(raw, str):
        if raw not in PRESET_OPTIONS:
            c.error(line_of(q, "options"), f"{what}: unknown options preset '{raw}' (use {', '.join(PRESET_OPTIONS)} or a list)")
            return ()
        ids = [i for i, _ in PRESET_OPTIONS[raw]]
        if not isinstance(preset_feedback, dict):
            c.error(line_of(q, "option_feedback"), f"{what}: 'option_feedback' must map option ids to text")
            preset_feedback = {}
        for k in preset_feedback:
            if str(k) not in ids:
                c.error(line_of(preset_feedback, k), f"{what}: option_feedback for '{k}', which is not an option ({', '.join(ids)})")
        return tuple(
            Option(i, dict(t), c.text(preset_feedback, i, f"{what} option '{i}'", required=False))
            if i in preset_feedback
            else Option(i, dict(t))
            for i, t in PRESET_OPTIONS[raw]
        )
    if "option_feedback" in q:
        c.error(line_of(q, "option_feedback"), f"{what}: 'option_feedback' goes with a preset; put 'feedback' on each option instead")
    if raw is None:
        c.error(line_of(q), f"{what}: a {qtype} question needs 'options'")
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        c.error(line_of(q, "options"), f"{what}: 'options' must be a list of at least 2 options")
        return ()
    return option_list(c, raw, what, "option")


def option_list(c: Checker, raw: list, what: str, noun: str) -> tuple[Option, ...]:
    """Options (or a matching's items): each with an id of its own, a text and optional feedback."""
    seen: set[str] = set()
    result = []
    for i, o in enumerate(raw):
        if not isinstance(o, dict):
            c.error(line_of(raw, i), f"{what}: each {noun} must have an 'id' and a 'text'")
            continue
        oid = c.ident(o, f"{what} {noun} {i + 1}")
        if oid is None:
            continue
        owhat = f"{what} {noun} '{oid}'"
        c.unknown_fields(o, {"id", "text", "feedback"}, owhat)
        if oid in seen:
            c.error(line_of(o, "id"), f"{what}: duplicate {noun} id '{oid}'")
        seen.add(oid)
        result.append(Option(oid, c.text(o, "text", owhat), c.text(o, "feedback", owhat, required=False)))
    return tuple(result)


def moodle_choices(mq, read) -> list[dict] | None:
    """The options of Moodle's multichoice question `mq` (toolkit.formats.moodle.Reading `read`), each answer's
    `value` set to its option's id; None (said) for fewer than two answers."""
    from ..formats.common import ERROR

    if len(mq.answers) < 2:
        read.say("not imported: a multiple-choice question needs at least two answers", ERROR)
        return None
    options, _ids = read.options([(a.text, a.feedback) for a in mq.answers])
    for o, a in zip(options, mq.answers, strict=True):
        a.value = o["id"]
    return options


def labels(q: Question, lang: str) -> dict[str, str]:
    return {o.id: tr(o.text, lang) for o in q.options}


class OneOption(QuestionKind):
    """One option is the answer, as its id: single choice, classification, and (unscored) likert."""

    fields = frozenset({"options", "option_feedback"})
    option_answers = True

    moodle_type = "multichoice"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.moodle import choices

        return choices(q, raw, mq, say, what, {q.key}, single=True, natural="single")

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.choices()

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        return {"options": parse_options(c, q, what, self.name)}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        ids = [o.id for o in parsed["options"]]
        if isinstance(key, list):
            c.error(line, f"{what}: a {self.name} question has one right option; use type 'multiple' for several")
            return None
        if str(key) not in ids and ids:
            c.error(line, f"{what}: key '{key}' is not among the options ({', '.join(ids)})")
        return str(key)

    def fraction(self, q: Question, response: Any) -> float:
        return 1.0 if str(response) == q.key else 0.0

    def describe(self, q: Question, response: Any, lang: str) -> str:
        return labels(q, lang).get(str(response), str(response))

    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        return [(o.id, tr(o.text)) for o in q.options]

    def tally(self, q: Question, response: Any) -> list[str]:
        return [str(response)] if isinstance(response, (str, bool, int, float)) else []

    def right_categories(self, q: Question) -> set[str]:
        return {q.key} if q.key is not None else set()

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.select(q, raw, "select_one")

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import ChoiceInput

        return ChoiceInput(q, lang, [(o.id, tr(o.text, lang)) for o in q.options])

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        wrong = [o.id for o in q.options if o.id != q.key]
        return q.key if right or not wrong else rng.choices(wrong, weights=lure[:len(wrong)])[0]
