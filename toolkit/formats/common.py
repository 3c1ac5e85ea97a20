"""What every format shares: reports, reading files, ids, the bank being built, and the YAML written out."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import languages, questions
from ..bank import FORMAT_VERSION, Bank, BankError, Question, parse_bank
from ..languages import ENGLISH

Text = dict[str, str]

# Report levels: what happened to a question, in the words a trainer uses.
ERROR = "error"  # the file (or this question) is broken: nothing of it was imported
SKIPPED = "skipped"  # readable, but the bank has no place for it
CHANGED = "changed"  # imported, but something the file holds could not be kept as it was
TODO = "todo"  # imported; a person has to finish it (e.g. assign learning objectives)
LEVELS = (ERROR, SKIPPED, CHANGED, TODO)

# Comments the exporters write and the importers read back, so that ids, objectives and the bank's
# header survive a round trip through formats that have no place for them. Other tools ignore them.
META = "toolkit:"
EXACT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,79}$")
BANK_META = "toolkit-bank:"


@dataclass(frozen=True)
class Report:
    """One thing a person should know: `FILE:LINE: question 'id': message` (or `FILE!sheet!B7: …`)."""

    source: str
    where: int | str
    message: str
    question: str | None = None
    level: str = CHANGED

    def __str__(self) -> str:
        place = f"{self.source}:{self.where}" if isinstance(self.where, int) else f"{self.source}!{self.where}"
        about = f"question '{self.question}': " if self.question else ""
        return f"{place}: {about}{self.message}"


class FormatError(Exception):
    """A file that cannot be imported or written at all; `reports` says where and why."""

    def __init__(self, reports: list[Report]):
        self.reports = reports
        super().__init__("\n".join(map(str, reports)))


def fail(source: str, where: int | str, message: str) -> FormatError:
    return FormatError([Report(source, where, message, level=ERROR)])


# ---------------------------------------------------------------- reading files


def read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise fail(source, 0, f"cannot read the file ({e.strerror})") from None


def decode(raw: bytes, source: str, encoding: str | None = None) -> str:
    """The text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, or `encoding` when given."""
    if encoding is None and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except LookupError:
        raise fail(source, 0, f"unknown encoding '{encoding}' (try utf-8 or cp1252)") from None
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        byte = raw[e.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        hint = f", which Windows (cp1252) reads as '{guess}'" if guess != "\ufffd" and byte >= 0x80 else ""
        what = f"{encoding} text" if encoding else "UTF-8 text"
        raise fail(source, line, f"the file is not {what} (byte 0x{byte:02X} in column {column}{hint}); save it as "
                                 "UTF-8 (Excel: Save As, 'CSV UTF-8'; Word: Plain Text, Unicode UTF-8), "
                                 "or give --encoding cp1252") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, source: str, encoding: str | None = None) -> str:
    text = decode(read_bytes(path, source), source, encoding)
    if not text.strip():
        raise fail(source, 1, "the file is empty")
    if "\x00" in text:  # no text holds one: a damaged file, or one saved as another format
        at = text.index("\x00")
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        raise fail(source, line, f"a NUL character (a zero byte) in column {column}: the file is damaged or "
                                 "was saved in another format; save it again as UTF-8 text (Excel: Save As, "
                                 "'CSV UTF-8'). Nothing was imported")
    return text


# ---------------------------------------------------------------- ids and texts


def slugify(text: str, max_len: int = 40) -> str:
    """A stable id from a name or text: lower-case ASCII words joined by hyphens ('' when nothing is left)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"['’`]", "", t)
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    if len(t) > max_len:
        t = t[:max_len].rsplit("-", 1)[0] if "-" in t[:max_len] else t[:max_len]
    return t


def letters(n: int) -> list[str]:
    """Option ids a, b, …, z, aa, ab, … for formats that give options no ids."""
    out = []
    for i in range(n):
        s, i = "", i + 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(97 + r) + s
        out.append(s)
    return out


def num(x: float) -> int | float:
    """18 rather than 18.0 in the files written."""
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


def join_texts(*texts: Text) -> Text:
    """Texts one after the other, per language, as paragraphs."""
    out: Text = {}
    for t in texts:
        for lang, s in (t or {}).items():
            if s:
                out[lang] = f"{out[lang]}\n\n{s}" if lang in out else s
    return out


def short(text: Text | str, n: int = 60) -> str:
    s = text if isinstance(text, str) else text.get("en") or next(iter(text.values()), "")
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def as_text(x: Any) -> Text:
    """A text as the bank format allows it (a string, or languages to strings) as a mapping."""
    if isinstance(x, dict):
        return {str(k): str(v) for k, v in x.items() if v not in (None, "")}
    return {"en": str(x)} if x not in (None, "") else {}


def compact(text: Text) -> str | Text | None:
    """A text as the bank format writes it: a plain string when English is all there is."""
    text = {k: v for k, v in text.items() if v}
    if not text:
        return None
    return text[ENGLISH] if set(text) == {ENGLISH} else text


def meta_dumps(meta: dict) -> str:
    # "--" may not appear inside an XML comment; in JSON it can only occur inside a string.
    return json.dumps(meta, ensure_ascii=False, separators=(", ", ": ")).replace("--", "-\\u002d")


def meta_loads(s: str) -> dict | None:
    try:
        value = json.loads(s)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------- the bank being imported


class Draft:
    """The bank an importer builds, question by question, with its reports."""

    def __init__(self, source: str, *, bank_id: str | None = None, title: str | None = None,
                 kind: str | None = None, objective_text: str | None = None):
        self.source = source
        self.reports: list[Report] = []
        self.overrides = {"id": bank_id, "title": title, "kind": kind}
        self.objective_text = objective_text or f"Imported from {Path(source).name}: assign learning objectives"
        self.header: dict = {}  # a toolkit-bank comment: the header of the bank this file was exported from
        self.objectives: dict[str, Text] = {}
        self.categories: dict[str, str] = {}
        self.questions: list[dict] = []
        self.question_ids: set[str] = set()
        self.placeholder_users = 0
        self.placeholder_id = "O1"
        self.default_kind = "test"
        self.bank_where: int | str = 1  # where reports about the whole bank point

    def report(self, where: int | str, message: str, question: str | None = None, level: str = CHANGED) -> None:
        self.reports.append(Report(self.source, where, message, question, level))

    def set_header(self, meta: dict, where: int | str) -> None:
        objectives = meta.get("objectives")
        if not isinstance(objectives, list) or not all(isinstance(o, dict) and "id" in o for o in objectives):
            self.report(where, "the toolkit-bank comment has no usable objectives; it was ignored", level=CHANGED)
            return
        self.header = meta
        for o in objectives:
            self.objectives[str(o["id"])] = as_text(o.get("text"))

    def question_id(self, *wanted: str | None, exact: str | None = None, fallback_text: str = "",
                    where: int | str = 0) -> str:
        """A unique id: `exact` as it is (an id the file keeps for the bank), else the first usable `wanted`
        slugified, else one made from the text."""
        explicit = True
        if exact and EXACT_ID.match(exact.strip()):
            base = exact.strip()
        else:
            base = next((slugify(w) for w in (exact, *wanted) if w and slugify(w)), "")
        if not base:
            explicit = False
            base = slugify(" ".join(fallback_text.split()[:6])) or f"q{len(self.questions) + 1}"
        qid, n = base, 2
        while qid in self.question_ids:
            qid, n = f"{base}-{n}", n + 1
        if qid != base and explicit:
            self.report(where, f"the id '{base}' is already used by an earlier question; this one is '{qid}'", qid)
        self.question_ids.add(qid)
        return qid

    def category_objective(self, path: str) -> str | None:
        """The objective a category stands for, or None for Moodle's default categories."""
        parts = [p for p in re.split(r"/", path.strip()) if p and not p.startswith("$") and p.lower() != "top"]
        if not parts or parts[-1].lower().startswith("default for"):
            return None
        name = parts[-1].strip()
        if path not in self.categories:
            base = slugify(name) or f"c{len(self.categories) + 1}"
            oid, n = base, 2
            while oid in self.objectives:
                oid, n = f"{base}-{n}", n + 1
            self.categories[path] = oid
            self.objectives[oid] = {"en": name}
        return self.categories[path]

    def placeholder(self) -> str:
        """The placeholder objective, for questions that have none; `add` counts the questions that keep it."""
        if self.objectives.get(self.placeholder_id) != {"en": self.objective_text}:
            if self.placeholder_id in self.objectives:  # the file declares its own O1
                self.placeholder_id = "O-todo"
            self.objectives[self.placeholder_id] = {"en": self.objective_text}
        return self.placeholder_id

    def objectives_for(self, wanted: Any, category: str | None, scored: bool, where: int | str, qid: str) -> list[str]:
        if isinstance(wanted, list) and wanted:
            known = [str(o) for o in wanted if str(o) in self.objectives]
            if len(known) == len(wanted):
                return known
            self.report(where, f"objectives {', '.join(map(str, wanted))} are not all declared; using the file's "
                               "category or the placeholder objective instead", qid)
        if category and not self.header:
            oid = self.category_objective(category)
            if oid:
                return [oid]
        return [self.placeholder()] if scored else []

    def add(self, question: dict, where: int | str) -> bool:
        """Add a question after checking it alone against the bank format; report it when it does not pass."""
        problems = self._check_alone(question)
        if problems:
            for p in problems:
                self.report(where, f"not imported: {p}", question.get("id"), ERROR)
            self.question_ids.discard(question.get("id"))
            return False
        self.questions.append(question)
        if self.placeholder_id in question.get("objectives", []) and self.objectives.get(self.placeholder_id) == {
                "en": self.objective_text}:
            self.placeholder_users += 1
        return True

    def _check_alone(self, question: dict) -> list[str]:
        objectives = [{"id": oid, "text": "x"} for oid in self.objectives] or [{"id": "O1", "text": "x"}]
        data = {"format": FORMAT_VERSION, "id": "x", "title": "x", "kind": "test", "objectives": objectives,
                "questions": [question]}
        try:
            parse_bank(data, "<question>")
        except BankError as e:
            return [re.sub(r"^<question>:\d+: (question '[^']*': )?", "", p) for p in e.problems
                    if "has no 'questions'" not in p]
        return []

    def finish(self, stem: str, title: str | None = None) -> dict:
        """The bank's content, valid under the bank format; raises FormatError when no question came through."""
        if not self.questions:
            raise FormatError([*self.reports, Report(self.source, 1, "no question could be imported", level=ERROR)])
        head = self.header
        scored = any(questions.kind(q["type"]).scored for q in self.questions)
        content: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "id": self.overrides["id"] or head.get("id") or slugify(stem) or "imported",
            "title": self.overrides["title"] or head.get("title") or title or stem,
            "kind": self.overrides["kind"] or head.get("kind") or (self.default_kind if scored else "survey"),
        }
        content.update({k: head[k] for k in ("form", "version", "description", "languages", "translations") if k in head})
        used = {lang for q in self.questions if isinstance(q["text"], dict) for lang in q["text"]} - {ENGLISH}
        if used:
            wanted = {*content.get("languages", []), ENGLISH, *used}
            content["languages"] = [lang for lang in languages.codes() if lang in wanted]
        used = {o for q in self.questions for o in q.get("objectives", [])}
        if self.placeholder_id not in used and self.objectives.get(self.placeholder_id) == {"en": self.objective_text}:
            del self.objectives[self.placeholder_id]
        content["objectives"] = [{"id": oid, "text": compact(t) or oid} for oid, t in self.objectives.items()]
        if not content["objectives"]:
            content["objectives"] = [{"id": "O1", "text": self.objective_text}]
            self.report(self.bank_where, f"a bank needs at least one learning objective: O1 ('{self.objective_text}') "
                                         "is a placeholder; write the real ones", level=TODO)
        content["questions"] = self.questions
        if self.placeholder_users:
            self.report(self.bank_where, f"{self.placeholder_users} question(s) got the placeholder objective "
                                         f"{self.placeholder_id} ('{self.objective_text}'): write the real learning "
                                         "objectives under 'objectives:' and tag each question with them", level=TODO)
        if self.categories:
            self.report(self.bank_where, "objectives were made from the file's categories "
                                         f"({', '.join(self.categories.values())}): reword them as learning objectives",
                        level=TODO)
        try:
            parse_bank(content, self.source)
        except BankError as e:  # each question passed alone: what is left is the header (a hand-edited comment?)
            raise FormatError([*self.reports, *(Report(self.source, 1, f"not imported: the bank's header: "
                                                                       f"{p.split(': ', 2)[-1]}", level=ERROR)
                                                for p in e.problems)]) from None
        return content


# ---------------------------------------------------------------- the bank being exported


class Export:
    """A bank on its way out: its questions with their raw content and YAML lines, and the export's reports."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self.source = bank.path or f"<bank {bank.id}>"
        self.reports: list[Report] = []
        self.raw = list(bank.content.get("questions") or [])
        self.lines = _question_lines(bank.path) if bank.path else {}

    def items(self) -> list[tuple[Question, dict, int]]:
        return [(q, self.raw[i] if i < len(self.raw) else {}, self.lines.get(i, 0)) for i, q in enumerate(self.bank.questions)]

    def report(self, where: int, message: str, question: str | None = None, level: str = CHANGED) -> None:
        self.reports.append(Report(self.source, where, message, question, level))

    def bank_level(self, fmt: str, *, every_language: bool) -> None:
        """Reports about the whole bank that hold for every format (`every_language`: the format holds every
        language of the registry, else English only)."""
        if self.bank.case_studies:
            self.report(1, f"{len(self.bank.case_studies)} case studies are not exported: {fmt} holds questions only",
                        level=SKIPPED)
        for lang in self.bank.languages if not every_language else ():
            n = sum(1 for q in self.bank.questions if lang != ENGLISH and q.text.get(lang))
            if n:
                self.report(1, f"{fmt} holds one language: the {languages.english_name(lang)} texts of {n} "
                               f"question{'s' if n > 1 else ''} are not exported", level=CHANGED)

    def header(self, *, languages: list[str] | None = None) -> dict:
        """The bank's header (everything but its questions) for a toolkit-bank comment."""
        head = {k: v for k, v in self.bank.content.items() if k not in ("questions", "case_studies")}
        if languages is not None:
            head["languages"] = languages
            head.pop("translations", None)
        return head

    def write(self, path: Path, data: str | bytes, written: int) -> None:
        if not written:
            raise FormatError([*self.reports, Report(self.source, 1, "nothing to export: no question of this bank "
                                                                     "fits the format", level=ERROR)])
        try:
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8", newline="")
        except OSError as e:
            raise fail(str(path), 0, f"cannot write the file ({e.strerror})") from None


def _question_lines(path: str) -> dict[int, int]:
    """Line of each question in a bank file, by position, for reports about an export."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    for k, v in node.value:
        if k.value == "questions" and isinstance(v, yaml.SequenceNode):
            return {i: item.start_mark.line + 1 for i, item in enumerate(v.value)}
    return {}


def question_meta(q: Question, raw: dict, *, options: list[str] | None = None, items: list[str] | None = None,
                  natural_type: str = "", extra: dict | None = None) -> dict:
    """What a toolkit comment carries for one question: what the other format has no place for."""
    meta: dict[str, Any] = {}
    if q.type != natural_type:
        meta["type"] = q.type
    if q.objectives:
        meta["objectives"] = list(q.objectives)
    if q.difficulty:
        meta["difficulty"] = q.difficulty
    if q.points != 1:
        meta["points"] = num(q.points)
    if isinstance(raw.get("options"), str):
        meta["preset"] = raw["options"]
    elif options is not None:
        meta["options"] = options
        if [o.id for o in q.options] != options:
            meta["option_order"] = [o.id for o in q.options]
    if items is not None:
        meta["items"] = items
    if q.unit:
        meta["unit"] = q.unit
    meta.update(extra or {})
    return meta


# ---------------------------------------------------------------- YAML out


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else (">" if len(data) > 90 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = bool(data) and all(isinstance(x, (str, int, float, bool)) and len(str(x)) < 40 for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


class _Flow(dict):
    """A mapping written on one line: {id: a, text: Grant}."""


def _fits(d: Any) -> bool:
    return (isinstance(d, dict) and bool(d) and "type" not in d
            and all(isinstance(v, (int, float, bool)) or isinstance(v, str) and "\n" not in v for v in d.values())
            and len(", ".join(f"{k}: {v}" for k, v in d.items())) < 70)


def _flowed(x: Any) -> Any:
    """Short mappings on one line; a list of mappings only when all of them fit."""
    if isinstance(x, list):
        items = [_flowed(v) for v in x]
        if items and all(_fits(v) for v in x):
            return [_Flow(v) for v in x]
        return [dict(v) if isinstance(v, _Flow) else v for v in items]
    if isinstance(x, dict):
        return {k: _flowed(v) for k, v in x.items()}
    return x


def _flow_map(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = _fits(data) and not any(k in data for k in ("id",))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)
_Dumper.add_representer(_Flow, _flow_map)


def dump_bank_yaml(content: dict, comment: str = "") -> str:
    """A bank as readable YAML: format 1 first, questions apart, short lists inline."""
    text = yaml.dump(_flowed(content), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)
    out, in_questions, first = [], False, True
    for line in text.split("\n"):
        if line and not line.startswith(" "):
            in_questions = line.startswith("questions:")
        elif in_questions and line.startswith("  - id:"):
            if not first:
                out.append("")
            first = False
        out.append(line)
    head = "".join(f"# {c}\n" for c in comment.splitlines())
    return head + "\n".join(out)
