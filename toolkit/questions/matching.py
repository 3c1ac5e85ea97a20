"""Matching: each item matched to one of the options; a point for each right match."""

from __future__ import annotations

import random
from typing import Any

from ..bank import Checker, Question, line_of, tr
from . import QuestionKind, register
from .options import labels, option_list, parse_options


class Matching(QuestionKind):
    name = "matching"
    fields = frozenset({"options", "option_feedback", "items"})
    reads_moodle = ("matching",)

    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        options = parse_options(c, q, what, self.name)
        raw_items = q.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            c.error(line_of(q, "items", line_of(q)), f"{what}: a matching question needs 'items' to match to the options")
            return {"options": options, "items": ()}
        return {"options": options, "items": option_list(c, raw_items, what, "item")}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        ids = [o.id for o in parsed["options"]]
        if not isinstance(key, dict):
            c.error(line, f"{what}: key must map each item id to an option id")
            return None
        item_ids = [i.id for i in parsed["items"]]
        result = {}
        for k, v in key.items():
            kline = line_of(key, k, line)
            if str(k) not in item_ids:
                c.error(kline, f"{what}: key names item '{k}', which is not among the items ({', '.join(item_ids)})")
            if str(v) not in ids and ids:
                c.error(kline, f"{what}: key matches '{k}' to '{v}', which is not among the options ({', '.join(ids)})")
            result[str(k)] = str(v)
        missing = [i for i in item_ids if i not in result]
        if missing:
            c.error(line, f"{what}: key gives no match for item(s) {', '.join(missing)}")
        return result

    def fraction(self, q: Question, response: Any) -> float:
        if not isinstance(response, dict):
            return 0.0
        return sum(1 for item, option in q.key.items() if str(response.get(item)) == option) / len(q.key)

    def answered(self, q: Question, response: Any) -> bool:
        """Only once every item has its match."""
        return isinstance(response, dict) and len(response) == len(q.items)

    def describe(self, q: Question, response: Any, lang: str) -> str:
        if not isinstance(response, dict):
            return str(response)
        names = labels(q, lang)
        items = {i.id: tr(i.text, lang) for i in q.items}
        return "; ".join(f"{items.get(k, k)} → {names.get(v, v)}" for k, v in response.items())

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        from ..formats.csvfmt import pairs

        found = pairs(cell)
        if found is None:
            problems.append(f"a matching key is written item=option|item=option, not '{cell[:40]}'")
            return None
        return dict(found)

    def csv_cell(self, key: Any) -> str:
        return "|".join(f"{k}={v}" for k, v in key.items())

    def to_xlsform(self, q: Question, raw: dict, form) -> None:
        """A `field-list` group with one `select_one` per item, named `QUESTION__ITEM`."""
        form.add_list(form.name, [(o.id, o.text) for o in q.options])
        form.row("begin_group", q.text, appearance="field-list")
        for item in q.items:
            form.row(f"select_one {form.name}", item.text, name=f"{form.name}__{item.id}")
        form.row("end_group", {})

    moodle_type = "matching"

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        from ..formats.common import SKIPPED, question_meta

        if len(q.items) < 2:
            say(f"not exported: Moodle's matching question needs at least two items to match (and three answers), "
                f"this one has {len(q.items)}: add an item, or make it a single-choice question", SKIPPED)
            return False
        used = list(dict.fromkeys(q.key[i.id] for i in q.items))
        order = used + [o.id for o in q.options if o.id not in used]
        texts = {o.id: dict(o.text) for o in q.options}
        seen: list[str] = []
        for oid in order:
            if texts[oid].get("en") in seen:
                say(f"two options share the text '{texts[oid]['en']}': Moodle cannot tell them apart")
            seen.append(texts[oid].get("en"))
        mq.pairs = [(dict(i.text), texts[q.key[i.id]]) for i in q.items]
        mq.pairs += [({}, texts[oid]) for oid in order if oid not in used]
        if any(o.feedback for o in (*q.options, *q.items)):
            say("feedback on matching items and options is not exported: Moodle has no place for it")
        mq.meta = question_meta(q, raw, options=order, items=[i.id for i in q.items], natural_type=self.name)
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        return gift.pairs(mq.pairs)

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """Moodle's sub-questions are the items, its answers (each once) the options."""
        from ..formats.common import ERROR, compact, letters

        items = [(t, a) for t, a in mq.pairs if t.get("en")]
        answers: list[dict] = []
        for _t, a in mq.pairs:
            if a.get("en") and a not in answers:
                answers.append(a)
        if not items or len(answers) < 2:
            read.say("not imported: a matching question needs at least one item and two different answers", ERROR)
            return None
        if any(not a.get("en") for _t, a in items):
            read.say("not imported: an item has no answer to match", ERROR)
            return None
        item_ids = read.ids("items", len(items), [str(i) for i in range(1, len(items) + 1)])
        option_ids = read.ids("options", len(answers), letters(len(answers)))
        options = [{"id": oid, "text": compact(a)} for oid, a in zip(option_ids, answers, strict=True)]
        key = {iid: option_ids[answers.index(a)] for iid, (_t, a) in zip(item_ids, items, strict=True)}
        return {"options": read.ordered(options, mix=False),
                "items": [{"id": iid, "text": compact(t)} for iid, (t, _a) in zip(item_ids, items, strict=True)],
                "key": key}

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import MatchingInput

        return MatchingInput(q, lang)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        answer = dict(q.key)
        if not right:
            options = [o.id for o in q.options]
            for item_id in rng.sample(list(answer), min(len(answer), rng.choice((1, 2)))):
                answer[item_id] = rng.choice([o for o in options if o != answer[item_id]] or options)
        return answer


register(Matching())
