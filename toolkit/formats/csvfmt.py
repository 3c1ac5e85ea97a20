"""CSV: one question per row, for banks kept in a spreadsheet (Excel, LibreOffice, Google Sheets). Import and export.

Columns (the first row names them; order does not matter; missing columns are empty):

| column | holds |
|---|---|
| `id` | the question's id |
| `type` | a bank question type (`single`, `multiple`, `truefalse`, `classification`, `ordering`, `matching`, `likert`, `numeric`, `open`, `short`, `wordcloud`), or `bank` / `objective` (below) |
| `objectives` | objective ids, separated by `|` (e.g. `O1|O3`) |
| `difficulty` | `easy`, `medium` or `hard` |
| `points` | the maximum score (default 1) |
| `text_en`, `text_ur` | the question in English and Urdu |
| `options_en`, `options_ur` | `id=text|id=text`, e.g. `a=Trafficking|b=Smuggling`; or a preset: `tip-som`, or a likert scale `agree5`, `confidence5`, `recommend10` |
| `option_feedback_en`, `option_feedback_ur` | `id=text|id=text`: why an option is right or wrong |
| `items_en`, `items_ur` | matching: the items to match, `id=text|id=text` |
| `item_feedback_en`, `item_feedback_ur` | matching: `id=text|id=text`, feedback on items |
| `key` | single, classification: `b`; multiple: `a|c`; truefalse: `true` or `false`; ordering: `c|a|b` (all ids in order); matching: `item=option|item=option`; numeric: `18`, or `18:0.5` for 18 ± 0.5; short: the accepted answers, `FIA|%50%police` (each type reads and writes its own: `QuestionKind.csv_key`) |
| `unit_en`, `unit_ur` | numeric: the unit, e.g. `years` |
| `feedback_en`, `feedback_ur` | the question's feedback |

A row of type `bank` gives the bank's `id`, its title (`text_en`, `text_ur`) and its kind (`key`, e.g. `test`);
rows of type `objective` declare objectives (`id`, `text_en`, `text_ur`); the rest of the bank's header has a
row each: `form` and `version` (in `key`), `description` (`text_en`, `text_ur`), and one `translation` row per
language (`id` the language, `key` its status, `text_en` its note). Write `\\|` for a `|` inside a text.
The `_en`, `_ur`, `_ps`, `_prs` columns are those of `toolkit.languages`: a language added there gets its
columns. A column may also end in another tag of a registered language (`text_pus`, `text_fa_af`:
`languages.from_tag`); the columns of a language the registry does not hold (`text_fa`) are reported once and
left out.
Excel's "CSV UTF-8" is read as written (a BOM is fine); `;` or tab as the separator is recognised. A file in
another encoding (Excel's plain "CSV" on Windows is cp1252) is refused with the line of the first character
that is not UTF-8. Export writes UTF-8 with a BOM (so that Excel shows Urdu) and puts `'` before a cell that
starts with `=`, `+`, `-` or `@`, so that Excel does not run it as a formula; import takes that `'` away again.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from .. import languages, questions
from ..bank import KINDS, PRESET_OPTIONS, PRESET_SCALES, Bank
from .common import ERROR, TODO, Draft, Export, FormatError, Report, Text, compact, num, read_text

LANGS = languages.codes()  # a column per registered language: text_en, text_ur, …
TEXTS = ("text", "options", "option_feedback", "items", "item_feedback")
COLUMNS = ["id", "type", "objectives", "difficulty", "points",
           *(f"{base}_{lang}" for base in TEXTS for lang in LANGS), "key",
           *(f"{base}_{lang}" for base in ("unit", "feedback") for lang in LANGS)]
ALIASES = {"text": "text_en", "options": "options_en", "option_feedback": "option_feedback_en",
           "items": "items_en", "unit": "unit_en", "feedback": "feedback_en", "question": "text_en"}
LANGUAGE_COLUMN = re.compile(rf"^({'|'.join(sorted((*TEXTS, 'unit', 'feedback'), key=len, reverse=True))})_(.+)$")
HEADER_ROWS = ("bank", "objective", "form", "version", "description", "translation")
FORMULA = ("=", "+", "-", "@")


def split(s: str, sep: str = "|") -> list[str]:
    """Split on `sep` except where it is escaped with a backslash."""
    parts, cur, i = [], [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in (sep, "\\"):
            cur.append(s[i + 1])
            i += 2
            continue
        if s[i] == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(s[i])
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def pairs(s: str) -> list[tuple[str, str]] | None:
    out = []
    for part in split(s):
        if not part:
            continue
        if "=" not in part:
            return None
        k, v = part.split("=", 1)
        out.append((k.strip(), v.strip()))
    return out


def _join(pairs: list[tuple[str, str]]) -> str:
    return "|".join(f"{k}={v.replace(chr(92), chr(92) * 2).replace('|', chr(92) + '|')}" for k, v in pairs)


def _cell(value: Any) -> str:
    s = "" if value is None else str(value).strip()
    return s[1:] if re.match(r"^'+[=+\-@]", s) else s


def _language_columns(header: list[str], draft: Draft) -> list[str]:
    """The header with each language column under its registered code (text_pus, text_fa_af → text_ps, text_prs:
    languages.from_tag); columns in a language the registry does not hold are reported once per language."""
    out, unknown = [], {}
    for h in header:
        m = LANGUAGE_COLUMN.match(h)
        if m and h not in COLUMNS:
            code = languages.from_tag(m.group(2))
            if code:
                h = f"{m.group(1)}_{code}"
            else:
                unknown.setdefault(m.group(2), []).append(h)
        out.append(h)
    held = ", ".join(f"{lang.english} ({code})" for code, lang in languages.LANGUAGES.items())
    for tag, columns in unknown.items():
        draft.report(1, f"column{'s' if len(columns) > 1 else ''} {', '.join(columns)}: '{tag}' is not a language "
                        f"the toolkit holds ({held}); left out, the rest imported. A column of a language it holds "
                        f"ends in its code, e.g. text_{languages.codes()[-1]}")
    return out


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read a CSV bank into `draft`, reporting each row that cannot become a question, with its line."""
    text = read_text(path, draft.source, encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except (StopIteration, csv.Error) as e:
        raise FormatError([Report(draft.source, 1, f"no header row ({e})", level=ERROR)]) from None
    header = [ALIASES.get(h, h) for h in header]
    if "type" not in header or "id" not in header:
        raise FormatError([Report(draft.source, 1, f"the first row must name the columns, with at least 'id' and "
                                                   f"'type' (found: {', '.join(h for h in header if h) or 'nothing'})",
                                  level=ERROR)])
    header = _language_columns(header, draft)
    unknown = [h for h in header if h and h not in COLUMNS and not LANGUAGE_COLUMN.match(h)]
    if unknown:
        draft.report(1, f"column(s) {', '.join(unknown)} are not part of the format; left out")
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for values in reader:
            row = {h: _cell(v) for h, v in zip(header, values, strict=False) if h in COLUMNS and _cell(v)}
            if row:
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as e:
        message = ('a quote (") opened on this line is never closed' if "end of data" in str(e)
                   else f"not valid CSV ({e}) in the row starting here")
        raise FormatError([Report(draft.source, line, f"{message}; nothing was imported", level=ERROR)]) from None
    if not rows:
        raise FormatError([Report(draft.source, 2, "no rows under the header", level=ERROR)])
    for _n, row in rows:
        kind = row.get("type", "").lower()
        if kind == "bank":
            draft.overrides["id"] = draft.overrides["id"] or row.get("id")
            draft.header["title"] = compact(_texts(row, "text"))
            if row.get("key") in KINDS:
                draft.header["kind"] = row["key"]
        elif kind == "objective" and row.get("id"):
            draft.objectives[row["id"]] = _texts(row, "text")
        elif kind in ("form", "version") and row.get("key"):
            draft.header[kind] = row["key"]
        elif kind == "description" and _texts(row, "text"):
            draft.header["description"] = compact(_texts(row, "text"))
        elif kind == "translation" and row.get("id"):
            entry = {"status": row["key"]} if row.get("key") else {}
            entry.update({"note": row["text_en"]} if row.get("text_en") else {})
            draft.header.setdefault("translations", {})[row["id"]] = entry
    for n, row in rows:
        if row.get("type", "").lower() not in HEADER_ROWS:
            _question(n, row, draft)


def _question(n: int, row: dict[str, str], draft: Draft) -> None:
    qtype = row.get("type", "").strip().lower()
    qid = draft.question_id(exact=row.get("id"), fallback_text=row.get("text_en", ""), where=n)
    q: dict[str, Any] = {"id": qid, "type": qtype}
    kind = questions.kind(qtype) if questions.known(qtype) else questions.QuestionKind()  # (the bank's check says why)
    objectives = [o for o in re.split(r"[|,;\s]+", row.get("objectives", "")) if o]
    for o in objectives:
        if o not in draft.objectives:
            draft.objectives[o] = {"en": f"Objective {o} (imported from {Path(draft.source).name}: write its text)"}
            draft.report(n, f"objective '{o}' has no row of type 'objective': write its text", qid, TODO)
    if not objectives and kind.scored:
        objectives = [draft.placeholder()]
    if objectives:
        q["objectives"] = objectives
    if row.get("difficulty"):
        q["difficulty"] = row["difficulty"].lower()
    if row.get("points"):
        try:
            q["points"] = num(float(row["points"]))
        except ValueError:
            q["points"] = row["points"]
    q["text"] = compact(_texts(row, "text"))
    problems: list[str] = []
    options_en = row.get("options_en", "")
    if options_en in PRESET_OPTIONS:
        q["options"] = options_en
        fb = {oid: compact(t) for oid, t in _by_id(row, "option_feedback", problems).items()}
        if fb:
            q["option_feedback"] = fb
    elif options_en in PRESET_SCALES and "scale" in kind.fields:
        q["scale"] = options_en
    elif options_en:
        texts, feedback = _by_id(row, "options", problems), _by_id(row, "option_feedback", problems)
        q["options"] = [{"id": oid, "text": compact(t) or "", **({"feedback": compact(feedback[oid])}
                                                                 if feedback.get(oid) else {})}
                        for oid, t in texts.items()]
    if row.get("items_en"):
        item_feedback = _by_id(row, "item_feedback", problems)
        q["items"] = [{"id": iid, "text": compact(t), **({"feedback": compact(item_feedback[iid])}
                                                          if item_feedback.get(iid) else {})}
                      for iid, t in _by_id(row, "items", problems).items()]
    if row.get("key"):
        q[kind.key_field] = kind.csv_key(row["key"], problems)
    unit = compact(_texts(row, "unit"))
    if unit:
        q["unit"] = unit
    feedback = compact(_texts(row, "feedback"))
    if feedback:
        q["feedback"] = feedback
    for p in problems:
        draft.report(n, f"not imported: {p}", qid, ERROR)
    if problems:
        draft.question_ids.discard(qid)
    else:
        draft.add({k: v for k, v in q.items() if v is not None}, n)


def _texts(row: dict[str, str], base: str) -> Text:
    return {lang: row[f"{base}_{lang}"] for lang in LANGS if row.get(f"{base}_{lang}")}


def _by_id(row: dict[str, str], base: str, problems: list[str]) -> dict[str, Text]:
    out: dict[str, Text] = {}
    for lang in LANGS:
        cell = row.get(f"{base}_{lang}")
        if not cell:
            continue
        found = pairs(cell)
        if found is None:
            problems.append(f"'{base}_{lang}' must be written id=text|id=text, not '{cell[:40]}'")
            continue
        for oid, t in found:
            if lang != languages.ENGLISH and oid not in out:
                problems.append(f"'{base}_{lang}' names '{oid}', which is not in '{base}_en'")
                continue
            out.setdefault(oid, {})[lang] = t
    return out


# ---------------------------------------------------------------- writing


def _safe(s: str) -> str:
    return "'" + s if re.match(r"^'*[=+\-@]", s) else s


def write(bank: Bank, path: Path) -> list[Report]:
    """Write `bank` as CSV, one question per row; every question fits, case studies do not."""
    export = Export(bank)
    export.bank_level("CSV", every_language=True)
    rows = [COLUMNS, _row(id=bank.id, type="bank", key=bank.kind, **_text_cells("text", bank.title))]
    rows += [_row(type=kind, key=value) for kind, value in (("form", bank.form), ("version", bank.version)) if value]
    if bank.description:
        rows.append(_row(type="description", **_text_cells("text", bank.description)))
    for lang, entry in bank.translations.items():
        entry = entry if isinstance(entry, dict) else {"status": entry}
        rows.append(_row(id=lang, type="translation", key=entry.get("status"), text_en=entry.get("note")))
        lost = [k for k in entry if k not in ("status", "note")]
        if lost:
            export.report(1, f"the translations entry of '{lang}' keeps its status and note only in CSV; "
                             f"{', '.join(lost)} {'is' if len(lost) == 1 else 'are'} not exported")
    rows += [_row(id=o.id, type="objective", **_text_cells("text", o.text)) for o in bank.objectives]
    for q, raw, line in export.items():
        r: dict[str, Any] = dict(id=q.id, type=q.type, objectives="|".join(q.objectives), difficulty=q.difficulty,
                                 points=num(q.points) if q.points != 1 else "")
        for lang in LANGS:
            r[f"text_{lang}"] = q.text.get(lang)
            r[f"feedback_{lang}"] = q.feedback.get(lang)
            r[f"unit_{lang}"] = q.unit.get(lang)
            preset = raw.get("options") if isinstance(raw.get("options"), str) else raw.get("scale")
            if preset:
                r[f"options_{lang}"] = preset if lang == languages.ENGLISH else ""
            elif q.options:
                r[f"options_{lang}"] = _join([(o.id, o.text[lang]) for o in q.options if o.text.get(lang)])
            r[f"option_feedback_{lang}"] = _join([(o.id, o.feedback[lang]) for o in q.options if o.feedback.get(lang)])
            r[f"items_{lang}"] = _join([(i.id, i.text[lang]) for i in q.items if i.text.get(lang)])
            r[f"item_feedback_{lang}"] = _join([(i.id, i.feedback[lang]) for i in q.items if i.feedback.get(lang)])
        r["key"] = "" if q.key is None else questions.kind(q.type).csv_cell(q.key)
        lost = "" if q.key is None else questions.kind(q.type).csv_loses(q)
        if lost:
            export.report(line, lost, q.id)
        rows.append(_row(**r))
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    export.write(path, "\ufeff" + buffer.getvalue(), len(bank.questions))
    return export.reports


def _text_cells(base: str, text: Text) -> dict[str, str]:
    return {f"{base}_{lang}": t for lang, t in text.items() if lang in LANGS}


def _row(**values: Any) -> list[str]:
    return [_safe("" if values.get(c) is None else str(values[c])) for c in COLUMNS]
