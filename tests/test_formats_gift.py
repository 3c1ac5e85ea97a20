"""GIFT: Moodle's own examples file read question by question; every feature; broken files; export."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import ROOT

from toolkit.bank import load_bank, parse_bank
from toolkit.formats import FormatError, dump_bank_yaml, export_bank, import_bank

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
# The examples file Moodle publishes (question/format/gift/examples.txt, GPL), kept outside this repository.
MOODLE_EXAMPLES = Path(os.environ.get("MOODLE_GIFT_EXAMPLES")
                       or ROOT.parent / "shared" / "fixtures" / "gift" / "moodle-examples.gift.txt")

# The line each question of moodle-examples.gift.txt starts on, counted by hand: 43 questions.
EXAMPLE_LINES = [8, 10, 12, 14, 16, 25, 27, 29, 35, 43, 45, 49, 51, 55, 61, 70, 72, 74, 76, 85, 90, 93, 98, 103,
                 108, 113, 115, 117, 123, 130, 136, 143, 148, 167, 169, 171, 173, 175, 177, 184, 190, 195, 202]
# The questions the bank cannot hold as they are, each reported with its line: feedback per short answer (4),
# partial credit in single choice (3), several numerical answers (2), feedback on true/false answers (1), free
# wrong choices in multiple answers (1).
REPORTED_LINES = [76, 103, 108, 113, 115, 117, 123, 130, 190, 195, 202]


def gift(tmp_path, text: str, name: str = "q.gift.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    content, reports = import_bank(path, "gift")
    return content, reports, path


def by_id(content: dict) -> dict:
    return {q["id"]: q for q in content["questions"]}


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "bad.gift.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as e:
        import_bank(path, "gift")
    return [str(r).replace(f"{path}:", "") for r in e.value.reports]


# ---------------------------------------------------------------- Moodle's examples


@pytest.fixture(scope="module")
def examples():
    if not MOODLE_EXAMPLES.exists():
        if os.environ.get("CI"):  # CI has shared/ beside the clone: a missing file there is a failure
            raise FileNotFoundError(f"Moodle's GIFT examples are not at {MOODLE_EXAMPLES}")
        pytest.skip(f"Moodle's GIFT examples are not at {MOODLE_EXAMPLES} (set MOODLE_GIFT_EXAMPLES)")
    return import_bank(MOODLE_EXAMPLES, "gift")


def test_every_question_of_moodles_examples_is_read(examples):
    content, reports = examples
    assert len(content["questions"]) == len(EXAMPLE_LINES) == 43
    assert not [r for r in reports if r.level in ("error", "skipped")]
    parse_bank(content, "<examples>")


def test_what_the_bank_cannot_hold_is_reported_per_question_with_its_line(examples):
    _content, reports = examples
    per_question = [r for r in reports if r.question]
    assert sorted({r.where for r in per_question}) == REPORTED_LINES
    assert all(r.where in EXAMPLE_LINES for r in per_question)
    assert all(str(r).startswith(f"{MOODLE_EXAMPLES}:{r.where}: question '{r.question}': ") for r in per_question)
    todo = [r for r in reports if r.level == "todo"]
    assert len(todo) == 1 and "placeholder objective O1" in todo[0].message


def test_the_examples_as_the_bank_holds_them(examples):
    content, reports = examples
    q = content["questions"]
    at = dict(zip(EXAMPLE_LINES, q, strict=True))
    said = {}
    for r in reports:
        said.setdefault(r.where, []).append(r.message)
    assert at[8]["type"] == "single" and at[8]["key"] == "c" and at[8]["options"][2]["text"] == "no one"
    assert at[10]["text"] == "Grant is _____ in Grant's tomb."  # the missing-word format
    assert at[12]["type"] == "truefalse" and at[12]["key"] is False
    assert at[51]["key"] is True
    assert at[16]["key"] == {"value": 1822, "tolerance": 1}
    assert at[72]["key"] == {"value": 3.1415, "tolerance": 0.0005}
    assert at[74]["key"] == {"value": 3.1415, "tolerance": 0.0005}  # {#3.141..3.142}
    assert at[76]["key"] == {"value": 1822, "tolerance": 0}
    assert "1822 ± 2 (50%)" in said[76][0]
    assert at[61]["type"] == "matching" and at[61]["key"] == {"1": "a", "2": "b", "3": "c", "4": "d"}
    assert [o["text"] for o in at[61]["options"]] == ["Ottawa", "Rome", "Tokyo", "New Delhi"]
    assert at[14]["type"] == "short" and at[14]["accept"] == ["no one", "nobody"] and 14 not in said
    assert at[123]["accept"] == ["Nazareth", {"text": "Nazereth", "points": 0.75}, {"text": "Bethlehem", "points": 0.25}]
    assert at[123]["feedback"].startswith("Nazareth: ")  # feedback per accepted answer: the question's
    assert at[45]["text"] == "Two plus two equals _____."
    assert at[90]["id"] == "kanji-origins" and at[93]["id"] == "thanksgiving-date"
    assert at[98]["options"][0]["feedback"] == "feedback comment on the wrong answer"
    assert at[108]["text"] == "Who's buried in Grant's tomb?"  # [markdown]**Grant's tomb** → plain text
    assert at[113]["feedback"] == "If you answered true: No one is buried in Grant's tomb."
    assert "feedback on the answer 'true'" in said[113][0]
    assert "'half credit answer' (50%)" in said[115][0]
    assert "'Bethlehem' (25%), 'Galilee' (50%)" in said[117][0]
    assert at[123]["id"] == "jesus-hometown-2" and "already used" in said[123][0]
    assert at[130]["type"] == "multiple" and at[130]["key"] == ["b", "c"]
    assert "'No one', 'Grant's father' costs nothing" in said[130][0]
    assert at[136]["key"] == ["b", "c"] and 136 not in said  # -50/50/50/-50: exactly the bank's partial credit
    assert [o["text"] for o in at[143]["options"]] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    control = at[148]
    assert [o["text"] for o in control["options"]] == ["~", "=", "#", "{", "}", "\\"]
    assert control["key"] == "f" and control["options"][5]["feedback"].startswith("Correct! \\ (backslash)")
    assert at[184]["id"] == "grants-tomb" and at[184]["options"][1]["feedback"] == "Right answer!"
    assert "He was born in 1822.\nYou get 50% credit" in at[202]["feedback"]


def test_the_examples_written_as_a_bank_pass_the_check(examples, tmp_path):
    content, _reports = examples
    path = tmp_path / "examples.yaml"
    path.write_text(dump_bank_yaml(content), encoding="utf-8")
    bank = load_bank(path)
    assert len(bank.questions) == 43 and not bank.warnings
    assert bank.objectives[0].text["en"] == "Imported from moodle-examples.gift.txt: assign learning objectives"


# ---------------------------------------------------------------- every feature


@pytest.fixture(scope="module")
def features():
    content, reports = import_bank(FIXTURES / "gift-features.gift.txt", "gift")
    return by_id(content), reports, content


def test_categories_become_objectives(features):
    q, reports, content = features
    assert content["objectives"] == [{"id": "definitions", "text": "Definitions"}, {"id": "referral", "text": "Referral"}]
    assert q["consent-deception"]["objectives"] == ["definitions"] and q["agencies"]["objectives"] == ["referral"]
    assert any(r.level == "todo" and "categories" in r.message for r in reports)


def test_answers_feedback_and_general_feedback(features):
    q = features[0]["consent-deception"]
    assert q["key"] == "a" and q["options"][0]["feedback"] == "Right: article 3(b) of the Protocol."
    assert q["feedback"] == "Consent is irrelevant once any of the means was used."


def test_weights_the_bank_holds_exactly_are_not_reported(features):
    q, reports, _ = features
    assert q["elements-of-trafficking"]["key"] == ["a", "b", "c"]
    assert not [r for r in reports if r.question == "elements-of-trafficking"]


def test_true_false_feedback_is_kept_in_the_question_feedback_and_reported(features):
    q, reports, _ = features
    assert q["border-needed"]["key"] is False
    assert q["border-needed"]["feedback"] == ("If you answered true: No: it can happen inside Pakistan.\n\n"
                                              "If you answered false: Right.")
    assert [r.where for r in reports if r.question == "border-needed"] == [22]


def test_missing_word_numeric_ranges_and_matching_with_a_distractor(features):
    q = features[0]
    assert q["missing-word"]["text"] == "A person under _____ years of age is a child under the Protocol."
    assert q["hotline"]["key"] == {"value": 30, "tolerance": 2}
    assert q["range"]["key"] == {"value": 6, "tolerance": 1}
    agencies = q["agencies"]
    assert [o["text"] for o in agencies["options"]] == ["Provincial police", "FIA", "Municipal committee"]
    assert [i["text"] for i in agencies["items"]] == ["Internal trafficking", "Migrant smuggling"]


def test_formats_become_plain_text_and_markup_never_survives(features):
    q = features[0]
    assert q["reflection"] == {"id": "reflection", "type": "open", "objectives": ["referral"],
                               "text": "What would you do first when you meet a possible victim?"}
    html = q["html-text"]
    assert html["text"] == "Which of these is an indicator of forced labour?"  # no <p>, no <b>, no script
    assert html["options"][0]["text"] == "Wages held back & documents taken"
    assert html["options"][1]["text"] == "A <b> tag stays as written in plain text"  # [plain] is plain


def test_escaped_control_characters_and_line_breaks(features):
    q = features[0]["escapes"]
    assert q["text"] == 'Which sign means "equals": = or ~ or #? See {braces}.\nSecond line.'
    assert [o["text"] for o in q["options"]] == ["=", "~", "#"]
    assert q["options"][0]["feedback"] == 'Yes, = is "equals".'


def test_moodle_idnumber_comment_gives_the_id(features):
    assert "O1-q7" in features[0]


def test_short_answer_is_imported_and_description_is_reported(features):
    q, reports, _ = features
    assert q["who-leads-on-cross-border-trafficking"]["type"] == "short"
    skipped = [r for r in reports if r.level == "skipped"]
    assert len(skipped) == 1 and skipped[0].where == 65 and "description" in skipped[0].message


def test_a_short_answer_that_is_one_number_becomes_numeric(tmp_path):
    content, reports, _ = gift(tmp_path, "::n::How many?{=4}\n")
    assert content["questions"][0]["key"] == {"value": 4, "tolerance": 0}
    assert "read as a numeric question" in reports[0].message


def test_lower_case_true_is_a_short_answer_with_a_hint(tmp_path):
    _content, reports, _ = gift(tmp_path, "::t::The sun rises in the east.{true}\n")
    assert "write TRUE or FALSE in capitals" in reports[0].message


def test_negative_weights_and_several_right_answers_in_single_choice_are_reported(tmp_path):
    content, reports, _ = gift(tmp_path, "::s::Pick one{=a =b ~%-50%c}\n")
    assert content["questions"][0]["key"] == "a"
    messages = " | ".join(r.message for r in reports if r.question == "s")
    assert "'b' also gives full credit" in messages and "penalties cannot be held" in messages and "(-50%)" in messages


def test_multiple_answers_with_unequal_weights_are_reported(tmp_path):
    content, reports, _ = gift(tmp_path, "::m::Pick{~%70%a ~%30%b ~%-100%c}\n")
    assert content["questions"][0]["key"] == ["a", "b"]
    messages = " | ".join(r.message for r in reports)
    assert "'a' 70%, 'b' 30%" in messages and "'c' -100%" in messages


# ---------------------------------------------------------------- broken files


def test_an_unclosed_brace_is_reported_with_its_line_and_the_rest_is_imported(tmp_path):
    content, reports, path = gift(tmp_path, "::ok::Fine?{T}\n\n::half::Written\nhalf {\n=a\n~b\n\n::ok2::Also?{F}\n")
    assert [q["id"] for q in content["questions"]] == ["ok", "ok2"]
    errors = [str(r) for r in reports if r.level == "error"]
    assert errors == [f"{path}:4: question 'half': not imported: '{{' is never closed: the answers must end with "
                      "'}' before the next blank line"]


def test_other_half_written_questions_are_reported(tmp_path):
    text = ("::a::Stray } brace{T}\n\n::b::Two blocks{T}\n{F}\n\n::c::One answer{~only}\n\n"
            "::d::Not a number{#abc}\n\n::e::Match{=x -> 1 =y}\n\n::f::Ok{T}\n")
    _content, reports, path = gift(tmp_path, text)
    errors = {r.question: (r.where, r.message) for r in reports if r.level == "error"}
    assert errors["a"][0] == 1 and "'}' without an opening '{'" in errors["a"][1]
    assert errors["b"][0] == 4 and "is a blank line missing" in errors["b"][1]
    assert "at least two answers" in errors["c"][1]
    assert "must be a number" in errors["d"][1]
    assert "'y' has no '->'" in errors["e"][1]


def test_a_file_where_nothing_can_be_imported_says_so_per_question(tmp_path):
    assert problems(tmp_path, "::a::Broken {\n=x\n") == [
        "1: question 'a': not imported: '{' is never closed: the answers must end with '}' before the next blank line",
        "1: no question could be imported",
    ]


@pytest.mark.parametrize("text", ["", "\n  \n\t\n"])
def test_an_empty_file(tmp_path, text):
    assert problems(tmp_path, text) == ["1: the file is empty"]


def test_a_file_of_comments_only(tmp_path):
    assert problems(tmp_path, "// nothing here\n// at all\n") == ["1: no questions in this file (is it GIFT?)"]


def test_a_windows_1252_file_gets_its_line_and_a_way_out(tmp_path):
    path = tmp_path / "word.gift.txt"
    path.write_bytes("::a::Fine?{T}\n\n::b::Don\u2019t cross?{F}\n".encode("cp1252"))
    with pytest.raises(FormatError) as e:
        import_bank(path, "gift")
    [message] = [str(r) for r in e.value.reports]
    assert message.startswith(f"{path}:3: the file is not UTF-8 text (byte 0x92 in column 9, which Windows (cp1252) "
                              "reads as '\u2019')")
    assert "--encoding cp1252" in message
    content, _reports = import_bank(path, "gift", encoding="cp1252")
    assert content["questions"][1]["text"] == "Don\u2019t cross?"


def test_utf8_with_bom_and_windows_line_ends_are_read(tmp_path):
    path = tmp_path / "bom.gift.txt"
    path.write_bytes(b"\xef\xbb\xbf::a::Fine?{T}\r\n\r\n::b::Also?{F}\r\n")
    content, _ = import_bank(path, "gift")
    assert [q["id"] for q in content["questions"]] == ["a", "b"]


# ---------------------------------------------------------------- export


def test_export_writes_what_moodle_reads(tmp_path):
    bank = load_bank(ROOT / "tests" / "banks" / "all-types.yaml")
    out = tmp_path / "all.gift.txt"
    reports = export_bank(bank, "gift", out)
    text = out.read_text(encoding="utf-8")
    span = lambda lang, s: f'<span lang\\="{lang}" class\\="multilang">{s}</span>'  # noqa: E731 (GIFT escapes =)
    kiln = "A kiln family's debt keeps growing and they may not leave."
    assert "// [id:kiln]\n" in text and f"::kiln::[html]{span('en', kiln)}" in text
    assert f"\t~%33.33333%{span('en', 'Act')}{span('ur', 'عمل')}\n" in text
    assert f"\t~%-33.33333%{span('en', 'A border crossing')}{span('ur', 'سرحد پار کرنا')}\n" in text
    assert f"::age::[html]{span('en', 'Below what age is a person a child under the Protocol?')}" in text
    assert "{#18:0}" in text
    assert f"\t={span('en', 'Identify')}{span('ur', 'شناخت')} -> 1\n" in text  # ordering, as matching to positions
    assert f"{span('ur', 'آپ مزید کس بارے میں سیکھنا چاہیں گے؟')}{{}}" in text
    levels = {(r.question, r.level) for r in reports}
    assert ("confident", "skipped") in levels and ("age", "changed") in levels
    assert not any("not exported" in r.message and "Urdu" in r.message for r in reports)
    assert [r.message.split(" are written")[0] for r in reports if r.level == "todo"] == ["the Urdu texts"]
    assert all(str(r).startswith(f"{bank.path}:") for r in reports)


def test_export_escapes_and_marks_html_looking_text_as_plain(tmp_path):
    content = {"format": 1, "id": "x", "title": "x", "kind": "test", "objectives": [{"id": "O", "text": "o"}],
               "questions": [{"id": "q", "type": "single", "objectives": ["O"], "text": "Is <b> a tag? a=b {c} #d ~e",
                              "options": [{"id": "a", "text": "%50% off"}, {"id": "b", "text": "[plain] text"}],
                              "key": "b"}]}
    out = tmp_path / "x.gift.txt"
    export_bank(parse_bank(content, "<x>"), "gift", out)
    text = out.read_text(encoding="utf-8")
    assert "::q::[plain]Is <b> a tag? a\\=b \\{c\\} \\#d \\~e{" in text
    assert "\t~%0%%50% off\n" in text and "\t=[plain][plain] text\n" in text
    back, _ = import_bank(out, "gift")
    assert back["questions"][0]["text"] == content["questions"][0]["text"]
    assert [o["text"] for o in back["questions"][0]["options"]] == ["%50% off", "[plain] text"]


def test_a_missing_blank_line_after_a_category_is_reported_and_the_question_kept(tmp_path):
    content, reports, _ = gift(tmp_path, "$CATEGORY: $course$/top/Law\n::q::Is it?{T}\n")
    assert content["questions"][0]["objectives"] == ["law"]
    assert reports[0].where == 2 and "no blank line after $CATEGORY" in reports[0].message


def test_moodles_ordering_syntax_is_an_ordering_question_with_its_order_as_the_key():
    content, reports = import_bank(FIXTURES / "ordering.gift.txt", "gift")
    words, steps = content["questions"]
    assert (words["id"], words["type"], words["text"]) == ("myid", "ordering", "Put these words in order.")
    by_id = {o["id"]: o["text"] for o in words["options"]}
    assert [by_id[k] for k in words["key"]] == ["Modular", "Object", "Oriented", "Dynamic", "Learning", "Environment"]
    assert [o["text"] for o in words["options"]] != [by_id[k] for k in words["key"]]  # shown mixed, not in order
    by_id = {o["id"]: o["text"] for o in steps["options"]}
    assert [by_id[k] for k in steps["key"]] == ["Identify the presumed victim", "Ensure immediate safety",
                                                "Refer to a shelter or protection service", "Follow up"]
    said = [(r.where, r.question, r.message) for r in reports if r.level != "todo"]
    assert said[0] == (5, "myid", "Moodle grades this question by 'RELATIVE_NEXT_EXCLUDE_LAST'; the bank gives the "
                                  "fraction of items in their right position")  # Moodle's default grading
    assert not any(q == "referral-steps" and "grades" in m for _w, q, m in said)  # ABSOLUTE_POSITION, as the bank


def test_an_ordering_block_with_one_item_is_refused_with_its_line(tmp_path):
    _content, reports, _ = gift(tmp_path, "::a::Order?{>2 ALL\nOnly one\n}\n\n::b::Fine?{T}\n")
    assert [(r.where, r.level) for r in reports if r.question == "a"] == [(1, "error")]
    assert "an ordering question is written {>N settings" in reports[0].message


def test_a_gift_export_of_a_bank_with_urdu_only_in_its_title_says_nothing_of_urdu(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("format: 1\nid: b\ntitle: {en: B, ur: ب}\nkind: test\nlanguages: [en, ur]\n"
                    "objectives: [{id: O1, text: One}]\n"
                    "questions:\n  - {id: q, type: truefalse, objectives: [O1], text: Is it so, key: true}\n",
                    encoding="utf-8")
    reports = export_bank(load_bank(path), "gift", tmp_path / "b.gift.txt")
    assert not any("Urdu" in r.message for r in reports)


def test_a_short_answer_with_partial_credit_is_a_short_question(tmp_path):
    content, reports, _ = gift(tmp_path, "::lead::Who leads?{=FIA =%50%police =%0%nobody}\n")
    q = content["questions"][0]
    assert q["type"] == "short" and q["accept"] == ["FIA", {"text": "police", "points": 0.5}]
    assert any("left out 'nobody' (0%)" in r.message for r in reports)


def test_a_short_question_goes_to_gift_and_back(tmp_path):
    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK, encoding="utf-8")
    out = tmp_path / "short.gift.txt"
    reports = export_bank(bank, "gift", out)
    written = out.read_text(encoding="utf-8")
    assert "{\n\t=FIA\n\t=ایف آئی اے\n\t=Federal Investigation Agency\n\t=%50%police\n" in written
    assert any(r.question == "needs" and "not exported" in r.message for r in reports)  # the word cloud
    content, _reports, _ = gift(tmp_path, written, "back.gift.txt")
    (q,) = content["questions"]
    assert q["accept"] == [{"text": {"en": "FIA", "ur": "ایف آئی اے"}}, "Federal Investigation Agency",
                           {"text": "police", "points": 0.5}]
    assert load_bank(bank).questions[0].key == parse_bank(content, "<back>").questions[0].key


SHORT_BANK = """format: 1
id: short
title: Short
kind: test
languages: [en, ur]
objectives:
  - {id: O1, text: Know the agencies}
questions:
  - id: lead-agency
    type: short
    objectives: [O1]
    text: {en: "Which agency leads?", ur: "کون سا ادارہ؟"}
    accept:
      - {text: {en: FIA, ur: ایف آئی اے}}
      - Federal Investigation Agency
      - {text: police, points: 0.5}
  - id: needs
    type: wordcloud
    text: {en: One word for what a victim needs first, ur: ایک لفظ}
"""


def test_an_accepted_answer_with_an_arrow_leaves_the_short_question_out(tmp_path):
    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK.replace("Federal Investigation Agency", "FIA -> police"), encoding="utf-8")
    with pytest.raises(FormatError) as e:
        export_bank(bank, "gift", tmp_path / "short.gift.txt")
    assert any(r.question == "lead-agency" and r.level == "skipped" and "'->'" in r.message for r in e.value.reports)


def test_a_moodle_gift_export_with_pashto_and_dari_spans_and_multilang2_blocks_imports_per_language():
    """pashto-dari.gift.txt as Moodle's GIFT export writes multilang questions: [html] with the spans' '=' and ':'
    escaped, and filter_multilang2's blocks with their braces escaped."""
    content, reports = import_bank(FIXTURES / "pashto-dari.gift.txt", "gift")
    forced, first = content["questions"]
    assert content["languages"] == ["en", "ps", "prs"]
    assert forced["text"] == {"en": "His employer keeps his passport. What is it?",
                              "ps": "کارفرما یې پاسپورټ ساتي. دا څه دی؟",
                              "prs": "کارفرما پاسپورت او را نگه می‌دارد. این چیست؟"}
    assert [o["text"] for o in forced["options"]] == [{"en": "Forced labour", "ps": "جبري کار", "prs": "کار اجباری"},
                                                      {"en": "A labour dispute", "ps": "کاري شخړه", "prs": "اختلاف کاری"}]
    assert forced["key"] == "a"
    assert first["text"] == {"en": "What do you do first?", "ps": "لومړی څه کوئ؟", "prs": "اول چه می‌کنید؟"}
    assert [r.level for r in reports] == ["todo"]  # only the placeholder objective


def test_a_pashto_and_dari_bank_goes_to_gift_as_multilang_spans_and_comes_back(tmp_path):
    from toolkit.formats import dump_bank_yaml

    content, _ = import_bank(FIXTURES / "pashto-dari.gift.txt", "gift")
    bank = tmp_path / "afghan.yaml"
    bank.write_text(dump_bank_yaml(content), encoding="utf-8")
    out = tmp_path / "out.gift.txt"
    reports = export_bank(bank, "gift", out)
    written = out.read_text(encoding="utf-8")
    assert ('\t=<span lang\\="en" class\\="multilang">Forced labour</span><span lang\\="ps" class\\="multilang">جبري '
            'کار</span><span lang\\="prs" class\\="multilang">کار اجباری</span>\n') in written
    assert "::forced-work::[html]<span" in written
    assert [r.message.split(" are written")[0] for r in reports if r.level == "todo"] == ["the Pashto and Dari texts"]
    again, _ = import_bank(out, "gift")
    assert again["questions"] == content["questions"]
