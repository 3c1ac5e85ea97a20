"""XLSForm (KoboToolbox, ODK): export a bank as a form, and import a form as a bank (openpyxl, .xlsx only).

Sheets: `survey` (type, name, label, hint, …), `choices` (list_name, name, label) and `settings` (form_title,
form_id, version, default_language). Labels in several languages are columns `label::English (en)` and
`label::Urdu (ur)`; a plain `label` column is in the default language (English unless settings say otherwise).

Import reads the workbook with pyxform, the library KoboToolbox and ODK use, so that what they accept is
accepted here: a one-sheet workbook (still named `Sheet1`) is the survey; headers in any case (`TYPE`, `NAME`)
and with one colon (`label:English`, older Kobo exports); languages written `English (en)`, `en`, `EN` or
`English`, and so for any language of `toolkit.languages`: its name in English or in itself, with or without its
code, and the other tags tools write for it (`languages.from_tag`: `Name (ps-AF)`, `Name (fa-AF)`); the columns
of a language the registry does not hold are left out with one report naming them and their cells; the old type
spellings (`select one from LIST`, `select all that apply from LIST`, `phone number`). A form with no English
label column is refused once, naming its languages. Each bank type says which rows it reads
(QuestionKind.reads_xlsform, from_xlsform) and which it would score once keyed (scores_xlsform, key_hint):
`select_one` → an unscored choice (likert), `select_multiple` and `rank` → open (choices listed in the text),
`text`, `integer`, `decimal`, `range`, `phone number` → open; a row no type reads (`select_one_external`,
`note`) → skipped; groups are flattened (`begin group` is reported once, `end group`
closes it); form metadata (start, end, deviceid, …) and calculations are skipped. Each is reported per row,
as `FILE!survey!A7: …`: a form holds no answer key, so nothing imported from a form is scored until a person
adds keys.

Export: single and classification → `select_one`, multiple → `select_multiple`, truefalse → `select_one` of the
list `true_false`, likert → `select_one` with appearance `likert`, ordering → `rank`, matching → a `field-list`
group with one `select_one` per item (named `QUESTION__ITEM`), numeric → `integer` or `decimal` (the unit as its
hint), open → `text`. Every `name` is the bank's id, so answers collected in KoboToolbox come back under the
bank's question and option ids. A form has no answer keys and no feedback: both are left out and reported once.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from .. import languages, questions
from ..bank import PRESET_OPTIONS, PRESET_SCALES, Bank, Question
from ..cells import text_cells_as_text, xlsx_value
from ..languages import ENGLISH
from ..texts import every_language
from .common import CHANGED, ERROR, SKIPPED, TODO, Draft, Export, FormatError, Report, Text, read_bytes

TRUE_FALSE = [(value, every_language(value)) for value in ("true", "false")]  # the phone's words, every language
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
GROUP = re.compile(r"^(begin|end)[ _](group|repeat|loop)$")
KEPT_NOT = {("bind", "relevant"): "relevant", ("bind", "constraint"): "constraint", ("choice_filter",): "choice_filter",
            ("control", "jr:count"): "repeat_count", ("bind", "calculate"): "calculation", ("trigger",): "trigger"}


def _pyxform():
    """pyxform's reading of a workbook (the library KoboToolbox and ODK use): sheets, headers, type names."""
    from pyxform import aliases
    from pyxform.errors import PyXFormError
    from pyxform.parsing.sheet_headers import process_header
    from pyxform.question import MultipleChoiceQuestion, Option
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
    from pyxform.survey import Survey
    from pyxform.xls2json_backends import get_xlsform

    return dict(aliases=aliases, error=PyXFormError, process_header=process_header, types=QUESTION_TYPE_DICT,
                get_xlsform=get_xlsform, columns={"survey": set(MultipleChoiceQuestion.get_slot_names()),
                                                  "choices": set(Option.get_slot_names()),
                                                  "settings": set(Survey.get_slot_names())},
                header_aliases={"survey": aliases.survey_header, "choices": aliases.list_header,
                                "settings": aliases.settings_header})


def language_code(written: str, default: str = ENGLISH) -> str:
    """The code of a language as a form writes it: 'English (en)', 'en', 'EN', 'English', 'Urdu (ur)',
    'پښتو (ps)', 'Pashto', 'پښتو', 'Dari (prs)', 'Dari (fa-AF)' → the registry's code (languages.from_tag, then
    the name in English or in itself); pyxform's 'default' (a column without a language) → `default`; else the
    code (or name) as written, which no registered language has."""
    written = written.strip()
    if not written or written == "default":
        return default
    m = re.search(r"\(([^()]+)\)\s*$", written)
    tag = m.group(1).strip() if m else written
    name = written[: m.start()].strip() if m else written
    by_name = next((lang.code for lang in languages.LANGUAGES.values()
                    if name.casefold() in (lang.english.casefold(), lang.name.casefold())), None)
    return languages.from_tag(tag) or by_name or tag


class _Sheet:
    """A sheet as pyxform reads it: rows of {header tokens: value} (('label', 'English (en)'), ('type',), …),
    with each row's number and each column's letter for reports."""

    def __init__(self, px: dict, kind: str, name: str, rows: list[dict], header: list[str], letters: dict[str, str],
                 draft: Draft):
        self.name, self.kind = name, kind
        double = any("::" in h for h in header)
        self.tokens: dict[str, tuple[str, ...]] = {}
        for h in header:
            _new, tokens = px["process_header"](h, double, px["header_aliases"][kind], px["columns"][kind])
            if double and len(tokens) == 1 and ":" in h and h.split(":", 1)[0].strip().lower() in ("label", "hint"):
                tokens = (h.split(":", 1)[0].strip().lower(), h.split(":", 1)[1].strip())  # 'label:English' among '::'
                draft.report(f"{name}!{letters.get(h, 'A')}1", f"the column '{h}' was read as "
                                                             f"'{tokens[0]}::{tokens[1]}'; KoboToolbox would not read "
                                                             "it (the other columns use '::'): write it so")
            if tokens and tokens[0] in ("list name", "list_name"):
                tokens = ("list_name", *tokens[1:])
            self.tokens[h] = tuple(tokens)
        self.letter = {self.tokens[h]: letters.get(h, "A") for h in header}
        self.header = header
        self.rows = [(n, {self.tokens[h]: str(v).strip() for h, v in row.items() if h in self.tokens and
                          str(v).strip()}) for n, row in enumerate(rows, 2)]
        self.rows = [(n, r) for n, r in self.rows if r]

    def has(self, base: str) -> bool:
        return any(t[0] == base for t in self.tokens.values())

    def cell(self, n: int, column: tuple[str, ...] | str = ("type",)) -> str:
        column = (column,) if isinstance(column, str) else column
        return f"{self.name}!{self.letter.get(column, 'A')}{n}"

    def languages(self, base: str, default: str) -> dict[tuple[str, ...], str]:
        """The columns of a translatable column (label, hint, …) and the language code of each."""
        return {t: language_code(t[1] if len(t) > 1 else "default", default) for t in self.tokens.values()
                if t[0] == base}

    def texts(self, row: dict, base: str, default: str) -> Text:
        out: Text = {}
        for column, code in self.languages(base, default).items():
            if row.get(column) and languages.get(code):
                out.setdefault(code, row[column])
        return out


def _letters(path: Path) -> dict[str, dict[str, str]]:
    """Each sheet's header texts and their column letters (pyxform's rows do not keep the letters)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            out[ws.title] = {" ".join(str(v).split()): get_column_letter(i) for i, v in enumerate(first, 1)
                             if v not in (None, "")}
        return out
    finally:
        wb.close()


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read an XLSForm workbook into `draft` as pyxform reads it; every row that does not become a question is
    reported with its cell."""
    draft.bank_where = "settings!A1"
    raw = read_bytes(path, draft.source)
    if not raw:
        raise FormatError([Report(draft.source, 1, "the file is empty", level=ERROR)])
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FormatError([Report(draft.source, 1, "an old Excel 97-2003 (.xls) workbook: save it as .xlsx",
                                  level=ERROR)])
    if not zipfile.is_zipfile(BytesIO(raw)):
        raise FormatError([Report(draft.source, 1, "not an Excel workbook (.xlsx): the file is not a zip archive",
                                  level=ERROR)])
    px = _pyxform()
    try:
        book = px["get_xlsform"](BytesIO(raw), ".xlsx")
        letters = _letters(path)
    except (px["error"], zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise FormatError([Report(draft.source, 1, f"not an Excel workbook (.xlsx): {e}", level=ERROR)]) from None
    names = list(book.sheet_names or [])
    if book.survey is None:
        raise FormatError([Report(draft.source, "survey", "no 'survey' sheet (an XLSForm has survey, choices and "
                                                          f"settings sheets; this one has {', '.join(names)}): "
                                                          "name the sheet with the questions 'survey'", level=ERROR)])

    def sheet(kind: str) -> _Sheet | None:
        rows, header = getattr(book, kind), getattr(book, f"{kind}_header")
        if rows is None:
            return None
        name = next((n for n in names if n.strip().lower() == kind), names[0] if kind == "survey" else kind)
        return _Sheet(px, kind, name, list(rows), list(header[0]) if header else [], letters.get(name, {}), draft)

    survey, choices, settings = sheet("survey"), sheet("choices"), sheet("settings")
    draft.bank_where = "settings!A1" if settings else f"{survey.name}!A1"
    if not survey.header:
        raise FormatError([Report(draft.source, f"{survey.name}!A1", "the survey sheet is empty", level=ERROR)])
    for column in ("type", "name"):
        if not survey.has(column):
            found = ", ".join(f"'{h}'" for h in survey.header)
            raise FormatError([Report(draft.source, f"{survey.name}!A1", f"the survey sheet has no '{column}' column "
                                                                          f"in its first row (it has {found})",
                                      level=ERROR)])
    if not survey.rows:
        raise FormatError([Report(draft.source, f"{survey.name}!A2", "the survey sheet has no rows under its header",
                                  level=ERROR)])
    if survey.name.strip().lower() != "survey":
        draft.report(f"{survey.name}!A1", f"the only sheet, '{survey.name}', was read as the survey sheet (as "
                                          "KoboToolbox does); a form with choices needs sheets named survey and "
                                          "choices")
    default = ENGLISH
    if settings and settings.rows:
        first = settings.rows[0][1]
        if first.get(("default_language",)):
            default = language_code(first[("default_language",)])
        form_id = first.get(("id_string",))
        draft.overrides["id"] = draft.overrides["id"] or form_id
        title = first.get(("title",))
        if title and not draft.overrides["title"]:
            draft.overrides["title"] = title
    _languages(survey, choices, draft, default)
    lists = _lists(choices, draft, default)
    skipped_meta: list[str] = []
    groups: list[tuple[str, int]] = []
    for n, row in survey.rows:
        _row(px, n, row, survey, lists, draft, default, skipped_meta, groups)
    for name, n in groups:
        draft.report(survey.cell(n), f"the group '{name}' has no 'end group' row")
    if skipped_meta:
        draft.report(survey.name, f"form metadata rows skipped (they are not questions): {', '.join(skipped_meta)}",
                     level=SKIPPED)


def _languages(survey: _Sheet, choices: _Sheet | None, draft: Draft, default: str) -> None:
    """Columns in languages the registry does not know are left out, with one report per language naming its
    columns; a form with no English is refused, once."""
    written: dict[str, str] = {}
    unknown: dict[str, list[str]] = {}
    for sheet in (survey, choices):
        for column, code in (sheet.languages("label", default) | sheet.languages("hint", default)).items() \
                if sheet else ():
            header = next(h for h, t in sheet.tokens.items() if t == column)
            if languages.get(code) is None:
                unknown.setdefault(code, []).append(f"'{header}' ({sheet.cell(1, column)})")
            if column[0] == "label" and sheet is survey:
                written.setdefault(code, header)
    held = ", ".join(f"{lang.english} ({code})" for code, lang in languages.LANGUAGES.items())
    example = languages.find(languages.codes()[-1])
    for code, columns in unknown.items():
        where = columns[0].rsplit("(", 1)[1].rstrip(")")
        some = f"the columns {', '.join(columns[:-1])} and {columns[-1]} are" if len(columns) > 1 \
            else f"the column {columns[0]} is"
        draft.report(where, f"{some} in '{code}', a language the toolkit does not hold: left out (the rest of "
                            f"the form is imported). The toolkit holds {held}: if the column is one of these, "
                            f"write its code in the header, e.g. label::{example.english} ({example.code})")
    if ENGLISH not in written:
        shown = ", ".join(f"{code} ('{h}')" for code, h in written.items()) or "none"
        others = ", ".join(f"label::{languages.english_name(c)} ({c})" for c in languages.others())
        raise FormatError([Report(draft.source, f"{survey.name}!A1",
                                  f"the form has no English labels: its label columns are in {shown}. A bank needs "
                                  f"English: add a column label::English (en) with the English text of each "
                                  f"question{f' (it may also hold {others})' if others else ''}, or set "
                                  "default_language on the settings sheet if the plain label column is English. "
                                  "Nothing was imported", level=ERROR)])


def _lists(choices: _Sheet | None, draft: Draft, default: str) -> dict[str, list[tuple[str, Text, str]]]:
    lists: dict[str, list[tuple[str, Text, str]]] = {}
    if choices is None:
        return lists
    for n, row in choices.rows:
        list_name, name = row.get(("list_name",), ""), row.get(("name",), "")
        if not list_name or not name:
            draft.report(choices.cell(n, "name" if list_name else "list_name"),
                         "a choice without a list_name or name was left out")
            continue
        lists.setdefault(list_name, []).append((name, choices.texts(row, "label", default), choices.cell(n, "name")))
    return lists


def _kind(px: dict, qtype_raw: str) -> tuple[str, str]:
    """(the kind of a row, the list it names): select_one / select_multiple / rank with a list, group, metadata,
    text / integer / decimal / range / note, skip or unknown, as pyxform names its types and their aliases."""
    low = qtype_raw.lower()
    m = GROUP.match(low)
    if m:
        return f"{m.group(1)}_{'group' if m.group(2) == 'group' else 'repeat'}", ""
    if "from_file" in low or "from file" in low:
        return "skip", ""
    for alias in sorted(px["aliases"].select, key=len, reverse=True):
        if low.startswith(alias + " "):
            kind = px["aliases"].select[alias]
            return {"select one": "select_one", "select all that apply": "select_multiple"}.get(kind, kind), \
                qtype_raw[len(alias):].strip()
    spec = px["types"].get(low) or px["types"].get(low.replace("_", " "))
    if spec is None:
        return "unknown", ""
    bind, control = spec.get("bind", {}), spec.get("control", {})
    if "jr:preload" in bind:
        return "metadata", ""
    if bind.get("readonly") == "true()":
        return "note", ""
    if control.get("tag") == "range":
        return "range", ""
    if control.get("tag") == "input" and bind.get("type") in ("string", "int", "decimal"):
        return {"string": "text", "int": "integer", "decimal": "decimal"}[bind["type"]], ""
    return "skip", ""


def _row(px: dict, n: int, row: dict, survey: _Sheet, lists: dict, draft: Draft, default: str, skipped_meta: list,
         groups: list) -> None:
    qtype_raw = " ".join(row.get(("type",), "").split())
    name = row.get(("name",), "")
    where = survey.cell(n, "type")
    kind, rest = _kind(px, qtype_raw)
    if not qtype_raw:
        draft.report(where, f"a row without a type was left out ('{name}')", level=SKIPPED)
        return
    if kind == "metadata":
        skipped_meta.append(qtype_raw)
        return
    if kind in ("begin_group", "end_group"):
        label = survey.texts(row, "label", default)
        if kind == "begin_group":
            groups.append((name, n))
            draft.report(where, f"the group '{name}' is flattened (a bank has no groups): its questions are kept one "
                                "by one" + (f", its label '{label['en']}' is left out" if label.get("en") else ""))
        elif groups:
            groups.pop()
        else:
            draft.report(where, "an 'end group' row without a 'begin group' above it; left out", level=SKIPPED)
        return
    reader = questions.xlsform_reader(kind)  # the type that reads the row (a form holds no key)
    if reader is None and kind not in ("note", "unknown"):  # skip, repeats, select_one_external
        draft.report(where, f"'{qtype_raw}' rows have no equivalent in a bank; left out", name or None, SKIPPED)
        return
    text = survey.texts(row, "label", default)
    hint = survey.texts(row, "hint", default)
    if kind == "note":
        draft.report(where, f"a note (text without a question) has no place in a bank: '{text.get('en', '')}'",
                     name or None, SKIPPED)
        return
    if kind == "unknown":
        draft.report(where, f"not imported: unknown question type '{qtype_raw}'", name or None, ERROR)
        return
    if not name:
        draft.report(survey.cell(n, "name"), "not imported: the row has no name", level=ERROR)
        return
    if not text.get("en"):
        english = next((c for c, code in survey.languages("label", default).items() if code == ENGLISH), ("label",))
        draft.report(survey.cell(n, english), "not imported: the row has no English label", name, ERROR)
        return
    qid = draft.question_id(exact=name, fallback_text=text["en"], where=where)
    for column, label in KEPT_NOT.items():
        if row.get(column):
            draft.report(survey.cell(n, column), f"'{label}' ({row[column]}) is not kept: the bank shows every "
                                                 "question as it is", qid)
    for column in row:
        if column[0] == "media":
            header = next(h for h, t in survey.tokens.items() if t == column)
            draft.report(survey.cell(n, column), f"the media column '{header}' is not kept", qid)
    text = {lang: f"{t}\n{hint[lang]}" if hint.get(lang) else t for lang, t in text.items()}
    q: dict[str, Any] = {"id": qid}
    if kind in ("select_one", "select_multiple", "rank"):
        list_name = re.sub(r"\s+or[_ ]other$|\s+or specify other$", "", rest).strip()
        if list_name != rest:
            draft.report(where, "'or_other' (a typed 'other' answer) is not kept", qid)
        options = lists.get(list_name)
        if not options:
            draft.report(where, f"not imported: the list '{list_name}' is not on the choices sheet", qid, ERROR)
            return
    else:  # text, integer, decimal, range
        options = []
    fields, told = reader.from_xlsform(kind, text, options)
    q.update(type=reader.name, **fields)
    if told:
        scorer = questions.xlsform_scorer(kind)
        draft.report(where, told + (f"; to score it, set type: {scorer.name}, {scorer.key_hint}" if scorer else ""),
                     qid, TODO)
    draft.default_kind = "survey"
    draft.add(q, where)


# ---------------------------------------------------------------- writing


class Form:
    """The form being written: each type's module adds its question's rows (QuestionKind.to_xlsform)."""

    def __init__(self, export: Export, langs: list[str]):
        self.export, self.langs = export, langs
        self.survey: list[list[Any]] = []
        self.choices: list[list[Any]] = []
        self.written_lists: set[str] = set()
        self.name, self.line, self.qid = "", 0, ""  # the question being written: its name in the form
        self.blank_hint = [""] * len(langs)

    def texts(self, t: Text) -> list[str]:
        return [t.get(lang, "") for lang in self.langs]

    def add_list(self, name: str, options: list[tuple[str, Text]]) -> None:
        if name in self.written_lists:
            return
        self.written_lists.add(name)
        for oid, t in options:
            if not NAME.match(oid) and " " in oid:
                self.export.report(self.line, f"option id '{oid}' has spaces, which XLSForm choice names may not "
                                              "have", self.qid)
            self.choices.append([name, oid, *self.texts(t)])

    def row(self, kind: str, text: Text, *, name: str = "", hint: Text | None = None, appearance: str = "") -> None:
        """One row of the survey sheet (named as the question unless `name` says otherwise)."""
        self.survey.append([kind, name or self.name, *self.texts(text),
                            *(self.texts(hint) if hint is not None else self.blank_hint), appearance])

    def select(self, q: Question, raw: dict, kind: str, appearance: str = "") -> None:
        """A `kind` (select_one, select_multiple, rank) row of `q`'s options, its preset's list when it has one."""
        preset = raw.get("options") if isinstance(raw.get("options"), str) else raw.get("scale")
        list_name = preset if preset in (*PRESET_OPTIONS, *PRESET_SCALES) else self.name
        self.add_list(list_name, [(o.id, o.text) for o in q.options])
        self.row(f"{kind} {list_name}", q.text, appearance=appearance)

    def true_false(self, q: Question) -> None:
        self.add_list("true_false", TRUE_FALSE)
        self.row("select_one true_false", q.text)


def write(bank: Bank, path: Path) -> list[Report]:
    """Write `bank` as an XLSForm for KoboToolbox or ODK; returns what the form cannot hold."""
    import openpyxl
    from openpyxl.styles import Font

    export = Export(bank)
    export.bank_level("XLSForm", every_language=True)
    langs = [lang for lang in bank.languages if languages.get(lang)]
    label = [f"label::{languages.english_name(lang)} ({lang})" for lang in langs]
    hint = [f"hint::{languages.english_name(lang)} ({lang})" for lang in langs]
    form = Form(export, langs)
    survey, choices = form.survey, form.choices
    survey.insert(0, ["type", "name", *label, *hint, "appearance"])
    choices.insert(0, ["list_name", "name", *label])
    n_keys = n_feedback = 0
    for q, raw, line in export.items():
        name = q.id if NAME.match(q.id) else f"q_{q.id}"
        if name != q.id:
            export.report(line, f"'{q.id}' is not a valid XLSForm name; the form calls it '{name}'", q.id)
        n_keys += q.scored
        n_feedback += bool(q.feedback or any(o.feedback for o in q.options))
        form.name, form.line, form.qid = name, line, q.id
        questions.kind(q.type).to_xlsform(q, raw, form)
    if n_keys:
        export.report(1, f"the answer keys of {n_keys} scored questions are not in the form (XLSForm has no place "
                         "for them, and KoboToolbox and ODK do not score): score the answers with the toolkit; every "
                         "question and option keeps the bank's id as its name", level=CHANGED)
    if n_feedback:
        export.report(1, f"the feedback of {n_feedback} questions is not in the form (a form shows no feedback)",
                      level=CHANGED)
    settings = [["form_title", "form_id", "version", "default_language"],
                [bank.title.get("en", bank.id), bank.id, bank.version or bank.hash[:12],
                 f"{languages.english_name(ENGLISH)} ({ENGLISH})"]]
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

