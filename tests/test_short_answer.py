"""The short-answer type (toolkit/questions/short.py): its bank field, its scoring, the phone's box, the coach's chart."""

from __future__ import annotations

import random
import re
import textwrap

import pytest
from helpers import ROOT
from test_coach_app import coach, phone

from toolkit import questions
from toolkit.bank import BankError, load_bank
from toolkit.limits import TEXT_LIMITS
from toolkit.questions import normalise
from toolkit.scoring import score

FIXTURE = ROOT / "tests" / "fixtures" / "banks" / "short-answer.yaml"


@pytest.fixture
def bank():
    return load_bank(FIXTURE)


@pytest.mark.parametrize(("typed", "points"), [
    ("FIA", 1.0),
    ("  fia ", 1.0),  # case and spaces
    ("Federal   investigation\tAGENCY", 1.0),
    ("ایف آئی اے", 1.0),  # the Urdu accepted answer, on any page
    ("وَفاقی تَحقیقاتی اِدارہ", 1.0),  # harakat (fatha, kasra) typed or not
    ("وفاقي تحقيقاتي ادارہ", 1.0),  # Arabic yeh (U+064A) from an Arabic keyboard
    ("anti-human smuggling circle", 0.5),  # partial credit of its own
    ("Police", 0.0),
    ("FIA police", 0.0),  # the whole answer is compared, not a word of it
    ("", 0.0),
])
def test_a_typed_answer_scores_the_points_of_the_accepted_answer_it_matches(bank, typed, points):
    assert score(bank.question("agency"), typed).points == points


def test_a_malformed_answer_scores_nothing(bank):
    q = bank.question("agency")
    assert score(q, ["FIA"]).points == 0.0 and score(q, 3).points == 0.0 and score(q, None).points == 0.0


def test_normalising_ignores_case_spaces_and_harakat_only():
    assert normalise("  Plan  AND prepare ") == "plan and prepare"
    assert normalise("\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f\u0670") == "\u0645\u062d\u0645\u062f"  # U+064B–065F, U+0670
    assert normalise("ايف") != normalise("ایک")  # letters themselves still count


def _problems(tmp_path, question: str, languages: str = "[en]") -> list[str]:
    path = tmp_path / "b.yaml"
    path.write_text(textwrap.dedent(f"""\
        format: 1
        id: b
        title: B
        kind: check
        languages: {languages}
        objectives: [{{id: O1, text: T}}]
        questions:
        """) + textwrap.indent(textwrap.dedent(question), "  "), encoding="utf-8")
    with pytest.raises(BankError) as e:
        load_bank(path)
    return [p.replace(f"{path}:", "") for p in e.value.problems]


@pytest.mark.parametrize(("question", "expected"), [
    ("- {id: q, type: short, objectives: [O1], text: T}\n", "8: question 'q': missing 'accept' (the right answer)"),
    ("- {id: q, type: short, objectives: [O1], text: T, key: FIA}\n",
     "8: question 'q': a short question gives its right answers in 'accept', not 'key'"),
    ("- id: q\n  type: short\n  objectives: [O1]\n  text: T\n  accept:\n    - FIA\n    - {text: police, points: 2}\n",
     "14: question 'q': the points of an accepted answer are a share of the question's, more than 0 and at most 1, "
     "not '2'"),
    ("- id: q\n  type: short\n  objectives: [O1]\n  text: T\n  accept:\n    - FIA\n    - ' fia'\n",
     "14: question 'q': 'fia' is accepted twice (also on line 13); case, spaces and diacritics are ignored"),
    ("- id: q\n  type: short\n  objectives: [O1]\n  text: T\n  accept: [{text: police, points: 0.5}]\n",
     "12: question 'q': at least one accepted answer must earn full points (points: 1)"),
    ("- {id: q, type: short, objectives: [O1], text: T, accept: FIA}\n",
     "8: question 'q': 'accept' must list the accepted answers, e.g. [FIA, {text: police, points: 0.5}]"),
    ("- {id: q, type: single, objectives: [O1], text: T, options: [{id: a, text: A}, {id: b, text: B}], key: a,"
     " accept: [A]}\n", "8: question 'q': only a short question has a 'accept' (this one is single)"),
])
def test_each_problem_of_accept_is_reported_at_its_line(tmp_path, question, expected):
    assert expected in _problems(tmp_path, question)


def test_an_accepted_answer_without_a_text_in_a_language_of_the_bank_is_warned_of(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(FIXTURE.read_text(encoding="utf-8").replace("{text: {en: FIA, ur: ایف آئی اے}}", "FIA"),
                    encoding="utf-8")
    warnings = load_bank(path).warnings
    assert any(w.endswith(":18: question 'agency': accepted answer 'FIA' has no Urdu (ur) text") for w in warnings)


@pytest.fixture
def check(store, bank):
    workshop = store.add_workshop("Law check", place="Quetta")
    session = store.add_session(workshop["id"], "Day 2")
    activity = store.add_activity(session["id"], bank, "check")
    store.open_activity(activity["id"])
    return store, session, store.find_activity(activity["id"])


def test_the_phone_types_a_bounded_answer_and_sees_the_verdict_and_feedback_after_reveal(check):
    store, session, activity = check
    p = phone(store, session, "Ayesha")
    box = p.input.box
    assert type(box).__name__ == "Text"  # one line, not a text area
    box.value = "x" * (TEXT_LIMITS["word"] + 15)
    assert box.value == "x" * TEXT_LIMITS["word"]  # clipped in the kernel to the most a short answer takes
    box.value = "  Anti-Human Smuggling Circle "
    assert "Saved" in p.status.value
    assert store.latest_answers(p.attempt["id"]) == {"agency": "Anti-Human Smuggling Circle"}
    p.go(1)
    p.submit_button.click()
    p.confirm_yes.click()
    store.reveal_activity(activity["id"])
    p.refresh()
    page = p.body.children[0].value
    assert "Your score: 0.50 of 1 (50%)" in page and "Partly right" in page
    assert "Anti-Human Smuggling Circle" in page and "internal trafficking is for the provincial police" in page


def test_the_coach_sees_the_typed_answers_grouped_once_normalised_and_the_right_one_marked_after_reveal(check):
    store, session, activity = check
    app = coach(store)
    app.prepare.continue_button.click()
    assert app.selected_activity == activity["id"]
    for name, typed in (("Ayesha", "FIA"), ("Bilal", " fia  "), ("Chand", "Police"), ("Dua", "F.I.A")):
        phone(store, session, name).input.box.value = typed
    app.nav.value = "results"
    results = app.panels["results"]
    results.refresh()
    chart = re.search(r"class='tk-dist' data-question='agency'>(.*?)</td>", results.questions.value).group(1)
    bars = re.findall(r"data-option='([^']*)'>.*?<b class='tk-count'>(\d+)</b>", chart)
    assert bars == [("fia", "2"), ("f.i.a", "1"), ("police", "1")]  # most first, then alphabetical
    assert "✓" not in chart
    store.reveal_activity(activity["id"])
    results.refresh()
    chart = re.search(r"class='tk-dist' data-question='agency'>(.*?)</td>", results.questions.value).group(1)
    assert re.search(r"tk-right-row' data-option='fia'>.*?fia ✓", chart) and "police ✓" not in chart


def test_the_demo_answers_a_short_question_right_or_wrong(bank):
    q = bank.question("agency")
    kind = questions.kind("short")
    rng = random.Random(1)
    assert all(score(q, kind.simulate(q, True, rng, [])).correct for _ in range(10))
    assert not any(score(q, kind.simulate(q, False, rng, [])).correct for _ in range(10))


def test_a_shipped_bank_asks_a_short_answer():
    bank = load_bank(ROOT / "question_banks" / "topic-pakistan-law.yaml")
    q = next(q for q in bank.questions if q.type == "short")
    assert score(q, "fia").correct and score(q, "Federal Investigation Agency").correct
    assert not score(q, "Provincial police").points


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "csv"])
def test_gift_moodle_xml_and_csv_write_a_short_answer_and_read_it_back(tmp_path, fmt):
    from toolkit.formats import export_bank, import_bank

    path = ROOT / "question_banks" / "topic-pakistan-law.yaml"
    reports = export_bank(path, fmt, tmp_path / "out")
    assert not [r for r in reports if r.question == "agency-smuggling-taftan" and "not exported" in r.message]
    content, _reports = import_bank(tmp_path / "out", fmt)
    back = next(q for q in content["questions"] if q["id"] == "agency-smuggling-taftan")
    assert back["type"] == "short" and [a if isinstance(a, str) else a["text"] for a in back["accept"]] == [
        "FIA", "Federal Investigation Agency", "FIA Anti-Human Smuggling Circle", "Anti-Human Smuggling Circle"]


@pytest.mark.parametrize("fmt", ["xlsform"])
def test_an_export_leaves_a_short_answer_out_and_says_so(tmp_path, fmt):
    from toolkit.formats import SKIPPED, export_bank

    path = ROOT / "question_banks" / "topic-pakistan-law.yaml"
    reports = export_bank(path, fmt, tmp_path / "out")
    said = [r for r in reports if r.question == "agency-smuggling-taftan"]
    assert [(r.level, r.message) for r in said] == [(SKIPPED, f"not exported: {fmt} has no short question")]
    written = (tmp_path / "out").read_bytes()
    assert b"agency-smuggling-taftan" not in written and b"Taftan" not in written
