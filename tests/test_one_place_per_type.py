"""A question type is one module of toolkit/questions/: no other module branches on a type's name.

Read as Python (ast), not as text, so that `state == "open"` (an activity's state) is not taken for the open type:
what is refused is a type's name compared with something called type (`q.type == "ordering"`,
`row["question_type"] in (...)`), a list or table of two or more type names (`("single", "classification")`,
`{"single": 0.5, ...}`), a type's name in a pandas `isin`, and a type's name given to something that holds a
type: `q["type"] = "single"`, `q.type = …`, `question_type = …`, a `type="single"` keyword, `{"type": "single"}`,
`"single" if … else "multiple"` in any of these, or returned by a function named for a type or given one
(`def bank_type(moodle_type): return "single"`). A name holds a type when it is `type` or ends in `_type`:
Moodle's own type (`mq.qtype = "matching"`, GIFT's `{=a -> 1}`) is Moodle's word, not a bank type.
The formats ask the registry too (#14): each type says how GIFT, Moodle XML, XLSForm, Aiken and CSV hold it,
both ways."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import ROOT

from toolkit import questions
from toolkit.questions.options import OneOption

PACKAGE = ROOT / "toolkit"
LEFT_FOR_LATER = ("questions",)
NAMES = set(questions.names())


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def _about_type(node: ast.AST) -> bool:
    """An expression that names a type: `q.type`, `qtype`, `row["question_type"]`."""
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr == "type":
            return True
        if isinstance(n, ast.Name) and "type" in n.id.lower():
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith("type"):
            return True
    return False


def _holds_a_type(name: str) -> bool:
    """A name for a bank type: `type`, `question_type`, `natural_type` (not Moodle's `qtype`)."""
    return name == "type" or name.endswith("_type")


def _holder(target: ast.AST) -> str | None:
    """The name of what an assignment's target holds: `q["type"]` → type, `q.type`, `bank_type`."""
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
            and isinstance(target.slice.value, str):
        return target.slice.value
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return None


def _named(value: ast.AST | None) -> set[str]:
    """The type names a value may be: `"single"`, `"single" if … else "multiple"`, `x or "open"`."""
    if isinstance(value, ast.IfExp):
        return _named(value.body) | _named(value.orelse)
    if isinstance(value, ast.BoolOp):
        return set().union(*(_named(v) for v in value.values))
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value} & NAMES
    return set()


def _maps_types(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function named for a type or given one (`def bank_type(moodle_type)`, `def _type_of(row)`)."""
    a = function.args
    return "type" in function.name.lower() or any(
        "type" in p.arg.lower() for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p)


def assigns_a_type(source: str) -> list[tuple[int, str]]:
    """(line, what) of each place in `source` that gives a type's name to something that holds a type."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        pairs: list[tuple[str | None, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(_holder(t), node.value) for t in node.targets]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            pairs = [(_holder(node.target), node.value)]
        elif isinstance(node, ast.Call):
            pairs = [(k.arg, k.value) for k in node.keywords if k.arg]
        elif isinstance(node, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _maps_types(node):
            for inner in ast.walk(node):
                named = _named(inner.value) if isinstance(inner, ast.Return) else set()
                if named:
                    found.append((inner.lineno, f"{node.name} returns the type {', '.join(sorted(named))}"))
        for holder, value in pairs:
            named = _named(value)
            if holder and _holds_a_type(holder) and named:
                found.append((node.lineno, f"gives {holder} the type {', '.join(sorted(named))}"))
    return found


def branches_on_a_type(source: str) -> list[tuple[int, str]]:
    """(line, what) of each place in `source` that names a question type in a branch, a table or an
    assignment to something that holds a type."""
    found = assigns_a_type(source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = {s for o in operands for s in _strings(o)} & NAMES
            if named and any(_about_type(o) for o in operands):
                found.append((node.lineno, f"compares a type with {', '.join(sorted(named))}"))
            elif any(isinstance(o, ast.Attribute) and o.attr == "type" for o in operands) \
                    and any(_strings(o) for o in operands):
                found.append((node.lineno, "compares .type with a name"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            named = set(_strings(node)) & NAMES
            if len(named) >= 2:
                found.append((node.lineno, f"lists the types {', '.join(sorted(named))}"))
        elif isinstance(node, ast.Dict):
            named = {s for k in node.keys if k is not None for s in _strings(k)} & NAMES
            if len(named) >= 2:
                found.append((node.lineno, f"a table keyed by the types {', '.join(sorted(named))}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "isin":
            named = {s for a in node.args for s in _strings(a)} & NAMES
            if named:
                found.append((node.lineno, f"selects the types {', '.join(sorted(named))}"))
    return sorted(found)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in LEFT_FOR_LATER)


def test_no_module_outside_the_registry_branches_on_a_question_type():
    found = [f"{p.relative_to(ROOT)}:{line}: {what}" for p in _modules()
             for line, what in branches_on_a_type(p.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("source", [
    'if q.type == "ordering":\n    pass\n',
    'if question.type in ("single", "classification"):\n    pass\n',
    'OPTION_TYPES = ("single", "multiple", "truefalse")\n',
    'guess = {"single": 0.5, "truefalse": 0.3}\n',
    'five = q[q["question_type"] == "likert"]\n',
    'x = answers[answers["question_type"].isin(["open"])]\n',
    'if qtype != "numeric":\n    pass\n',
    'q["type"] = "single"\n',
    'q.type = "ordering"\n',
    'question_type: str = "matching"\n',
    'q.update(type="likert", text=text)\n',
    'add(Question(id=qid, type="open"))\n',
    'question = {"id": qid, "type": "single" if len(wanted) == 1 else "multiple"}\n',
    'row = {"question_type": kind or "numeric"}\n',
    'def bank_type(moodle_type):\n    if moodle_type == "shortanswer":\n        return "short"\n    return ""\n',
    'def _type_of(row):\n    return "truefalse" if row.single else ""\n',
])
def test_the_check_finds_a_branch_on_a_type(source):
    assert branches_on_a_type(source)


@pytest.mark.parametrize("source", [
    'if activity["state"] == "open":\n    pass\n',
    'QUESTION_STATES = ("open", "answered", "hidden")\n',
    'verb = {"open": "opened", "closed": "closed"}\n',
    'if questions.kind(q.type).scored:\n    pass\n',
    'mq.qtype = "matching"\n',  # Moodle's matching question (GIFT's {=a -> 1}), not the bank's type
    'mq = MQuestion("truefalse", line)\n',
    'q = {"id": qid, "type": reader.name}\n',
    'q.update(type=kind.name, text=text)\n',
    'room_question = dict(text=text, state="open")\n',
    'tables["likert"] = likert_summary(survey)\n',
    'def state_of(activity):\n    return "open" if activity.opened_at else "draft"\n',
    'def _kind(px, qtype_raw):\n    return "text"\n',
    'draft.default_kind = "survey"\n',
])
def test_the_check_leaves_other_words_alone(source):
    assert branches_on_a_type(source) == []


def test_the_registry_lists_every_module_of_a_type():
    modules = {p.stem for p in (PACKAGE / "questions").glob("*.py")} - {"__init__", "options"}
    assert modules == set(questions.MODULES) == NAMES


# ---------------------------------------------------------------- a new type is read with no change to the readers


class _Gapfill(OneOption):
    """A type no module ships: Moodle's drag-and-drop into text (ddwtos), unscored, to read a file with."""

    name = "gapfill-probe"
    scored = False
    reads_moodle = ("ddwtos",)
    reads_xlsform = ("select_one",)  # before likert, for this test

    def from_moodle(self, mq, read):
        read.say("read by the probe")
        return {"options": [{"id": a.text["en"], "text": a.text} for a in mq.answers]}

    def from_xlsform(self, kind, text, options):
        return {"text": text, "options": [{"id": name, "text": label} for name, label, _cell in options]}, ""

    def from_aiken(self, options, right):
        return {"options": options} if len(right) == 1 else None


@pytest.fixture
def gapfill(monkeypatch):
    """The probe type, registered first (the readers ask the types in order) for this test only."""
    monkeypatch.setattr(questions, "_KINDS", {"gapfill-probe": _Gapfill(), **questions._KINDS})
    monkeypatch.setattr(questions, "MODULES", ("gapfill-probe", *questions.MODULES))
    return questions._KINDS["gapfill-probe"]


def test_the_readers_ask_the_registry_for_a_type_they_do_not_know(gapfill, tmp_path):
    from toolkit.formats import import_bank

    assert questions.moodle_readers("ddwtos") == (gapfill,) and questions.xlsform_reader("select_one") is gapfill
    xml = tmp_path / "q.xml"
    xml.write_text('<?xml version="1.0"?><quiz><question type="ddwtos"><name><text>gaps</text></name>'
                   '<questiontext><text>Fill [[1]]</text></questiontext>'
                   '<answer fraction="100"><text>FIA</text></answer><answer><text>NRM</text></answer>'
                   '</question></quiz>', encoding="utf-8")
    content, reports = import_bank(xml, "moodle-xml")
    assert [(q["type"], [o["id"] for o in q["options"]]) for q in content["questions"]] == [
        ("gapfill-probe", ["FIA", "NRM"])]
    assert [r.message for r in reports if r.question == "gaps"] == ["read by the probe"]
    aiken = tmp_path / "q.txt"
    aiken.write_text("Who leads?\nA. FIA\nB. NRM\nANSWER: A\n\nWho?\nA. x\nB. y\nANSWER: A, B\n", encoding="utf-8")
    content, _ = import_bank(aiken, "aiken")
    assert [q["type"] for q in content["questions"]] == ["gapfill-probe", "multiple"]
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "survey"
    for row in (["type", "name", "label"], ["select_one towns", "town", "Town?"], ["text", "why", "Why?"]):
        wb.active.append(row)
    wb.create_sheet("choices").append(["list_name", "name", "label"])
    for town in ("Lahore", "Quetta"):
        wb["choices"].append(["towns", town.lower(), town])
    wb.save(tmp_path / "form.xlsx")
    content, reports = import_bank(tmp_path / "form.xlsx", "xlsform")
    assert [(q["id"], q["type"]) for q in content["questions"]] == [("town", "gapfill-probe"), ("why", "open")]
    assert not [r for r in reports if r.question == "town"]  # the probe has nothing to tell
