"""Moodle XML: every question type Moodle exports, texts in HTML and Urdu, broken files, and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT

from toolkit.bank import load_bank
from toolkit.formats import FormatError, export_bank, import_bank

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
MULTILANG = ("the Urdu texts are written as Moodle multilang spans: in Moodle, turn on the 'Multi-language content' "
             "filter (Site administration > Plugins > Filters > Manage filters, and in the course), or every question "
             "shows English and Urdu one after the other; each participant then sees the language of their Moodle "
             "profile")


@pytest.fixture(scope="module")
def imported():
    content, reports = import_bank(FIXTURES / "moodle-all-types.xml", "moodle-xml")
    return {q["id"]: q for q in content["questions"]}, reports, content


def said(reports, qid):
    return " | ".join(r.message for r in reports if r.question == qid)


def test_every_type_becomes_its_bank_type(imported):
    q, _reports, _ = imported
    assert {k: v["type"] for k, v in q.items()} == {
        "consent-deception": "single", "elements-of-trafficking": "multiple", "border-needed": "truefalse",
        "agencies": "matching", "age": "numeric", "shelter-days": "numeric", "lead-agency": "short",
        "reflection": "open", "referral-steps": "ordering"}


def test_categories_become_objectives_but_not_moodles_default_category(imported):
    q, reports, content = imported
    assert [o["id"] for o in content["objectives"]] == ["definitions", "referral"]
    assert q["consent-deception"]["objectives"] == ["definitions"] and q["age"]["objectives"] == ["referral"]


def test_multichoice_with_partial_credit_penalties_points_and_urdu(imported):
    q, reports, _ = imported
    c = q["consent-deception"]
    assert c["points"] == 2 and c["key"] == "a"
    assert c["text"] == {"en": "A recruiter lied about the job and she agreed to go. What is the effect of her consent?",
                         "ur": "بھرتی کرنے والے نے ملازمت کے بارے میں جھوٹ بولا اور وہ جانے پر راضی ہو گئی۔ اس کی رضامندی کا کیا اثر ہے؟"}
    assert c["options"][0] == {"id": "a", "text": "None: her consent is irrelevant",
                               "feedback": "Right: article 3(b) of the Protocol."}
    assert c["feedback"] == "Consent is irrelevant once any of the means was used."  # <b> gone
    assert "'It reduces the sentence' (50%)" in said(reports, "consent-deception")
    assert "'It makes the case smuggling' (-25%)" in said(reports, "consent-deception")


def test_multiple_answers_with_exact_weights_and_moodle_auto_format_line_breaks(imported):
    q, reports, _ = imported
    e = q["elements-of-trafficking"]
    assert e["key"] == ["a", "b", "c"] and e["text"] == "Which are elements of trafficking of an adult?\nChoose all that apply."
    assert e["options"][3]["feedback"] == "Only smuggling needs one."
    assert not said(reports, "elements-of-trafficking")


def test_truefalse_images_and_links(imported):
    q, reports, _ = imported
    b = q["border-needed"]
    assert b["key"] is False and b["text"] == "Trafficking can only happen across an international border."
    assert b["feedback"] == ("See the UNODC (https://www.unodc.org/) model law.\n\n"
                             "If you answered true: No: it can happen inside Pakistan.")
    messages = said(reports, "border-needed")
    assert "the embedded file 'map.png' was left out" in messages and "('Map of Pakistan') was left out" in messages


def test_matching_numeric_units_and_other_answers(imported):
    q, reports, _ = imported
    a = q["agencies"]
    assert [o["text"] for o in a["options"]] == ["Provincial police", "FIA", "Municipal committee"]
    assert a["key"] == {"1": "a", "2": "b"}
    age = q["age"]
    assert age["key"] == {"value": 18, "tolerance": 0} and age["unit"] == "years"
    assert age["feedback"] == "Any other answer: Look at article 3(d)."
    assert "units other than the main one cannot be held: months" in said(reports, "age")
    assert q["shelter-days"]["key"] == {"value": 30, "tolerance": 2}


def test_shortanswer_essay_ordering_description_and_cloze(imported):
    q, reports, _ = imported
    assert q["lead-agency"]["type"] == "short" and q["lead-agency"]["accept"] == ["FIA", "Federal Investigation Agency"]
    assert q["reflection"]["text"] == "What would you do first when you meet a possible victim?"  # markdown
    steps = q["referral-steps"]
    assert steps["key"] == ["a", "b", "c", "d"] and [o["id"] for o in steps["options"]] != steps["key"]
    assert steps["options"][0]["feedback"] == "First."
    skipped = {r.question: r.where for r in reports if r.level == "skipped"}
    assert skipped == {"case-of-asma": 282, "cloze": 328}


def test_broken_xml_is_reported_with_its_line_and_nothing_is_imported(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  <question type="truefalse">\n'
                    "    <name><text>x</text></nam>\n  </question>\n</quiz>\n", encoding="utf-8")
    with pytest.raises(FormatError) as e:
        import_bank(path, "moodle-xml")
    assert [str(r) for r in e.value.reports] == [
        f"{path}:4: not well-formed XML: mismatched tag (column 27); nothing was imported"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "1: the file is empty"),
    ('<?xml version="1.0"?>\n<html><body/></html>\n', "2: the root element is <html>, not <quiz>"),
    ("<quiz>\n</quiz>\n", "1: no <question> in <quiz>"),
    ('<!DOCTYPE quiz [<!ENTITY a "aaaa">]>\n<quiz/>\n', "1: not imported: a DTD or entity declaration"),
    ("<quiz>\n<question type='truefalse'>\n", "3: not well-formed XML: no element found"),
])
def test_files_that_are_not_moodle_xml(tmp_path, text, message):
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as e:
        import_bank(path, "moodle-xml")
    assert str(e.value.reports[0]).startswith(f"{path}:{message}")


def test_a_file_that_is_not_utf8_gets_its_line(tmp_path):
    path = tmp_path / "latin.xml"
    path.write_bytes('<quiz>\n<question type="essay"><name><text>Caf\u00e9</text></name></question>\n</quiz>'
                     .encode("cp1252"))
    with pytest.raises(FormatError, match=r"latin.xml:2: the file is not UTF-8 text"):
        import_bank(path, "moodle-xml")


def test_a_declared_latin1_file_is_read(tmp_path):
    path = tmp_path / "latin.xml"
    path.write_bytes('<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz><question type="essay"><name><text>e'
                     '</text></name><questiontext format="html"><text>Caf\u00e9?</text></questiontext></question>'
                     '</quiz>'.encode("latin-1"))
    content, _ = import_bank(path, "moodle-xml")
    assert content["questions"][0]["text"] == "Café?"


def test_export_writes_every_type_moodle_has_with_urdu_as_multilang(tmp_path):
    bank = load_bank(ROOT / "tests" / "banks" / "all-types.yaml")
    out = tmp_path / "all.xml"
    reports = export_bank(bank, "moodle-xml", out)
    xml = out.read_text(encoding="utf-8")
    assert '<question type="ordering">' in xml and "<gradingtype>ABSOLUTE_POSITION</gradingtype>" in xml
    assert '<span lang="ur" class="multilang">انسانی تجارت</span>' in xml
    assert "<idnumber>kiln</idnumber>" in xml and "<single>false</single>" in xml
    assert '<answer fraction="-33.33333" format="html">' in xml
    assert "<tolerance>0</tolerance>" in xml and "<unit_name>years</unit_name>" in xml
    assert [(r.question, r.level) for r in reports] == [("confident", "skipped"), (None, "todo")]
    assert reports[1].message == MULTILANG  # Urdu needs Moodle's filter


def test_export_of_a_bank_with_feedback_on_matching_items_reports_it(tmp_path):
    reports = export_bank(ROOT / "question_banks" / "prepost-form-a.yaml", "moodle-xml", tmp_path / "a.xml")
    assert [str(r).split(": ", 1)[1] for r in reports] == [
        "question 'a-match-differences': feedback on matching items and options is not exported: Moodle has no "
        "place for it", MULTILANG]


def test_multilang_spans_in_every_registered_language_come_through(tmp_path):
    from toolkit import languages

    spans = "".join(f'<span lang="{code}" class="multilang">Q-{code}</span>' for code in languages.codes())
    path = tmp_path / "q.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz><question type="essay"><name><text>q</text>'
                    f'</name><questiontext format="html"><text><![CDATA[{spans}<span lang="xx" class="multilang">'
                    "Q-xx</span>]]></text></questiontext></question></quiz>\n", encoding="utf-8")
    content, reports = import_bank(path, "moodle-xml")
    assert content["questions"][0]["text"] == {code: f"Q-{code}" for code in languages.codes()}
    held = ", ".join(languages.english_name(c) for c in languages.codes())
    assert [r.message for r in reports if "xx" in r.message] == [f"text in xx was left out (the bank holds {held})"]


def _bank(tmp_path, questions: str):
    from toolkit.bank import load_bank as load

    path = tmp_path / "b.yaml"
    path.write_text("format: 1\nid: b\ntitle: B\nkind: test\nobjectives: [{id: O1, text: One}]\nquestions:\n"
                    + questions, encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift"])
def test_a_question_moodle_would_refuse_is_reported_and_left_out(tmp_path, fmt):
    options = ", ".join(f"{{id: o{i}, text: Option {i}}}" for i in range(12))
    right = ", ".join(f"o{i}" for i in range(11))
    bank = _bank(tmp_path, f"  - {{id: eleven, type: multiple, objectives: [O1], text: Which eleven, options: [{options}], "
                           f"key: [{right}]}}\n"
                           "  - {id: one-item, type: matching, objectives: [O1], text: Match it, "
                           "options: [{id: a, text: FIA}, {id: b, text: Police}], items: [{id: '1', text: Visas}], "
                           "key: {'1': a}}\n"
                           "  - {id: fine, type: truefalse, objectives: [O1], text: Is it so, key: true}\n")
    out = tmp_path / "b.out"
    reports = export_bank(bank, fmt, out)
    said = {r.question: (r.level, r.message) for r in reports}
    assert said["eleven"] == ("skipped", "not exported: with 11 right options each is worth 1/11 (9.09091%), a grade "
                                         "Moodle does not accept (it takes 1/2 to 1/10, and 1/20): Moodle would "
                                         "refuse the whole file. Give the question at most 10 right options, or "
                                         "split it in two")
    assert said["one-item"] == ("skipped", "not exported: Moodle's matching question needs at least two items to "
                                           "match (and three answers), this one has 1: add an item, or make it a "
                                           "single-choice question")
    text = out.read_text(encoding="utf-8")
    assert "9.09091" not in text and "Match it" not in text and "Is it so" in text


def test_moodles_list_of_grades_takes_one_kth_up_to_ten_and_one_twentieth():
    from toolkit.formats.moodle import moodle_accepts

    # question/engine/bank.php: 1/q for 1 <= q <= 10, and 1/20 (each negative too); nothing else of the form 1/k.
    assert [k for k in range(1, 25) if moodle_accepts(1 / k)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]
    assert moodle_accepts(-1 / 3) and not moodle_accepts(-1 / 11)


def test_an_english_only_bank_says_nothing_of_the_filter(tmp_path):
    bank = _bank(tmp_path, "  - {id: fine, type: truefalse, objectives: [O1], text: Is it so, key: true}\n")
    assert export_bank(bank, "moodle-xml", tmp_path / "b.xml") == []


@pytest.mark.parametrize(("html", "text"), [
    ('See <a href="https://www.unodc.org/">https://www.unodc.org/</a>.', "See https://www.unodc.org/."),
    ('See <a href="https://www.unodc.org/">www.unodc.org</a>.', "See www.unodc.org."),
    ('Ask <a href="https://fia.gov.pk">the FIA</a>for help.', "Ask the FIA (https://fia.gov.pk) for help."),
    ('Ask <a href="https://fia.gov.pk">the FIA</a>, then', "Ask the FIA (https://fia.gov.pk), then"),
])
def test_a_link_is_written_once_and_apart_from_the_next_word(html, text):
    from toolkit.formats.text import html_to_text, markdown_to_text

    assert html_to_text(html)[0] == {"en": text}
    href = html.split('"')[1]
    shown = html.split(">")[1].split("<")[0]
    markdown = html.split("<a")[0] + f"[{shown}]({href})" + html.split("</a>")[1]
    assert markdown_to_text(markdown)[0] == {"en": text}


SHORTANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="shortanswer">
    <name><text>Lead</text></name>
    <questiontext format="html"><text>Who leads?</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100" format="moodle_auto_format"><text>FIA</text>
      <feedback format="html"><text>Yes.</text></feedback></answer>
    <answer fraction="50" format="moodle_auto_format"><text>police</text></answer>
    <answer fraction="0" format="moodle_auto_format"><text>*</text></answer>
  </question>
</quiz>
"""


def test_shortanswer_becomes_a_short_question_with_points_per_accepted_answer(tmp_path):
    path = tmp_path / "short.xml"
    path.write_text(SHORTANSWER, encoding="utf-8")
    content, reports = import_bank(path, "moodle-xml")
    (q,) = content["questions"]
    assert q["type"] == "short" and q["accept"] == ["FIA", {"text": "police", "points": 0.5}]
    assert q["feedback"] == "FIA: Yes."
    messages = " ".join(r.message for r in reports if r.question == "lead")
    assert "tells capitals apart" in messages and "left out '*' (0%)" in messages


def test_a_short_question_goes_to_moodle_xml_and_back_in_both_languages(tmp_path):
    from test_formats_gift import SHORT_BANK

    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK, encoding="utf-8")
    out = tmp_path / "short.xml"
    reports = export_bank(bank, "moodle-xml", out)
    written = out.read_text(encoding="utf-8")
    assert '<question type="shortanswer">' in written and "<usecase>0</usecase>" in written
    assert '<answer fraction="50" format="moodle_auto_format">\n      <text>police</text>' in written
    assert "<text>ایف آئی اے</text>" in written  # an Urdu accepted answer is one more answer Moodle accepts
    assert [r.question for r in reports if "not exported" in r.message] == ["needs"]  # the word cloud
    content, _ = import_bank(out, "moodle-xml")
    (q,) = content["questions"]
    assert q["accept"] == [{"text": {"en": "FIA", "ur": "ایف آئی اے"}}, "Federal Investigation Agency",
                           {"text": "police", "points": 0.5}]
    assert q["text"] == {"en": "Which agency leads?", "ur": "کون سا ادارہ؟"}


def test_a_grade_moodle_refuses_leaves_the_short_question_out(tmp_path):
    from test_formats_gift import SHORT_BANK

    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK.replace("points: 0.5", "points: 0.45"), encoding="utf-8")
    with pytest.raises(FormatError) as e:
        export_bank(bank, "moodle-xml", tmp_path / "short.xml")
    assert any("45% of 'police'" in r.message and r.level == "skipped" for r in e.value.reports)


# ---------------------------------------------------------------- Pashto and Dari, as Moodle writes them

FORCED = {"en": "His employer keeps his passport and he may not leave. What is it?",
          "ps": "کارفرما یې پاسپورټ ساتي او هغه نشي تللی. دا څه دی؟",
          "prs": "کارفرما پاسپورت او را نگه می‌دارد و او نمی‌تواند برود. این چیست؟"}


@pytest.fixture(scope="module")
def afghan():
    content, reports = import_bank(FIXTURES / "moodle-pashto-dari.xml", "moodle-xml")
    return {q["id"]: q for q in content["questions"]}, reports, content


def test_multilang_spans_give_the_pashto_and_dari_of_question_answers_and_feedback(afghan):
    q, _reports, content = afghan
    assert content["languages"] == ["en", "ps", "prs"]
    forced = q["forced-work"]
    assert forced["text"] == FORCED
    assert forced["options"][0] == {"id": "a", "text": {"en": "Forced labour", "ps": "جبري کار", "prs": "کار اجباری"},
                                    "feedback": {"en": "Yes.", "ps": "هو.", "prs": "بلی."}}
    assert forced["options"][1]["text"] == {"en": "A labour dispute", "ps": "کاري شخړه", "prs": "اختلاف کاری"}
    assert forced["feedback"]["prs"] == "نگه‌داشتن اسناد یک وسیلهٔ کنترول است."


def test_multilang2_blocks_in_any_case_with_spaces_and_for_two_languages_at_once(afghan):
    from toolkit.texts import t

    q, _reports, _ = afghan
    assert q["consent"]["text"] == {"en": "Consent matters once he was deceived.",
                                    "ps": "کله چې هغه وغولول شو، رضایت مهم دی.",
                                    "prs": "وقتی او فریب خورد، رضایت مهم است."}
    # {mlang ps, prs}: one text for both; the answer's feedback joins the question's in each language's words
    assert q["consent"]["feedback"] == {
        lang: t("if_you_answered", lang, answer=t("false", lang).lower(), feedback=said)
        for lang, said in (("en", "Consent is irrelevant."), ("ps", "رضایت اهمیت نلري."), ("prs", "رضایت اهمیت نلري."))}
    assert q["consent"]["feedback"]["en"] == "If you answered false: Consent is irrelevant."
    assert "If you answered" not in q["consent"]["feedback"]["ps"] + q["consent"]["feedback"]["prs"]


def test_moodles_language_tags_are_read_and_a_language_the_toolkit_lacks_is_said(afghan):
    from toolkit import languages

    q, reports, _ = afghan
    assert q["first-step"]["text"] == {"en": "What do you do first?", "ps": "لومړی څه کوئ؟", "prs": "اول چه می‌کنید؟"}
    held = ", ".join(languages.english_name(c) for c in languages.codes())
    assert [str(r) for r in reports if r.question == "first-step"] == [
        f"{FIXTURES / 'moodle-pashto-dari.xml'}:77: question 'first-step': text in fa was left out (the bank holds "
        f"{held})"]


def test_filter_multilang2_leaves_a_block_it_does_not_read_as_it_is():
    from toolkit.formats.text import html_to_text

    assert html_to_text("{mlang}Bad syntax{mlang}") == ({"en": "{mlang}Bad syntax{mlang}"}, [])
    assert html_to_text("{mlang other}Hello{mlang}{mlang ps}سلام{mlang}") == ({"en": "Hello", "ps": "سلام"}, [])


def test_a_pashto_and_dari_bank_goes_to_moodle_xml_as_spans_and_back(afghan, tmp_path):
    from toolkit.formats import dump_bank_yaml

    _q, _reports, content = afghan
    bank = tmp_path / "afghan.yaml"
    bank.write_text(dump_bank_yaml(content), encoding="utf-8")
    out = tmp_path / "out.xml"
    reports = export_bank(bank, "moodle-xml", out)
    xml = out.read_text(encoding="utf-8")
    assert ('<span lang="en" class="multilang">Forced labour</span><span lang="ps" class="multilang">جبري کار</span>'
            '<span lang="prs" class="multilang">کار اجباری</span>') in xml
    assert [r.message.split(" are written")[0] for r in reports if r.level == "todo"] == ["the Pashto and Dari texts"]
    again, _ = import_bank(out, "moodle-xml")
    assert [q["text"] for q in again["questions"]] == [q["text"] for q in content["questions"]]
    assert again["questions"][0]["options"] == content["questions"][0]["options"]


def test_a_text_that_only_looks_like_a_multilang2_block_is_kept_as_it_is(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("format: 1\nid: b\ntitle: B\nkind: survey\nobjectives: [{id: O1, text: One}]\nquestions:\n"
                    "  - {id: q, type: open, text: 'Write {MLANG ps}x{mlang} as it is'}\n", encoding="utf-8")
    export_bank(path, "moodle-xml", tmp_path / "out.xml")
    again, _ = import_bank(tmp_path / "out.xml", "moodle-xml")
    assert again["questions"][0]["text"] == "Write {MLANG ps}x{mlang} as it is"
