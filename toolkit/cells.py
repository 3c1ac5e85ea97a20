"""The cells of every spreadsheet the toolkit writes (CSV and XLSX): what one person typed stays text for everyone
who opens the file, never a formula that runs on the facilitator's or the donor's computer.

CSV, as OWASP recommends for "CSV injection": a text that starts with = + - @ (or a tab or a carriage return) gets a
leading apostrophe, so Excel and LibreOffice show it as text; the csv module quotes any cell that holds a separator
or a quote. A number written as text ("-3", "+92") is left as it is: a spreadsheet reads it as a number, not a
formula. XLSX: a text is written as a text cell (openpyxl would otherwise store "=..." as a formula). In both, the
characters an XLSX file cannot hold (NUL and the other control characters but tab and line breaks) are written as
U+FFFD, never a traceback.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# What XML 1.0 (so XLSX) cannot hold: the C0 controls other than tab, newline and carriage return.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell that a spreadsheet shows as it is: a text that would start a formula gets a ',
    and a control character (a NUL: no CSV reader, ours included, takes one) becomes U+FFFD."""
    if not isinstance(value, str):
        return value
    value = _NOT_IN_XLSX.sub("\ufffd", value)
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_value(value: Any) -> Any:
    """A value openpyxl can write: a text loses the characters no XLSX file holds (each becomes U+FFFD)."""
    if isinstance(value, str):
        return _NOT_IN_XLSX.sub("\ufffd", value)
    return value


def text_cells_as_text(sheet) -> int:
    """Make every cell openpyxl took for a formula (a text starting with =) a text cell again; returns how many."""
    n = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                n += 1
    return n
