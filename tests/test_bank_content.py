"""Content checks over the shipped banks in question_banks/: coverage, parallel forms, feedback, Urdu."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from toolkit.bank import BankError, load_bank

BANK_DIR = Path(__file__).resolve().parent.parent / "question_banks"
BANK_FILES = sorted(p for p in BANK_DIR.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
MIN_SCORED_PER_FORM = 24
MIN_SCORED_PER_OBJECTIVE = 3
# Banks that participants see in Urdu: every question text must carry an Urdu version.
URDU_KINDS = ("test", "survey", "confidence", "case-studies")


@cache
def _load(path: Path):
    return load_bank(path)


def _banks():
    """Every bank that loads; a bank that does not is reported by test_every_bank_validates."""
    banks = []
    for path in BANK_FILES:
        try:
            banks.append(_load(path))
        except BankError:
            continue
    return banks


def _banks_of_kind(*kinds: str):
    return [b for b in _banks() if b.kind in kinds]


def _paths_of_kind(*kinds: str) -> list[Path]:
    """The bank files of these kinds, for parametrizing (invalid files are left to test_every_bank_validates)."""
    return [Path(b.path) for b in _banks_of_kind(*kinds)]


def _name(bank) -> str:
    return Path(bank.path).name if bank.path else bank.id


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _all_questions(bank):
    """(label, question) for the bank's questions and its case studies' prompts."""
    for q in bank.questions:
        yield q.id, q
    for case in bank.case_studies:
        for p in case.prompts:
            yield f"{case.id}/{p.id}", p


def _form(letter: str):
    forms = [b for b in _banks_of_kind("test") if (b.form or "").upper() == letter]
    assert len(forms) == 1, (
        f"expected exactly one test bank with form: {letter} in {BANK_DIR}, found {[_name(b) for b in forms]}"
    )
    return forms[0]


def _profile(bank, key) -> Counter:
    return Counter(key(q) for q in bank.scored_questions)


def _first_objective(q) -> str:
    return q.objectives[0] if q.objectives else "(none)"


def test_there_are_banks_to_check():
    assert BANK_FILES, f"no *.yaml banks in {BANK_DIR}"


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_every_bank_validates(path):
    try:
        _load(path)
    except BankError as e:
        pytest.fail(f"{path.name} does not validate:\n" + "\n".join(e.problems))


@pytest.mark.parametrize("path", _paths_of_kind("test"), ids=lambda p: p.name)
def test_test_banks_cover_every_objective_with_enough_questions(path):
    bank = _load(path)
    scored = bank.scored_questions
    assert len(scored) >= MIN_SCORED_PER_FORM, (
        f"{path.name} ({bank.id}) has {len(scored)} scored questions; a pre/post form needs at least {MIN_SCORED_PER_FORM}"
    )
    per_objective = Counter(o for q in scored for o in q.objectives)
    thin = {
        o.id: per_objective.get(o.id, 0)
        for o in bank.objectives
        if per_objective.get(o.id, 0) < MIN_SCORED_PER_OBJECTIVE
    }
    assert not thin, (
        f"{path.name} ({bank.id}): objectives with fewer than {MIN_SCORED_PER_OBJECTIVE} scored questions: {thin}"
    )


@pytest.mark.parametrize("path", _paths_of_kind("test"), ids=lambda p: p.name)
def test_test_banks_give_each_question_one_objective_and_a_difficulty(path):
    """Profiles compare forms per objective and difficulty, so each scored question needs exactly one of each."""
    bank = _load(path)
    bad = [
        f"{q.id} (objectives {list(q.objectives)}, difficulty {q.difficulty})"
        for q in bank.scored_questions
        if len(q.objectives) != 1 or q.difficulty is None
    ]
    assert not bad, f"{path.name}: scored questions need exactly one objective and a difficulty: " + "; ".join(bad)


def test_question_texts_are_unique_across_all_banks():
    """No question text (English, whitespace and case normalised) appears twice, within or across banks.

    Case-study prompts are left out: the same prompt ("TIP, SOM, both or neither?") rightly recurs per case.
    """
    seen: dict[str, str] = {}
    duplicates = []
    for bank in _banks():
        for q in bank.questions:
            text = _norm(q.text.get("en", ""))
            where = f"{_name(bank)}:{q.id}"
            if text in seen:
                duplicates.append(f"{where} repeats {seen[text]}: {q.text.get('en', '')!r}")
            else:
                seen[text] = where
    assert not duplicates, "duplicate question texts:\n" + "\n".join(duplicates)


@pytest.mark.parametrize("path", [Path(b.path) for b in _banks()], ids=lambda p: p.name)
def test_every_scored_question_has_feedback(path):
    bank = _load(path)
    missing = [q.id for q in bank.questions if q.scored and not q.feedback.get("en", "").strip()]
    assert not missing, f"{path.name} ({bank.id}): scored questions without question-level English feedback: {missing}"


@pytest.mark.parametrize("letter", ["A", "B"])
def test_every_option_of_the_pre_post_forms_has_feedback(letter):
    bank = _form(letter)
    missing = [
        f"{q.id}/{o.id}"
        for q in bank.scored_questions
        if q.type in ("single", "multiple", "classification", "ordering", "matching")
        for o in q.options
        if not o.feedback.get("en", "").strip()
    ]
    assert not missing, f"{_name(bank)}: options without feedback (say why each is right or wrong): {missing}"


def test_forms_a_and_b_have_the_same_number_of_scored_questions():
    a, b = _form("A"), _form("B")
    assert len(a.scored_questions) == len(b.scored_questions), (
        f"{_name(a)} has {len(a.scored_questions)} scored questions, {_name(b)} has {len(b.scored_questions)}"
    )


@pytest.mark.parametrize(
    "what, key",
    [
        ("objective", _first_objective),
        ("difficulty", lambda q: q.difficulty or "(none)"),
        ("objective x difficulty", lambda q: f"{_first_objective(q)}/{q.difficulty or '(none)'}"),
    ],
)
def test_forms_a_and_b_have_identical_profiles(what, key):
    a, b = _form("A"), _form("B")
    pa, pb = _profile(a, key), _profile(b, key)
    diff = {k: (pa.get(k, 0), pb.get(k, 0)) for k in sorted(set(pa) | set(pb)) if pa.get(k, 0) != pb.get(k, 0)}
    assert not diff, f"scored questions per {what} differ between {_name(a)} and {_name(b)} (A, B): {diff}"


def test_forms_a_and_b_declare_the_same_objectives():
    a, b = _form("A"), _form("B")
    oa = {o.id: o.text.get("en") for o in a.objectives}
    ob = {o.id: o.text.get("en") for o in b.objectives}
    assert oa == ob, f"{_name(a)} and {_name(b)} declare different objectives: {oa} vs {ob}"


def test_forms_a_and_b_share_no_question_id():
    a, b = _form("A"), _form("B")
    shared = sorted({q.id for q in a.questions} & {q.id for q in b.questions})
    assert not shared, f"{_name(a)} and {_name(b)} reuse question ids (parallel items must be distinct): {shared}"


@pytest.mark.parametrize("path", _paths_of_kind(*URDU_KINDS), ids=lambda p: p.name)
def test_participant_facing_banks_carry_urdu_for_every_question(path):
    bank = _load(path)
    assert "ur" in bank.languages, f"{path.name} ({bank.id}) must list ur in languages"
    missing = [label for label, q in _all_questions(bank) if not q.text.get("ur", "").strip()]
    missing += [f"{c.id} (scenario)" for c in bank.case_studies if not c.scenario.get("ur", "").strip()]
    assert not missing, f"{path.name} ({bank.id}): question texts without Urdu (ur): {missing}"
    assert bank.questions or bank.case_studies, f"{path.name} has nothing to check"


def test_the_survey_and_confidence_banks_exist():
    kinds = Counter(b.kind for b in _banks())
    assert kinds["survey"] >= 1, f"no bank of kind survey in {BANK_DIR}"
    assert kinds["confidence"] >= 1, f"no bank of kind confidence in {BANK_DIR}"


def test_the_confidence_bank_has_one_item_per_objective():
    for bank in _banks_of_kind("confidence"):
        per_objective = Counter(o for q in bank.questions for o in q.objectives)
        wrong = {o.id: per_objective.get(o.id, 0) for o in bank.objectives if per_objective.get(o.id, 0) != 1}
        assert not wrong, f"{_name(bank)}: each objective needs exactly one confidence item; counts: {wrong}"


def _english_texts(bank):
    """(where, text, question text) for every English text a participant or coach reads in the bank."""
    for label, q in _all_questions(bank):
        context = q.text.get("en", "")
        yield f"{label} (text)", context, context
        yield f"{label} (feedback)", q.feedback.get("en", ""), context
        for kind, choices in (("option", q.options), ("item", q.items)):
            for o in choices:
                yield f"{label}/{kind} {o.id}", o.text.get("en", ""), context
                yield f"{label}/{kind} {o.id} (feedback)", o.feedback.get("en", ""), context
    for case in bank.case_studies:
        yield f"{case.id} (scenario)", case.scenario.get("en", ""), ""
        yield f"{case.id} (debrief)", case.debrief.get("en", ""), ""


# The rule that a child needs no means is the UN Trafficking Protocol's (art. 3(c)): Pakistan's
# Prevention of Trafficking in Persons Act 2018 is framed around force, fraud or coercion and does
# not repeat it. A text that teaches the rule must say whose rule it is, itself or in its question.
CHILD_NEEDS_NO_MEANS = re.compile(
    r"no means (need|needs|has|have|is|are)\b|needs? no means|consent and means do not matter"
    r"|act and (the )?(exploitative )?purpose (are|is) enough|act and purpose suffice"
    r"|only act (\+|and) purpose|act \+ purpose (make|are|is)",
    re.IGNORECASE,
)


def test_the_no_means_rule_for_children_is_given_to_the_protocol():
    unattributed = [
        f"{_name(bank)}:{where}: {text!r}"
        for bank in _banks()
        for where, text, context in _english_texts(bank)
        if CHILD_NEEDS_NO_MEANS.search(text) and "Protocol" not in text and "Protocol" not in context
    ]
    assert not unattributed, (
        "texts teaching that a child needs no means without saying it is the UN Protocol's rule "
        "(the 2018 Act is framed around force, fraud or coercion; say so, or name the Protocol):\n"
        + "\n".join(unattributed)
    )


# Statements the 2026-12 review of the banks against the Protocols and Pakistan's 2018 Acts found
# to overstate the law (issue #16). Each phrase is matched case-insensitively in every English text.
OVERSTATEMENTS = {
    "never smuggling": "enabling a foreigner's illegal stay for a benefit can be smuggling; say what smuggling is about",
    "is a separate question": "the 1992 Act (s. 6) extinguishes a bonded debt and bars a suit to recover it",
    "a breach worth reporting": "recruiting for jobs abroad without a licence is an offence under the Emigration Ordinance 1979",
    "the law says consent": "say whose rule: the Protocol's art. 3(b), and deception as fraud under the 2018 Act",
    "states must protect": "the Protocol binds States; cite the Prevention of Smuggling of Migrants Act 2018",
    "punishable with imprisonment, and": "the Act allows imprisonment, a fine or both; do not imply imprisonment is mandatory",
    "border crossing for a fee": "smuggling is for money or another material benefit, not only a fee",
}


def test_the_banks_do_not_repeat_the_overstatements_of_the_law_found_in_review():
    found = [
        f"{_name(bank)}:{where}: contains {phrase!r}: {why}"
        for bank in _banks()
        for where, text, _ in _english_texts(bank)
        for phrase, why in OVERSTATEMENTS.items()
        if phrase in text.casefold()
    ]
    assert not found, "feedback that overstates the law:\n" + "\n".join(found)


@pytest.mark.parametrize("path", _paths_of_kind("survey"), ids=lambda p: p.name)
def test_survey_agreement_statements_ask_one_thing(path):
    """A statement that joins two things with 'and' cannot be answered for one without the other.

    Words in brackets only say what a term covers ('logistics (venue, timing, travel and meals)').
    """
    bank = _load(path)
    statements = [q for q in bank.questions if q.type == "likert" and len(q.options) == 5]
    assert statements, f"{path.name} has no agreement statements to check"
    double = [
        f"{q.id}: {q.text.get('en', '')!r}"
        for q in statements
        if re.search(r"\band\b", re.sub(r"\([^)]*\)", "", q.text.get("en", "")), re.IGNORECASE)
    ]
    assert not double, f"{path.name}: statements that ask two things (split each into one item per thing):\n" + "\n".join(double)
