"""Rosters: a trainer's CSV or Excel list read and checked, previewed, written once, and the cards that let
each listed person join from their phone as themselves."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from helpers import ROOT
from openpyxl import Workbook
from pypdf import PdfReader

from toolkit.apps.participant import ParticipantApp
from toolkit.cli import main
from toolkit.roster import RosterError, preview, read_roster, render_cards
from toolkit.store import JOIN_CODE_ALPHABET, NotFound, Store, UnknownParticipant

GOOD = """Full Name,Gender,Organization,Designation,Phone
Ayesha Khan,F,FIA,Inspector,0300 1234567
Bilal Ahmed,male,Punjab Police,ASI,

Sana Baloch,خاتون,Balochistan Police,Sub-Inspector,sana@example.org
Farah Naz,,BISP,Officer,
"""


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_a_csv_with_the_usual_other_column_names_is_read_with_sex_understood(tmp_path):
    roster = read_roster(write(tmp_path, "people.csv", GOOD))
    assert roster.problems == []
    assert roster.columns == {"name": "Full Name", "sex": "Gender", "organisation": "Organization",
                              "rank": "Designation", "contact": "Phone"}
    assert [(p.name, p.sex, p.organisation, p.rank, p.contact) for p in roster.people] == [
        ("Ayesha Khan", "female", "FIA", "Inspector", "0300 1234567"),
        ("Bilal Ahmed", "male", "Punjab Police", "ASI", None),
        ("Sana Baloch", "female", "Balochistan Police", "Sub-Inspector", "sana@example.org"),
        ("Farah Naz", None, "BISP", "Officer", None),
    ]
    assert roster.people[2].where == "people.csv: line 5"  # the blank line 4 still counts


def test_semicolons_and_a_byte_order_mark_from_excel_are_fine(tmp_path):
    text = "\ufeffname;sex;organisation;rank\nAyesha Khan;F;FIA;Inspector\n"
    roster = read_roster(write(tmp_path, "excel.csv", text))
    assert [(p.name, p.sex) for p in roster.people] == [("Ayesha Khan", "female")]


def test_a_missing_column_is_named_with_what_the_header_has(tmp_path):
    roster = read_roster(write(tmp_path, "people.csv", "name,sex,organisation\nAyesha,F,FIA\n"))
    assert [str(p) for p in roster.blocking] == [
        "people.csv: line 1: missing column(s): rank. The header row (within the first 15 rows) must name the "
        "columns name, sex, organisation, rank (e.g. 'Name of Participant', 'Sex (M/F)', 'Department', "
        "'Designation'); the row that comes closest has 'name', 'sex', 'organisation'."]
    assert roster.people == []


def test_unknown_values_empty_names_and_repeated_rows_are_problems_with_their_line(tmp_path):
    text = ("name,sex,organisation,rank\n"
            "Ayesha Khan,F,FIA,Inspector\n"
            "Bilal Ahmed,fem,FIA,ASI\n"
            ",M,FIA,ASI\n"
            "Ayesha  Khan,female,fia,inspector\n")
    roster = read_roster(write(tmp_path, "people.csv", text))
    assert [str(p) for p in roster.blocking] == [
        "people.csv: line 3, column B: sex 'fem' is not known; write female, male or undisclosed (F, M and blank "
        "are fine).",
        "people.csv: line 4, column A: no name; write the person's name, or delete the row.",
        "people.csv: line 5: repeats line 2 (Ayesha Khan); delete one of the two rows.",
    ]


def test_two_people_of_one_name_and_one_organisation_spelled_two_ways_are_shown_not_refused(tmp_path):
    text = ("name,sex,organisation,rank\n"
            "Muhammad Ali,M,FIA,Inspector\n"
            "Muhammad Ali,M,FIA,Constable\n"
            "Sana,F,F.I.A.,ASI\n")
    roster = read_roster(write(tmp_path, "people.csv", text))
    assert roster.blocking == []
    assert len(roster.people) == 3
    warnings = [str(p) for p in roster.warnings]
    assert warnings[0].startswith("people.csv: line 3: Muhammad Ali of FIA is also on line 2; if they are two people")
    assert warnings[1] == ("people.csv: one organisation is written 2 ways: 'FIA' (2), 'F.I.A.' (1). Results by "
                           "organisation count them apart; write it one way if they are the same.")


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", b"", "empty.csv: the file is empty"),
    ("latin.csv", "name,sex,organisation,rank\nZo\u00eb,F,FIA,ASI\n".encode("latin-1"),
     "latin.csv: line 2: this is not UTF-8 text"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "old.xls: the old Excel format (.xls) is not read"),
    ("broken.xlsx", b"PK\x03\x04 not really", "broken.xlsx: cannot be opened as an Excel workbook"),
    ("people.pdf", b"%PDF", "people.pdf: a roster is a .csv or .xlsx file."),
])
def test_files_that_are_not_rosters_get_a_message_not_a_traceback(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterError) as e:
        read_roster(path)
    assert str(e.value).startswith(message)


def _workbook(tmp_path, rows, title="People") -> str:
    book = Workbook()
    book.active.title = "Notes"
    ws = book.create_sheet(title)
    for row in rows:
        ws.append(row)
    path = tmp_path / "people.xlsx"
    book.save(path)
    return str(path)


def test_an_excel_sheet_is_read_and_problems_name_the_cell(tmp_path):
    path = _workbook(tmp_path, [["Name", "Sex", "Organisation", "Rank", "Mobile"],
                                ["Ayesha Khan", "F", "FIA", "Inspector", 3001234567],
                                ["Bilal Ahmed", "boy", "Punjab Police", "ASI", None]])
    roster = read_roster(path)  # the first sheet with rows, not the empty "Notes"
    assert [(p.name, p.contact) for p in roster.people] == [("Ayesha Khan", "03001234567")]  # its 0 put back
    assert [str(p) for p in roster.blocking] == [
        "people.xlsx: sheet People, cell B3: sex 'boy' is not known; write female, male or undisclosed (F, M and "
        "blank are fine)."]
    with pytest.raises(RosterError, match="there is no sheet 'Women'; the sheets are Notes, People"):
        read_roster(path, sheet="Women")
    empty = Workbook()
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(RosterError, match="empty.xlsx: the file is empty. The header row names the columns"):
        read_roster(tmp_path / "empty.xlsx")


def test_the_store_gives_each_rostered_person_a_card_code_and_a_preview_skips_those_already_there(store, tmp_path):
    workshop = store.add_workshop("Quetta, November 2026")
    roster = read_roster(write(tmp_path, "people.csv", GOOD))
    new, old, text = preview(roster, store.roster(workshop["id"]))
    assert len(new) == 4 and old == [] and "4 to add (2 female, 1 male, 1 not given)." in text
    rows = store.add_rostered(workshop["id"], [dict(name=p.name, sex=p.sex, organisation=p.organisation,
                                                    rank=p.rank, contact=p.contact) for p in new])
    listed = store.roster(workshop["id"])
    assert [p["display_name"] for p in listed] == ["Ayesha Khan", "Bilal Ahmed", "Farah Naz", "Sana Baloch"]
    codes = {p["personal_code"] for p in listed}
    assert len(codes) == 4 and all(len(c) == 8 and set(c) <= set(JOIN_CODE_ALPHABET) for c in codes)
    assert all(p["consent_at"] is None for p in listed)  # nobody has accepted the notice yet
    assert store.find_card(rows[0]["personal_code"].lower()[:4] + "-" + rows[0]["personal_code"][4:])["id"] == \
        rows[0]["id"]
    new, old, text = preview(roster, store.roster(workshop["id"]))
    assert new == [] and len(old) == 4 and "4 already on this workshop's roster, not added again" in text
    with pytest.raises(UnknownParticipant, match="This card's code is not known here"):
        store.find_card("ZZZZ-ZZZZ")


# ------------------------------------------------------------------ the command


def _cli(args, data, input=None):
    return CliRunner().invoke(main, [*args, "--data", str(data)], input=input)


def test_import_previews_refuses_a_file_with_problems_then_writes_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    workshop = store.add_workshop("Quetta, November 2026")
    store.close()
    bad = write(tmp_path, "bad.csv", "name,sex,organisation,rank\nAyesha,F,FIA,ASI\nBilal,boy,FIA,ASI\n")
    result = _cli(["roster", "import", bad, "--workshop", "Quetta"], data)
    assert result.exit_code == 1
    assert "bad.csv: line 3, column B: sex 'boy' is not known" in result.output
    assert "Nothing was written." in result.output

    good = write(tmp_path, "good.csv", GOOD)
    result = _cli(["roster", "import", good, "--workshop", "Quetta"], data, input="n\n")
    assert result.exit_code == 0 and "4 to add" in result.output and "Nothing was written." in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    assert store.roster(workshop["id"]) == []  # neither the bad file nor the declined one wrote anybody
    store.close()

    result = _cli(["roster", "import", good, "--workshop", "Quetta"], data, input="y\n")
    assert result.exit_code == 0, result.output
    assert "Added 4 people." in result.output
    result = _cli(["roster", "import", good, "--workshop", "Quetta", "--yes"], data)
    assert "4 already on this workshop's roster" in result.output and "Nothing to add." in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    assert len(store.roster(workshop["id"])) == 4
    store.close()

    result = _cli(["roster", "list", "--workshop", "Quetta"], data)
    assert "4 on the roster, 0 have joined with their card." in result.output
    assert "Ayesha Khan (female, Inspector, FIA, 0300 1234567)" in result.output
    out = tmp_path / "codes.csv"
    result = _cli(["roster", "list", "--workshop", "Quetta", "--out", str(out), "--join-url",
                   "http://192.168.1.20:8866/"], data)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "name,sex,organisation,rank,contact,code,card address,joined"
    assert "http://192.168.1.20:8866/?card=" in lines[1] and lines[1].endswith(",no")


def test_an_unknown_or_ambiguous_workshop_is_named(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    store.add_workshop("Quetta, day 1")
    store.add_workshop("Quetta, day 2")
    store.close()
    good = write(tmp_path, "good.csv", GOOD)
    result = _cli(["roster", "import", good, "--workshop", "Quetta"], data)
    assert result.exit_code == 1 and "2 workshops match 'Quetta'; name one by its full title or id" in result.output
    result = _cli(["roster", "import", good, "--workshop", "Lahore"], data)
    assert result.exit_code == 1 and "No workshop or series called 'Lahore'" in result.output


def test_cards_carry_each_name_code_and_a_link_with_the_code(store, tmp_path):
    workshop = store.add_workshop("Quetta, November 2026")
    people = [dict(name=f"Person {i}", sex="female", organisation="FIA", rank="ASI", contact=None)
              for i in range(9)] + [dict(name="صائمہ نورین", sex="female", organisation="FIA", rank="ASI",
                                         contact=None)]
    store.add_rostered(workshop["id"], people)
    listed = store.roster(workshop["id"])
    pdf = PdfReader(io.BytesIO(render_cards(workshop, listed, "http://192.168.1.20:8866/")))
    assert len(pdf.pages) == 2  # eight cards a page
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for p in listed[:9]:
        code = p["personal_code"]
        assert f"{p['display_name']}" in text and f"Your code: {code[:4]}-{code[4:]}" in text
    assert len(pdf.pages[0].images) == 8  # a QR code on each card


# ------------------------------------------------------------------ joining with a card


@pytest.fixture
def rostered(session_with_pretest):
    store, session, activity = session_with_pretest
    [ayesha] = store.add_rostered(session["workshop_id"], [dict(name="Ayesha Khan", sex="female",
                                                                organisation="FIA", rank="Inspector",
                                                                contact=None)])
    return store, session, ayesha


def test_the_cards_address_shows_who_it_is_and_one_tap_joins_as_them(rostered):
    store, session, ayesha = rostered
    app = ParticipantApp(store=store, query=f"card={ayesha['personal_code']}", start_polling=False)
    form = app.join_form
    shown = form.step.children[0].value
    assert "Is this you?" in shown and "Ayesha Khan" in shown and "Inspector · FIA" in shown
    yes, _no = form.card_buttons
    yes.click()
    assert "Please tick" in form.message.value  # the notice must be accepted first
    assert app.participant is None
    form.consent_box.value = True
    yes.click()
    assert app.participant["id"] == ayesha["id"]
    assert app.session["id"] == session["id"]
    assert app.params["token"] == ayesha["token"]  # a reload comes back as her, like any participant
    assert [p["id"] for p in store.session_participants(session["id"])] == [ayesha["id"]]
    assert store.find_card(ayesha["personal_code"])["consent_at"] is not None
    assert app.attempt is not None  # straight into the open pre-test


def test_the_card_code_typed_in_the_join_box_works_and_not_me_goes_back(rostered):
    store, session, ayesha = rostered
    app = ParticipantApp(store=store, query="", start_polling=False)
    form = app.join_form
    code = ayesha["personal_code"]
    form.code_box.value = f"{code[:4].lower()}-{code[4:]}"
    form.continue_button.click()
    assert "Ayesha Khan" in form.step.children[0].value
    form.card_buttons[1].click()  # "This is not me"
    assert form.card is None and form.code_box.value == ""
    form.code_box.value = session["join_code"]
    form.continue_button.click()
    assert form.name_box is not None  # the usual form, for someone not on the roster


def test_the_usual_join_form_offers_the_card_when_the_workshop_has_a_roster(rostered):
    store, session, ayesha = rostered
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    form.card_box.value = ayesha["personal_code"]
    form.card_panel.children[0].children[1].click()
    form.consent_box.value = True
    form.card_buttons[0].click()
    assert app.participant["id"] == ayesha["id"]


def test_a_card_when_no_session_is_open_says_to_wait_and_nothing_changes(store):
    workshop = store.add_workshop("Quetta")
    [ayesha] = store.add_rostered(workshop["id"], [dict(name="Ayesha", sex="female", organisation="FIA",
                                                        rank="ASI", contact=None)])
    with pytest.raises(NotFound, match="No session of Quetta is open yet"):
        store.claim_card(ayesha["personal_code"])
    app = ParticipantApp(store=store, query=f"card={ayesha['personal_code']}", start_polling=False)
    app.join_form.consent_box.value = True
    app.join_form.card_buttons[0].click()
    assert "No session of Quetta is open yet" in app.join_form.message.value
    assert app.participant is None
    assert store.find_card(ayesha["personal_code"])["consent_at"] is None


def test_an_unknown_card_says_what_to_do(session_with_pretest):
    store, _session, _ = session_with_pretest
    app = ParticipantApp(store=store, query="card=ZZZZZZZZ", start_polling=False)
    assert "code is not known here. Check the letters on the card" in app.join_form.message.value
    assert app.join_form.code_box is not None


def test_a_nul_byte_is_named_with_its_line_and_nothing_is_written(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    workshop = store.add_workshop("Quetta, November 2026")
    store.close()
    bad = write(tmp_path, "nul.csv", "name,sex,organisation,rank\nAyesha,F,FIA,ASI\nBil\x00al,M,FIA,ASI\n")
    result = _cli(["roster", "import", bad, "--workshop", "Quetta", "--yes"], data)
    assert result.exit_code == 1
    assert "nul.csv: line 3: a NUL character (a zero byte) in column 4" in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    assert store.roster(workshop["id"]) == []
    store.close()


def test_a_file_that_is_not_utf8_is_not_read_as_utf16_without_its_byte_order_mark(tmp_path):
    # Even-length bytes almost always "decode" as UTF-16: without a BOM the names would be Chinese-looking noise.
    path = tmp_path / "latin.csv"
    path.write_bytes("name,sex,organisation,rank\nZo\u00eb,F,FIA,AS\n".encode("latin-1"))  # 40 bytes
    with pytest.raises(RosterError, match="latin.csv: line 2: this is not UTF-8 text"):
        read_roster(path)
    path.write_bytes("name,sex,organisation,rank\nZo\u00eb,F,FIA,ASI\n".encode("utf-16"))
    assert [p.name for p in read_roster(path).people] == ["Zo\u00eb"]


# ------------------------------------------------------------------ lists as organisers send them

ROSTERS = ROOT / "tests" / "fixtures" / "rosters"


def test_an_organisers_workbook_gives_the_right_people_with_the_right_organisations():
    roster = read_roster(ROSTERS / "nominations.xlsx")  # a cover sheet first: the sheet with the list is found
    assert roster.blocking == [] and roster.sheet == "Participants" and roster.header_row == 3
    assert [(p.name, p.sex, p.organisation, p.rank, p.contact) for p in roster.people] == [
        ("Ayesha Khan", "female", "Balochistan Police", "Inspector", "03001234567"),
        ("Bilal Ahmed", "male", "Balochistan Police", "ASI", "03331234567"),  # the merged cell, filled down
        ("صائمہ نورین", "female", "Balochistan Police", "Sub-Inspector", "03451234567"),
        ("Kamran Baloch", "male", "Balochistan Police", "Constable", "0300-7654321"),
        ("Farah Naz", "female", "FIA", "Assistant Director", "03211234567"),
        ("نوید احمد", "male", "FIA", "Inspector", None),
        ("Sana Ullah", "male", "FIA", "Deputy Director", "03121234567"),
        ("Mehwish Ali", "female", "Social Welfare Department", "Welfare Officer", "03011234567"),
    ]
    assert not any("54400" in str(v) for p in roster.people for v in vars(p).values())  # no CNIC is kept
    where = "nominations.xlsx: sheet Participants"
    assert [str(p) for p in roster.left_out] == [
        f"{where}, rows 1-2: above the header (a title: 'Nomination of Participants: Training on Combating "
        "Trafficki…'); left out",
        f"{where}, cell A3: the column 'S. No.': a serial number; left out",
        f"{where}, cell C3: the column \"Father's Name\": not a roster column; left out",
        f"{where}, cell G3: the column 'CNIC No.': a national identity number (CNIC) is never stored; left out",
        f"{where}, row 13: 'Total | 8': a total, not a person; left out",
        f"{where}, row 16: '(Muhammad Aslam)': a signature or a note under the list, not a person; left out",
        f"{where}, row 17: 'Section Officer (Training), Home Department': a signature or a note under the list, "
        "not a person; left out",
        f"{where}, rows 12, 14, 15: blank; left out",
    ]
    assert roster.notes == [
        "read the sheet 'Participants'; the sheet 'Cover' has no list of people under a header (a cover page?) "
        "and was left out",
        "organisation 'Balochistan Police' of the merged cells E4:E7 given to each of rows 4-7",
        "organisation 'FIA' of the merged cells E8:E10 given to each of rows 8-10",
        "6 phone number(s) had lost their leading 0 (a number cell in Excel drops it): kept with the 0 (cells H4, "
        "H5, H6 …)",
    ]
    _new, _old, text = preview(roster)
    assert text.splitlines()[0].startswith("nominations.xlsx, sheet Participants, header on row 3: 8 people read")
    assert "8 left out (not people, or not stored):" in text and "8 to add (4 female, 4 male)." in text


def test_the_organisers_workbook_imports_through_the_command_with_its_organisations(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    workshop = store.add_workshop("Quetta, November 2026")
    store.close()
    result = _cli(["roster", "import", str(ROSTERS / "nominations.xlsx"), "--workshop", "Quetta", "--yes"], data)
    assert result.exit_code == 0, result.output
    assert "'Total | 8': a total, not a person; left out" in result.output and "Added 8 people." in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    listed = {p["display_name"]: p["organisation"] for p in store.roster(workshop["id"])}
    store.close()
    assert len(listed) == 8 and listed["Bilal Ahmed"] == "Balochistan Police" and listed["نوید احمد"] == "FIA"
    assert "Section Officer (Training), Home Department" not in listed and "Total" not in listed


def test_urdu_headings_are_read():
    roster = read_roster(ROSTERS / "urdu-headings.xlsx")
    assert roster.columns == {"name": "نام", "rank": "عہدہ", "organisation": "محکمہ", "sex": "جنس",
                              "contact": "موبائل نمبر"}
    assert [(p.name, p.sex, p.organisation, p.contact) for p in roster.people] == [
        ("صائمہ نورین", "female", "بلوچستان پولیس", "03001234567"), ("نوید احمد", "male", "ایف آئی اے", "03331234567")]


def test_heading_rows_merged_across_the_list_are_not_people():
    roster = read_roster(ROSTERS / "by-department.xlsx")
    assert [(p.name, p.organisation) for p in roster.people] == [
        ("Usman Tariq", "Punjab Police"), ("Rabia Anwar", "Punjab Police"), ("Imran Shah", "Labour Department")]
    assert [str(p) for p in roster.left_out][1:] == [
        "by-department.xlsx: sheet Sheet1, row 2: 'Punjab Police': a heading across the list (merged cells), not a "
        "person; left out",
        "by-department.xlsx: sheet Sheet1, row 5: 'Labour Department': a heading across the list (merged cells), "
        "not a person; left out"]


def test_a_csv_with_a_title_line_and_a_cnic_column():
    roster = read_roster(ROSTERS / "title-row.csv")
    assert roster.header_row == 2 and roster.blocking == []
    assert [(p.name, p.organisation, p.contact) for p in roster.people] == [
        ("Ayesha Khan", "FIA", "03001234567"), ("Bilal Ahmed", "Punjab Police", "0333 1234567")]
    assert [str(p) for p in roster.left_out] == [
        "title-row.csv: line 1: above the header (a title: 'Nominations for the TIP training Lahore'); left out",
        "title-row.csv: line 2, column F: the column 'CNIC': a national identity number (CNIC) is never stored; "
        "left out"]
    assert roster.notes == ["1 phone number(s) had lost their leading 0 (a number cell in Excel drops it): kept "
                            "with the 0 (at line 3)"]


def test_a_workbook_without_a_list_names_its_sheets_and_sheet_and_nothing_is_written(tmp_path):
    roster = read_roster(ROSTERS / "no-list.xlsx")
    [problem] = roster.blocking
    assert str(problem).startswith("no-list.xlsx: sheet Sheet2, row 1: missing column(s): name, sex, organisation, "
                                   "rank.")
    assert str(problem).endswith("No sheet has them all: the sheets are 'Cover', 'Sheet2'; this is 'Sheet2'. Give "
                                 "--sheet NAME for the sheet with the list.")
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    workshop = store.add_workshop("Quetta")
    store.close()
    result = _cli(["roster", "import", str(ROSTERS / "no-list.xlsx"), "--workshop", "Quetta", "--yes"], data)
    assert result.exit_code == 1 and "Nothing was written." in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    assert store.roster(workshop["id"]) == []
    store.close()


@pytest.mark.parametrize("name, sex, organisation, rank, contact", [
    ("Name of Participant", "Sex (M/F)", "Organization/Department", "Rank/Designation", "Contact No."),
    ("NAME", "GENDER", "Deptt.", "Designation", "Mobile No."),
    ("Participant Name", "M/F", "Department", "Rank", "Cell No."),
    ("نام", "جنس", "ادارہ", "عہدہ", "Phone No."),
])
def test_the_headings_organisers_write_are_recognised(tmp_path, name, sex, organisation, rank, contact):
    text = f"{name},{sex},{organisation},{rank},{contact}\nAyesha Khan,F,FIA,Inspector,0300 1234567\n"
    roster = read_roster(write(tmp_path, "people.csv", text))
    assert roster.columns == {"name": name, "sex": sex, "organisation": organisation, "rank": rank,
                              "contact": contact}
    assert [(p.name, p.contact) for p in roster.people] == [("Ayesha Khan", "0300 1234567")]


def test_a_cnic_typed_as_the_contact_is_not_stored_and_other_sheets_with_lists_are_named(tmp_path):
    book = Workbook()
    for title in ("Men", "Women"):
        ws = book.create_sheet(title)
        ws.append(["Name", "Sex", "Organisation", "Rank", "Contact"])
        ws.append([f"A {title}", "M" if title == "Men" else "F", "FIA", "ASI", "35202-1234567-1"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    roster = read_roster(path)
    assert [(p.name, p.contact) for p in roster.people] == [("A Men", None)]
    assert [str(p) for p in roster.warnings] == [
        "two.xlsx: the sheet 'Women' also has a list of people; only 'Men' was read (give --sheet to read another).",
        "two.xlsx: sheet Men, cell E2: the contact '35202-1234567-1' looks like a CNIC (national identity number), "
        "which is never stored; left out."]
    assert [p.name for p in read_roster(path, sheet="Women").people] == ["A Women"]


def test_a_last_person_with_only_a_name_and_an_organisation_is_kept_and_a_signature_of_two_cells_is_not(tmp_path):
    text = ("name,sex,organisation,rank\n"
            "Ayesha Khan,F,FIA,Inspector\n"
            "Zara Ali,,FIA,\n"
            ",,,\n"
            "Section Officer (Training),,Home Department,\n")
    roster = read_roster(write(tmp_path, "people.csv", text))
    assert [p.name for p in roster.people] == ["Ayesha Khan", "Zara Ali"]
    assert [str(p) for p in roster.left_out] == [
        "people.csv: line 5: 'Section Officer (Training) | Home Department': a signature or a note under the list, "
        "not a person; left out",
        "people.csv: line 4: blank; left out"]


def test_the_committed_rosters_are_what_make_rosters_builds():
    import importlib.util

    from openpyxl import load_workbook

    spec = importlib.util.spec_from_file_location("make_rosters", ROSTERS / "make_rosters.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name, build in (("nominations.xlsx", make.nominations), ("urdu-headings.xlsx", make.urdu_headings),
                        ("by-department.xlsx", make.by_department), ("no-list.xlsx", make.no_list)):
        built, committed = build(), load_workbook(ROSTERS / name)
        assert built.sheetnames == committed.sheetnames, name
        for ws in built.worksheets:
            other = committed[ws.title]
            assert [list(r) for r in ws.iter_rows(values_only=True)] == \
                [list(r) for r in other.iter_rows(values_only=True)], (name, ws.title)
            assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, other.merged_cells.ranges))
    assert (ROSTERS / "title-row.csv").read_text(encoding="utf-8") == make.TITLE_ROW_CSV
