"""The HTML of the modules on templates is written in toolkit/templates (Jinja2, autoescape), never in Python:
no f-string of theirs holds a tag and none escapes by hand, so a value cannot reach a page unescaped by a
forgotten call. The shared macros escape what they show and mark a hidden cell."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from helpers import ROOT

from toolkit.templating import Markup, environment, render_string

# the modules whose HTML is all in templates (the lead widens the list as the apps move over)
MODULES_ON_TEMPLATES = ["toolkit/report.py", "toolkit/apps/explorer.py"]

TAG = re.compile(r"<\s*/?[A-Za-z][A-Za-z0-9-]*(\s|/?>|$)")  # <p, </td>, <br/>, <svg ...: not "<5" or "< 0.001"
ESCAPES = {"escape", "esc"}  # html.escape, markupsafe.escape or a helper of that name


def problems(source: str, name: str = "<source>") -> list[str]:
    """Each f-string that holds a tag and each hand call to escape, as "name:line: what"."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.JoinedStr):
            literal = "".join(p.value for p in node.values if isinstance(p, ast.Constant) and isinstance(p.value, str))
            if TAG.search(literal):
                found.append(f"{name}:{node.lineno}: an f-string of HTML ({literal[:40]!r}): put it in a template")
        elif isinstance(node, ast.Call):
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if called in ESCAPES:
                found.append(f"{name}:{node.lineno}: {called}() by hand: the template's autoescape does it")
        elif isinstance(node, ast.Import) and any(a.name == "html" for a in node.names):
            found.append(f"{name}:{node.lineno}: import html: the template's autoescape escapes")
    return found


@pytest.mark.parametrize("module", MODULES_ON_TEMPLATES)
def test_no_html_is_built_in_python(module):
    path = ROOT / module
    assert problems(path.read_text(encoding="utf-8"), module) == []


def test_the_scan_finds_an_f_string_of_html_and_a_hand_escape():
    """The scan is not blind: each way of writing HTML in Python that the rule forbids is found."""
    source = '''
import html
from markupsafe import escape
def a(x): return f"<td data-col='n'>{x}</td>"
def b(x): return f"""<p class='muted'>
  {x}</p>"""
def c(x): return html.escape(x)
def d(x): return escape(x)
def e(x): return f"{x}</b>"
def fine(x): return f"<5 and < 0.001 and {x}"
'''
    lines = sorted(int(p.split(":")[1]) for p in problems(source))
    assert lines == [2, 4, 5, 7, 8, 9]


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[dict, str]] = []
        self.elements: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        if tag == "td":
            self._open = dict(attrs)
            self.cells.append((self._open, ""))

    def handle_endtag(self, tag):
        if tag == "td":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.cells[-1]
            self.cells[-1] = (attrs, text + data)


def test_the_table_macro_escapes_every_cell_and_marks_the_hidden_ones():
    from toolkit.report import figure, table

    frame = pd.DataFrame({"group": ["<b onclick=x>FIA</b>", "Police"], "n": ["<5", 12], "pre_mean": ["<5", 61.3],
                          "band": ["<5", "medium"]})
    shown = table(frame, [("group", "Group", "text"), ("n", "n", "int"), ("pre_mean", "Pre", "pct"),
                          ("band", "Band", "text")], cls="by-x")
    page = render_string('{% import "macros.html" as m %}{{ m.table(t) }}', t=shown)
    parsed = _Cells()
    parsed.feed(page)
    assert parsed.elements.count("b") == 0  # the stored name is text, not an element
    rows = [(a["data-col"], a.get("class"), text) for a, text in parsed.cells]
    assert rows == [("group", None, "<b onclick=x>FIA</b>"), ("n", "suppressed", "<5"),
                    ("pre_mean", "suppressed", "<5"), ("band", "suppressed", "<5"),
                    ("group", None, "Police"), ("n", None, "12"), ("pre_mean", None, "61.3%"), ("band", None, "medium")]
    from matplotlib.figure import Figure

    chart = figure(Figure(figsize=(1, 1)), "Pre & post <i>")
    assert isinstance(chart.svg, Markup)
    drawn = render_string('{% import "macros.html" as m %}{{ m.figure(f) }}', f=chart)
    assert drawn.startswith("<figure><svg") and drawn.endswith("<figcaption>Pre &amp; post &lt;i&gt;</figcaption></figure>")


def test_every_template_compiles():
    env = environment()
    names = [n for n in env.list_templates() if n.endswith(".html")]
    assert {"macros.html", "report/page.html", "explorer/overview.html"} <= set(names)
    for name in names:
        env.get_template(name)
