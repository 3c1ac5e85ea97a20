"""The apps' panels build no HTML by hand: no module of toolkit/apps/ splices a value into a string with an HTML tag
(an f-string, `%`, `.format`, `+` or a tag's `.join`). Their HTML comes from the templates of
toolkit/templates/apps/, where every value is escaped (toolkit/templating.py), and markup planted in every field a
phone shows stays text. The explorer is checked by tests/test_html_templates.py with the report."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets as w
import pytest
import yaml
from helpers import ROOT, TEST_BANKS
from markupsafe import escape

from toolkit import schema
from toolkit.apps.participant import ParticipantApp
from toolkit.bank import parse_bank

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


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_no_panel_template_turns_escaping_off(template):
    """HTML that is not escaped reaches a template as Markup the toolkit built (a chart, a QR code's SVG)."""
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"\|\s*safe\b|autoescape\s+false", text), template


# ---------------------------------------------------------------- what the phone shows, planted with markup


def payload(where: str) -> str:
    return f"<svg onload=alert('{where}')>"


class _Handlers(HTMLParser):
    """Every element with an event handler (on...) or a script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, k) for k, _v in attrs if k.lower().startswith("on")]
        if tag == "script":
            self.found.append((tag, ""))


def _html_values(widget) -> list[str]:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out += _html_values(child)
    return out


def _marked(path: Path, case_study: bool = False):
    """A bank with markup in every text a phone shows of it (English only: the missing Urdu is a warning)."""
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = content["case_studies"][:1] if case_study else [content]
    for item in items:
        for key in ("title", "scenario", "debrief") if case_study else ():
            item[key] = {"en": payload(f"case {key}")}
        for q in item.get("prompts" if case_study else "questions", []):
            q["text"] = {"en": payload(f"question {q['id']}")}
            if "feedback" in q:
                q["feedback"] = {"en": payload(f"feedback {q['id']}")}
            for o in (o for o in q.get("options", []) if isinstance(o, dict)):
                o["text"] = {"en": payload(f"option {q['id']}")}
                if "feedback" in o:
                    o["feedback"] = {"en": payload(f"option feedback {q['id']}")}
    if case_study:
        content["case_studies"] = content["case_studies"][:1]
    return parse_bank(content, "<marked>")


def test_the_phone_shows_every_stored_value_as_text_on_every_page(sqlite_store):
    """Card, join, questions, review, results, questions from the room and the group exercise: markup in any field
    a phone shows is text there (the panels' templates escape it), and it is shown."""
    store = sqlite_store
    bank, cases = _marked(TEST_BANKS / "all-types.yaml"), _marked(ROOT / "question_banks" / "case-studies.yaml", True)
    workshop = store.add_workshop("Quetta", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    test = store.add_activity(session["id"], bank, "pretest")
    group_work = store.add_activity(session["id"], cases, "case_study", case_study_id=cases.case_studies[0].id)
    [card] = store.add_rostered(workshop["id"], [dict(name="Amna", sex="female", organisation="FIA", rank="ASI",
                                                      contact=None)])
    other = store.join(session["join_code"], "Bilal")
    with store.transaction() as c:  # what a bundle imported before the checks, or an older store, could hold
        c.execute(schema.workshops.update().values(title=payload("workshop")))
        c.execute(schema.sessions.update().values(title=payload("session")))
        c.execute(schema.participants.update().where(schema.participants.c.id == card["id"]).values(
            display_name=payload("card name"), organisation=payload("organisation"), rank=payload("rank")))
        c.execute(schema.participants.update().where(schema.participants.c.id == other["id"]).values(
            display_name=payload("member")))
    shown = []
    phone = ParticipantApp(store=store, query=f"card={card['personal_code']}", start_polling=False)
    shown += _html_values(phone)
    phone = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    shown += _html_values(phone)
    phone.join_form.name_box.value = payload("name")
    phone.join_form.consent_box.value = True
    phone.join_form.join_button.click()
    shown += _html_values(phone)
    store.ask(session["id"], other["id"], payload("room question"), anonymous=False)
    phone.tabs.value = "room"
    shown += _html_values(phone)
    phone.tabs.value = "activity"
    store.open_activity(test["id"])
    phone.refresh()
    for q in bank.questions:
        shown += _html_values(phone)
        if q.id == "border":
            phone.input.choose("som")
        phone.next.click()
    shown += _html_values(phone)
    phone.submit_button.click()
    phone.confirm_yes.click()
    store.reveal_activity(test["id"])
    phone.refresh()
    shown += _html_values(phone)
    store.open_activity(group_work["id"])
    store.form_groups(group_work["id"], [(payload("group"), [phone.participant["id"], other["id"]])])
    group = store.get_group(group_work["id"], other["id"])
    store.save_group_answer(group["id"], other["id"], "reasoning", "Debt bondage")  # "saved by" the member
    phone.refresh()
    shown += _html_values(phone)
    store.reveal_activity(group_work["id"])
    phone.refresh()
    shown += _html_values(phone)
    page = "".join(shown)
    parser = _Handlers()
    parser.feed(page)
    assert parser.found == []
    for where in ("workshop", "session", "card name", "organisation", "rank", "name", "member", "room question",
                  "question border", "option border", "option feedback border", "feedback consent", "case title",
                  "case scenario", "case debrief", "question reasoning", "group"):
        assert escape(payload(where)) in page, where
