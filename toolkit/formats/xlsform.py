"""XLSForm (KoboToolbox, ODK): export a bank as a form, and import a form as a bank (openpyxl, .xlsx only).

Sheets: `survey` (type, name, label, hint, …), `choices` (list_name, name, label) and `settings` (form_title,
form_id, version, default_language). Labels in several languages are columns `label::English (en)` and
`label::Urdu (ur)`; a plain `label` column is in the default language (English unless settings say otherwise).

Export: single and classification → `select_one`, multiple → `select_multiple`, truefalse → `select_one` of the
list `true_false`, likert → `select_one` with appearance `likert`, ordering → `rank`, matching → a `field-list`
group with one `select_one` per item (named `QUESTION__ITEM`), numeric → `integer` or `decimal` (the unit as its
hint), open → `text`. Every `name` is the bank's id, so answers collected in KoboToolbox come back under the
bank's question and option ids. A form has no answer keys and no feedback: both are left out and reported once.

Import: `select_one` → an unscored choice (likert), `select_multiple` and `rank` → open (choices listed in the
text), `text`, `integer`, `decimal`, `range` → open, `note` → skipped; groups are flattened; form metadata (start,
end, deviceid, …) and calculations are skipped. Each is reported per row, as `FILE!survey!A7: …`: a form
holds no answer key, so nothing imported from a form is scored until a person adds keys.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from ..bank import PRESET_OPTIONS, PRESET_SCALES, Bank
from ..cells import text_cells_as_text, xlsx_value
from .common import CHANGED, ERROR, SKIPPED, TODO, Draft, Export, FormatError, Report, Text, compact, read_bytes

LANGUAGE_NAMES = {"en": "English", "ur": "Urdu"}
TRUE_FALSE = [("true", {"en": "True", "ur": "درست"}), ("false", {"en": "False", "ur": "غلط"})]
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
METADATA = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email",
            "audit", "start-geopoint", "background-audio", "imei", "uri:deviceid"}
SKIP_TYPES = {"calculate", "hidden", "acknowledge", "geopoint", "geotrace", "geoshape", "date", "time", "datetime",
              "image", "audio", "video", "file", "barcode", "background-geopoint", "xml-external", "csv-external",
              "begin_repeat", "end_repeat", "begin repeat", "end repeat", "select_one_from_file",
              "select_multiple_from_file", "trigger"}


def _language(header: str, default: str) -> str | None:
    """'label::Urdu (ur)' → 'ur'; 'label' → the default language."""
    if "::" not in header:
        return default
    lang = header.split("::", 1)[1].strip()
    m = re.search(r"\(([A-Za-z-]+)\)\s*$", lang)
    code = (m.group(1) if m else lang).lower().split("-")[0]
    return {"english": "en", "urdu": "ur"}.get(code, code)


class _Sheet:
    """A sheet as rows of {column: value}, with the cell address of each value for reports."""

    def __init__(self, ws: Any, name: str):
        from openpyxl.utils import get_column_letter

        self.name = name
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        while rows and all(v in (None, "") for v in rows[-1]):
            rows.pop()
        self.header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
        self.columns = {h: get_column_letter(i + 1) for i, h in enumerate(self.header) if h}
        self.rows = [(n, {h: v for h, v in zip(self.header, r, strict=False) if h and v not in (None, "")})
                     for n, r in enumerate(rows[1:], 2)]
        self.rows = [(n, r) for n, r in self.rows if r]

    def cell(self, n: int, column: str = "") -> str:
        return f"{self.name}!{self.columns.get(column, 'A')}{n}"

    def texts(self, row: dict, base: str, default: str) -> Text:
        out: Text = {}
        for h, v in row.items():
            if h == base or h.startswith(base + "::"):
                lang = _language(h, default)
                if lang in LANGUAGE_NAMES:
                    out.setdefault(lang, str(v).strip())
        return out


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read an XLSForm workbook into `draft`; every row that does not become a question is reported."""
    import openpyxl

    draft.bank_where = "settings!A1"
    raw = read_bytes(path, draft.source)
    if not raw:
        raise FormatError([Report(draft.source, 1, "the file is empty", level=ERROR)])
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FormatError([Report(draft.source, 1, "an old Excel 97-2003 (.xls) workbook: save it as .xlsx",
                                  level=ERROR)])
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise FormatError([Report(draft.source, 1, f"not an Excel workbook (.xlsx): {e}", level=ERROR)]) from None
    sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
    if "survey" not in sheets:
        raise FormatError([Report(draft.source, "survey", "no 'survey' sheet (an XLSForm has survey, choices and "
                                                          f"settings sheets; this one has {', '.join(sheets)})",
                                  level=ERROR)])
    survey = _Sheet(sheets["survey"], "survey")
    choices = _Sheet(sheets["choices"], "choices") if "choices" in sheets else None
    settings = _Sheet(sheets["settings"], "settings") if "settings" in sheets else None
    wb.close()
    if not survey.header:
        raise FormatError([Report(draft.source, "survey!A1", "the survey sheet is empty", level=ERROR)])
    for column in ("type", "name"):
        if column not in survey.columns:
            raise FormatError([Report(draft.source, "survey!A1", f"the survey sheet has no '{column}' column "
                                                                  "in its first row", level=ERROR)])
    if not survey.rows:
        raise FormatError([Report(draft.source, "survey!A2", "the survey sheet has no rows under its header",
                                  level=ERROR)])
    default = "en"
    if settings and settings.rows:
        first = settings.rows[0][1]
        default = _language("x::" + str(first.get("default_language", "English (en)")), "en") or "en"
        draft.overrides["id"] = draft.overrides["id"] or (str(first["form_id"]) if first.get("form_id") else None)
        title = settings.texts(first, "form_title", default)
        if title.get("en") and not draft.overrides["title"]:
            draft.overrides["title"] = title["en"]
    for sheet in (survey, choices):
        for h in sheet.header if sheet else []:
            base = h.split("::", 1)[0]
            if base in ("label", "hint") and _language(h, default) not in ("en", "ur"):
                draft.report(sheet.cell(1, h), f"column '{h}': the bank holds English and Urdu only; left out")
    lists = _lists(choices, draft, default)
    skipped_meta: list[str] = []
    for n, row in survey.rows:
        _row(n, row, survey, lists, draft, default, skipped_meta)
    if skipped_meta:
        draft.report("survey", f"form metadata rows skipped (they are not questions): {', '.join(skipped_meta)}",
                     level=SKIPPED)


def _lists(choices: _Sheet | None, draft: Draft, default: str) -> dict[str, list[tuple[str, Text, str]]]:
    lists: dict[str, list[tuple[str, Text, str]]] = {}
    if choices is None:
        return lists
    for n, row in choices.rows:
        list_name = str(row.get("list_name") or row.get("list name") or "").strip()
        name = str(row.get("name", "")).strip()
        if not list_name or not name:
            draft.report(choices.cell(n, "name" if list_name else "list_name"),
                         "a choice without a list_name or name was left out")
            continue
        lists.setdefault(list_name, []).append((name, choices.texts(row, "label", default), choices.cell(n, "name")))
    return lists


def _row(n: int, row: dict, survey: _Sheet, lists: dict, draft: Draft, default: str, skipped_meta: list) -> None:
    qtype_raw = " ".join(str(row.get("type", "")).split())
    name = str(row.get("name", "")).strip()
    where = survey.cell(n, "type")
    qtype, _, rest = qtype_raw.partition(" ")
    if not qtype:
        draft.report(where, f"a row without a type was left out ('{name}')", level=SKIPPED)
        return
    if qtype in METADATA:
        skipped_meta.append(qtype)
        return
    if qtype in ("begin_group", "end_group") or qtype_raw in ("begin group", "end group"):
        label = survey.texts(row, "label", default)
        if qtype_raw.startswith("begin") and label.get("en"):
            draft.report(where, f"the group '{name}' is flattened; its label '{label['en']}' is left out")
        return
    if qtype in SKIP_TYPES or qtype_raw in SKIP_TYPES:
        draft.report(where, f"'{qtype_raw}' rows have no equivalent in a bank; left out", name or None, SKIPPED)
        return
    text = survey.texts(row, "label", default)
    hint = survey.texts(row, "hint", default)
    if qtype == "note":
        draft.report(where, f"a note (text without a question) has no place in a bank: '{text.get('en', '')}'",
                     name or None, SKIPPED)
        return
    if not name:
        draft.report(survey.cell(n, "name"), "not imported: the row has no name", level=ERROR)
        return
    if not text.get("en"):
        english = next((h for h in survey.header if h.split("::")[0] == "label" and _language(h, default) == "en"),
                       "label")
        draft.report(survey.cell(n, english), "not imported: the row has no English label", name, ERROR)
        return
    qid = draft.question_id(exact=name, fallback_text=text["en"], where=where)
    for h in row:
        if h in ("relevant", "constraint", "choice_filter", "repeat_count", "calculation", "trigger"):
            draft.report(survey.cell(n, h), f"'{h}' ({row[h]}) is not kept: the bank shows every question as it is",
                         qid)
    for h in row:
        if h.startswith(("media::", "image", "audio", "video")):
            draft.report(survey.cell(n, h), f"the media column '{h}' is not kept", qid)
    text = {lang: f"{t}\n{hint[lang]}" if hint.get(lang) else t for lang, t in text.items()}
    q: dict[str, Any] = {"id": qid}
    if qtype in ("select_one", "select_multiple", "rank"):
        list_name = rest.replace(" or_other", "").strip()
        if "or_other" in rest:
            draft.report(where, "'or_other' (a typed 'other' answer) is not kept", qid)
        options = lists.get(list_name)
        if not options:
            draft.report(where, f"not imported: the list '{list_name}' is not on the choices sheet", qid, ERROR)
            return
        if qtype == "select_one":
            q.update(type="likert", text=compact(text),
                     options=[{"id": cid, "text": compact(t) or cid} for cid, t, _c in options])
            draft.report(where, "a form holds no answer key: imported as an unscored choice (likert); to score it, "
                                "set type: single, add objectives and a key", qid, TODO)
        else:
            listed = {lang: t + "\n" + "\n".join(f"- {o[1].get(lang) or o[1].get('en') or o[0]}" for o in options)
                      for lang, t in text.items()}
            q.update(type="open", text=compact(listed))
            what = "ranking" if qtype == "rank" else "select_multiple"
            draft.report(where, f"a {what} question holds no answer key and the bank has no unscored question of "
                                "its kind: imported as an open question with the choices listed in its text; to "
                                f"score it, set type: {'ordering' if qtype == 'rank' else 'multiple'}, options, "
                                "objectives and a key", qid, TODO)
    elif qtype in ("text", "integer", "decimal", "range"):
        q.update(type="open", text=compact(text))
        if qtype != "text":
            draft.report(where, f"a form holds no answer key: the {qtype} question is imported as an open question; "
                                "to score it, set type: numeric, objectives and a key {value: …, tolerance: …}",
                         qid, TODO)
    else:
        draft.question_ids.discard(qid)
        draft.report(where, f"not imported: unknown question type '{qtype_raw}'", name, ERROR)
        return
    draft.default_kind = "survey"
    draft.add(q, where)


# ---------------------------------------------------------------- writing


def write(bank: Bank, path: Path) -> list[Report]:
    """Write `bank` as an XLSForm for KoboToolbox or ODK; returns what the form cannot hold."""
    import openpyxl
    from openpyxl.styles import Font

    export = Export(bank)
    export.bank_level("XLSForm", urdu=True)
    langs = [lang for lang in bank.languages if lang in LANGUAGE_NAMES]
    label = [f"label::{LANGUAGE_NAMES[lang]} ({lang})" for lang in langs]
    hint = [f"hint::{LANGUAGE_NAMES[lang]} ({lang})" for lang in langs]
    survey: list[list[Any]] = [["type", "name", *label, *hint, "appearance"]]
    choices: list[list[Any]] = [["list_name", "name", *label]]
    written_lists: set[str] = set()

    def texts(t: Text) -> list[str]:
        return [t.get(lang, "") for lang in langs]

    def add_list(name: str, options: list[tuple[str, Text]], line: int, qid: str) -> None:
        if name in written_lists:
            return
        written_lists.add(name)
        for oid, t in options:
            if not NAME.match(oid) and " " in oid:
                export.report(line, f"option id '{oid}' has spaces, which XLSForm choice names may not have", qid)
            choices.append([name, oid, *texts(t)])

    n_keys = n_feedback = 0
    for q, raw, line in export.items():
        name = q.id if NAME.match(q.id) else f"q_{q.id}"
        if name != q.id:
            export.report(line, f"'{q.id}' is not a valid XLSForm name; the form calls it '{name}'", q.id)
        n_keys += q.scored
        n_feedback += bool(q.feedback or any(o.feedback for o in q.options))
        blank_hint = [""] * len(langs)
        if q.type in ("single", "classification", "multiple", "likert", "ordering"):
            preset = raw.get("options") if isinstance(raw.get("options"), str) else raw.get("scale")
            list_name = preset if preset in (*PRESET_OPTIONS, *PRESET_SCALES) else name
            add_list(list_name, [(o.id, o.text) for o in q.options], line, q.id)
            kind = {"multiple": "select_multiple", "ordering": "rank"}.get(q.type, "select_one")
            survey.append([f"{kind} {list_name}", name, *texts(q.text), *blank_hint,
                           "likert" if q.type == "likert" else ""])
        elif q.type == "truefalse":
            add_list("true_false", TRUE_FALSE, line, q.id)
            survey.append(["select_one true_false", name, *texts(q.text), *blank_hint, ""])
        elif q.type == "matching":
            add_list(name, [(o.id, o.text) for o in q.options], line, q.id)
            survey.append(["begin_group", name, *texts(q.text), *blank_hint, "field-list"])
            for item in q.items:
                survey.append([f"select_one {name}", f"{name}__{item.id}", *texts(item.text), *blank_hint, ""])
            survey.append(["end_group", name, *[""] * len(langs), *blank_hint, ""])
        elif q.type == "numeric":
            whole = float(q.key["value"]).is_integer() and float(q.key["tolerance"]).is_integer()
            survey.append(["integer" if whole else "decimal", name, *texts(q.text), *texts(q.unit), ""])
        elif q.type == "open":
            survey.append(["text", name, *texts(q.text), *blank_hint, ""])
    if n_keys:
        export.report(1, f"the answer keys of {n_keys} scored questions are not in the form (XLSForm has no place "
                         "for them, and KoboToolbox and ODK do not score): score the answers with the toolkit; every "
                         "question and option keeps the bank's id as its name", level=CHANGED)
    if n_feedback:
        export.report(1, f"the feedback of {n_feedback} questions is not in the form (a form shows no feedback)",
                      level=CHANGED)
    settings = [["form_title", "form_id", "version", "default_language"],
                [bank.title.get("en", bank.id), bank.id, bank.version or bank.hash[:12], "English (en)"]]
    wb = openpyxl.Workbook()
    for i, (title, rows) in enumerate((("survey", survey), ("choices", choices), ("settings", settings))):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        for r in rows:
            ws.append([xlsx_value(v) for v in r])
        text_cells_as_text(ws)  # a label written "=..." is a label, not a formula
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = min(60, max(10, *(len(str(c.value or "")) + 2
                                                                                  for c in col)))
    buffer = BytesIO()
    wb.save(buffer)
    export.write(path, buffer.getvalue(), len(survey) - 1)
    return export.reports

