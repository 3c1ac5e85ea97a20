"""Knowledge kept (#16): a retention check in a later session, compared person by person with their own earlier
answers to the same questions; in the report and the explorer, and on the demo cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, by_place
from scipy import stats

from toolkit.analysis.retention import retention_scores, retention_summary
from toolkit.apps.explorer import ExplorerApp
from toolkit.bank import load_bank
from toolkit.report import analyse, render_report
from toolkit.retention import retention_check


def _rows(pid, kind, position, points, session="s1", objective="O1"):
    return [{"participant_id": pid, "session_id": session, "session_position": position, "activity_kind": kind,
             "question_id": f"q{i}", "objective": objective if i < 2 else "O2", "points": p, "max_points": 1.0}
            for i, p in enumerate(points)]


def test_each_person_is_compared_with_their_own_answers_to_the_same_questions():
    rows = []
    for pid, pre, post, kept in (("a", [0, 0, 0, 1], [1, 1, 1, 1], [1, 1, 0]), ("b", [0, 1, 0, 0], [1, 1, 0, 1], [0, 1, 0]),
                                 ("c", [1, 0, 0, 0], [1, 0, 1, 1], [1, 0, 1])):
        rows += _rows(pid, "pretest", 1, pre) + _rows(pid, "posttest", 1, post)
        rows += [{**r, "activity_kind": "retention"} for r in _rows(pid, "retention", 2, kept, session="s2")]
    rows += _rows("d", "retention", 2, [1, 1, 1], session="s2")  # never took the post-test: not compared
    scores = retention_scores(pd.DataFrame(rows)).set_index("participant_id")
    assert list(scores.index) == ["a", "b", "c"] and (scores["n_items"] == 3).all()
    # a: pre 0/3, post 3/3, retention 2/3 on q0-q2 (q3 was not asked again)
    assert scores.loc["a", ["pre", "post", "retention"]].tolist() == pytest.approx([0, 100, 200 / 3])
    assert scores.loc["b", "kept"] == pytest.approx(100 / 3 - 200 / 3)
    whole = retention_summary(scores.reset_index()).iloc[0]
    assert whole["n"] == 3 and whole["interval"] == "no meaningful interval"  # three people: none is meaningful
    by_objective = retention_scores(pd.DataFrame(rows), by=("objective",))
    assert set(by_objective["objective"]) == {"O1", "O2"} and len(by_objective) == 6
    hidden = retention_summary(by_objective, by="objective")
    assert (hidden["pre_mean"] == "<5").all()  # three people per objective: suppressed, as groups are


def test_the_interval_of_what_was_kept_is_students():
    rng = np.random.default_rng(5)
    rows = []
    for i in range(12):
        post = (rng.random(6) < 0.8).astype(float)
        kept = np.where(rng.random(6) < 0.8, post, 1 - post)
        rows += _rows(f"p{i}", "posttest", 1, post) + _rows(f"p{i}", "retention", 2, kept, session="s2")
    scores = retention_scores(pd.DataFrame(rows))
    assert scores["pre"].isna().all()  # no pre-test asked these questions
    whole = retention_summary(scores).iloc[0]
    # scipy 1.x: the t-interval of the mean change
    low, high = stats.t.interval(0.95, len(scores) - 1, loc=scores["kept"].mean(), scale=stats.sem(scores["kept"]))
    assert (whole["ci_low"], whole["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert np.isnan(whole["share_kept"])


def test_a_retention_check_samples_the_post_tests_questions_covering_its_objectives():
    bank = load_bank(ROOT / "question_banks" / "topic-referral.yaml")
    check = retention_check(bank, size=5)
    assert check.id == "topic-referral-retention" and len(check.questions) == 5
    by_id = {q.id: q for q in bank.questions}
    assert all(q.text == by_id[q.id].text and q.key == by_id[q.id].key for q in check.questions)
    objectives = {o for q in bank.questions if q.scored for o in q.objectives}
    if len(objectives) <= 5:
        assert {o for q in check.questions for o in q.objectives} == objectives
    assert retention_check(bank, size=5).hash == check.hash  # the same check every time for the same bank


def test_the_demo_cohort_shows_pre_post_and_retention_in_the_report(results):
    cohort = by_place(results, "Islamabad")
    t = analyse(cohort)
    scores = t["retention"]
    assert len(scores) > 30 and scores["pre"].notna().all()  # the cohort's checks are the same before and after
    whole = t["retention_all"].iloc[0]
    assert whole["post_mean"] > whole["retention_mean"] > whole["pre_mean"]  # some forgotten, most kept
    assert 0 < whole["share_kept"] < 1
    page = render_report(cohort, tables=t)
    assert "<h2>Knowledge kept</h2>" in page
    assert f"retention {whole['retention_mean']:.1f}%" in page
    table = page.split("<table class='retention'>", 1)[1].split("</table>", 1)[0]
    assert table.count("<td data-col='session'>Coaching session") == 2  # a check in sessions 2 and 3


def test_the_explorer_has_a_retention_tab_with_a_three_point_slope_chart(series, results, tmp_path):
    app = ExplorerApp(store=series, results=results, out_dir=tmp_path)
    app.workshop.value = next(v for label, v in app.workshop.options if label.endswith("Islamabad"))
    pane = app.show("Retention")
    assert "Knowledge kept" in pane.value
    fig = app.figures["retention"]
    people = [line for line in fig.axes[0].lines if line.get_label() == "_person"]
    assert len(people) == len(app.tables["retention"]) and all(len(line.get_xdata()) == 3 for line in people)
    mean = next(line for line in fig.axes[0].lines if line.get_label() == "Mean")
    assert list(mean.get_ydata()) == pytest.approx([app.tables["retention"][c].mean()
                                                    for c in ("pre", "post", "retention")])
