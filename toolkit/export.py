"""Results out of the toolkit: the answers as one tidy long CSV, or a workbook with one sheet per table.

The CSV has one row per participant × scored question (unanswered questions included with 0 points) with the
participant's sex, organisation and rank beside it; a response that is not plain text (a list, a true/false,
a matching) is written as JSON. Names and personal links are never in the CSV; the workbook's participants
sheet has names unless `names=False`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .cells import csv_cell, text_cells_as_text, xlsx_value
from .report import analyse
from .results import Results

FORMATS = ("csv", "xlsx")
PROFILE = ["sex", "organisation", "rank"]


class ExportError(ValueError):
    """The export cannot be written as asked; the message says why."""


def _cell(value):
    """A value a spreadsheet shows as it is: text as text, lists and dicts as JSON, no time zones."""
    if isinstance(value, (list, tuple, dict, bool)):
        return xlsx_value(json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False))
    if isinstance(value, str):
        return xlsx_value(value)
    if isinstance(value, pd.Timestamp) or hasattr(value, "tzinfo") and hasattr(value, "astimezone"):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).tz_localize(None).to_pydatetime()
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, (pd.DatetimeTZDtype, pd.CategoricalDtype,
                                                                           pd.StringDtype)):
            out[column] = out[column].map(_cell).astype(object)
    return out


def tidy_answers(results: Results) -> pd.DataFrame:
    """The answers frame with each participant's sex, organisation and rank, responses as text or JSON."""
    people = results.participants[["participant_id", *PROFILE]]
    frame = results.answers.merge(people, on="participant_id", how="left")
    frame["response"] = frame["response"].map(lambda r: "" if r is None else r if isinstance(r, str) else
                                              json.dumps(r, ensure_ascii=False))
    frame["objective"] = frame["objective"].map(lambda o: ";".join(o) if isinstance(o, list) else o)
    return frame


def tables(results: Results, names: bool = True) -> dict[str, pd.DataFrame]:
    """Every sheet of the workbook, by sheet name (at most 31 characters, as Excel wants)."""
    t = analyse(results)
    people = results.participants if names else results.participants.drop(columns=["display_name"])
    sheets = {
        "workshops": results.workshops, "sessions": results.sessions, "activities": results.activities,
        "participants": people, "attendance": results.attendance, "answers": tidy_answers(results),
        "questions": results.questions, "survey": results.survey, "confidence": results.confidence,
        "scores": t["scores"], "match_rate": t["match_rate"], "gain_summary": t["gain_summary"],
        "paired_tests": t["paired_tests"], "gain_by_objective": t["gain_by_objective"],
        "by_sex": t["by_sex"], "by_organisation": t["by_organisation"], "by_rank": t["by_rank"],
        "item_statistics": t["item_statistics"], "item_mcnemar": t["item_mcnemar"],
        "reliability": t["reliability"], "distractors": t["distractors"], "likert": t["likert"],
        "confidence_change": t["confidence"], "open_answers": t["open_answers"],
        "notes": t["notes"],  # where a figure is not meaningful at the group's size, and why
    }
    if t["workshops"] is not None:
        sheets["workshops_compared"] = t["workshops"]
    for workshop_id, table in t["progress"].items():
        sheets[f"progress_{workshop_id[:8]}"] = table
    if t["recommend"] is not None:
        sheets["recommend"] = t["recommend"]
    return {name[:31]: frame for name, frame in sheets.items() if isinstance(frame, pd.DataFrame)}


def write_csv(results: Results, out: str | Path) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = tidy_answers(results)
    for column in frame.columns:  # what a participant typed (a name, an organisation, an answer) is never a formula
        if frame[column].dtype == object:
            frame[column] = frame[column].map(csv_cell)
    frame.to_csv(path, index=False, encoding="utf-8-sig")  # the BOM: Excel then reads Urdu right
    return path


def write_xlsx(results: Results, out: str | Path, names: bool = True) -> Path:
    from openpyxl.utils import get_column_letter

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables(results, names).items():
            plain = _plain(frame)
            plain.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name]
            text_cells_as_text(sheet)  # a text typed as "=..." stays text: the workbook holds no formula
            for i, column in enumerate(plain.columns, start=1):
                widest = max([len(str(column)), *(len(str(v)) for v in plain[column].head(200))])
                sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, widest + 2))
    return path


def export(results: Results, fmt: str, out: str | Path, names: bool = True) -> Path:
    """Write the results as `fmt` ('csv' or 'xlsx') to `out`; returns the path written."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown format {fmt!r}: use {' or '.join(FORMATS)}.")
    return write_csv(results, out) if fmt == "csv" else write_xlsx(results, out, names)
