"""A question type is one module of toolkit/questions/: no other module branches on a type's name.

Read as Python (ast), not as text, so that `state == "open"` (an activity's state) is not taken for the open type:
what is refused is a type's name compared with something called type (`q.type == "ordering"`,
`row["question_type"] in (...)`), a list or table of two or more type names (`("single", "classification")`,
`{"single": 0.5, ...}`), or a type's name in a pandas `isin`.
The formats ask the registry too (#14): each type says how GIFT, Moodle XML, XLSForm and CSV hold it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import ROOT

from toolkit import questions

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


def branches_on_a_type(source: str) -> list[tuple[int, str]]:
    """(line, what) of each place in `source` that names a question type in a branch or a table."""
    found = []
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
    return found


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
])
def test_the_check_finds_a_branch_on_a_type(source):
    assert branches_on_a_type(source)


@pytest.mark.parametrize("source", [
    'if activity["state"] == "open":\n    pass\n',
    'QUESTION_STATES = ("open", "answered", "hidden")\n',
    'verb = {"open": "opened", "closed": "closed"}\n',
    'if questions.kind(q.type).scored:\n    pass\n',
])
def test_the_check_leaves_other_words_alone(source):
    assert branches_on_a_type(source) == []


def test_the_registry_lists_every_module_of_a_type():
    modules = {p.stem for p in (PACKAGE / "questions").glob("*.py")} - {"__init__", "options"}
    assert modules == set(questions.MODULES) == NAMES
