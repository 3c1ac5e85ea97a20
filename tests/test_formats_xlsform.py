"""XLSForm: a bank exported for KoboToolbox/ODK keeps its ids as names; a form imported back is unscored."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from helpers import ROOT

from toolkit import languages
from toolkit.bank import load_bank
from toolkit.formats import FormatError, dump_bank_yaml, export_bank, import_bank

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def sheet(path: Path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return rows


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    bank = load_bank(ROOT / "tests" / "banks" / "all-types.yaml")
    out = tmp_path_factory.mktemp("xlsform") / "all-types.xlsx"
    return bank, out, export_bank(bank, "xlsform", out)


def test_export_has_the_three_sheets_with_english_and_urdu_labels(exported):
    _bank, out, _ = exported
    survey, choices, settings = sheet(out, "survey"), sheet(out, "choices"), sheet(out, "settings")
    assert survey[0] == ("type", "name", "label::English (en)", "label::Urdu (ur)", "hint::English (en)",
                         "hint::Urdu (ur)", "appearance")
    assert choices[0] == ("list_name", "name", "label::English (en)", "label::Urdu (ur)")
    assert settings[0] == ("form_title", "form_id", "version", "default_language")
    assert settings[1][:2] == ("Every question type", "all-types") and settings[1][3] == "English (en)"


def test_export_maps_every_type_and_keeps_the_bank_ids_as_names(exported):
    _bank, out, _ = exported
    rows = {r[1]: (r[0], r[6]) for r in sheet(out, "survey")[1:]}
    assert rows == {
        "consent": ("select_one true_false", None), "kiln": ("select_one tip-som", None),
        "border": ("select_one border", None), "elements": ("select_multiple elements", None),
        "nrm": ("rank nrm", None), "agencies": ("end_group", None), "agencies__internal": ("select_one agencies", None),
        "agencies__smuggling": ("select_one agencies", None), "age": ("integer", None),
        "confident": ("select_one confidence5", "likert"), "comment": ("text", None)}
    choices = sheet(out, "choices")
    assert ("border", "som", "Smuggling of migrants", "تارکینِ وطن کی اسمگلنگ") in choices
    assert ("true_false", "true", "True", "درست") in choices
    assert [r for r in sheet(out, "survey") if r[1] == "age"][0][4:6] == ("years", "سال")  # the unit as hint


def test_export_reports_that_keys_and_feedback_are_not_in_the_form(exported):
    bank, _out, reports = exported
    assert [r.message.split(" (")[0] for r in reports] == [
        "the answer keys of 7 scored questions are not in the form",
        "the feedback of 3 questions is not in the form"]
    assert all(str(r).startswith(f"{bank.path}:1: ") for r in reports)


def test_the_exported_form_comes_back_with_its_names_as_ids(exported):
    bank, out, _ = exported
    content, reports = import_bank(out, "xlsform")
    assert content["id"] == "all-types" and content["title"] == "Every question type" and content["kind"] == "survey"
    ids = [q["id"] for q in content["questions"]]
    assert ids == ["consent", "kiln", "border", "elements", "nrm", "agencies__internal", "agencies__smuggling", "age",
                   "confident", "comment"]
    kiln = content["questions"][1]
    assert kiln["type"] == "likert" and [o["id"] for o in kiln["options"]] == ["tip", "som", "both", "neither"]
    assert sum(r.level == "todo" for r in reports) == 10  # nine rows without a key, and the placeholder objective


@pytest.fixture(scope="module")
def kobo():
    content, reports = import_bank(FIXTURES / "kobo-form.xlsx", "xlsform")
    return {q["id"]: q for q in content["questions"]}, reports, content


def test_a_kobo_form_is_imported_unscored_with_settings_and_both_languages(kobo):
    q, _reports, content = kobo
    assert (content["id"], content["title"], content["kind"]) == ("police_followup_2026", "Police training follow-up",
                                                                  "survey")
    assert content["languages"] == ["en", "ur"]
    assert list(q) == ["kiln", "elements", "years_service", "hours", "steps", "useful", "comment"]
    assert q["kiln"]["text"] == {"en": "A kiln family's debt keeps growing. What is it?",
                                 "ur": "بھٹے پر خاندان کا قرض بڑھتا رہتا ہے۔ یہ کیا ہے؟"}
    assert q["kiln"]["options"][0] == {"id": "tip", "text": {"en": "Trafficking in persons", "ur": "انسانی تجارت"}}
    assert q["elements"]["text"]["en"] == ("Which are elements of trafficking?\nChoose all that apply.\n- An act\n"
                                           "- A means\n- A purpose")
    assert q["years_service"]["type"] == "open" and q["useful"]["type"] == "likert"


def test_every_row_that_does_not_become_a_question_is_reported_with_its_cell(kobo):
    _q, reports, _ = kobo
    where = {(str(r.where), r.level) for r in reports}
    assert ("survey!E1", "changed") in where  # label::French (fr)
    assert ("survey!A5", "skipped") in where  # note
    assert ("survey!A8", "changed") in where  # the group is flattened
    assert ("survey!G10", "changed") in where  # relevant
    assert ("survey!A14", "skipped") in where  # calculate
    assert ("survey!A16", "error") in where  # a list that is not on the choices sheet
    assert ("survey", "skipped") in where  # start, end, deviceid
    assert any(str(r).startswith(f"{FIXTURES / 'kobo-form.xlsx'}!survey!A16: question 'broken': not imported: the "
                                 "list 'missing_list'") for r in reports)


def test_the_committed_form_matches_its_rows(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("kobo_form", FIXTURES / "kobo_form.py")
    kobo_form = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kobo_form)
    built = kobo_form.build(tmp_path / "kobo.xlsx")
    for name in ("survey", "choices", "settings"):
        assert sheet(built, name) == sheet(FIXTURES / "kobo-form.xlsx", name)


def test_the_imported_form_is_a_valid_bank(kobo, tmp_path):
    _q, _reports, content = kobo
    path = tmp_path / "kobo.yaml"
    path.write_text(dump_bank_yaml(content), encoding="utf-8")
    assert len(load_bank(path).questions) == 7


def _workbook(tmp_path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path = tmp_path / "form.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize(("sheets", "message"), [
    ({"Sheet1": [["a"]], "Sheet2": [["b"]]}, "!survey: no 'survey' sheet (an XLSForm has survey, choices and "
                                             "settings sheets; this one has Sheet1, Sheet2)"),
    ({"Sheet1": [["a"]]}, "!Sheet1!A1: the survey sheet has no 'type' column in its first row (it has 'a')"),
    ({"survey": []}, "!survey!A1: the survey sheet is empty"),
    ({"survey": [["type", "label"]]}, "!survey!A1: the survey sheet has no 'name' column"),
    ({"survey": [["type", "name", "label"]]}, "!survey!A2: the survey sheet has no rows under its header"),
    ({"survey": [["type", "name", "label"], ["note", "n", "Hello"]]}, "!survey!A2: question 'n': a note"),
])
def test_forms_without_questions_are_reported_with_the_cell(tmp_path, sheets, message):
    path = _workbook(tmp_path, sheets)
    with pytest.raises(FormatError) as e:
        import_bank(path, "xlsform")
    assert str(e.value.reports[0]).startswith(f"{path}{message}")


def test_a_row_without_an_english_label_is_reported_with_its_cell(tmp_path):
    path = _workbook(tmp_path, {"survey": [["type", "name", "label::Urdu (ur)", "label::English (en)"],
                                           ["text", "a", "سوال", None], ["text", "b", "سوال", "Question"]]})
    content, reports = import_bank(path, "xlsform")
    assert [q["id"] for q in content["questions"]] == ["b"]
    assert str(reports[0]) == f"{path}!survey!D2: question 'a': not imported: the row has no English label"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "1: the file is empty"),
    (b"not a zip file at all", "1: not an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "1: an old Excel 97-2003 (.xls) workbook: save it as .xlsx"),
])
def test_files_that_are_not_workbooks(tmp_path, data, message):
    path = tmp_path / "form.xlsx"
    path.write_bytes(data)
    with pytest.raises(FormatError) as e:
        import_bank(path, "xlsform")
    assert str(e.value.reports[0]).startswith(f"{path}:{message}")


# ---------------------------------------------------------------- forms as other tools write them


def test_an_older_kobo_export_with_one_colon_headers_capitals_and_old_type_names():
    content, reports = import_bank(FIXTURES / "old-kobo-export.xlsx", "xlsform")
    q = {x["id"]: x for x in content["questions"]}
    assert (content["id"], content["title"], content["languages"]) == (
        "followup_2019", "Training follow-up (2019 export)", ["en", "ur"])
    assert list(q) == ["useful", "topics", "phone", "years"]
    assert q["useful"]["type"] == "likert" and q["useful"]["text"] == {"en": "Was the training useful?",
                                                                       "ur": "کیا تربیت مفید تھی؟"}
    assert q["useful"]["options"][0] == {"id": "yes", "text": {"en": "Yes", "ur": "جی ہاں"}}
    assert q["topics"]["text"]["en"] == ("Which topics were new to you?\nTick all that apply.\n- The referral "
                                         "mechanism\n- Smuggling of migrants")
    assert q["phone"] == {"id": "phone", "type": "open", "text": {"en": "Your mobile number, if you want the slides",
                                                                  "ur": "اپنا موبائل نمبر"}}
    where = {str(r.where): r.message for r in reports}
    assert where["survey!A3"].startswith("the group 'training' is flattened (a bank has no groups)")
    assert "survey!A6" not in where  # the end group row is the group's end, not form metadata
    assert where["survey"] == "form metadata rows skipped (they are not questions): start"
    assert not any(r.level == "error" for r in reports)


def test_a_one_sheet_form_still_named_sheet1_with_language_codes_in_any_case():
    content, reports = import_bank(FIXTURES / "sheet1-form.xlsx", "xlsform")
    assert [q["text"] for q in content["questions"]] == [
        {"en": "What did you learn today?", "ur": "آج آپ نے کیا سیکھا؟"},
        "How many hours a week do you work on trafficking cases?"]
    assert str(reports[0]).endswith("sheet1-form.xlsx!Sheet1!A1: the only sheet, 'Sheet1', was read as the survey "
                                    "sheet (as KoboToolbox does); a form with choices needs sheets named survey and "
                                    "choices")


def test_a_form_with_no_english_is_refused_once_with_its_languages():
    with pytest.raises(FormatError) as e:
        import_bank(FIXTURES / "german-form.xlsx", "xlsform")
    [report] = e.value.reports
    assert str(report) == (
        f"{FIXTURES / 'german-form.xlsx'}!survey!A1: the form has no English labels: its label columns are in de "
        "('label'), fr ('label::French (fr)'). A bank needs English: add a column label::English (en) with the "
        "English text of each question"
        + (" (it may also hold " + ", ".join(f"label::{languages.english_name(c)} ({c})" for c in languages.others())
           + ")" if languages.others() else "")
        + ", or set default_language on the settings sheet if the plain label column is English. Nothing was "
        "imported")


@pytest.mark.parametrize("header", ["label::English (en)", "label::en", "LABEL::EN", "label::English", "Label",
                                    "label:English"])
def test_every_spelling_of_an_english_label_pyxform_accepts(tmp_path, header):
    code = languages.others()[0] if languages.others() else None
    other = [f"label::{languages.english_name(code)} ({code})"] if code and ":" in header and "::" in header else []
    path = _workbook(tmp_path, {"SURVEY": [["TYPE", "Name", header, *other],
                                           ["text", "a", "A question?", *(["?"] if other else [])]]})
    content, _reports = import_bank(path, "xlsform")
    text = content["questions"][0]["text"]
    assert text == ({"en": "A question?", code: "?"} if other else "A question?")


def test_pyxform_still_reads_headers_and_types_as_the_importer_expects():
    """The importer relies on pyxform's header parsing and type aliases: this fails loudly when they change."""
    from pyxform import aliases
    from pyxform.parsing.sheet_headers import process_header
    from pyxform.question import MultipleChoiceQuestion

    columns = set(MultipleChoiceQuestion.get_slot_names())
    assert process_header("label:English", False, aliases.survey_header, columns)[1] == ("label", "English")
    assert process_header("LABEL::EN", True, aliases.survey_header, columns)[1] == ("label", "EN")
    assert process_header("TYPE", True, aliases.survey_header, columns)[1] == ("type",)
    assert process_header("relevant", True, aliases.survey_header, columns)[1] == ("bind", "relevant")
    assert aliases.select["select all that apply from"] == "select all that apply"
    assert aliases.select["select one from"] == "select one"


def test_a_label_column_of_every_registered_language_is_read(tmp_path):
    codes = languages.codes()
    header = [f"label::{languages.english_name(c)} ({c})" for c in codes]
    path = _workbook(tmp_path, {"survey": [["type", "name", *header], ["text", "a", *(f"Q-{c}" for c in codes)]]})
    content, reports = import_bank(path, "xlsform")
    assert content["questions"][0]["text"] == ({c: f"Q-{c}" for c in codes} if len(codes) > 1 else "Q-en")
    assert content.get("languages", ["en"]) == list(codes)
    assert str(reports[-1]).startswith(f"{path}!survey!A1: a bank needs at least one learning objective")


def test_the_committed_forms_are_what_make_forms_builds():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_forms", FIXTURES / "make_forms.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name, build in (("old-kobo-export.xlsx", make.old_kobo_export), ("sheet1-form.xlsx", make.sheet1_form),
                        ("german-form.xlsx", make.german_form), ("afghan-form.xlsx", make.afghan_form)):
        built, committed = build(), openpyxl.load_workbook(FIXTURES / name)
        assert built.sheetnames == committed.sheetnames, name
        for ws in built.worksheets:
            assert [list(r) for r in ws.iter_rows(values_only=True)] == \
                [list(r) for r in committed[ws.title].iter_rows(values_only=True)], (name, ws.title)


def test_a_form_leaves_out_short_answers_and_word_clouds_and_says_so(tmp_path):
    from test_formats_gift import SHORT_BANK

    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK + """  - id: asked
    type: open
    text: {en: "What else?", ur: "اور کیا؟"}
""", encoding="utf-8")
    out = tmp_path / "form.xlsx"
    reports = export_bank(bank, "xlsform", out)
    assert [(r.question, r.message) for r in reports if r.level == "skipped"] == [
        ("lead-agency", "not exported: xlsform has no short question"),
        ("needs", "not exported: xlsform has no wordcloud question")]
    names = [row[1].value for row in openpyxl.load_workbook(out)["survey"].iter_rows(min_row=2)]
    assert names == ["asked"]


def test_a_row_no_type_reads_is_left_out_and_said(tmp_path):
    """Which rows a form's question types become is each bank type's (QuestionKind.reads_xlsform): an external
    choice list (its choices are in another file) is read by none, so it is left out, not made an open question
    that asks for a numeric key."""
    path = _workbook(tmp_path, {"survey": [["type", "name", "label"], ["select_one_external towns", "town", "Town?"],
                                           ["text", "why", "Why?"]]})
    content, reports = import_bank(path, "xlsform")
    assert [q["id"] for q in content["questions"]] == ["why"]
    assert [(str(r.where), r.level, r.message) for r in reports if r.question == "town"] == [
        ("survey!A2", "skipped", "'select_one_external towns' rows have no equivalent in a bank; left out")]


# ---------------------------------------------------------------- Pashto and Dari, as KoboToolbox writes them

FORCED = {"en": "Was the work forced?\nChoose one.", "ps": "ایا کار په زور و؟\nیو وټاکئ.",
          "prs": "آیا کار اجباری بود؟\nیکی را انتخاب کنید."}
YES = {"id": "yes", "text": {"en": "Yes", "ps": "هو", "prs": "بلی"}}


def test_a_kobo_form_in_pashto_and_dari_imports_every_label_hint_and_choice_in_both():
    content, reports = import_bank(FIXTURES / "afghan-form.xlsx", "xlsform")
    q = {q["id"]: q for q in content["questions"]}
    assert content["languages"] == ["en", "ps", "prs"]
    assert q["forced"]["text"] == FORCED and q["forced"]["options"][0] == YES
    assert q["first_step"]["text"] == {"en": "What do you do first?", "ps": "لومړی څه کوئ؟", "prs": "اول چه می‌کنید؟"}
    # the Farsi columns: one message naming each of them with its cell, and the rest imported
    said = [str(r) for r in reports if "Farsi" in r.message]
    last = languages.find(languages.codes()[-1])
    assert said == [f"{FIXTURES / 'afghan-form.xlsx'}!survey!F1: the columns 'label::Farsi (fa)' (survey!F1), "
                    "'hint::Farsi (fa)' (survey!J1) and 'label::Farsi (fa)' (choices!F1) are in 'fa', a language the "
                    "toolkit does not hold: left out (the rest of the form is imported). The toolkit holds "
                    f"{', '.join(f'{lang.english} ({c})' for c, lang in languages.LANGUAGES.items())}: if the column "
                    f"is one of these, write its code in the header, e.g. label::{last.english} ({last.code})"]


@pytest.mark.parametrize("pashto, dari", [("ps", "prs"), ("Pashto", "Dari"), ("پښتو", "دری"), ("پښتو (ps)", "دری (prs)"),
                                          ("PS", "PRS"), ("Pashto (pbt)", "Dari (fa-AF)"), ("Pashto (ps-AF)", "Dari (prs_AF)")])
def test_pashto_and_dari_columns_in_every_spelling_forms_use(tmp_path, pashto, dari):
    """pyxform takes any text after '::' as the language; ODK and KoboToolbox write 'Name (code)' with an IANA
    code (ps, prs), forms made by hand write the code alone, the name alone or the name in itself, and Dari is
    often tagged fa-AF (Persian as Afghanistan writes it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_forms", FIXTURES / "make_forms.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    path = tmp_path / "form.xlsx"
    make.afghan_form(["English (en)", pashto, dari, "Farsi (fa)"]).save(path)
    content, reports = import_bank(path, "xlsform")
    forced = content["questions"][0]
    assert (forced["text"], forced["options"][0]) == (FORCED, YES)
    assert [r.where for r in reports if "does not hold" in r.message] == ["survey!F1"]


def test_a_bank_in_pashto_and_dari_is_written_with_their_columns_and_comes_back(tmp_path):
    content, _ = import_bank(FIXTURES / "afghan-form.xlsx", "xlsform")
    bank = tmp_path / "afghan.yaml"
    bank.write_text(dump_bank_yaml(content), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    export_bank(bank, "xlsform", out)
    assert sheet(out, "survey")[0] == ("type", "name", "label::English (en)", "label::Pashto (ps)",
                                       "label::Dari (prs)", "hint::English (en)", "hint::Pashto (ps)",
                                       "hint::Dari (prs)", "appearance")
    assert sheet(out, "choices")[0] == ("list_name", "name", "label::English (en)", "label::Pashto (ps)",
                                        "label::Dari (prs)")
    assert ("forced", "yes", "Yes", "هو", "بلی") in sheet(out, "choices")  # a list named for its question
    again, _ = import_bank(out, "xlsform")
    assert again["questions"][0]["text"] == FORCED and again["questions"][0]["options"][0] == YES
    # pyxform (as KoboToolbox and ODK build the form) takes the languages with no warning about their codes
    from pyxform.xls2xform import convert

    built = convert(xlsform=str(out), validate=False)
    assert built.warnings == []
    assert re.findall(r'<translation lang="([^"]+)"', built.xform) == ["English (en)", "Pashto (ps)", "Dari (prs)"]
