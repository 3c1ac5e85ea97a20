"""The explorer, driven by its widgets; the figures it shows checked against toolkit.analysis on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import by_place, page_text
from test_report import cells

from toolkit.analysis import (
    disaggregate,
    gain_by_objective,
    item_statistics,
    pre_post_scores,
    progress_over_sessions,
)
from toolkit.apps.explorer import ALL, ExplorerApp
from toolkit.store import Store


@pytest.fixture(scope="module")
def app(series, results, tmp_path_factory):
    return ExplorerApp(store=series, results=results, out_dir=tmp_path_factory.mktemp("explorer-files"))


def choose(app: ExplorerApp, place: str) -> None:
    app.workshop.value = next(v for label, v in app.workshop.options if label.endswith(place))


def prepost(r):
    return r.answers[r.answers["activity_kind"].isin(("pretest", "posttest"))]


def people_lines(fig):
    return [line for line in fig.axes[0].lines if line.get_label() == "_person"]


def test_it_opens_on_the_newest_workshop_and_lists_the_series(app):
    labels = [label for label, _v in app.workshop.options]
    assert labels[0] == "All workshops" and "Series: Demo series 2026 (3 workshops)" in labels
    assert app.workshop.label == "Demo: Coaching series for women officers, Islamabad"
    assert [label for label, _v in app.session.options] == ["All sessions", "Coaching session 1: identifying victims",
                                                            "Coaching session 2: interviewing victims",
                                                            "Coaching session 3: referral and protection"]
    assert "22 participants (22 female)" in app.headline.value and "Demo data" in app.headline.value


def test_slope_chart_of_a_workshop_and_of_its_women(app, results):
    choose(app, "Quetta")
    app.show("Overview")
    quetta = by_place(results, "Quetta")
    scores = pre_post_scores(prepost(quetta))
    lines = people_lines(app.figures["slope"])
    assert len(lines) == len(scores) == 21
    assert np.allclose(sorted(tuple(line.get_ydata()) for line in lines),
                       sorted(zip(scores["pre"], scores["post"], strict=True)))
    mean = next(line for line in app.figures["slope"].axes[0].lines if line.get_label() == "Mean")
    assert np.allclose(mean.get_ydata(), [scores["pre"].mean(), scores["post"].mean()])
    assert "24 participants (3 female, 21 male)" in app.headline.value
    sequences = quetta.participants.set_index("participant_id").loc[scores["participant_id"], "sequence"]
    assert cells(app.panes["Overview"].value).stats["design"] == (
        f"Design: crossover: half the room took form A first and form B after, the other half B first and A "
        f"after ({(sequences == 'AB').sum()} A then B, {(sequences == 'BA').sum()} B then A).")
    app.group_by.value = "sex"
    app.group_value.value = "female"
    women = set(quetta.participants.loc[quetta.participants["sex"] == "female", "participant_id"])
    theirs = scores[scores["participant_id"].isin(women)]
    assert "3 participants (3 female)" in app.headline.value
    assert np.allclose(sorted(tuple(line.get_ydata()) for line in people_lines(app.figures["slope"])),
                       sorted(zip(theirs["pre"], theirs["post"], strict=True)))
    app.group_value.value = ALL


def test_results_by_group_hide_small_groups(app, results):
    choose(app, "Series: Demo series 2026 (3 workshops)")
    app.group_by.value = "organisation"
    app.show("Groups")
    r = app.current
    table = disaggregate(pre_post_scores(prepost(r)), r.participants, "organisation")
    ax = app.figures["groups"].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table["organisation"])
    shown = table[pd.to_numeric(table["pre_mean"], errors="coerce").notna()]
    bars = sorted(round(p.get_width(), 9) for p in ax.patches)
    assert bars == sorted(round(float(v), 9) for v in [*shown["pre_mean"], *shown["post_mean"]])
    hidden = table.loc[table["n"] == "<5", "organisation"].tolist()
    assert hidden == ["Levies"]  # five came, fewer than five took both tests
    assert "<5" in [t.get_text() for t in ax.texts]
    app.group_by.value = "sex"


def test_objectives_and_the_question_map_of_one_test(app, results):
    choose(app, "Karachi")
    karachi = by_place(results, "Karachi")
    app.show("Objectives")
    direct = gain_by_objective(prepost(karachi))
    bars = sorted(round(p.get_width(), 9) for p in app.figures["objectives"].axes[0].patches)
    assert bars == sorted(round(v, 9) for v in [*direct["pre_mean"], *direct["post_mean"]])
    app.activity.value = ("pretest", "tip-som-prepost-a")
    app.show("Questions")
    items = item_statistics(prepost(karachi), by=("activity_kind", "form"))
    items = items[(items["activity_kind"] == "pretest") & (items["form"] == "tip-som-prepost-a")]  # (a crossover)
    points = np.concatenate([c.get_offsets() for c in app.figures["items"].axes[0].collections])
    assert len(points) == 26
    assert sorted(map(tuple, np.round(points, 9))) == sorted(
        zip(np.round(items["facility"], 9), np.round(items["discrimination"], 9), strict=True))
    app.activity.value = ALL


def test_cohort_progress_over_its_sessions(app, results):
    choose(app, "Islamabad")
    app.show("Progress")
    cohort = by_place(results, "Islamabad")
    direct = progress_over_sessions(cohort.answers, cohort.sessions.sort_values("position")["session_id"])
    fig = next(f for name, f in app.figures.items() if name.startswith("progress:"))
    pre, post = (line.get_ydata() for line in fig.axes[0].lines)
    assert np.allclose(pre, direct["pre_mean"]) and np.allclose(post, direct["post_mean"])
    app.session.value = app.session.options[2][1]  # one session: nothing to compare across sessions
    app.show("Progress")
    assert not any(name.startswith("progress:") for name in app.figures)
    assert "Choose a series" in app.panes["Progress"].value


def test_survey_and_confidence(app, results):
    choose(app, "Lahore")
    app.show("Survey")
    lahore = by_place(results, "Lahore")
    likert = app.tables["likert"]
    assert len(app.figures["likert"].axes[0].patches) == 5 * len(likert) == 5 * 17  # the survey's 17 statements
    from toolkit.analysis import confidence_change

    direct = confidence_change(lahore.confidence)
    dots = app.figures["confidence"].axes[0].collections
    assert np.allclose(sorted(dots[0].get_offsets()[:, 0]), sorted(direct["before_mean"]))
    assert np.allclose(sorted(dots[1].get_offsets()[:, 0]), sorted(direct["after_mean"]))


def test_files_written_from_the_files_tab(app, tmp_path):
    choose(app, "Quetta")
    app.out_dir.value = str(tmp_path)
    app.report_button.click()
    report = next(tmp_path.glob("*-report.html"))
    assert "24 participants (3 female, 21 male)" in report.read_text() and "http" not in report.read_text()
    app.csv_button.click()
    assert len(pd.read_csv(next(tmp_path.glob("*-answers.csv")))) == (23 + 22) * 26
    app.rule.value = "submitted-post"
    app.certificates_button.click()
    assert len(list((tmp_path / "certificates").glob("TK-*.pdf"))) == 21
    assert "Wrote 21 file(s)" in app.files_message.value


def test_a_folder_that_cannot_be_written_says_so_and_shows_its_name_as_text(app, tmp_path):
    choose(app, "Quetta")
    blocked = tmp_path / "<b onclick=x>blocked"  # (no "/" in a file's name)
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    app.out_dir.value = str(blocked / "reports")
    assert app.write("report") == []
    said = page_text(app.files_message.value)
    assert said.startswith("Could not write the files: ") and "<b onclick=x>blocked" in said  # the name, as text
    assert "<b" not in app.files_message.value
    app.out_dir.value = str(tmp_path / "<i>reports")
    [written] = app.write("report")
    assert written.is_file()
    assert page_text(app.files_message.value) == f"Wrote 1 file(s) in {tmp_path / '<i>reports'}."
    assert "<i>" not in app.files_message.value


def test_an_empty_store_says_so(tmp_path):
    app = ExplorerApp(store=Store(f"sqlite:///{tmp_path}/toolkit.db"))
    assert "No results here yet" in app.headline.value
    assert [label for label, _v in app.workshop.options] == ["All workshops"]


def test_a_group_of_three_shows_no_interval_and_says_why_in_words(app, results):
    choose(app, "Quetta")
    app.show("Overview")
    app.group_by.value = "sex"
    app.group_value.value = "female"  # 3 women took both tests
    try:
        summary = app.tables["gain_summary"].set_index("statistic")
        assert int(summary.at["mean_gain", "n"]) == 3
        assert summary.at["mean_gain", "interval"] == "no meaningful interval"
        notes = app.tables["notes"].set_index("statistic")
        reason = notes.at["95% intervals of the mean gain and <g>", "reason"]
        assert reason.startswith("only 3 people took both tests")
        overview = app.show("Overview").value
        read = page_text(overview)
        assert "points (no meaningful interval with fewer than 5 people)" in read
        assert "95% CI" not in read
        assert reason in read and "Small numbers: read with care" in read
        assert app.tables["paired_tests"].set_index("test").at["Wilcoxon signed-rank", "method"] == "exact"
        tests = {row["test"]: row for row in cells(overview).tables[""]}
        assert tests["Wilcoxon signed-rank"]["p_from"] == "exact p"  # which p the Wilcoxon test gives, in words
        questions = page_text(app.show("Questions").value)
        assert "the top and bottom 27% are only" in questions  # the 3 women's tests: 1 person in each group
    finally:
        app.group_value.value = ALL
