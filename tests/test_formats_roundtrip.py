"""Round trips: bank → GIFT / Moodle XML / CSV → bank keeps ids, texts, keys, weights and feedback.

What each format holds (anything else is reported on export, see the other test files):
- GIFT: every type but likert and word cloud, every language (as Moodle's multilang spans, in the [html] format); matching items and options, and ordering items, have no feedback.
- Moodle XML: every type but likert and word cloud, English and Urdu; matching items and options have no feedback.
- CSV: everything a question holds (but which texts of a short answer's accepted answers are one in two languages).
Hypothesis builds banks of those types from texts full of the characters each format escapes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import questions
from toolkit.bank import Bank, Question, load_bank, parse_bank
from toolkit.formats import dump_bank_yaml, export_bank, import_bank

EXT = {"gift": "gift.txt", "moodle-xml": "xml", "csv": "csv"}
SHIPPED = sorted(p for p in (ROOT / "question_banks").glob("*.yaml") if p.name != "case-studies.yaml")

# Characters that GIFT, HTML, XML, CSV or the bank's own syntax treat specially, plus Urdu.
ALPHABET = "abcxyzABC019" + "~=#{}:\\<>&\"'%[]()-_*|/.,?!;@+" + "ابپتٹجچ" + "é"
WORD = st.text(alphabet=ALPHABET, min_size=1, max_size=7)
LINE = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
TEXT = st.lists(LINE, min_size=1, max_size=3).map("\n".join)
IDS = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
NUMBER = st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False).map(float)


def roundtrip(bank: Bank, fmt: str, tmp: Path) -> tuple[Bank, list, list]:
    """Export, import and load again: the bank that comes back, and the reports of both directions."""
    out = tmp / f"bank.{EXT[fmt]}"
    exported = export_bank(bank, fmt, out)
    content, imported = import_bank(out, fmt)
    path = tmp / "back.yaml"
    path.write_text(dump_bank_yaml(content), encoding="utf-8")
    return load_bank(path), exported, imported


def kept(q: Question, fmt: str) -> Question:
    """The question as the format can hold it: what is reported on export is taken away."""
    strip = lambda os: tuple(dataclasses.replace(o, feedback={}) for o in os)  # noqa: E731
    if q.type == "multiple":  # a set of right options: the formats list them in the options' order
        q = dataclasses.replace(q, key=tuple(o.id for o in q.options if o.id in q.key))
    if fmt == "gift" and q.type == "ordering":
        q = dataclasses.replace(q, options=strip(q.options))
    if fmt in ("gift", "moodle-xml") and q.type == "matching":
        q = dataclasses.replace(q, options=strip(q.options), items=strip(q.items))
    return q


def assert_same(original: Bank, back: Bank, fmt: str) -> None:
    expected = [kept(q, fmt) for q in original.questions
                if (fmt == "csv" or q.type != "likert") and fmt in questions.kind(q.type).exported_to]
    assert [q.id for q in back.questions] == [q.id for q in expected]
    for want, got in zip(expected, back.questions, strict=True):
        assert got == want, f"{fmt}: question '{want.id}' changed on the way"
    assert (back.id, back.title, back.kind) == (original.id, original.title, original.kind)
    assert back.objectives == original.objectives


# ---------------------------------------------------------------- the shipped banks


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "csv"])
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_bank_comes_back_from_each_format(path, fmt, tmp_path):
    original = load_bank(path)
    if not any((fmt == "csv" or q.type != "likert") and fmt in questions.kind(q.type).exported_to
               for q in original.questions):
        from toolkit.formats import FormatError

        with pytest.raises(FormatError, match="nothing to export"):
            export_bank(original, fmt, tmp_path / "out")
        return
    back, exported, imported = roundtrip(original, fmt, tmp_path)
    assert_same(original, back, fmt)
    assert not [r for r in imported if r.level == "error"]
    lost = {r.question for r in exported if "not exported" in r.message or "left out" in r.message}
    for q in original.questions:
        dropped = kept(q, fmt) != q
        if dropped or (q.type == "likert" and fmt != "csv") or fmt not in questions.kind(q.type).exported_to:
            assert q.id in lost, f"{fmt}: what '{q.id}' loses is not reported"


def test_case_studies_are_reported_and_nothing_is_written(tmp_path):
    from toolkit.formats import FormatError

    with pytest.raises(FormatError) as e:
        export_bank(ROOT / "question_banks" / "case-studies.yaml", "gift", tmp_path / "cases.gift.txt")
    messages = [r.message for r in e.value.reports]
    assert any("7 case studies are not exported" in m for m in messages)
    assert any("nothing to export" in m for m in messages)
    assert not (tmp_path / "cases.gift.txt").exists()


# ---------------------------------------------------------------- banks Hypothesis makes


@st.composite
def texts(draw, urdu: bool) -> str | dict:
    en = draw(TEXT)
    return {"en": en, "ur": draw(TEXT)} if urdu and draw(st.booleans()) else en


@st.composite
def options(draw, urdu: bool, feedback: bool, min_size: int = 2, distinct: bool = False) -> list[dict]:
    """Options; `distinct` texts for matching, whose answers Moodle tells apart by their text only (reported)."""
    ids = draw(st.lists(IDS, min_size=min_size, max_size=6, unique=True))
    out, seen = [], set()
    for oid in ids:
        o = {"id": oid, "text": draw(texts(urdu).filter(lambda t: not distinct or str(t) not in seen))}
        seen.add(str(o["text"]))
        if feedback and draw(st.booleans()):
            o["feedback"] = draw(texts(urdu))
        out.append(o)
    return out


@st.composite
def question(draw, qid: str, fmt: str) -> dict:
    urdu = True  # every format holds Urdu (GIFT and Moodle XML as multilang spans)
    types = ["single", "multiple", "truefalse", "classification", "ordering", "matching", "numeric", "open"]
    qtype = draw(st.sampled_from(types + ["short"] + (["likert", "wordcloud"] if fmt == "csv" else [])))
    q: dict = {"id": qid, "type": qtype}
    if questions.kind(qtype).scored:
        q["objectives"] = draw(st.lists(st.sampled_from(["O1", "O2"]), min_size=1, max_size=2, unique=True))
        if draw(st.booleans()):
            q["points"] = draw(st.sampled_from([2, 0.5, 3]))
    if draw(st.booleans()):
        q["difficulty"] = draw(st.sampled_from(["easy", "medium", "hard"]))
    q["text"] = draw(texts(urdu))
    if qtype in ("single", "multiple", "likert"):
        q["options"] = draw(options(urdu, feedback=True))
        ids = [o["id"] for o in q["options"]]
        if qtype == "single":
            q["key"] = draw(st.sampled_from(ids))
        elif qtype == "multiple":
            q["key"] = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    elif qtype == "classification":
        if draw(st.booleans()):
            q["options"] = "tip-som"
            q["key"] = draw(st.sampled_from(["tip", "som", "both", "neither"]))
            if draw(st.booleans()):
                q["option_feedback"] = {"som": draw(texts(urdu))}
        else:
            q["options"] = draw(options(urdu, feedback=True))
            q["key"] = draw(st.sampled_from([o["id"] for o in q["options"]]))
    elif qtype == "ordering":
        q["options"] = draw(options(urdu, feedback=fmt != "gift"))
        q["key"] = draw(st.permutations([o["id"] for o in q["options"]]))
    elif qtype == "matching":
        q["options"] = draw(options(urdu, feedback=fmt == "csv", distinct=fmt != "csv"))
        # Moodle's matching question needs two items at least: one item is reported and left out of GIFT and XML.
        q["items"] = draw(options(urdu, feedback=fmt == "csv", min_size=1 if fmt == "csv" else 2))
        q["key"] = {i["id"]: draw(st.sampled_from([o["id"] for o in q["options"]])) for i in q["items"]}
    elif qtype == "short":
        words = draw(st.lists(LINE, min_size=2, max_size=6, unique_by=questions.normalise)
                     .filter(lambda ws: len({questions.normalise(w) for w in ws}) == len(ws) and all(map(questions.normalise, ws)))
                     .filter(lambda ws: fmt != "gift" or not any("->" in w for w in ws)))  # reported, see test_formats_gift
        pairs = [words[i:i + 2] for i in range(0, len(words) - 1, 2)]
        # (CSV writes each language of an accepted answer as an answer of its own: reported, see test_formats_csv)
        q["accept"] = [{"text": {"en": en, "ur": ur} if urdu and fmt != "csv" and draw(st.booleans()) else en,
                        "points": 1 if i == 0 else draw(st.sampled_from([1, 0.5, 0.25]))} for i, (en, ur) in enumerate(pairs)]
    elif qtype == "truefalse":
        q["key"] = draw(st.booleans())
    elif qtype == "numeric":
        q["key"] = {"value": draw(NUMBER), "tolerance": abs(draw(NUMBER)) if draw(st.booleans()) else 0}
        if draw(st.booleans()):
            q["unit"] = draw(texts(urdu))
    if draw(st.booleans()):
        q["feedback"] = draw(texts(urdu))
    return q


@st.composite
def banks(draw, fmt: str) -> dict:
    ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    urdu = True
    return {"format": 1, "id": draw(IDS), "title": draw(texts(urdu)), "kind": "test",
            "languages": ["en", "ur"] if urdu else ["en"],
            "objectives": [{"id": "O1", "text": draw(texts(urdu))}, {"id": "O2", "text": draw(texts(urdu))}],
            "questions": [draw(question(qid, fmt)) for qid in ids]}


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "csv"])
def test_any_bank_of_the_types_a_format_holds_comes_back_unchanged(fmt, tmp_path_factory):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(content=banks(fmt))
    def check(content):
        original = parse_bank(content, "<generated>")
        back, _exported, imported = roundtrip(original, fmt, tmp_path_factory.mktemp(fmt))
        assert not [str(r) for r in imported if r.level == "error"]
        if fmt == "csv":
            assert back.questions == original.questions
        else:
            assert_same(original, back, fmt)

    check()
