"""What one person typed (or an imported bundle carried) is shown as text everywhere: markup in any stored field
never becomes an element of the office's HTML report, the explorer or the coach console.

Each stored field that a page shows holds `<svg onload=...>`, written straight into the store as an older store or
a bundle imported before the checks could hold it; the pages are rendered and parsed (html.parser), and no element
may carry an event handler."""

from __future__ import annotations

from html.parser import HTMLParser

import ipywidgets as w
import pytest
import yaml
from helpers import ROOT, TEST_BANKS, page_text
from markupsafe import Markup, escape

from toolkit import schema
from toolkit.apps.coach import CoachApp
from toolkit.apps.explorer import ExplorerApp
from toolkit.bank import parse_bank
from toolkit.report import render_report
from toolkit.results import load_results
from toolkit.store import Store


def payload(where: str) -> str:
    return f"<svg onload=alert('{where}')>"


class _Handlers(HTMLParser):
    """Every element with an event handler (on...) or a script, as (tag, attribute, value)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, k, v or "") for k, v in attrs if k.lower().startswith("on")]
        if tag == "script":
            self.found.append((tag, "", ""))


def handlers(html: str) -> list[tuple[str, str, str]]:
    parser = _Handlers()
    parser.feed(html)
    parser.close()
    return parser.found



def _marked_bank():
    """The all-types bank with markup in an objective, every question's text and an option (English only: the
    missing Urdu is a warning)."""
    content = yaml.safe_load((TEST_BANKS / "all-types.yaml").read_text(encoding="utf-8"))
    content["objectives"][0]["text"] = {"en": payload("objective")}
    for q in content["questions"]:
        q["text"] = {"en": payload(f"question {q['id']}")}
        if q["id"] == "border":
            q["options"][0]["text"] = {"en": payload("option")}
    return parse_bank(content, "<marked>")


def _marked_case_study():
    """The first case study of the shipped bank with markup in its title, scenario, debrief, every prompt and
    every option it lists (English only)."""
    content = yaml.safe_load((ROOT / "question_banks" / "case-studies.yaml").read_text(encoding="utf-8"))
    content["case_studies"] = content["case_studies"][:1]
    case = content["case_studies"][0]
    for key in ("title", "scenario", "debrief"):
        case[key] = {"en": payload(f"case {key}")}
    for q in case["prompts"]:
        q["text"] = {"en": payload(f"prompt {q['id']}")}
        for o in (o for o in q.get("options", []) if isinstance(o, dict)):
            o["text"] = {"en": payload(f"option {q['id']}")}
    return parse_bank(content, "<marked case study>")


@pytest.fixture
def marked(tmp_path):
    """A workshop whose every shown field holds markup: profile, titles, answers, questions from the room, a group
    exercise's case, its group's name and the group's answers."""
    store = Store(f"sqlite:///{tmp_path / 'toolkit.db'}")
    bank = _marked_bank()
    workshop = store.add_workshop("Quetta", place="Quetta", organiser="College", cohort="Cohort")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], bank, "pretest")
    post = store.add_activity(session["id"], bank, "posttest")
    survey = store.add_activity(session["id"], bank, "survey")
    people = [store.join(session["join_code"], n, sex=s, organisation="FIA", rank="ASI")
              for n, s in (("Amna", "female"), ("Bilal", "male"), ("Chand", "female"))]
    for activity in (pre, post, survey):
        store.open_activity(activity["id"])
        for i, p in enumerate(people):
            attempt = store.start_attempt(activity["id"], p["id"])
            store.save_answer(attempt["id"], "border", "som" if i else "tip")
            store.save_answer(attempt["id"], "comment", payload(f"answer {i}"))
            store.submit_attempt(attempt["id"])
    question = store.ask(session["id"], people[0]["id"], "Who refers?", anonymous=False)
    cases = _marked_case_study()
    case = store.add_activity(session["id"], cases, "case_study", case_study_id=cases.case_studies[0].id)
    store.open_activity(case["id"])
    [group] = store.form_groups(case["id"], [(payload("group"), [people[0]["id"], people[1]["id"]])])
    store.save_group_answer(group["id"], people[0]["id"], "reasoning", payload("group answer"))
    lead = next(p for p in cases.case_studies[0].prompts if p.id == "lead-agency")
    store.save_group_answer(group["id"], people[1]["id"], "lead-agency", lead.options[0].id)
    tables = schema
    with store.transaction() as c:  # what a bundle imported before the checks, or an older store, could hold
        c.execute(tables.workshops.update().values(title=payload("workshop"), place=payload("place"),
                                                   organiser=payload("organiser"), cohort=payload("cohort")))
        c.execute(tables.sessions.update().values(title=payload("session")))
        c.execute(tables.participants.update().values(
            display_name=payload("name"), sex=payload("sex"),
            organisation=payload("organisation"), rank=payload("rank")))
        c.execute(tables.audience_questions.update().where(tables.audience_questions.c.id == question["id"])
                  .values(text=payload("room question")))
        c.execute(tables.activities.update().values(title=payload("activity")))
    yield store, session, {"pre": pre, "post": post, "survey": survey, "case": case}
    store.close()


def test_the_report_shows_every_stored_value_as_text(marked):
    store, _session, _activities = marked
    page = render_report(load_results(store))
    assert handlers(page) == []
    assert payload("sex") in page_text(page)  # the sex, shown as text in the headcount


def test_the_explorer_shows_every_stored_value_as_text(marked):
    store, *_ = marked
    explorer = ExplorerApp(store=store)
    shown = [explorer.headline.value]
    for name in list(explorer.panes):
        shown.append(explorer.show(name).value)
    assert handlers("".join(shown)) == []
    assert payload("sex") in page_text(explorer.headline.value)


def _html_values(widget) -> list[str]:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out += _html_values(child)
    return out


def test_the_coach_console_shows_every_stored_value_as_text_on_every_tab(marked):
    store, session, activities = marked
    with store.transaction() as c:  # an unknown kind and state, as a bundle could carry them before the checks
        c.execute(schema.activities.update().where(schema.activities.c.id == activities["survey"]["id"])
                  .values(kind=payload("kind"), state=payload("state")))
    app = CoachApp(store=store, banks_dir=TEST_BANKS, start_polling=False)
    app.show_session(session["id"])
    shown = []
    for _label, tab in (("Join", "join"), ("Run", "run"), ("Results", "results"), ("Groups", "groups"),
                        ("Questions", "room"), ("Presenter", "presenter")):
        for activity in activities.values():
            app.selected_activity = activity["id"]
            app.nav.value = tab
            if tab == "groups":
                app.panels["groups"].activity_picker.value = activities["case"]["id"]
            app.refresh(force=True)
            shown += _html_values(app)
    page = "".join(shown)
    assert handlers(page) == []
    for where in ("workshop", "session", "activity", "kind", "state", "name", "room question", "question border",
                  "option", "case title", "group", "group answer", "option lead-agency"):
        assert escape(payload(where)) in page, where  # shown as text, escaped as every panel's template does


def test_the_coach_groups_tab_shows_the_case_its_groups_and_their_answers_as_text(marked):
    """The Groups tab of a group exercise: the case's title, each group's name, its members and every answer the
    group saved (an option's text and a typed one), then the debrief once revealed: text, never an element."""
    store, session, activities = marked
    app = CoachApp(store=store, banks_dir=TEST_BANKS, start_polling=False)
    app.show_session(session["id"])
    app.nav.value = "groups"
    groups = app.panels["groups"]
    groups.activity_picker.value = activities["case"]["id"]  # None until chosen, once its options are set
    app.refresh(force=True)
    shown = [groups.board.value]
    store.reveal_activity(activities["case"]["id"])
    app.refresh(force=True)
    shown.append(groups.board.value)
    page = "".join(shown)
    assert handlers(page) == []
    for where in ("case title", "group", "name", "group answer", "option lead-agency", "case debrief"):
        assert escape(payload(where)) in page, where
    assert escape(payload("case debrief")) in shown[1] and escape(payload("case debrief")) not in shown[0]


def test_a_dollar_sign_in_a_stored_label_is_drawn_as_written_not_read_as_maths():
    import pandas as pd

    from toolkit.report import likert_figure, paired_bars, progress_figure, svg

    label = r"Day $\frac$ (budget)"  # two $: matplotlib would read maths between them
    assert svg(paired_bars([label], [50.0], [60.0], "Workshops")).startswith("<svg")
    table = pd.DataFrame({"position": [1], "pre_mean": [40.0], "post_mean": [55.0]})
    assert svg(progress_figure(table, [label])).startswith("<svg")
    likert = pd.DataFrame({"question_id": ["q"], "n": [1], "1": [0], "2": [0], "3": [0], "4": [1], "5": [0]})
    assert svg(likert_figure(likert, {"q": label})).startswith("<svg")


def test_a_refused_answer_is_told_as_plain_text_and_escaped_once_by_its_template():
    """refusal_text is the words (a widget of text shows "laptop's", not "laptop&#39;s"); the panel escapes them
    once."""
    from toolkit.apps.messages import refusal_text
    from toolkit.apps.texts import panel, t
    from toolkit.errors import StoreTooNew

    said = refusal_text(StoreTooNew("English words"), "en")
    assert said == t("store_too_new", "en") and "laptop's" in said and not isinstance(said, Markup)
    shown = panel("line.html", "en", css="tk-problem", text=said)
    assert "laptop&#39;s" in shown and "&amp;" not in shown
