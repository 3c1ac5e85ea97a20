"""One rule for the pre/post figures: the coach's projector shows what the donor report shows."""

from __future__ import annotations

import re

from helpers import TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.report import analyse
from toolkit.results import load_results


def figure(html: str, name: str) -> str:
    return re.search(rf"id='tk-{name}'>([^<]+)<", html).group(1)


def workshops_with_both_tests(store):
    for w in store.list_workshops():
        sessions = store.list_sessions(w["id"])
        kinds = {a["kind"]: s for s in sessions for a in store.list_activities(s["id"])}
        if "pretest" in kinds and "posttest" in kinds:
            yield w, kinds["posttest"]


def test_the_console_shows_the_reports_class_figures_on_the_demo_series(series):
    compared = 0
    for workshop, session in workshops_with_both_tests(series):
        app = CoachApp(store=series, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
        app.show_session(session["id"])
        app.nav.value = "results"
        shown = app.panels["results"].comparison.value
        report = analyse(load_results(series, workshop_ids=[workshop["id"]]))["gain_summary"].set_index("statistic")
        assert figure(shown, "gain") == f"{report.at['class_g', 'value']:.2f}", workshop["title"]
        assert figure(shown, "pre") == f"{report.at['pre_mean', 'value']:.0f}%"
        assert figure(shown, "post") == f"{report.at['post_mean', 'value']:.0f}%"
        assert int(figure(shown, "matched")) == report.at["class_g", "n"]
        compared += 1
    assert compared == 4  # the three workshops of the demo series and the coaching cohort


def test_the_console_says_how_many_took_each_test_when_not_everyone_took_both(series):
    """Quetta's demo workshop has people who missed one of the tests: the console says its figures are over
    those who took both, and how many took each."""
    workshop, session = next((w, s) for w, s in workshops_with_both_tests(series) if w["place"] == "Quetta")
    app = CoachApp(store=series, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.show_session(session["id"])
    app.nav.value = "results"
    shown = app.panels["results"].comparison.value
    took = re.search(r"(\d+) took the pre-test and (\d+) the post-test", shown)
    matched = int(figure(shown, "matched"))
    assert took and matched < max(int(took.group(1)), int(took.group(2)))
    assert "Everyone who took each test so far" in shown
