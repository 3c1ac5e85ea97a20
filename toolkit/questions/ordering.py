"""Ordering (e.g. the stages of referral): the options in the right order; a point for each in its place."""

from __future__ import annotations

import random
from typing import Any

from ..bank import Checker, Question
from . import PASS, QuestionKind, register
from .options import labels, parse_options


class Ordering(QuestionKind):
    name = "ordering"
    fields = frozenset({"options", "option_feedback"})

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        return {"options": parse_options(c, q, what, self.name)}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        ids = [o.id for o in parsed["options"]]
        if not isinstance(key, list):
            c.error(line, f"{what}: key must list every option id in the right order")
            return None
        keys = [str(k) for k in key]
        if sorted(keys) != sorted(ids):
            c.error(line, f"{what}: key must list every option id exactly once, in the right order ({', '.join(ids)})")
        return tuple(keys)

    def fraction(self, q: Question, response: Any) -> float:
        if not isinstance(response, (list, tuple)):
            return 0.0
        given = [str(r) for r in response]
        return sum(1 for a, b in zip(given, q.key, strict=False) if a == b) / len(q.key)

    def answered(self, q: Question, response: Any) -> bool:
        """Only once every option is placed: a half-built order is still being answered."""
        return isinstance(response, list) and len(response) == len(q.options)

    def describe(self, q: Question, response: Any, lang: str) -> str:
        names = labels(q, lang)
        return " → ".join(names.get(str(r), str(r)) for r in response) if isinstance(response, list) else str(response)

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        from ..formats.csvfmt import split

        return [k for k in split(cell) if k]

    def csv_cell(self, key: Any) -> str:
        return "|".join(key)

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        form.select(q, raw, "rank")

    moodle_type = "ordering"
    moodle_reads_as = "matching"  # in GIFT, which has no ordering question: its items matched to positions 1, 2, …
    reads_moodle = ("ordering", "matching")  # Moodle's matching: only as the toolkit writes an ordering to GIFT
    scores_xlsform = ("rank",)
    key_hint = "options, objectives and a key"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import question_meta
        from ..formats.moodle import Answer

        texts = {o.id: o for o in q.options}
        mq.answers = [Answer(dict(texts[oid].text), float(pos), dict(texts[oid].feedback))
                      for pos, oid in enumerate(q.key, 1)]
        mq.meta = question_meta(q, raw, options=list(q.key), natural_type=self.name,
                                extra={"option_order": [o.id for o in q.options]})
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        """GIFT has no ordering question: its items matched to their positions 1, 2, … (read back through the
        toolkit comment's type)."""
        mq.meta["type"] = self.name
        if any(o.feedback for o in q.options):
            gift.say("feedback on the items is not exported: GIFT writes an ordering question as matching, which "
                     "has no place for it")
        order = mq.meta.get("option_order") or mq.meta["options"]
        position = {oid: i for i, oid in enumerate(mq.meta["options"], 1)}
        text_of = {oid: a.text for oid, a in zip(mq.meta["options"], mq.answers, strict=True)}
        return gift.pairs([(text_of[oid], {"en": str(position[oid])}) for oid in order])

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """Moodle's ordering question: its answers' fractions are their positions; settings the bank does not have
        are said. A matching question only when its toolkit comment names this type and it matches the items to
        the positions 1 to N (how `to_gift` writes one)."""
        from ..formats.common import ERROR

        if mq.qtype != self.moodle_type:
            return self._from_matching(mq, read)
        answers = sorted(mq.answers, key=lambda a: a.fraction)
        if len(answers) < 2:
            read.say("not imported: an ordering question needs at least two items", ERROR)
            return None
        grading = str(mq.settings.get("gradingtype") or "ABSOLUTE_POSITION").upper()
        if grading not in ("ABSOLUTE_POSITION", "0"):
            read.say(f"Moodle grades this question by '{grading}'; the bank gives the fraction of items in their "
                     "right position")
        select = str(mq.settings.get("selecttype") or "ALL").upper()
        if select not in ("ALL", "0"):
            read.say("Moodle shows only some of the items; the bank shows all of them")
        options, ids = read.options([(a.text, a.feedback) for a in answers])
        return {"options": read.ordered(options, mix=True), "key": ids}

    def _from_matching(self, mq, read) -> dict[str, Any] | None:
        """GIFT has no ordering type: the toolkit writes one as its items matched to their positions 1, 2, …"""
        from ..formats.common import compact, letters

        if mq.meta.get("type") != self.name:
            return PASS
        items = [(t, a) for t, a in mq.pairs if t.get("en")]
        positions = [a.get("en", "") for _t, a in items]
        n = len(items)
        if sorted(positions) != sorted(str(i) for i in range(1, n + 1)) or n < 2:
            read.say("the toolkit comment says 'ordering' but the answers are not the positions 1 to N: read as "
                     "matching")
            return PASS
        ids = read.ids("options", n, letters(n))
        options = [{"id": ids[int(p) - 1], "text": compact(t)} for (t, _a), p in zip(items, positions, strict=True)]
        return {"options": options, "key": ids}

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import OrderingInput

        return OrderingInput(q, lang)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        order = list(q.key)
        if not right:
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
            if rng.random() < 0.4:
                rng.shuffle(order)
        return order


register(Ordering())
