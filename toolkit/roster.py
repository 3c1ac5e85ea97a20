"""A trainer's participant list (CSV or Excel) brought into a workshop: read, check, preview, then write.

Lists come as organisers send them: a title row or two above the header, a cover sheet before the list, merged
cells (one Department cell for several people), a serial-number and a CNIC column, a total row and a signature
under the list. The header row is looked for within the first rows (`HEADER_WITHIN`), on the first sheet that
has one; merged cells are filled down; rows that are not people (a total, a signature line, blank rows, numbered
rows with nobody on them) and every column that is not read are left out and listed in the preview. A CNIC
(national identity number) is never stored. Phone numbers that Excel stored as numbers (3001234567) get their
leading 0 back.

Columns (case, spaces, dots and a few common names are forgiven, see `COLUMNS`): name, sex, organisation,
rank, and optionally contact (a phone number or an e-mail). Nothing is written while the file has a problem
that must be fixed; what only needs a look (a name twice in one organisation, one organisation spelled two
ways) is shown in the preview and written once the trainer confirms.

Each person written gets a personal code for their card (`toolkit roster cards`): the phone that opens the
card's address, or types the code, becomes that person, with the name, sex, organisation and rank given here.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import languages
from .errors import InvalidText
from .limits import clean_text

REQUIRED = ("name", "sex", "organisation", "rank")
OPTIONAL = ("contact",)
# The header names a column may have (compared by `_key`: without case, spaces, dots, dashes, slashes, brackets).
COLUMNS = {
    "name": ("name", "fullname", "participant", "participantname", "nameofparticipant", "nameofparticipants",
             "nameoftheparticipant", "nameofofficer", "nameofofficial", "nameoftrainee", "officername", "nam",
             "نام", "نامشریک", "شرکاءکانام", "اسم"),
    "sex": ("sex", "gender", "sexmf", "gendermf", "mf", "جنس"),
    "organisation": ("organisation", "organization", "org", "agency", "department", "dept", "deptt", "deptartment",
                     "institution", "office", "organizationdepartment", "organisationdepartment",
                     "departmentorganization", "departmentorganisation", "nameofdepartment", "nameoforganization",
                     "nameoforganisation", "orgdept", "agencydepartment", "ادارہ", "محکمہ", "محکمہادارہ",
                     "ادارہمحکمہ", "نامادارہ", "نام محکمہ"),
    "rank": ("rank", "designation", "grade", "title", "post", "position", "rankdesignation", "designationrank",
             "designationgrade", "designationbps", "rankgrade", "bps", "عہدہ", "رینک", "گریڈ"),
    "contact": ("contact", "phone", "mobile", "cell", "email", "telephone", "whatsapp", "contactno", "contactnumber",
                "mobileno", "mobilenumber", "cellno", "cellnumber", "phoneno", "phonenumber", "telno", "whatsappno",
                "whatsappnumber", "mobilephone", "cellphone", "emailaddress", "رابطہ", "فون", "موبائل", "رابطہنمبر",
                "فوننمبر", "موبائلنمبر"),
}
# Columns organisers add that are never read, with why (anything else unknown is "not a roster column").
NOT_READ = {
    "cnic": (("cnic", "cnicno", "cnicnumber", "nic", "nicno", "idcard", "idcardno", "idcardnumber", "nationalid",
              "computerizednationalidentitycard", "شناختیکارڈ", "شناختیکارڈنمبر", "شناختیکارڈنمبر"),
             "a national identity number (CNIC) is never stored"),
    "serial": (("sno", "srno", "sr", "serial", "serialno", "serialnumber", "no", "number", "#", "sr#", "s#",
                "نمبرشمار", "سیریلنمبر", "نمبر"), "a serial number"),
}
SEX_VALUES = {
    "female": ("female", "f", "woman", "women", "w", "خاتون", "عورت", "مونث"),
    "male": ("male", "m", "man", "men", "مرد", "مذکر"),
    "undisclosed": ("undisclosed", "prefernottosay", "notsaid", "other", "x"),
}
FIELDS = {"name": "display_name", "organisation": "organisation", "rank": "rank", "contact": "contact"}  # limits.py
HEADER_WITHIN = 15  # the header row is looked for within the first rows that hold anything
TOTAL = re.compile(r"^(grand\s*|sub\s*-?\s*)?totals?\b|^(کل|میزان|ٹوٹل)(\s|$|:)", re.IGNORECASE)
# Words of a signature block or a note under the list; a person's name does not hold them.
FOOTER = re.compile(r"\b(signature|signed|sd/?|officer|secretary|director|deputy|section|in-?charge|dated?|"
                    r"approved|forwarded|government|govt|note|copy|controller|commandant|principal)\b|"
                    r"دستخط|آفیسر|سیکرٹری|ڈائریکٹر|منجانب|نوٹ", re.IGNORECASE)
CNIC = re.compile(r"^\d{5}-?\d{7}-?\d$")
LOST_ZERO = re.compile(r"^[1-9]\d{8,9}$")  # 3001234567: a Pakistani number typed into a number cell


class RosterError(Exception):
    """The file cannot be read as a roster at all (not a spreadsheet, empty, no header row)."""


@dataclass
class Problem:
    where: str  # "roster.csv: line 7" or "roster.xlsx: sheet Sheet1, cell B7"
    message: str
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Person:
    name: str
    sex: str | None
    organisation: str | None
    rank: str | None
    contact: str | None
    where: str  # of the row, for messages


@dataclass
class Roster:
    source: str
    people: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our name -> the file's header
    sheet: str | None = None  # the sheet read (an .xlsx file)
    header_row: int = 1
    left_out: list[Problem] = field(default_factory=list)  # rows and columns not read, and why
    notes: list[str] = field(default_factory=list)  # what the import changed: cells filled down, zeros put back

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).casefold().translate(languages.KEYBOARD_LOOKALIKES)
    return re.sub(r"[\s._\-/()\[\]:,'’]+", "", text)


_KNOWN = {_key(n): ours for ours, names in COLUMNS.items() for n in names}
_NOT_READ = {_key(n): ours for ours, (names, _why) in NOT_READ.items() for n in names}
_SEX = {_key(n): ours for ours, names in SEX_VALUES.items() for n in names}


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # a phone number typed into a numeric cell
        value = int(value)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _quote(text: str, n: int = 60) -> str:
    return repr(text if len(text) <= n else text[: n - 1] + "…")


# ------------------------------------------------------------------ reading


@dataclass
class _Sheet:
    name: str | None  # None for a CSV file
    rows: list[list[str]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, last row, first col, last col)


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    # UTF-16 only with its byte-order mark (as Excel writes it): without one, almost any bytes "decode" as UTF-16.
    for encoding in ("utf-8-sig", "utf-16") if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            else ("utf-8-sig",):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise RosterError(f"{path.name}: line {line}: this is not UTF-8 text. In Excel use "
                              "File > Save As > 'CSV UTF-8', or save the sheet as .xlsx.") from None
    if "\x00" in text:
        at = text.index("\x00")
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        raise RosterError(f"{path.name}: line {line}: a NUL character (a zero byte) in column {column}: the file is "
                          "damaged or is not a text file. Save the list again as CSV UTF-8 or .xlsx; nothing was "
                          "imported.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _read_xlsx(path: Path) -> list[_Sheet]:
    from openpyxl import load_workbook

    try:  # not read_only: a read-only sheet does not know its merged cells
        book = load_workbook(path, data_only=True)
    except Exception as e:  # a zip that is not a workbook, a broken file: openpyxl says which
        raise RosterError(f"{path.name}: cannot be opened as an Excel workbook ({e}). Save it again from "
                          "Excel as .xlsx, or as CSV UTF-8.") from None
    try:
        sheets = []
        for ws in book.worksheets:
            rows = [[v for v in row] for row in ws.iter_rows(values_only=True)]
            merged = []
            for r in ws.merged_cells.ranges:
                merged.append((r.min_row, r.max_row, r.min_col, r.max_col))
                value = ws.cell(r.min_row, r.min_col).value
                for n in range(r.min_row + 1, min(r.max_row, len(rows)) + 1):  # the value is the whole column's
                    row = rows[n - 1]
                    row.extend([None] * (r.min_col - len(row)))
                    row[r.min_col - 1] = value
            sheets.append(_Sheet(ws.title, rows, merged))
        return sheets
    finally:
        book.close()


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The index of the header row within the first rows, and where our columns are; the best try when none has
    them all; None when no row names any of them."""
    best: tuple[int, int, dict[str, int]] | None = None
    seen = 0
    for i, row in enumerate(rows):
        if not any(row):
            continue
        seen += 1
        if seen > HEADER_WITHIN:
            break
        positions: dict[str, int] = {}
        for j, title in enumerate(row):
            ours = _KNOWN.get(_key(title)) if title else None
            if ours and ours not in positions:
                positions[ours] = j
        if all(c in positions for c in REQUIRED):
            return i, positions
        if positions and (best is None or len(positions) > best[1]):
            best = (i, len(positions), positions)
    return (best[0], best[2]) if best else None


def read_roster(path: str | Path, sheet: str | None = None) -> Roster:
    """Read and check a roster file; never raises for a problem inside the file, only for an unreadable one."""
    path = Path(path)
    if not path.exists():
        raise RosterError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheets = _read_xlsx(path)
        if sheet is not None:
            chosen = [s for s in sheets if s.name == sheet]
            if not chosen:
                raise RosterError(f"{path.name}: there is no sheet {sheet!r}; the sheets are "
                                  f"{', '.join(s.name for s in sheets)}.")
            sheets = chosen
    elif suffix in (".csv", ".txt", ".tsv"):
        sheets = [_Sheet(None, _read_csv(path))]
    elif suffix == ".xls":
        raise RosterError(f"{path.name}: the old Excel format (.xls) is not read. Open it in Excel or LibreOffice "
                          "and save it as .xlsx or as CSV UTF-8.")
    else:
        raise RosterError(f"{path.name}: a roster is a .csv or .xlsx file.")
    for s in sheets:
        s.rows = [[_clean(v) for v in row] for row in s.rows]
    filled = [s for s in sheets if any(any(row) for row in s.rows)]
    if not filled:
        raise RosterError(f"{path.name}: the file is empty. The header row names the columns: "
                          f"{', '.join(REQUIRED)}, and optionally {', '.join(OPTIONAL)}.")
    found = [(s, _header(s.rows)) for s in filled]
    complete = [(s, h) for s, h in found if h and all(c in h[1] for c in REQUIRED)]
    roster = Roster(source=path.name)
    if complete:
        (chosen, (header_index, _positions)), others = complete[0], complete[1:]
        if others:
            roster.problems.append(Problem(path.name, f"the sheet{'s' if len(others) > 1 else ''} "
                                           f"{', '.join(repr(s.name) for s, _h in others)} also "
                                           f"{'have' if len(others) > 1 else 'has'} a list of people; only "
                                           f"{chosen.name!r} was read (give --sheet to read another).",
                                           blocking=False))
    else:
        chosen, h = max(found, key=lambda sh: len(sh[1][1]) if sh[1] else 0)
        header_index = h[0] if h else next(i for i, row in enumerate(chosen.rows) if any(row))
    skipped = [s.name for s, h in found if s is not chosen and (s, h) not in complete]
    if chosen.name is not None and skipped and complete:
        several = len(skipped) > 1
        roster.notes.append(f"read the sheet {chosen.name!r}; the sheet{'s' if several else ''} "
                            f"{', '.join(map(repr, skipped))} {'have' if several else 'has'} no list of people "
                            "under a header (a cover page?) and "
                            f"{'were' if several else 'was'} left out")
    _read_sheet(path.name, chosen, header_index, roster, [s.name for s in filled] if not complete else None)
    return roster


def _read_sheet(source: str, sheet: _Sheet, header_index: int, roster: Roster, sheets: list[str] | None) -> None:
    rows = sheet.rows
    roster.sheet = sheet.name
    roster.header_row = header_line = header_index + 1

    def where(row: int, col: int | None = None) -> str:
        if sheet.name is None:
            return f"{source}: line {row}" + (f", column {_column_letter(col)}" if col is not None else "")
        cell = f"cell {_column_letter(col)}{row}" if col is not None else f"row {row}"
        return f"{source}: sheet {sheet.name}, {cell}"

    header = rows[header_index]
    positions: dict[str, int] = {}
    for i, title in enumerate(header):
        if not title:
            continue
        k = _key(title)
        ours = _KNOWN.get(k)
        if ours is None:
            kind = _NOT_READ.get(k)
            why = NOT_READ[kind][1] if kind else "not a roster column"
            roster.left_out.append(Problem(where(header_line, i), f"the column {title!r}: {why}; left out"))
        elif ours in positions:
            roster.problems.append(Problem(where(header_line, i), f"a second {ours!r} column "
                                           f"({title!r}, the first is {header[positions[ours]]!r}); keep one."))
        else:
            positions[ours] = i
            roster.columns[ours] = title
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        found = ", ".join(repr(h) for h in header if h) or "nothing"
        within = f"within the first {HEADER_WITHIN} rows" if sheet.name is None else \
            f"within the first {HEADER_WITHIN} rows of a sheet"
        message = (f"missing column(s): {', '.join(missing)}. The header row ({within}) must name the columns "
                   f"{', '.join(REQUIRED)} (e.g. 'Name of Participant', 'Sex (M/F)', 'Department', 'Designation'); "
                   f"the row that comes closest has {found}.")
        if sheets and len(sheets) > 1:
            message += (f" No sheet has them all: the sheets are {', '.join(map(repr, sheets))}; this is "
                        f"{sheet.name!r}. Give --sheet NAME for the sheet with the list.")
        roster.problems.append(Problem(where(header_line), message))
        roster.left_out = []
        return
    if header_index:
        title = " ".join(v for row in rows[:header_index] for v in row if v)
        roster.left_out.insert(0, Problem(where(1) if header_index == 1 else
                                       where(1).replace("row 1", "rows 1-").replace("line 1", "lines 1-")
                                       + str(header_index),
                                       f"above the header (a title: {_quote(title)}); left out"))

    heading_merges = {(first, col) for first, _last, col, last_col in sheet.merged if last_col > col}
    person_columns = {positions[c] for c in (*REQUIRED, *OPTIONAL) if c in positions}
    body = list(enumerate(rows[header_index + 1:], header_line + 1))
    while body and not any(body[-1][1]):
        body.pop()

    def value(row: list[str], c: str) -> str:
        return row[positions[c]] if c in positions and positions[c] < len(row) else ""

    def person_like(row: list[str]) -> bool:
        others = sum(bool(value(row, c)) for c in ("organisation", "rank", "contact"))
        return bool(value(row, "name")) and (_key(value(row, "sex")) in _SEX or others >= 2)

    last_person = max((n for n, row in body if person_like(row)), default=None)
    blank: list[int] = []
    by_name: dict[tuple, Person] = {}
    by_all: dict[tuple, Person] = {}
    spellings: dict[str, dict[str, int]] = {}
    zeros: list[str] = []
    for line, row in body:
        filled = [(i, v) for i, v in enumerate(row) if v]
        if not filled:
            blank.append(line)
            continue
        shown = " | ".join(v for _i, v in filled)
        if any(TOTAL.match(v) for _i, v in filled):
            roster.left_out.append(Problem(where(line), f"{_quote(shown)}: a total, not a person; left out"))
            continue
        if len(filled) == 1 and (line, filled[0][0] + 1) in heading_merges:
            roster.left_out.append(Problem(where(line), f"{_quote(shown)}: a heading across the list (merged "
                                           "cells), not a person; left out"))
            continue
        if not any(i in person_columns for i, _v in filled):
            roster.left_out.append(Problem(where(line), f"{_quote(shown)}: nobody on this row (nothing under "
                                           f"{', '.join(repr(roster.columns[c]) for c in ('name', 'sex'))}); "
                                           "left out"))
            continue
        # Under the list (after the last row that is plainly a person), a row of one cell is a signature or a note;
        # so is a row of two without a sex whose words are a signature's ("Section Officer | Home Department").
        in_person = sum(1 for i, _v in filled if i in person_columns)
        after = last_person is not None and line > last_person
        if (in_person == 1 and (after or FOOTER.search(shown))) or \
                (in_person == 2 and after and not value(row, "sex") and FOOTER.search(shown)):
            roster.left_out.append(Problem(where(line), f"{_quote(shown)}: a signature or a note under the list, "
                                           "not a person; left out"))
            continue
        values = {c: value(row, c) for c in (*REQUIRED, *OPTIONAL)}
        if not values["name"]:
            roster.problems.append(Problem(where(line, positions["name"]), "no name; write the person's name, or "
                                           "delete the row."))
            continue
        contact = values["contact"]
        if contact and CNIC.match(contact.replace(" ", "")):
            roster.problems.append(Problem(where(line, positions["contact"]), f"the contact {contact!r} looks like "
                                           "a CNIC (national identity number), which is never stored; left out.",
                                           blocking=False))
            values["contact"] = ""
        elif contact and LOST_ZERO.match(contact):
            zeros.append(f"{_column_letter(positions['contact'])}{line}" if sheet.name else f"line {line}")
            values["contact"] = "0" + contact
        for c, field_name in FIELDS.items():  # what a phone may type, a roster may hold: the same bounds
            try:
                values[c] = clean_text(values[c], field_name) or ""
            except InvalidText as e:
                fix = f"is longer than {e.limit} characters; shorten it." if e.reason == "too_long" else \
                    "has a character that cannot be stored (a control character); type it again."
                roster.problems.append(Problem(where(line, positions[c]), f"the {c} {fix}"))
        sex = None
        if values["sex"]:
            sex = _SEX.get(_key(values["sex"]))
            if sex is None:
                roster.problems.append(Problem(where(line, positions["sex"]), f"sex {values['sex']!r} is not known; "
                                               "write female, male or undisclosed (F, M and blank are fine)."))
                continue
        person = Person(values["name"], sex, values["organisation"] or None, values["rank"] or None,
                        values["contact"] or None, where(line))
        same_all = (_key(person.name), _key(person.organisation or ""), _key(person.rank or ""),
                    _key(person.contact or ""))
        if same_all in by_all:
            roster.problems.append(Problem(where(line), f"repeats {by_all[same_all].where.split(': ', 1)[1]} "
                                           f"({person.name}); delete one of the two rows."))
            continue
        same_name = (_key(person.name), _key(person.organisation or ""))
        if same_name in by_name:
            roster.problems.append(Problem(where(line), f"{person.name} of {person.organisation or 'no organisation'}"
                                           f" is also on {by_name[same_name].where.split(': ', 1)[1]}; if they are "
                                           "two people, both are kept (check the rank or contact tells them apart).",
                                           blocking=False))
        by_all[same_all] = person
        by_name.setdefault(same_name, person)
        if person.organisation:
            spellings.setdefault(_key(person.organisation), {}).setdefault(person.organisation, 0)
            spellings[_key(person.organisation)][person.organisation] += 1
        roster.people.append(person)
    if blank:
        roster.left_out.append(Problem(where(blank[0]) if len(blank) == 1 else
                                       where(blank[0]).replace(f"row {blank[0]}", "rows " + ", ".join(map(str, blank)))
                                       .replace(f"line {blank[0]}", "lines " + ", ".join(map(str, blank))),
                                       "blank; left out"))
    for first, last, col, _last_col in sorted(sheet.merged):
        if first > header_line and last > first and col - 1 in person_columns:
            ours = next(c for c in (*REQUIRED, *OPTIONAL) if positions.get(c) == col - 1)
            shown = rows[first - 1][col - 1] if first - 1 < len(rows) else ""
            if shown:
                roster.notes.append(f"{ours} {shown!r} of the merged cells {_column_letter(col - 1)}{first}:"
                                    f"{_column_letter(col - 1)}{last} given to each of rows {first}-{last}")
    if zeros:
        roster.notes.append(f"{len(zeros)} phone number(s) had lost their leading 0 (a number cell in Excel drops "
                            f"it): kept with the 0 ({'cells' if sheet.name else 'at'} {', '.join(zeros[:3])}" + (" …" if len(zeros) > 3 else "") + ")")
    for forms in spellings.values():
        if len(forms) > 1:
            listed = ", ".join(f"{name!r} ({n})" for name, n in sorted(forms.items(), key=lambda kv: -kv[1]))
            roster.problems.append(Problem(source, f"one organisation is written {len(forms)} ways: {listed}. "
                                           "Results by organisation count them apart; write it one way if they "
                                           "are the same.", blocking=False))
    if not roster.people and not roster.blocking:
        roster.problems.append(Problem(where(header_line), "the header row is there but no person is listed under "
                                       "it."))


def preview(roster: Roster, already: list[dict] | None = None) -> tuple[list[Person], list[Person], str]:
    """What an import would do: the people to add, the people already on the workshop's roster, and a text."""
    known = {(_key(p["display_name"] or ""), _key(p["organisation"] or "")) for p in already or []}
    new = [p for p in roster.people if (_key(p.name), _key(p.organisation or "")) not in known]
    old = [p for p in roster.people if (_key(p.name), _key(p.organisation or "")) in known]
    at = (f", sheet {roster.sheet}" if roster.sheet else "") + (f", header on row {roster.header_row}"
                                                                if roster.header_row > 1 else "")
    lines = [f"{roster.source}{at}: {len(roster.people)} people read"
             + (f" (columns: {', '.join(f'{k} = {v!r}' for k, v in roster.columns.items())})" if roster.columns
                else "")]
    if roster.notes:
        lines += [f"  {n}" for n in roster.notes]
    if roster.left_out:
        lines.append(f"{len(roster.left_out)} left out (not people, or not stored):")
        lines += [f"  {p}" for p in roster.left_out]
    if roster.blocking:
        lines.append(f"{len(roster.blocking)} problem(s) to fix in the file; nothing is written until they are fixed:")
        lines += [f"  {p}" for p in roster.blocking]
    if roster.warnings:
        lines.append(f"{len(roster.warnings)} thing(s) to check:")
        lines += [f"  {p}" for p in roster.warnings]
    if old:
        lines.append(f"{len(old)} already on this workshop's roster, not added again: "
                     + ", ".join(p.name for p in old[:8]) + (" …" if len(old) > 8 else ""))
    if not roster.blocking:
        counts: dict[str, int] = {}
        for p in new:
            counts[p.sex or "not given"] = counts.get(p.sex or "not given", 0) + 1
        by_sex = ", ".join(f"{n} {sex}" for sex, n in sorted(counts.items()))
        lines.append(f"{len(new)} to add" + (f" ({by_sex})" if new else "") + ".")
    return new, old, "\n".join(lines)


# ------------------------------------------------------------------ cards

CARDS_ACROSS, CARDS_DOWN = 2, 4


def card_address(join_url: str, code: str) -> str:
    return f"{join_url.rstrip('/')}/?card={code}"


def render_cards(workshop: dict, people: list[dict], join_url: str) -> bytes:
    """An A4 PDF of cards to cut out, eight a page: name, organisation, rank, the personal code and its QR code."""
    import segno

    from .certificates import a4_pdf, set_font_for

    pdf = a4_pdf("P")
    pdf.set_title(f"Participant cards: {workshop['title']}")
    pdf.set_creator("toolkit")
    margin, gap = 10.0, 0.0
    width = (210 - 2 * margin) / CARDS_ACROSS
    height = (297 - 2 * margin) / CARDS_DOWN

    def text(x: float, y: float, w: float, value: str, size: float, style: str = "", lines: int = 3) -> float:
        """Write at (x, y), at most `lines` lines (a longer text is cut with an ellipsis); the y below it."""
        set_font_for(pdf, value, style, size)
        rtl = languages.is_rtl(languages.written_in(value))
        height = size * 0.45
        wrapped = pdf.multi_cell(w, height, value, dry_run=True, output="LINES")
        if len(wrapped) > lines:
            value = " ".join(wrapped[:lines]).rstrip()
            while value and len(pdf.multi_cell(w, height, value + "…", dry_run=True, output="LINES")) > lines:
                value = value[:-1].rstrip()
            value += "…"
        pdf.set_xy(x, y)
        pdf.multi_cell(w, height, value, align="R" if rtl else "L")
        return pdf.get_y()

    per_page = CARDS_ACROSS * CARDS_DOWN
    base = join_url.rstrip("/") + "/"
    for i, person in enumerate(people):
        if i % per_page == 0:
            pdf.add_page()
        col, row = (i % per_page) % CARDS_ACROSS, (i % per_page) // CARDS_ACROSS
        x, y = margin + col * (width + gap), margin + row * (height + gap)
        pdf.set_draw_color(160, 160, 160)
        pdf.set_dash_pattern(dash=1.5, gap=1.5)
        pdf.rect(x, y, width, height)
        pdf.set_dash_pattern()
        qr = segno.make(card_address(join_url, person["personal_code"]), error="m")
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=8, border=2)
        side = 30.0
        pdf.image(buffer, x=x + width - side - 4, y=y + 4, w=side, h=side)
        column = width - side - 12
        pdf.set_text_color(90, 90, 90)
        below = text(x + 5, y + 5, column, workshop["title"], 8, lines=2)
        pdf.set_text_color(20, 20, 20)
        below = text(x + 5, below + 2.5, column, person["display_name"] or "", 13, "B", lines=2)
        pdf.set_text_color(60, 60, 60)
        detail = " · ".join(v for v in (person.get("rank"), person.get("organisation")) if v)
        below = text(x + 5, below + 1.5, column, detail, 9, lines=3)
        pdf.set_text_color(20, 20, 20)
        below = text(x + 5, max(below, y + side + 4) + 2, width - 10,
                     f"Your code: {format_code(person['personal_code'])}", 14, "B", lines=1)
        pdf.set_text_color(90, 90, 90)
        below = text(x + 5, below + 1, width - 10, f"Scan the QR code, or open {base} and type your code.", 8,
                     lines=2)
        text(x + 5, below + 0.5, width - 10, "کیو آر کوڈ اسکین کریں، یا یہ صفحہ کھول کر اپنا کوڈ لکھیں۔", 8, lines=1)
    return bytes(pdf.output())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
