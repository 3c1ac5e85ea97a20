"""A trainer's participant list (CSV or Excel) brought into a workshop: read, check, preview, then write.

Columns (the header row; case, spaces and a few common names are forgiven, see `COLUMNS`): name, sex,
organisation, rank, and optionally contact (a phone number or an e-mail). Nothing is written while the file
has a problem that must be fixed; what only needs a look (a name twice in one organisation, one organisation
spelled two ways) is shown in the preview and written once the trainer confirms.

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
# The header names a column may have (compared without case, spaces, dots, dashes and underscores).
COLUMNS = {
    "name": ("name", "fullname", "participant", "participantname", "nam", "نام"),
    "sex": ("sex", "gender", "جنس"),
    "organisation": ("organisation", "organization", "org", "agency", "department", "institution", "ادارہ"),
    "rank": ("rank", "designation", "grade", "title", "post", "position", "عہدہ"),
    "contact": ("contact", "phone", "mobile", "cell", "email", "telephone", "whatsapp", "رابطہ", "فون"),
}
SEX_VALUES = {
    "female": ("female", "f", "woman", "women", "w", "خاتون", "عورت"),
    "male": ("male", "m", "man", "men", "مرد"),
    "undisclosed": ("undisclosed", "prefernottosay", "notsaid", "other", "x"),
}
FIELDS = {"name": "display_name", "organisation": "organisation", "rank": "rank", "contact": "contact"}  # limits.py


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

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s._\-/()]+", "", text)


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


# ------------------------------------------------------------------ reading


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


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[list[str]], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a zip that is not a workbook, a broken file: openpyxl says which
        raise RosterError(f"{path.name}: cannot be opened as an Excel workbook ({e}). Save it again from "
                          "Excel as .xlsx, or as CSV UTF-8.") from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise RosterError(f"{path.name}: there is no sheet {sheet!r}; the sheets are "
                                  f"{', '.join(book.sheetnames)}.")
            ws = book[sheet]
        else:
            ws = next((book[n] for n in book.sheetnames if book[n].max_row and book[n].max_row > 1), book.active)
        rows = [[_clean(v) for v in row] for row in ws.iter_rows(values_only=True)]
        return rows, ws.title
    finally:
        book.close()


def read_roster(path: str | Path, sheet: str | None = None) -> Roster:
    """Read and check a roster file; never raises for a problem inside the file, only for an unreadable one."""
    path = Path(path)
    if not path.exists():
        raise RosterError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows, sheet_name = _read_xlsx(path, sheet)

        def where(row: int, col: int | None = None) -> str:
            cell = f"cell {_column_letter(col)}{row}" if col is not None else f"row {row}"
            return f"{path.name}: sheet {sheet_name}, {cell}"
    elif suffix in (".csv", ".txt", ".tsv"):
        rows = _read_csv(path)

        def where(row: int, col: int | None = None) -> str:
            return f"{path.name}: line {row}" + (f", column {_column_letter(col)}" if col is not None else "")
    elif suffix == ".xls":
        raise RosterError(f"{path.name}: the old Excel format (.xls) is not read. Open it in Excel or LibreOffice "
                          "and save it as .xlsx or as CSV UTF-8.")
    else:
        raise RosterError(f"{path.name}: a roster is a .csv or .xlsx file.")

    roster = Roster(source=path.name)
    numbered = [(i + 1, [_clean(v) for v in row]) for i, row in enumerate(rows)]
    numbered = [(n, row) for n, row in numbered if any(row)]
    if not numbered:
        raise RosterError(f"{path.name}: the file is empty. The first row names the columns: "
                          f"{', '.join(REQUIRED)}, and optionally {', '.join(OPTIONAL)}.")
    header_line, header = numbered[0]
    positions: dict[str, int] = {}
    for i, title in enumerate(header):
        k = _key(title)
        for ours, names in COLUMNS.items():
            if k in {_key(n) for n in names}:
                if ours in positions:
                    roster.problems.append(Problem(where(header_line, i), f"a second {ours!r} column "
                                                   f"({title!r}, the first is {header[positions[ours]]!r}); "
                                                   "keep one."))
                else:
                    positions[ours] = i
                    roster.columns[ours] = title
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        found = ", ".join(repr(h) for h in header if h) or "nothing"
        roster.problems.append(Problem(where(header_line), f"missing column(s): {', '.join(missing)}. The first "
                                       f"row must name the columns; it has {found}."))
        return roster

    by_name: dict[tuple, Person] = {}
    by_all: dict[tuple, Person] = {}
    spellings: dict[str, dict[str, int]] = {}
    for line, row in numbered[1:]:
        values = {c: row[positions[c]] if c in positions and positions[c] < len(row) else ""
                  for c in (*REQUIRED, *OPTIONAL)}
        if not any(values.values()):
            continue  # a row with notes in other columns only
        if not values["name"]:
            roster.problems.append(Problem(where(line, positions["name"]), "no name; write the person's name, or "
                                           "delete the row."))
            continue
        for c, field_name in FIELDS.items():  # what a phone may type, a roster may hold: the same bounds
            try:
                values[c] = clean_text(values[c], field_name) or ""
            except InvalidText as e:
                fix = f"is longer than {e.limit} characters; shorten it." if e.reason == "too_long" else \
                    "has a character that cannot be stored (a control character); type it again."
                roster.problems.append(Problem(where(line, positions[c]), f"the {c} {fix}"))
        sex = None
        if values["sex"]:
            sex = next((ours for ours, names in SEX_VALUES.items() if _key(values["sex"]) in map(_key, names)), None)
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
    for forms in spellings.values():
        if len(forms) > 1:
            listed = ", ".join(f"{name!r} ({n})" for name, n in sorted(forms.items(), key=lambda kv: -kv[1]))
            roster.problems.append(Problem(path.name, f"one organisation is written {len(forms)} ways: {listed}. "
                                           "Results by organisation count them apart; write it one way if they "
                                           "are the same.", blocking=False))
    if not roster.people and not roster.blocking:
        roster.problems.append(Problem(where(header_line), "the header row is there but no person is listed under "
                                       "it."))
    return roster


def preview(roster: Roster, already: list[dict] | None = None) -> tuple[list[Person], list[Person], str]:
    """What an import would do: the people to add, the people already on the workshop's roster, and a text."""
    known = {(_key(p["display_name"] or ""), _key(p["organisation"] or "")) for p in already or []}
    new = [p for p in roster.people if (_key(p.name), _key(p.organisation or "")) not in known]
    old = [p for p in roster.people if (_key(p.name), _key(p.organisation or "")) in known]
    lines = [f"{roster.source}: {len(roster.people)} people read"
             + (f" (columns: {', '.join(f'{k} = {v!r}' for k, v in roster.columns.items())})" if roster.columns
                else "")]
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
