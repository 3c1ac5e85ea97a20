"""No figure hidden for a small group can be recovered by subtraction from the rest of the same report.

How the test attacks a table. The report shows, beside each table of groups (workshops, sessions, sex,
organisation, rank), the total of the same people: n and the pre, post and gain means of everyone matched.
A mean is a sum over n people, so every shown figure is a linear equation in the groups' sums
x_i = n_i·mean_i:

    x_1 + x_2 + … + x_k = n_total·total_mean      (the total)
    x_i = n_i·mean_i                              (each shown row)

We give the attacker every n_i, hidden or not (headcounts are shown in full, and n_total minus the shown n
gives the hidden ones' sum), which is the strongest case. A hidden x_j is recoverable exactly when it is
uniquely determined by these equations: when the unit vector e_j lies in the row space of the equations'
matrix A, i.e. rank([A; e_j]) == rank(A). Then least squares returns it and x_j / n_j is the hidden mean. The
test runs that attack on every measure of every table of the report (toolkit.report.analyse, which the HTML
report, the workbook and the explorer's tabs all show), of full_analysis and of the workbook's sheets, and
checks that every group of fewer than 5 people is hidden and that no hidden mean is recoverable.

The crafted case is the issue's: a series in which one workshop has 4 matched people (the printed workshops
table with its total gave their pre- and post-test means away), and a cohort whose second session paired
only 4 people. A first test shows that the attack works: on a table hidden without the complementary cell,
it finds the hidden row and solves it to the true means.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from helpers import by_place

from toolkit.analysis import (
    compare_workshops,
    disaggregate,
    full_analysis,
    gain_summary,
    pre_post_scores,
    progress_over_sessions,
)
from toolkit.analysis._common import suppress_small_cells
from toolkit.export import tables as workbook_sheets
from toolkit.report import GROUPS, analyse
from toolkit.results import tested_answers as answers_tested

MEASURES = {"pre_mean": "pre_mean", "post_mean": "post_mean", "gain_mean": "mean_gain"}  # table column: total's


def hidden(table: pd.DataFrame) -> np.ndarray:
    return np.array([isinstance(v, str) for v in table["pre_mean"]])


def attack(shown: pd.DataFrame, n: np.ndarray, total_n: int, total_mean: float, column: str) -> dict[int, float]:
    """The hidden rows of `shown[column]` that the total and the shown rows determine, with their solved means."""
    k = len(shown)
    secret = hidden(shown)
    rows, values = [np.ones(k)], [total_n * total_mean]
    for i in np.flatnonzero(~secret):
        rows.append(np.eye(k)[i])
        values.append(n[i] * float(shown[column].iloc[i]))
    a, b = np.array(rows), np.array(values)
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    rank = np.linalg.matrix_rank(a)
    return {int(j): solution[j] / n[j] for j in np.flatnonzero(secret)
            if np.linalg.matrix_rank(np.vstack([a, np.eye(k)[j]])) == rank}


def check(shown: pd.DataFrame, true: pd.DataFrame, total: pd.DataFrame, what: str) -> None:
    """Every group under 5 is hidden, every figure of a hidden row is, and no hidden mean is recoverable."""
    assert len(shown) == len(true), what
    n = true["n"].to_numpy(int)
    secret = hidden(shown)
    assert secret[n < 5].all(), f"{what}: a group of fewer than 5 is shown"
    labels = ("n", "position", "session_id", "workshop_id", "workshop", "session", *GROUPS, "pct")
    figures = [c for c in shown.columns if c not in labels]  # what the table shows (the printed one, less)
    for i in np.flatnonzero(secret):
        assert all(isinstance(shown[c].iloc[i], str) for c in [*figures, "n"]), f"{what}: row {i} half hidden"
    g = total.set_index("statistic")
    for column, statistic in MEASURES.items():
        total_n = int(g.at[statistic, "n"])
        assert total_n == n.sum(), what  # the total is over the same people as the table's rows
        found = attack(shown, n, total_n, float(g.at[statistic, "value"]), column)
        assert not found, f"{what}: {column} of rows {sorted(found)} recoverable: {found}"


@pytest.fixture(scope="module")
def crafted(results):
    """The demo series with one workshop cut down to 4 people, and the cohort's second session to 4 pairs."""
    series = results.workshops.loc[results.workshops["cohort"] == "Demo series 2026", "workshop_id"].tolist()
    small = results.workshops.set_index("workshop_id").loc[series, "place"].idxmax()  # any one of them
    people = results.participants
    scores = pre_post_scores(answers_tested(results.select(workshops=[small])))
    four = set(scores["participant_id"].head(4))
    keep = people.loc[(people["workshop_id"] != small) | people["participant_id"].isin(four), "participant_id"]
    cut_series = results.select(workshops=series, participants=keep)
    cohort = by_place(results, "Islamabad")
    second = cohort.sessions.sort_values("position")["session_id"].iloc[1]
    a = cohort.answers
    posted = a[(a["session_id"] == second) & (a["activity_kind"] == "posttest")]["participant_id"].unique()
    drop = (a["session_id"] == second) & (a["activity_kind"] == "posttest") & ~a["participant_id"].isin(posted[:4])
    return {"series": cut_series, "cohort": replace(cohort, answers=a[~drop].reset_index(drop=True)),
            "small": small, "second": second}


def test_the_attack_finds_a_lone_hidden_workshop_and_its_true_means(crafted):
    scores = pre_post_scores(answers_tested(crafted["series"]))
    true = compare_workshops(scores)
    alone = suppress_small_cells(true, ["workshop_id"], complementary=False)  # primary suppression only
    g = gain_summary(scores, n_resamples=100).set_index("statistic")
    row = int(np.flatnonzero(true["workshop_id"] == crafted["small"])[0])
    assert true.at[row, "n"] == 4 and hidden(alone).tolist() == [i == row for i in range(len(true))]
    for column, statistic in MEASURES.items():
        found = attack(alone, true["n"].to_numpy(int), int(g.at[statistic, "n"]), g.at[statistic, "value"], column)
        assert list(found) == [row] and found[row] == pytest.approx(true.at[row, column], abs=1e-9)


def _report_tables(results, t):
    """(what, shown, true) for every table of groups beside the total in analyse()'s tables."""
    scores, people = t["scores"], results.participants
    out = [(f"by_{by}", t[f"by_{by}"], disaggregate(scores, people, by, threshold=1)) for by in GROUPS]
    if t["workshops"] is not None:
        out.append(("workshops", t["workshops"], compare_workshops(scores)))
    return out


@pytest.mark.parametrize("case", ["demo", "series", "cohort"])
def test_no_hidden_figure_follows_from_the_report_the_workbook_or_the_explorer(results, crafted, case):
    data = results if case == "demo" else crafted[case]
    t = analyse(data, n_resamples=100)  # the report's tables; the explorer's tabs and the workbook show these
    for what, shown, true in _report_tables(data, t):
        check(shown, true, t["gain_summary"], f"{case}: {what}")
    if case == "series":
        row = t["workshops"].set_index("workshop_id").loc[crafted["small"]]
        assert row["pre_mean"] == "<5"  # the 4-person workshop, and another with it
        assert (t["workshops"]["pre_mean"] == "suppressed").sum() == 1
    answers = answers_tested(data)
    for workshop_id, shown in t["progress"].items():
        rows = answers[answers["workshop_id"] == workshop_id]
        order = data.sessions[data.sessions["workshop_id"] == workshop_id].sort_values("position")["session_id"]
        true = progress_over_sessions(rows, session_order=order.tolist())
        # The pooled total of a cohort is not the sum of its sessions (a person is in several); the attack
        # takes it as if it were, the stronger case, with the sessions' own pooled figures as the total.
        total = pd.DataFrame({"statistic": list(MEASURES.values()), "n": int(true["n"].sum()),
                              "value": [np.average(true[c], weights=true["n"]) for c in MEASURES]})
        check(shown, true, total, f"{case}: progress")
    if case == "cohort":
        shown = t["progress"][data.workshops["workshop_id"].iloc[0]].set_index("session_id")
        assert shown.at[crafted["second"], "n"] == "<5"


def test_full_analysis_and_the_workbook_hide_the_same(crafted):
    data = crafted["series"]
    answers = answers_tested(data)
    t = full_analysis(answers, data.participants, n_resamples=100)
    scores = t["scores"]
    check(t["workshops"], compare_workshops(scores), t["gain_summary"], "full_analysis: workshops")
    for by in GROUPS:
        check(t[f"by_{by}"], disaggregate(scores, data.participants, by, threshold=1), t["gain_summary"],
              f"full_analysis: by_{by}")
    sheets = workbook_sheets(data)
    shown = analyse(data, n_resamples=100)
    for name in ("workshops_compared", *(f"by_{by}" for by in GROUPS)):
        key = "workshops" if name == "workshops_compared" else name
        assert sheets[name].astype(str).equals(shown[key].astype(str)), name


def _printed(rows: list[dict]) -> pd.DataFrame:
    """The report's printed cells as figures ("58.3%" -> 58.3, "+18.5" -> 18.5); "<5" and "suppressed" stay."""
    def figure(text: str):
        try:
            return float(text.rstrip("%"))
        except ValueError:
            return text
    return pd.DataFrame([{k: figure(v) for k, v in row.items()} for row in rows])


def test_the_printed_report_gives_no_small_workshop_or_session_away(crafted):
    from test_report import cells

    from toolkit.report import progress_figure, render_report

    data = crafted["series"]
    t = analyse(data, n_resamples=100)
    printed = _printed(cells(render_report(data, tables=t)).tables["workshops"])
    true = compare_workshops(t["scores"])
    check(printed, true, t["gain_summary"], "printed workshops")  # from the rounded figures as printed
    assert printed["n"].tolist().count("<5") == 1 and printed["n"].tolist().count("suppressed") == 1
    cohort = crafted["cohort"]
    t = analyse(cohort, n_resamples=100)
    [(workshop_id, table)] = t["progress"].items()
    printed = _printed(cells(render_report(cohort, tables=t)).tables["progress"])
    assert printed["pre_mean"].tolist().count("<5") == 1 and printed["pre_mean"].tolist().count("suppressed") == 1
    fig = progress_figure(table, [str(s) for s in table["session_id"]])
    pre, post = (line.get_ydata() for line in fig.axes[0].lines)
    hidden_rows = hidden(table)
    assert np.isnan(pre[hidden_rows]).all() and np.isnan(post[hidden_rows]).all()  # gaps, not the figures
    assert np.isfinite(pre[~hidden_rows]).all()
    notes = [a.get_text() for a in fig.axes[0].texts]
    assert notes.count("<5") == 1 and notes.count("suppressed") == 1


def test_the_explorer_tabs_show_the_suppressed_tables(series, crafted, tmp_path):
    from toolkit.apps.explorer import ExplorerApp

    app = ExplorerApp(store=series, results=crafted["series"], out_dir=tmp_path)
    app.workshop.value = next(v for label, v in app.workshop.options if label.startswith("Series:"))
    app.show("Progress")
    t = app.tables
    check(t["workshops"], compare_workshops(t["scores"]), t["gain_summary"], "explorer: workshops")
    places = crafted["series"].workshops.set_index("workshop_id")["place"]
    shown = t["workshops"][~hidden(t["workshops"])]
    bars = app.figures["workshops"].axes[0]
    assert [x.get_text() for x in bars.get_yticklabels()] == [str(places[w]) for w in shown["workshop_id"]]
    assert sorted(p.get_width() for p in bars.patches) == pytest.approx(sorted([*shown["pre_mean"],
                                                                               *shown["post_mean"]]))
    for by in GROUPS:
        app.group_by.value = by
        app.show("Groups")
        check(app.tables[f"by_{by}"], disaggregate(app.tables["scores"], crafted["series"].participants, by,
                                                   threshold=1), app.tables["gain_summary"], f"explorer: by_{by}")
