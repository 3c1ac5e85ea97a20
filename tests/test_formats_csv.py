"""CSV: one question per row, every type in English and Urdu; encodings, separators and bad rows with their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT

from toolkit.bank import load_bank
from toolkit.formats import FormatError, dump_bank_yaml, export_bank, import_bank

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
HEADER = "id,type,objectives,text_en,options_en,key\n"


def csv_file(tmp_path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "bank.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def sample():
    content, reports = import_bank(FIXTURES / "bank-sample.csv", "csv")
    return {q["id"]: q for q in content["questions"]}, reports, content


def test_the_sample_holds_every_column(sample, tmp_path):
    q, reports, content = sample
    assert (content["id"], content["kind"]) == ("csv-sample", "check")
    assert content["title"] == {"en": "Spreadsheet bank: every column", "ur": "اسپریڈشیٹ بینک"}
    assert [o["id"] for o in content["objectives"]] == ["O1", "O5"]
    assert q["kiln"]["options"] == "tip-som" and q["kiln"]["option_feedback"] == {
        "som": "Nobody crossed a border or paid to be moved."}
    assert q["border"]["points"] == 2 and q["border"]["options"][0]["text"] == {
        "en": "Smuggling of migrants", "ur": "تارکینِ وطن کی اسمگلنگ"}
    assert q["nrm"]["key"] == ["identify", "screen", "refer", "protect"]
    assert q["agencies"]["items"][0] == {"id": "internal", "text": "Internal trafficking", "feedback": "Inside Pakistan."}
    assert q["agencies"]["key"] == {"internal": "police", "smuggling": "fia"}
    assert q["age"]["unit"] == {"en": "years", "ur": "سال"} and q["hours"]["key"] == {"value": 24, "tolerance": 0}
    assert q["confident"]["scale"] == "confidence5"
    assert q["pipes"]["options"][0]["text"] == "either | or"
    assert q["minus"]["text"] == "- a text that starts with a minus sign (kept from Excel by the quote)"
    assert reports == []
    path = tmp_path / "sample.yaml"
    path.write_text(dump_bank_yaml(content), encoding="utf-8")
    assert len(load_bank(path).questions) == 12


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_imported(tmp_path):
    path = csv_file(tmp_path, HEADER + "ok,truefalse,O1,Fine?,,true\n"
                    "tf,truefalse,O1,Maybe?,,maybe\n"
                    "s,single,O1,Which?,a=A|b=B,c\n"
                    '"m",multiple,O1,"Two\nlines",a=A|b,a\n'
                    "x,essay,,Tell me,,\n"
                    "n,numeric,O1,How many?,,ten\n")
    content, reports = import_bank(path, "csv")
    assert [q["id"] for q in content["questions"]] == ["ok"]
    errors = [str(r).replace(f"{path}:", "") for r in reports if r.level == "error"]
    assert errors == [
        "3: question 'tf': not imported: key must be true or false, not 'maybe'",
        "4: question 's': not imported: key 'c' is not among the options (a, b)",
        "5: question 'm': not imported: 'options_en' must be written id=text|id=text, not 'a=A|b'",
        "7: question 'x': not imported: unknown type 'essay' (use one of single, multiple, truefalse, "
        "classification, ordering, matching, likert, numeric, open, short, wordcloud)",
        "8: question 'n': not imported: a numeric key is a number or number:tolerance (e.g. 18:0.5), not 'ten'",
    ]


def test_undeclared_objectives_are_declared_as_to_do(tmp_path):
    content, reports = import_bank(csv_file(tmp_path, HEADER + "q,truefalse,O7,Fine?,,false\n"), "csv")
    assert content["objectives"] == [{"id": "O7", "text": "Objective O7 (imported from bank.csv: write its text)"}]
    assert reports[0].level == "todo" and reports[0].where == 2


def test_excel_separators_bom_and_header_aliases(tmp_path):
    path = csv_file(tmp_path, "\ufeffID;Type;Text;Options;Key\nq;single;Which?;a=A|b=B;b\n")
    content, _ = import_bank(path, "csv")
    assert content["questions"][0]["key"] == "b" and content["questions"][0]["objectives"] == ["O1"]
    tabs = csv_file(tmp_path, "id\ttype\ttext_en\nq\topen\tWhy?\n", "utf-16")
    content, _ = import_bank(tabs, "csv")
    assert content["questions"][0]["text"] == "Why?"


def test_a_windows_1252_file_from_excel_gets_its_line(tmp_path):
    path = csv_file(tmp_path, HEADER + "a,open,,Fine,,\nb,open,,Caf\u00e9 or \u201cquotes\u201d,,\n", "cp1252")
    with pytest.raises(FormatError) as e:
        import_bank(path, "csv")
    [message] = [str(r) for r in e.value.reports]
    assert message.startswith(f"{path}:3: the file is not UTF-8 text (byte 0xE9 in column 12, which Windows "
                              "(cp1252) reads as 'é'); save it as UTF-8 (Excel: Save As, 'CSV UTF-8'")
    content, _ = import_bank(path, "csv", encoding="cp1252")
    assert content["questions"][1]["text"] == "Caf\u00e9 or \u201cquotes\u201d"


@pytest.mark.parametrize(("text", "message"), [
    ("", "1: the file is empty"),
    ("id,type\n", "2: no rows under the header"),
    ("question,answer\nA?,B\n", "1: the first row must name the columns, with at least 'id' and 'type'"),
    ('id,type,text_en\nq,open,"never closed\nr,open,Why?\n', '2: a quote (") opened on this line is never closed'),
])
def test_files_that_are_not_banks(tmp_path, text, message):
    path = csv_file(tmp_path, text)
    with pytest.raises(FormatError) as e:
        import_bank(path, "csv")
    assert str(e.value.reports[0]).startswith(f"{path}:{message}")


def test_export_writes_utf8_with_bom_and_guards_formulas(tmp_path):
    out = tmp_path / "all.csv"
    reports = export_bank(ROOT / "tests" / "banks" / "all-types.yaml", "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and reports == []
    text = raw.decode("utf-8-sig")
    assert "all-types,bank,,,,Every question type,ہر قسم کا سوال" in text
    assert "kiln,classification,O1,easy,," in text and ",tip-som,," in text
    assert "agencies,matching,O5,hard,," in text and "internal=police|smuggling=fia" in text
    content = {"format": 1, "id": "x", "title": "x", "kind": "survey", "objectives": [{"id": "O", "text": "o"}],
               "questions": [{"id": "q", "type": "open", "text": "=HYPERLINK(\"http://evil\")"}]}
    from toolkit.bank import parse_bank

    export_bank(parse_bank(content, "<x>"), "csv", out)
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")
    back, _ = import_bank(out, "csv")
    assert back["questions"][0]["text"] == '=HYPERLINK("http://evil")'


def test_a_question_without_objectives_gets_a_placeholder_that_is_not_the_files_own_o1(tmp_path):
    path = csv_file(tmp_path, HEADER + "O1,objective,,Know the law,,\nq,truefalse,,Fine?,,true\n")
    content, reports = import_bank(path, "csv")
    assert [o["id"] for o in content["objectives"]] == ["O1", "O-todo"]
    assert content["questions"][0]["objectives"] == ["O-todo"]
    assert "1 question(s) got the placeholder objective O-todo" in reports[-1].message


def test_a_nul_byte_is_named_with_its_line_and_the_command_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    path = csv_file(tmp_path, HEADER + "O1,objective,,Know the law,,\nq,truefalse,O1,Fi\x00ne?,,true\nr,open,O1,Why?,,\n")
    with pytest.raises(FormatError) as e:
        import_bank(path, "csv")
    assert [str(r) for r in e.value.reports] == [
        f"{path}:3: a NUL character (a zero byte) in column 18: the file is damaged or was saved in another format; "
        "save it again as UTF-8 text (Excel: Save As, 'CSV UTF-8'). Nothing was imported"]
    out = tmp_path / "bank.yaml"
    result = CliRunner().invoke(main, ["bank", "import", str(path), "--from", "csv", "--out", str(out)])
    assert result.exit_code == 1 and "a NUL character (a zero byte)" in result.output
    assert not out.exists()


def test_a_round_trip_keeps_the_banks_header(tmp_path):
    bank = load_bank(ROOT / "question_banks" / "prepost-form-a.yaml")
    out = tmp_path / "form-a.csv"
    reports = export_bank(bank, "csv", out)
    assert not any("translations" in r.message for r in reports)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[2].startswith(",form,") and lines[3].startswith(",version,") and lines[4].startswith(",description,")
    content, _ = import_bank(out, "csv")
    for key in ("form", "version", "description", "translations", "languages", "title", "kind"):
        assert content[key] == bank.content[key], key
    assert content["form"] == "A"  # the report tells Form A from Form B by it


def test_a_translations_entry_csv_cannot_hold_is_reported(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("format: 1\nid: b\ntitle: B\nkind: test\nlanguages: [en, ur]\n"
                    "translations:\n  ur: {status: draft, note: To review, reviewer: Sana}\n"
                    "objectives: [{id: O1, text: One}]\n"
                    "questions:\n  - {id: q, type: truefalse, objectives: [O1], text: {en: Is it so, ur: ہاں}, key: true}\n",
                    encoding="utf-8")
    reports = export_bank(load_bank(path), "csv", tmp_path / "b.csv")
    assert [r.message for r in reports] == [
        "the translations entry of 'ur' keeps its status and note only in CSV; reviewer is not exported"]
    content, _ = import_bank(tmp_path / "b.csv", "csv")
    assert content["translations"] == {"ur": {"status": "draft", "note": "To review"}}


def test_the_text_columns_of_every_registered_language_are_read(tmp_path):
    from toolkit import languages

    codes = languages.codes()
    header = "id,type," + ",".join(f"text_{c}" for c in codes) + "\n"
    content, _ = import_bank(csv_file(tmp_path, header + "q,open," + ",".join(f"Q-{c}" for c in codes) + "\n"), "csv")
    assert content["questions"][0]["text"] == ({c: f"Q-{c}" for c in codes} if len(codes) > 1 else "Q-en")


def test_a_short_answer_and_a_word_cloud_are_read_from_a_row_each(tmp_path):
    path = csv_file(tmp_path, HEADER + "lead,short,O1,Who leads?,,FIA|Federal Investigation Agency|%50%police\n"
                                       "needs,wordcloud,,One word for what a victim needs first,,\n")
    content, reports = import_bank(path, "csv")
    lead, needs = content["questions"]
    assert lead["accept"] == ["FIA", "Federal Investigation Agency", {"text": "police", "points": 0.5}]
    assert needs == {"id": "needs", "type": "wordcloud", "text": "One word for what a victim needs first"}
    assert not [r for r in reports if r.level == "error"]


def test_a_short_answer_in_two_languages_is_scored_the_same_after_csv_and_says_what_changed(tmp_path):
    from test_formats_gift import SHORT_BANK

    bank = tmp_path / "short.yaml"
    bank.write_text(SHORT_BANK.replace("Federal Investigation Agency", r"FIA \| Federal"), encoding="utf-8")
    out = tmp_path / "short.csv"
    reports = export_bank(bank, "csv", out)
    assert [r.message for r in reports if r.question == "lead-agency"] == [
        "the key cell lists each text of an accepted answer as an answer of its own (scored the same): 'FIA' and "
        "'ایف آئی اے' are no longer one answer in two languages"]
    assert "FIA|ایف آئی اے|FIA \\\\\\| Federal|%50%police" in out.read_text(encoding="utf-8-sig")
    content, _ = import_bank(out, "csv")
    lead, needs = content["questions"]
    assert lead["accept"] == ["FIA", "ایف آئی اے", r"FIA \| Federal", {"text": "police", "points": 0.5}]
    assert needs["type"] == "wordcloud" and "objectives" not in needs


# ---------------------------------------------------------------- Pashto and Dari, as a spreadsheet keeps them


@pytest.fixture(scope="module")
def afghan():
    """bank-pashto-dari.csv as Excel's 'CSV UTF-8' writes it (BOM, CRLF, quoted cells), with a Farsi column."""
    content, reports = import_bank(FIXTURES / "bank-pashto-dari.csv", "csv")
    return {q["id"]: q for q in content["questions"]}, reports, content


def test_the_pashto_and_dari_columns_of_every_text_are_read(afghan):
    q, _reports, content = afghan
    assert content["languages"] == ["en", "ps", "prs"]
    assert content["title"] == {"en": "Labour exploitation", "ps": "کاري استثمار", "prs": "بهره‌کشی کاری"}
    assert content["objectives"][0]["text"]["ps"] == "جبري کار وپېژنئ"
    forced = q["forced-work"]
    assert forced["text"]["prs"] == "کارفرما پاسپورت او را نگه می‌دارد. این چیست؟"
    assert forced["options"][1] == {"id": "b", "text": {"en": "A labour dispute", "ps": "کاري شخړه", "prs": "اختلاف کاری"},
                                    "feedback": {"en": "No: he may not leave.", "ps": "نه: هغه نشي تللی.",
                                                 "prs": "نه: او نمی‌تواند برود."}}
    assert forced["feedback"]["ps"] == "د اسنادو ساتل د کنټرول یوه لار ده."
    assert q["who-does-what"]["items"][1]["text"] == {"en": "Shelter home", "ps": "د سرپناه کور", "prs": "خانهٔ امن"}
    assert q["days-held"]["unit"] == {"en": "days", "ps": "ورځې", "prs": "روز"}


def test_a_column_in_a_language_the_toolkit_does_not_hold_is_said_once_and_the_rest_imported(afghan):
    from toolkit import languages

    q, reports, _ = afghan
    held = ", ".join(f"{lang.english} ({c})" for c, lang in languages.LANGUAGES.items())
    assert [str(r) for r in reports] == [
        f"{FIXTURES / 'bank-pashto-dari.csv'}:1: column text_fa: 'fa' is not a language the toolkit holds ({held}); "
        f"left out, the rest imported. A column of a language it holds ends in its code, e.g. "
        f"text_{languages.codes()[-1]}"]
    assert len(q) == 3


def test_columns_tagged_as_other_tools_tag_pashto_and_dari_are_read_as_theirs(tmp_path):
    path = csv_file(tmp_path, "id,type,text_en,text_pus,Text FA_AF,options_en,options_pbt,options_fa-af\n"
                              "q,likert,Is it fair?,ایا دا عادلانه ده؟,آیا این عادلانه است؟,a=Yes|b=No,a=هو|b=نه,"
                              "a=بلی|b=نخیر\n")
    content, reports = import_bank(path, "csv")
    q = content["questions"][0]
    assert q["text"] == {"en": "Is it fair?", "ps": "ایا دا عادلانه ده؟", "prs": "آیا این عادلانه است؟"}
    assert q["options"][0]["text"] == {"en": "Yes", "ps": "هو", "prs": "بلی"}
    assert not [r for r in reports if "column" in r.message]


def test_a_pashto_and_dari_bank_goes_to_csv_and_back_the_same(afghan, tmp_path):
    _q, _reports, content = afghan
    bank = tmp_path / "afghan.yaml"
    bank.write_text(dump_bank_yaml(content), encoding="utf-8")
    out = tmp_path / "out.csv"
    export_bank(bank, "csv", out)
    header = out.read_text(encoding="utf-8-sig").split("\r\n", 1)[0].split(",")
    assert {"text_ps", "text_prs", "options_ps", "options_prs", "option_feedback_prs", "items_ps", "unit_prs",
            "feedback_ps"} <= set(header)
    again, reports = import_bank(out, "csv")
    assert again == content and reports == []
