"""The toolkit's HTML is written in toolkit/templates (Jinja2, autoescape), never in Python: no module of toolkit/
splices a value into a string with an HTML tag or escapes by hand, so a value cannot reach a page unescaped by a
forgotten call, and no template turns the escaping off. The one scan of this file (hand_built_html) holds every
rule; the few modules that write another format than a page (Moodle XML, GIFT) are listed with their reason.
The shared macros escape what they show and mark a hidden cell."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from helpers import ROOT
from jinja2 import nodes

from toolkit.templating import Markup, environment, render_string

TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*[\s>/]|</?[a-zA-Z][a-zA-Z0-9-]*$")  # <p, </td>, <br/>: not "<5", "a < b"
ESCAPES = {"escape", "esc"}  # html.escape, markupsafe.escape or a helper of that name
RENDERED = {"panel", "fragment", "render", "render_string"}  # the calls that fill a template
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "toolkit").rglob("*.py"))
# (module, what the scan finds, a part of its text or None for every one): why it is not a page's HTML
NOT_A_PAGE = {
    ("toolkit/formats/moodle_xml.py", "f-string", None):
        "Moodle XML for Moodle's importer, written line by line: every text through _esc() or a CDATA section",
    ("toolkit/formats/text.py", "f-string", "multilang"):
        "a bank's text as the HTML of a Moodle question (multilang spans), escaped with html.escape",
    ("toolkit/formats/text.py", "import html", None): "html.escape and html.unescape of Moodle's question text",
    ("toolkit/formats/text.py", "escape()", None): "html.escape of a text for Moodle's question HTML",
    ("toolkit/formats/gift.py", "escape()", None): "GIFT's own escape of ~ = # { } : (a text format, not HTML)",
    ("toolkit/questions/short.py", "escape()", None): "GIFT's own escape of an accepted answer",
    ("toolkit/page_assets.py", "escape()", None): "re.escape of a package name in a regular expression",
    ("toolkit/bank.py", "f-string", "<stored bank "): "a bank's name in a message, not a tag",
    ("toolkit/formats/common.py", "f-string", "<bank "): "a bank's name in a message, not a tag",
    ("toolkit/formats/moodle_xml.py", "f-string", "the root element is <"): "an XML element named in a message",
    ("toolkit/cli_reports.py", "f-string", "<g> = "): "the mean normalised gain <g> on the terminal, not a tag",
}
# Markup() in toolkit/apps/ (HTML that is not escaped): module -> (how many, why)
MARKUP_ALLOWED = {"toolkit/apps/coach.py": (1, "the join QR code's SVG, drawn by segno")}


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _name(node: ast.AST) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


class _Scan:
    """What `hand_built_html` knows of one module: its string constants with a tag, its HTML widgets, the
    functions whose every return is a filled template, the names only ever given one."""

    def __init__(self, tree: ast.Module, rendering: frozenset[str] = frozenset()):
        self.tagged = {t.id for n in tree.body if isinstance(n, ast.Assign) and (v := _text(n.value)) is not None
                       and TAG.search(v) for t in n.targets if isinstance(t, ast.Name)}
        self.widgets = {_name(t) for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                        and _called(n.value) == "HTML" for t in n.targets} - {None}
        self.scopes: dict[int, dict[str, list[ast.AST]]] = {}  # each statement's function: what its names are given
        for scope in (n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))):
            assigned: dict[str, list[ast.AST]] = {}
            for n in ast.walk(scope):
                self.scopes[id(n)] = assigned
                if isinstance(n, ast.Assign):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            assigned.setdefault(t.id, []).append(n.value)
        functions: dict[str, list[ast.AST]] = {}
        for f in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            functions.setdefault(f.name, []).extend(r.value for r in ast.walk(f) if isinstance(r, ast.Return))
        self.rendering = set(RENDERED) | rendering
        for _ in range(5):  # a function that returns another that renders renders too
            self.rendering |= {name for name, values in functions.items()
                               if values and all(v is not None and self.built(v) for v in values)}

    def has_tag(self, node: ast.AST) -> bool:
        text = _text(node)
        return bool(TAG.search(text)) if text is not None else isinstance(node, ast.Name) and node.id in self.tagged

    def built(self, node: ast.AST, depth: int = 0) -> bool:
        """A constant, a filled template (or a call that returns one), or a name that in its function only ever
        holds these."""
        if isinstance(node, ast.Constant) or isinstance(node, ast.Name) and node.id.isupper():
            return True
        if isinstance(node, ast.Name):
            given = self.scopes.get(id(node), {}).get(node.id)
            return bool(given) and depth < 3 and all(self.built(v, depth + 1) for v in given)
        if isinstance(node, ast.Call):
            return _called(node) in self.rendering
        if isinstance(node, ast.IfExp):
            return self.built(node.body, depth) and self.built(node.orelse, depth)
        return False


def rendering_functions(sources: list[str]) -> frozenset[str]:
    """The functions of these modules whose every return is a filled template (messages.problem, for one)."""
    found: frozenset[str] = frozenset()
    for _ in range(3):
        found = frozenset().union(*(_Scan(ast.parse(s), found).rendering for s in sources)) - RENDERED
    return found


APPS_RENDERING = rendering_functions([(ROOT / m).read_text(encoding="utf-8") for m in MODULES
                                      if m.startswith("toolkit/apps/")])


def hand_built_html(source: str, apps: bool = True, rendering: frozenset[str] = frozenset()) -> list[tuple[int, str, str]]:
    """(line, what, its text) of each place in `source` where HTML is made by hand: a value put into a string with
    a tag (an f-string, `%`, `.format`, `+`, a tag's `.join`), an escape by hand (`escape()`, `esc()`,
    `import html`), and, in a module of toolkit/apps/ (`apps`), HTML left unescaped (`Markup(...)`) or a widget's
    HTML given anything but a constant or a filled template (`w.HTML(x)`, `html.value = x`); `rendering` names the
    functions of other modules that return a filled template."""
    tree = ast.parse(source)
    scan = _Scan(tree, rendering)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            literal = "".join(_text(p) or "" for p in node.values)
            if any(scan.has_tag(p) for p in node.values) or TAG.search(literal):
                found.append((node.lineno, "f-string", literal))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and scan.has_tag(node.left):
            found.append((node.lineno, "%", _text(node.left) or ""))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
                (scan.has_tag(node.left) or scan.has_tag(node.right)) and \
                (_text(node.left) is None or _text(node.right) is None):
            found.append((node.lineno, "+", (_text(node.left) or "") + (_text(node.right) or "")))
        elif isinstance(node, ast.Call):
            called = _called(node)
            if isinstance(node.func, ast.Attribute) and called in ("format", "format_map", "join") and \
                    scan.has_tag(node.func.value):
                found.append((node.lineno, f".{called}", _text(node.func.value) or ""))
            elif called in ESCAPES:
                found.append((node.lineno, f"{called}()", ""))
            elif apps and called == "Markup":
                found.append((node.lineno, "Markup()", ast.unparse(node)[:60]))
            elif apps and called == "HTML":
                given = node.args[:1] + [k.value for k in node.keywords if k.arg == "value"]
                if not all(scan.built(v) for v in given):
                    found.append((node.lineno, "HTML(x)", ast.unparse(node)[:60]))
        elif isinstance(node, ast.Import) and any(a.name == "html" for a in node.names) or \
                isinstance(node, ast.ImportFrom) and node.module == "html":
            found.append((node.lineno, "import html", ""))
        elif apps and isinstance(node, (ast.Assign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Attribute) and target.attr == "value" and _name(target.value) in scan.widgets \
                        and (isinstance(node, ast.AugAssign) or not scan.built(node.value)):
                    found.append((node.lineno, "html.value = x", ast.unparse(node)[:60]))
    return sorted(found)


def _allowed(module: str, what: str, text: str) -> bool:
    return any(m == module and w == what and (part is None or part in text) for m, w, part in NOT_A_PAGE)


@pytest.mark.parametrize("module", MODULES)
def test_no_module_builds_html_by_hand(module):
    found = [(n, what, text) for n, what, text in
             hand_built_html((ROOT / module).read_text(encoding="utf-8"), module.startswith("toolkit/apps/"),
                             APPS_RENDERING) if what != "Markup()" and not _allowed(module, what, text)]
    assert [f"{module}:{n}: {what} {text[:50]!r}" for n, what, text in found] == [], \
        "put the HTML in a template of toolkit/templates/ (templating.render, apps.texts.panel)"


@pytest.mark.parametrize("module", [m for m in MODULES if m.startswith("toolkit/apps/")])
def test_html_left_unescaped_in_the_apps_is_only_what_is_allowed(module):
    marked = [n for n, what, _ in hand_built_html((ROOT / module).read_text(encoding="utf-8")) if what == "Markup()"]
    assert len(marked) == MARKUP_ALLOWED.get(module, (0, ""))[0], \
        f"{module}:{marked}: Markup() is HTML nobody escapes: give the template the text (or allow it with a reason)"


def test_every_module_left_alone_still_needs_it():
    """A reason given for a module that no longer needs it goes with it."""
    for module, what, part in NOT_A_PAGE:
        found = hand_built_html((ROOT / module).read_text(encoding="utf-8"), module.startswith("toolkit/apps/"))
        assert any(w == what and (part is None or part in text) for _n, w, text in found), (module, what, part)
    for module, (n, _why) in MARKUP_ALLOWED.items():
        assert sum(w == "Markup()" for _n, w, _t in hand_built_html((ROOT / module).read_text("utf-8"))) == n


@pytest.mark.parametrize("source", [
    'f"<b>{name}</b>"',
    "f\"<div class='tk-problem'>{text}</div>\"",
    'f"{count}<br>"',
    'f"<td>{x:.0f}%</td>"',
    "f'''<p class=muted>\\n  {x}</p>'''",
    'f"{x}</b>"',
    '"<p>%s</p>" % text',
    '"<li>{}</li>".format(item)',
    "\"<span class='{css}'>\".format_map(values)",
    'PART = "<h1>{title}</h1>"\npage = PART.format(title=title)',
    '"<h2>New session</h2>" + problems',
    '"<ul>" + items + "</ul>"',
    'title + "</h1>"',
    '"<br>".join(lines)',
    "import html",
    "from html import escape",
    "html.escape(x)",
    "escape(x)",
    "esc(x)",
    "Markup(text)",
    "Markup(f'<b>{x}</b>')",
    "box = w.HTML(text)",
    "box = w.HTML(value=name)",
    "self.status = w.HTML()\nself.status.value = name",
    "self.status = w.HTML()\nself.status.value += panel('line.html', lang, text=x)",
    "self.status = w.HTML()\nself.status.value = str(x)",
])
def test_the_scan_finds_html_made_by_hand(source):
    assert hand_built_html(source), source


@pytest.mark.parametrize("source", [
    'f"{left // 60}:{left % 60:02d}"',
    'f"{a} < {b}"',
    'f"<5 and < 0.001 and {x}"',
    'f"{label:<10}"',
    'f"apps/{template}"',
    'f"{t(\'code_title\', lang)}: {t(\'match_all_four\', lang)}"',
    '"<h2>Activities</h2>"',
    '"<b>Profile</b>" + " questions</b>"',
    '"%d < %d" % (a, b)',
    '"{n} of {limit} characters".format(n=n, limit=limit)',
    '", ".join(names)',
    'panel("line.html", lang, css="tk-problem", text=text)',
    "render_string(\"<p class='tk-hint'>{{ text }}</p>\", text=text)",
    "import html.parser",
    "box = w.HTML(STYLE)",
    "box = w.HTML(panel('line.html', lang, text=x))",
    "self.status = w.HTML()\nself.status.value = ''",
    "self.status = w.HTML()\nself.status.value = panel('line.html', lang, text=x) if x else ''",
    "def why(e):\n    return panel('line.html', 'en', text=e)\n"
    "self.status = w.HTML()\nself.status.value = why(e)",
    "text = fragment('x.html', lang)\nself.status = w.HTML()\nself.status.value = text",
    "self.name_box = w.Text()\nself.name_box.value = typed",
    "def f() -> Markup:\n    pass",
])
def test_the_scan_leaves_alone_what_builds_no_html(source):
    assert hand_built_html(source) == [], source


# ---------------------------------------------------------------- no template turns the escaping off

TEMPLATES = ROOT / "toolkit" / "templates"


def turns_escaping_off(source: str) -> list[tuple[int, str]]:
    """(line, how) of each place in a template that shows a value unescaped: `|safe`, or `{% autoescape ... %}`
    with anything but true (however it is spelt: `false`, `False`, `0`, a variable)."""
    found = []
    for node in environment().parse(source).find_all((nodes.Filter, nodes.EvalContextModifier)):
        if isinstance(node, nodes.Filter) and node.name == "safe":
            found.append((node.lineno, "|safe"))
        elif isinstance(node, nodes.EvalContextModifier):
            for option in node.options:
                if option.key == "autoescape" and not (isinstance(option.value, nodes.Const) and
                                                       option.value.value is True):
                    found.append((node.lineno, "autoescape"))
    return found


@pytest.mark.parametrize("source", [
    "{{ x|safe }}", "{{ x | safe }}", "{% filter safe %}{{ x }}{% endfilter %}",
    "{% autoescape false %}{{ x }}{% endautoescape %}", "{% autoescape False %}{{ x }}{% endautoescape %}",
    "{% autoescape 0 %}{{ x }}{% endautoescape %}", "{% autoescape off %}{{ x }}{% endautoescape %}",
    "{% autoescape none %}{{ x }}{% endautoescape %}",
])
def test_the_check_finds_escaping_turned_off(source):
    assert turns_escaping_off(source), source


@pytest.mark.parametrize("source", ["{{ x }}", "{{ x|e }}", "{% autoescape true %}{{ x }}{% endautoescape %}",
                                    "{{ 'safe' }}", "{{ safe }}"])
def test_the_check_leaves_escaped_values_alone(source):
    assert turns_escaping_off(source) == [], source


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*")
                                            if p.is_file() and p.suffix in (".html", ".css")))
def test_no_template_turns_escaping_off(template):
    """HTML that is not escaped reaches a template as Markup the toolkit built (a chart, a QR code's SVG)."""
    assert turns_escaping_off((TEMPLATES / template).read_text(encoding="utf-8")) == [], template


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
