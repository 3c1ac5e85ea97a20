"""Question banks: load a YAML bank, validate all of it, report every problem as FILE:LINE."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import languages, questions
from .texts import every_language

FORMAT_VERSION = 1
KINDS = ("test", "check", "survey", "confidence", "case-studies")
DIFFICULTIES = ("easy", "medium", "hard")

# Presets are interface texts (the catalogues of toolkit/texts.py), so that a bank using them has them in every
# language the toolkit ships.
PRESET_OPTIONS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "tip-som": [(oid, every_language(f"preset_{oid}")) for oid in ("tip", "som", "both", "neither")],
}
PRESET_SCALES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "agree5": [(str(i), every_language(f"agree5_{i}")) for i in range(1, 6)],
    "confidence5": [(str(i), every_language(f"confidence5_{i}")) for i in range(1, 6)],
    "recommend10": [(str(i), dict.fromkeys(languages.codes(), str(i))) for i in range(11)],
}

BANK_FIELDS = {
    "format", "id", "title", "kind", "form", "version", "description", "languages",
    "translations", "objectives", "questions", "case_studies",
}  # fmt: skip
CASE_FIELDS = {"id", "title", "objectives", "difficulty", "scenario", "prompts", "debrief"}


class BankError(Exception):
    """A bank that cannot be used; `problems` lists every `FILE:LINE: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


Text = dict[str, str]


def tr(text: Text | None, lang: str = "en") -> str:
    """The text in `lang`, falling back to English."""
    if not text:
        return ""
    return text.get(lang) or text.get("en", "")


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    feedback: Text = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    id: str
    text: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Text
    objectives: tuple[str, ...] = ()
    difficulty: str | None = None
    points: float = 1.0
    options: tuple[Option, ...] = ()
    items: tuple[Option, ...] = ()
    key: Any = None
    feedback: Text = field(default_factory=dict)
    unit: Text = field(default_factory=dict)

    @property
    def scored(self) -> bool:
        return questions.kind(self.type).scored

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class CaseStudy:
    id: str
    title: Text
    objectives: tuple[str, ...]
    scenario: Text
    prompts: tuple[Question, ...]
    debrief: Text
    difficulty: str | None = None

    def prompt(self, prompt_id: str) -> Question:
        return next(p for p in self.prompts if p.id == prompt_id)


@dataclass(frozen=True)
class Bank:
    id: str
    title: Text
    kind: str
    objectives: tuple[Objective, ...]
    questions: tuple[Question, ...]
    case_studies: tuple[CaseStudy, ...]
    hash: str
    content: dict
    languages: tuple[str, ...] = ("en",)
    form: str | None = None
    version: str | None = None
    description: Text = field(default_factory=dict)
    translations: dict = field(default_factory=dict)
    path: str | None = None
    warnings: tuple[str, ...] = ()

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def case_study(self, case_id: str) -> CaseStudy:
        return next(c for c in self.case_studies if c.id == case_id)

    @property
    def scored_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.scored)


# ---------------------------------------------------------------- YAML with line numbers


class _Map(dict):
    line = 0
    key_lines: dict


class _Seq(list):
    line = 0
    item_lines: list


def _line(obj: Any, key: Any = None, default: int = 0) -> int:
    """The line of `obj[key]` (or of `obj`) in its file; 0 when unknown."""
    if key is not None:
        if isinstance(obj, _Map) and key in obj.key_lines:
            return obj.key_lines[key]
        if isinstance(obj, _Seq) and isinstance(key, int) and key < len(obj.item_lines):
            return obj.item_lines[key]
    return getattr(obj, "line", 0) or default


# The most values a bank may hold once its aliases (*name) are expanded: the largest bank shipped has about 4,000,
# so this leaves room for any real bank and stops a file whose aliases nest ("billion laughs") early.
MAX_VALUES = 200_000


class _TooLarge(Exception):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


def _compose(text: str, source: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    problems: list[str] = []
    constructor = yaml.SafeLoader("")
    built = 0
    inside: set[int] = set()  # the nodes being built: an alias to one of them would make the bank endless

    def build(n: yaml.Node) -> Any:
        nonlocal built
        built += 1
        if built > MAX_VALUES:
            raise _TooLarge(n.start_mark.line + 1, f"the aliases (*name) of the block here repeat it until the bank "
                                                   f"holds more than {MAX_VALUES} values; write the repeated part "
                                                   "out, or use fewer aliases")
        if isinstance(n, (yaml.MappingNode, yaml.SequenceNode)):
            if id(n) in inside:
                raise _TooLarge(n.start_mark.line + 1, "an alias (*name) inside the block here refers to the block "
                                                       "itself, so the bank would never end; remove that alias")
            inside.add(id(n))
            try:
                return build_collection(n)
            finally:
                inside.discard(id(n))
        value = constructor.construct_object(n)
        if hasattr(value, "isoformat"):  # dates stay as written
            value = n.value
        return value

    def build_collection(n: yaml.Node) -> Any:
        if isinstance(n, yaml.MappingNode):
            m = _Map()
            m.line, m.key_lines = n.start_mark.line + 1, {}
            for k, v in n.value:
                key = build(k)
                if not isinstance(key, (str, int, float, bool)):
                    problems.append(f"{source}:{k.start_mark.line + 1}: a key must be a plain word")
                    continue
                if key in m:
                    problems.append(f"{source}:{k.start_mark.line + 1}: '{key}' is given twice")
                m[key] = build(v)
                m.key_lines[key] = v.start_mark.line + 1
            return m
        s = _Seq(build(v) for v in n.value)
        s.line, s.item_lines = n.start_mark.line + 1, [v.start_mark.line + 1 for v in n.value]
        return s

    try:
        data = build(node)
    except _TooLarge as e:
        raise BankError([f"{source}:{e.line}: {e.message}"]) from None
    if problems:
        raise BankError(problems)
    return data


# ---------------------------------------------------------------- validation


class _Checker:
    """Collects a bank's problems and warnings, each at its line; the question types report through it."""

    def __init__(self, source: str, languages: tuple[str, ...] = ("en",)):
        self.source = source
        self.languages = languages
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []
        self.unlisted: dict[str, int] = {}  # a registered language some text is in that 'languages' does not list

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    def formatted(self, items: list[tuple[int, str]]) -> list[str]:
        return [f"{self.source}:{line}: {msg}" for line, msg in sorted(items, key=lambda p: p[0])]

    def unknown_fields(self, m: dict, allowed: set, what: str) -> None:
        for k in m:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(_line(m, k), f"{what}: unknown field '{k}'{hint}")

    def text(self, parent: dict, key: str, what: str, required: bool = True) -> Text:
        value = parent.get(key)
        line = _line(parent, key, _line(parent))
        if value is None or value == "":
            if required:
                self.error(_line(parent), f"{what}: missing '{key}' (English text is required)")
            return {}
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            result = {"en": str(value)}
        elif isinstance(value, dict):
            result = {}
            for lang, s in value.items():
                if languages.get(lang) is None:
                    self.error(_line(value, lang), f"{what}: unknown language '{lang}' in '{key}' (use {', '.join(languages.codes())})")
                elif not isinstance(s, (str, int, float)) or isinstance(s, bool) or str(s).strip() == "":
                    self.error(_line(value, lang), f"{what}: '{key}' in '{lang}' must be text")
                else:
                    result[lang] = str(s)
                    if lang not in self.languages:
                        self.unlisted.setdefault(lang, _line(value, lang))
            if languages.ENGLISH not in value:
                self.error(line, f"{what}: '{key}' has no English (en) text")
        else:
            self.error(line, f"{what}: '{key}' must be text or a mapping of language to text")
            return {}
        for lang in self.languages:
            if lang != languages.ENGLISH and lang not in result and result:
                self.warn(line, f"{what}: '{key}' has no {languages.english_name(lang)} ({lang}) text")
        return result

    def warn_unlisted(self) -> None:
        """Once per language a bank's texts are in but its 'languages' leaves out: the join screen offers only the
        languages listed, so those texts would never be shown."""
        listed = ", ".join(self.languages)
        for lang, line in sorted(self.unlisted.items(), key=lambda p: p[1]):
            name = languages.english_name(lang)
            self.warn(line, f"a text in {name} ({lang}), but the bank's 'languages' does not list {lang}: "
                            f"participants are not offered {name}; write languages: [{listed}, {lang}]")

    def ident(self, parent: dict, what: str) -> str | None:
        value = parent.get("id")
        if value is None or str(value).strip() == "":
            self.error(_line(parent), f"{what}: missing 'id'")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.error(_line(parent, "id"), f"{what}: 'id' must be a word")
            return None
        return str(value)


# The names the question types (toolkit.questions) read a bank with.
Checker = _Checker
line_of = _line


def _check_objectives(c: _Checker, parent: dict, declared: set[str], what: str, required: bool) -> tuple[str, ...]:
    value = parent.get("objectives")
    if value is None:
        if required:
            c.error(_line(parent), f"{what}: missing 'objectives' (the learning objectives it tests)")
        return ()
    if isinstance(value, (str, int)):
        value = _Seq([value])
        value.line, value.item_lines = _line(parent, "objectives"), [_line(parent, "objectives")]
    if not isinstance(value, list):
        c.error(_line(parent, "objectives"), f"{what}: 'objectives' must be a list of objective ids")
        return ()
    result = []
    for i, obj in enumerate(value):
        if str(obj) not in declared:
            c.error(_line(value, i, _line(parent, "objectives")), f"{what}: objective '{obj}' is not declared in the bank's objectives")
        else:
            result.append(str(obj))
    return tuple(result)


def _question(c: _Checker, q: Any, index: int, parent: list, declared: set[str], context: str) -> Question | None:
    """The fields every question has; its type (toolkit.questions) reads and checks the rest and its key."""
    if not isinstance(q, dict):
        c.error(_line(parent, index), f"{context} {index + 1}: must be a mapping with id, type, text, …")
        return None
    qid = c.ident(q, f"{context} {index + 1}")
    what = f"{context} '{qid}'" if qid else f"{context} {index + 1}"
    c.unknown_fields(q, questions.all_fields(), what)
    qtype = q.get("type")
    types = questions.names()
    if qtype is None:
        c.error(_line(q), f"{what}: missing 'type' (one of {', '.join(types)})")
        return None
    if not questions.known(qtype):
        close = difflib.get_close_matches(str(qtype), types, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        c.error(_line(q, "type"), f"{what}: unknown type '{qtype}' ({hint}use one of {', '.join(types)})")
        return None
    kind = questions.kind(qtype)
    text = c.text(q, "text", what)
    objectives = _check_objectives(c, q, declared, what, required=kind.scored)
    difficulty = q.get("difficulty")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        c.error(_line(q, "difficulty"), f"{what}: difficulty '{difficulty}' must be one of {', '.join(DIFFICULTIES)}")
    points = q.get("points", 1)
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        c.error(_line(q, "points"), f"{what}: points must be a positive number")
        points = 1
    parsed = kind.parse(c, q, what)
    for f in q:
        if f in questions.COMMON_FIELDS or f in kind.fields or f == kind.key_field:
            continue
        owners = questions.owners(f)
        if len(owners) == 1:
            c.error(_line(q, f), f"{what}: only a {owners[0]} question has a '{f}' (this one is {qtype})")
        elif owners:
            c.error(_line(q, f), f"{what}: a {qtype} question has no '{f}'")
    key = None
    key_field = kind.key_field
    key_line = _line(q, key_field, _line(q))
    if key_field != "key" and "key" in q:
        c.error(_line(q, "key"), f"{what}: a {qtype} question gives its right answers in '{key_field}', not 'key'")
    if not kind.scored:
        if key_field in q:
            c.error(key_line, f"{what}: a {qtype} question is not scored; remove its '{key_field}'")
    elif q.get(key_field) is None:
        c.error(_line(q), f"{what}: missing '{key_field}' (the right answer)")
    else:
        key = kind.check_key(c, q[key_field], key_line, what, {"options": (), "items": (), **parsed})
    return Question(
        id=qid or f"#{index + 1}",
        type=qtype,
        text=text,
        objectives=objectives,
        difficulty=difficulty if difficulty in DIFFICULTIES else None,
        points=float(points),
        key=key,
        feedback=c.text(q, "feedback", what, required=False),
        **parsed,
    )


def _questions(c: _Checker, raw: Any, parent: dict, field_name: str, declared: set[str], context: str) -> tuple[Question, ...]:
    if not isinstance(raw, list):
        c.error(_line(parent, field_name), f"'{field_name}' must be a list")
        return ()
    result: list[Question] = []
    seen: dict[str, int] = {}
    for i, q in enumerate(raw):
        qid = str(q.get("id")) if isinstance(q, dict) and q.get("id") is not None else None
        if qid in seen:
            c.error(_line(q, "id"), f"{context} '{qid}': duplicate id (first used on line {seen[qid]})")
        elif qid is not None:
            seen[qid] = _line(q, "id")
        question = _question(c, q, i, raw, declared, context)
        if question is not None:
            result.append(question)
    return tuple(result)


def stated_languages(langs: Any) -> tuple[str, ...]:
    """The languages a bank's `languages:` states that are registered, in its order; English when it states none.

    What a bank offers a participant: parse_bank keeps it as `Bank.languages`, and the store reads it from a kept
    bank's content without rebuilding the bank (Store.bank_languages)."""
    if not isinstance(langs, list) or not langs:
        return (languages.ENGLISH,)
    return tuple(lang for lang in langs if isinstance(lang, str) and languages.get(lang) is not None)


def parse_bank(data: Any, source: str = "<bank>", content_hash: str | None = None) -> Bank:
    """Validate parsed bank content; raise BankError listing every problem."""
    if not isinstance(data, dict):
        raise BankError([f"{source}:1: a bank must be a mapping with format, id, title, kind, objectives, questions"])
    langs = data.get("languages", ["en"])
    c = _Checker(source)
    if not isinstance(langs, list) or not langs:
        c.error(_line(data, "languages"), "'languages' must be a list such as [en, ur]")
        langs = ["en"]
    for i, lang in enumerate(langs):
        if languages.get(lang) is None:
            c.error(_line(langs, i, _line(data, "languages")), f"unknown language '{lang}' (use {', '.join(languages.codes())})")
    if languages.ENGLISH not in langs:
        c.error(_line(data, "languages"), "'languages' must include en: English is required")
    c.languages = stated_languages(langs)
    c.unknown_fields(data, BANK_FIELDS, "bank")
    fmt = data.get("format")
    if fmt is None:
        c.error(1, f"missing 'format' (this toolkit reads format {FORMAT_VERSION})")
    elif fmt != FORMAT_VERSION:
        c.error(_line(data, "format"), f"format {fmt} is not supported (this toolkit reads format {FORMAT_VERSION})")
    bank_id = c.ident(data, "bank")
    title = c.text(data, "title", "bank")
    kind = data.get("kind")
    if kind not in KINDS:
        c.error(_line(data, "kind", 1), f"'kind' must be one of {', '.join(KINDS)}" + (f", not '{kind}'" if kind else ""))
    objectives: list[Objective] = []
    raw_obj = data.get("objectives")
    if not isinstance(raw_obj, list) or not raw_obj:
        c.error(_line(data, "objectives", 1), "'objectives' must list the learning objectives, each with an id and a text")
    else:
        for i, o in enumerate(raw_obj):
            if not isinstance(o, dict):
                c.error(_line(raw_obj, i), "each objective needs an 'id' and a 'text'")
                continue
            oid = c.ident(o, f"objective {i + 1}")
            if oid is None:
                continue
            c.unknown_fields(o, {"id", "text"}, f"objective '{oid}'")
            if any(x.id == oid for x in objectives):
                c.error(_line(o, "id"), f"objective '{oid}': duplicate id")
            objectives.append(Objective(oid, c.text(o, "text", f"objective '{oid}'")))
    declared = {o.id for o in objectives}
    questions: tuple[Question, ...] = ()
    if "questions" in data:
        questions = _questions(c, data["questions"], data, "questions", declared, "question")
    cases: list[CaseStudy] = []
    if "case_studies" in data:
        raw_cases = data["case_studies"]
        if not isinstance(raw_cases, list):
            c.error(_line(data, "case_studies"), "'case_studies' must be a list")
            raw_cases = []
        for i, cs in enumerate(raw_cases):
            if not isinstance(cs, dict):
                c.error(_line(raw_cases, i), f"case study {i + 1}: must be a mapping with id, title, scenario, prompts, debrief")
                continue
            cid = c.ident(cs, f"case study {i + 1}")
            what = f"case study '{cid}'"
            c.unknown_fields(cs, CASE_FIELDS, what)
            if any(x.id == cid for x in cases):
                c.error(_line(cs, "id"), f"{what}: duplicate id")
            prompts = _questions(c, cs.get("prompts"), cs, "prompts", declared, f"{what} prompt") if "prompts" in cs else ()
            if not prompts:
                c.error(_line(cs), f"{what}: needs 'prompts', the questions the group answers")
            cases.append(
                CaseStudy(
                    id=cid or f"#{i + 1}",
                    title=c.text(cs, "title", what),
                    objectives=_check_objectives(c, cs, declared, what, required=True),
                    scenario=c.text(cs, "scenario", what),
                    prompts=prompts,
                    debrief=c.text(cs, "debrief", what),
                    difficulty=cs.get("difficulty"),
                )
            )
    if not questions and not cases:
        c.error(1, "the bank has no 'questions' (or 'case_studies')")
    if kind == "case-studies" and not cases:
        c.error(_line(data, "kind", 1), "a bank of kind case-studies needs 'case_studies'")
    if c.errors:
        raise BankError(c.formatted(c.errors))
    description = c.text(data, "description", "bank", required=False)
    c.warn_unlisted()
    return Bank(
        id=bank_id or "",
        title=title,
        kind=kind,
        objectives=tuple(objectives),
        questions=questions,
        case_studies=tuple(cases),
        hash=content_hash or content_hash_of(data),
        content=json.loads(json.dumps(data)),
        languages=c.languages,
        form=str(data["form"]) if data.get("form") is not None else None,
        version=str(data["version"]) if data.get("version") is not None else None,
        description=description,
        translations=dict(data.get("translations") or {}),
        path=None,
        warnings=tuple(c.formatted(c.warnings)),
    )


def content_hash_of(data: Any) -> str:
    """SHA-256 of the parsed content: comments and layout do not change it, a word does."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_bank(path: str | Path) -> Bank:
    """Load and validate one bank file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BankError([f"{source}:0: cannot read the file ({e.strerror})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise BankError([f"{source}:{line}: the file is not UTF-8 text; save it as UTF-8"]) from None
    try:
        data = _compose(text, source)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        problem = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise BankError([f"{source}:{line}: not valid YAML: {problem}"]) from None
    except yaml.YAMLError as e:
        raise BankError([f"{source}:0: not valid YAML: {e}"]) from None
    except RecursionError:
        raise BankError([f"{source}:1: the blocks are nested too deeply to be a bank"]) from None
    if data is None:
        raise BankError([f"{source}:1: the file is empty"])
    bank = parse_bank(data, source)
    return _with_path(bank, source)


def _with_path(bank: Bank, path: str) -> Bank:
    from dataclasses import replace

    return replace(bank, path=path)


def bank_files(paths: list[str | Path]) -> list[Path]:
    """The bank files named by `paths`: files as given, folders searched for *.yaml."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*.y*ml") if x.suffix in (".yaml", ".yml")))
        else:
            files.append(p)
    return files


def load_banks(paths: list[str | Path]) -> tuple[list[Bank], list[str]]:
    """Load every bank under `paths`: (the valid banks, every problem of the others)."""
    banks, problems = [], []
    for f in bank_files(paths):
        try:
            banks.append(load_bank(f))
        except BankError as e:
            problems.extend(e.problems)
    seen: dict[str, str] = {}
    for b in banks:
        if b.id in seen:
            problems.append(f"{b.path}:1: bank id '{b.id}' is also used by {seen[b.id]}")
        seen.setdefault(b.id, b.path or "")
    return banks, problems


def bank_from_store(content: dict, content_hash: str) -> Bank:
    """Rebuild a bank from the content saved in the store."""
    return parse_bank(content, f"<stored bank {content_hash[:12]}>", content_hash)
