"""The apps' panels build no HTML by hand: no module of toolkit/apps/ splices a value into a string with an HTML tag
(an f-string, `%`, `.format`, `+` or a tag's `.join`). Their HTML comes from the templates of
toolkit/templates/apps/, where every value is escaped (toolkit/templating.py). The explorer is checked by
tests/test_html_templates.py with the report."""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT

APPS = ROOT / "toolkit" / "apps"
TEMPLATES = ROOT / "toolkit" / "templates" / "apps"
CHECKED_ELSEWHERE = {"explorer.py"}
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*[\s>/]|</?[a-zA-Z][a-zA-Z0-9-]*$")


def _has_tag(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(TAG.search(node.value))


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def hand_built_html(source: str) -> list[tuple[int, str]]:
    """(line, how) of each place in `source` where a value is put into a string with an HTML tag by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and any(_has_tag(part) for part in node.values):
            found.append((node.lineno, "f-string"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _has_tag(node.left):
            found.append((node.lineno, "%"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
                (_has_tag(node.left) or _has_tag(node.right)) and not (_is_text(node.left) and _is_text(node.right)):
            found.append((node.lineno, "+"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("format", "format_map", "join") and _has_tag(node.func.value):
            found.append((node.lineno, f".{node.func.attr}"))
    return found


@pytest.mark.parametrize("source", [
    'f"<b>{name}</b>"',
    "f\"<div class='tk-problem'>{text}</div>\"",
    'f"{count}<br>"',
    'f"<td>{x:.0f}%</td>"',
    '"<p>%s</p>" % text',
    '"<li>{}</li>".format(item)',
    "\"<span class='{css}'>\".format_map(values)",
    '"<h2>New session</h2>" + problems',
    '"<ul>" + items + "</ul>"',
    'title + "</h1>"',
    '"<br>".join(lines)',
])
def test_the_scan_finds_a_value_put_into_html_by_hand(source):
    assert hand_built_html(source), source


@pytest.mark.parametrize("source", [
    'f"{left // 60}:{left % 60:02d}"',
    'f"{a} < {b}"',
    'f"{label:<10}"',
    'f"apps/{template}"',
    'f"{t(\'code_title\', lang)}: {t(\'match_all_four\', lang)}"',
    '"<h2>Activities</h2>"',
    '"<b>Profile</b>" + " questions</b>"',
    '"%d < %d" % (a, b)',
    '"{n} of {limit} characters".format(n=n, limit=limit)',
    '", ".join(names)',
    'panel("line.html", css="tk-problem", text=text)',
    "render_string(\"<p class='tk-hint'>{{ text }}</p>\", text=text)",
])
def test_the_scan_leaves_alone_what_builds_no_html(source):
    assert hand_built_html(source) == [], source


@pytest.mark.parametrize("module", sorted(p.name for p in APPS.glob("*.py") if p.name not in CHECKED_ELSEWHERE))
def test_no_app_module_builds_html_by_hand(module):
    assert hand_built_html((APPS / module).read_text(encoding="utf-8")) == [], \
        f"toolkit/apps/{module}: put the HTML in a template of toolkit/templates/apps/ (apps.texts.panel)"


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_every_panel_template_is_used(template):
    """A template nothing renders or imports any more is left behind by a change: it is removed with it."""
    users = [*APPS.glob("*.py"), *(p for p in TEMPLATES.rglob("*.html") if p != TEMPLATES / template)]
    assert any(f'"{template}"' in p.read_text(encoding="utf-8") or f'"apps/{template}"' in p.read_text(encoding="utf-8")
               for p in users), template
