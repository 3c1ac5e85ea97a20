"""Knowledge kept (#16): a retention check in a later session, compared person by person with their own earlier
answers to the same questions; in the report and the explorer, and on the demo cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, by_place, page_text
from scipy import stats
from test_report import cells

from toolkit.analysis.retention import retention_note, retention_scores, retention_summary
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


def test_after_a_crossover_each_person_is_compared_on_the_form_they_took_at_the_post_test():
    def answers(pid, kind, position, form, points, session="s1"):
        return [{"participant_id": pid, "session_id": session, "session_position": position, "activity_kind": kind,
                 "question_id": f"{form}{i}", "objective": f"O{i + 1}", "points": p, "max_points": 1.0}
                for i, p in enumerate(points)]

    rows = []
    for i in range(10):  # five A then B, five B then A; the check repeats a0, a1 and b0, b1
        first, then = ("a", "b") if i % 2 == 0 else ("b", "a")
        pid = f"{first}{then}{i}"
        rows += answers(pid, "pretest", 1, first, [0, 0, 0]) + answers(pid, "posttest", 2, then, [1, 1, 1])
        rows += answers(pid, "retention", 3, "a", [1, i % 2], "s2") + answers(pid, "retention", 3, "b", [1, 0], "s2")
    scores = retention_scores(pd.DataFrame(rows)).set_index("participant_id")
    assert len(scores) == 10 and (scores["n_items"] == 2).all() and (scores["n_asked"] == 4).all()
    ab, ba = scores[scores.index.str.startswith("ab")], scores[scores.index.str.startswith("ba")]
    assert len(ab) == len(ba) == 5
    assert (ab["retention"] == 50).all() and (ba["retention"] == 100).all()  # b0, b1 for AB; a0, a1 for BA
    assert (scores["post"] == 100).all() and scores["pre"].isna().all()  # their pre-test asked the other form
    assert retention_summary(scores.reset_index()).iloc[0]["n"] == 10
    note = retention_note(scores.reset_index())
    assert "10 of the 10 were compared on part of the check" in note and "the form they took after" in note
    assert "part of the check" not in retention_note(retention_scores(pd.DataFrame(_rows("x", "posttest", 1, [1, 1]) + _rows(
        "x", "retention", 2, [1, 0], session="s2"))))  # a check on one form: the whole of it is compared


def test_a_retention_check_after_a_crossover_draws_half_from_each_form_covering_the_objectives():
    a, b = (load_bank(ROOT / "question_banks" / f"prepost-form-{f}.yaml") for f in ("a", "b"))
    check = retention_check(a, other_form=b)
    from_a = [q for q in check.questions if q.id in {x.id for x in a.questions}]
    from_b = [q for q in check.questions if q.id in {x.id for x in b.questions}]
    assert len(from_a) == len(from_b) == 4 and len(check.questions) == 8
    assert {o for q in check.questions for o in q.objectives} == {o for q in a.questions for o in q.objectives}
    assert check.form is None and retention_check(a, other_form=b).hash == check.hash
    assert retention_check(a, other_form=a).hash == retention_check(a).hash  # one form: as before


def test_the_demo_cohort_shows_pre_post_and_retention_in_the_report(results):
    cohort = by_place(results, "Islamabad")
    t = analyse(cohort)
    scores = t["retention"]
    assert len(scores) > 30 and scores["pre"].notna().all()  # the cohort's checks are the same before and after
    whole = t["retention_all"].iloc[0]
    assert whole["post_mean"] > whole["retention_mean"] > whole["pre_mean"]  # some forgotten, most kept
    assert 0 < whole["share_kept"] < 1
    page = render_report(cohort, tables=t)
    assert "Knowledge kept" in page_text(page)
    assert f"retention {whole['retention_mean']:.1f}%" in cells(page).stats["retention"]
    checks = [row["session"] for row in cells(page).tables["retention"]]
    assert len(checks) == 2 and all(s.startswith("Coaching session") for s in checks)  # a check in sessions 2 and 3


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
