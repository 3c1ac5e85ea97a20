"""The apps' panels come from the templates of toolkit/templates/apps/, where every value is escaped
(toolkit/templating.py): each template is used, each one that speaks (calls `t()`) is given the person's language,
and markup planted in every field a phone shows stays text. That no module builds HTML by hand and no template
turns the escaping off is checked by tests/test_html_templates.py, for every module and template."""

from __future__ import annotations

import ast
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets as w
import pytest
import yaml
from helpers import ROOT, TEST_BANKS
from jinja2 import nodes
from markupsafe import escape

from toolkit import schema
from toolkit.apps.participant import ParticipantApp
from toolkit.bank import parse_bank
from toolkit.templating import environment

APPS = ROOT / "toolkit" / "apps"
TEMPLATES = ROOT / "toolkit" / "templates" / "apps"


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_every_panel_template_is_used(template):
    """A template nothing renders or imports any more is left behind by a change: it is removed with it."""
    users = [*APPS.glob("*.py"), *(p for p in TEMPLATES.rglob("*.html") if p != TEMPLATES / template)]
    assert any(f'"{template}"' in p.read_text(encoding="utf-8") or f'"apps/{template}"' in p.read_text(encoding="utf-8")
               for p in users), template


def speaks(name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether template `name` (of toolkit/templates/) or one it imports or includes calls `t()`, the text in the
    language the panel is given."""
    tree = environment().parse(environment().loader.get_source(environment(), name)[0])
    if any(isinstance(c.node, nodes.Name) and c.node.name == "t" for c in tree.find_all(nodes.Call)):
        return True
    used = [n.template.value for n in tree.find_all((nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends))
            if isinstance(n.template, nodes.Const)]
    return any(speaks(u, seen | {name}) for u in used if u not in seen)


def panels_without_a_language(source: str) -> list[tuple[int, str]]:
    """(line, template) of each panel() or fragment() call given no language (its second argument or `lang=`)
    whose template speaks or is not named as a constant (it cannot be checked)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and (node.func.id if isinstance(node.func, ast.Name) else
                                                getattr(node.func, "attr", None)) in ("panel", "fragment")):
            continue
        name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        given = len(node.args) >= 2 or any(k.arg in ("lang", None) for k in node.keywords)
        if given:
            continue
        if name is None:
            found.append((node.lineno, ast.unparse(node)[:40]))
        elif speaks(f"apps/{name}"):
            found.append((node.lineno, name))
    return found


@pytest.mark.parametrize("source", [
    'panel("participant/waiting.html", title=title)',
    'fragment("join/code.html", code=code)',
    'panel(name, title=title)',
])
def test_the_check_finds_a_speaking_panel_given_no_language(source):
    assert panels_without_a_language(source), source


@pytest.mark.parametrize("source", [
    'panel("participant/waiting.html", self.lang, title=title)',
    'fragment("join/code.html", lang=lang, code=code)',
    'panel("line.html", css="tk-hint", text=t("saving", lang))',  # the text is translated before
    'panel("coach/title.html", workshop=title, session=session, code=code)',
])
def test_the_check_leaves_alone_a_panel_given_its_language_or_that_does_not_speak(source):
    assert panels_without_a_language(source) == [], source


def test_the_check_follows_an_imported_template():
    assert speaks("apps/participant/waiting.html") and not speaks("apps/line.html")
    assert speaks("apps/coach/activity_row.html") == speaks("apps/coach/state.html")


@pytest.mark.parametrize("module", sorted(p.name for p in APPS.glob("*.py")))
def test_every_panel_that_speaks_is_given_the_persons_language(module):
    """panel() and fragment() default to English: a template that calls t() without the person's language would
    show English to an Urdu reader."""
    found = panels_without_a_language((APPS / module).read_text(encoding="utf-8"))
    assert [f"toolkit/apps/{module}:{n}: {name}" for n, name in found] == [], "give it lang"


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
