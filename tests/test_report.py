"""The HTML report: self-contained, and every number toolkit.analysis's on the store's data."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import by_place, page_text
from scipy import stats

from toolkit.analysis import (
    ONE_GROUP_CAVEAT,
    compare_workshops,
    gain_summary,
    headcount_by,
    paired_tests,
    pre_post_scores,
    progress_over_sessions,
)
from toolkit.cli_reports import report
from toolkit.report import analyse, fmt, headcount_sentence, render_report, slope_figure, svg
from toolkit.results import load_results


class Cells(HTMLParser):
    """The text of the elements with data-stat, and of each table's rows (by the table's class)."""

    def __init__(self):
        super().__init__()
        self.stats, self.tables, self._stat, self._table, self._row, self._cell = {}, {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-stat" in a:
            self._stat = a["data-stat"]
            self.stats[self._stat] = ""
        if tag == "table":
            self._table = a.get("class") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self._row = {}
        elif tag == "td" and self._row is not None:
            self._cell = a.get("data-col", "?")
            self._row[self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "tr" and self._row:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif self._stat and tag in ("span", "p", "b"):
            self._stat = None

    def handle_data(self, data):
        if self._stat:
            self.stats[self._stat] += data
        if self._cell is not None:
            self._row[self._cell] += data


def cells(page: str) -> Cells:
    parser = Cells()
    parser.feed(page)
    return parser



@pytest.fixture(scope="module")
def quetta(results):
    return by_place(results, "Quetta")


@pytest.fixture(scope="module")
def quetta_page(quetta):
    return render_report(quetta)


def test_the_report_fetches_nothing(quetta_page):
    assert not re.search(r"https?://", quetta_page)
    assert not re.search(r"<(script|link|img|iframe)\b", quetta_page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", quetta_page)
    assert not re.search(r"url\((?!#)", quetta_page)  # no font or image fetched (url(#clip) is inside the page)
    assert quetta_page.count("<svg") >= 5  # the charts are inline


def test_participants_by_sex_in_full_and_small_groups_hidden(quetta, quetta_page):
    c = cells(quetta_page)
    assert c.stats["headcount"] == "24 participants (3 female, 21 male)."
    assert headcount_sentence(headcount_by(quetta.participants, "sex", threshold=1)) == "24 participants (3 female, 21 male)"
    by_sex = {row["sex"]: row for row in c.tables["by-sex"]}
    assert by_sex["female"]["n"] == "<5" and by_sex["female"]["pre_mean"] == "<5"
    assert by_sex["male"]["n"] == "suppressed"  # the only other group would give the women's figures away
    assert "DEMO DATA" in page_text(quetta_page)
    assert ONE_GROUP_CAVEAT in page_text(quetta_page)


def test_the_numbers_are_those_of_toolkit_analysis(quetta, quetta_page):
    tests = quetta.answers[quetta.answers["activity_kind"].isin(("pretest", "posttest"))]
    scores = pre_post_scores(tests)
    summary = gain_summary(scores).set_index("statistic")
    c = cells(quetta_page)
    assert c.stats["pre_mean"] == fmt(summary.at["pre_mean", "value"], "pct")
    assert c.stats["post_mean"] == fmt(summary.at["post_mean", "value"], "pct")
    assert c.stats["class_g"] == fmt(summary.at["class_g", "value"])
    assert c.stats["mean_gain"] == fmt(summary.at["mean_gain", "value"], "pts") + " points"
    ci = f"95% CI {fmt(summary.at['mean_gain', 'ci_low'], 'pts')} to {fmt(summary.at['mean_gain', 'ci_high'], 'pts')}"
    assert ci in page_text(quetta_page)
    # the paired t-test and d_z, against scipy and by hand on the same scores
    d = (scores["post"] - scores["pre"]).to_numpy()
    t = stats.ttest_rel(scores["post"], scores["pre"])
    assert f"t({len(d) - 1}) = {t.statistic:.2f}" in page_text(quetta_page)
    assert paired_tests(scores).set_index("test").at["paired t-test", "effect_size"] == pytest.approx(
        d.mean() / d.std(ddof=1))
    stats_rows = {row["value"] for row in c.tables["stats"]}
    assert f"{d.mean() / d.std(ddof=1):.2f}" in stats_rows
    assert t.pvalue < 0.001 and f"t({len(d) - 1}) = {t.statistic:.2f}, p < 0.001" in stats_rows  # as a reader reads it
    assert "< 0.001" not in quetta_page  # and written escaped, as every "<" of a text
    assert "d_z = mean(d)/SD(d)" in page_text(quetta_page)


def test_objectives_items_and_the_reaction_survey(quetta, quetta_page):
    t = analyse(quetta)
    c = cells(quetta_page)
    objectives = {row["objective"]: row for row in c.tables["objectives"]}
    table = t["gain_by_objective"].set_index("objective")
    assert set(objectives) == set(table.index) == {"O1", "O2", "O3", "O4", "O5", "O6"}
    for o, row in objectives.items():
        assert row["class_g"] == fmt(table.at[o, "class_g"]) and row["pre_mean"] == fmt(table.at[o, "pre_mean"], "pct")
    flagged = {row["question_id"] for row in c.tables["items"]}
    items = t["item_statistics"]
    assert flagged == set(items.loc[items["discrimination"] < 0.3, "question_id"])
    likert = {row["text"]: row for row in c.tables["likert"]}
    agree = t["likert"].set_index("question_id").at["pace-right", "pct_agree"]
    assert likert["The pace of the workshop was right for me."]["pct_agree"] == fmt(agree, "pct")
    assert c.stats["nps"] == fmt(t["recommend"]["nps"].iloc[0], "int")
    assert "per-question McNemar tests do not apply" in page_text(quetta_page)  # forms A and B share no question


def test_a_series_compares_its_workshops_and_a_cohort_its_sessions(results):
    series_results = results.select(workshops=results.workshops.loc[results.workshops["cohort"] ==
                                                                    "Demo series 2026", "workshop_id"])
    page = render_report(series_results)
    rows = cells(page).tables["workshops"]
    scores = pre_post_scores(series_results.answers[series_results.answers["activity_kind"].isin(
        ("pretest", "posttest"))])
    direct = compare_workshops(scores, threshold=5)
    places = series_results.workshops.set_index("workshop_id")["place"]
    assert [r["workshop"] for r in rows] == [places[w] for w in direct["workshop_id"]]
    assert [r["class_g"] for r in rows] == [fmt(g) for g in direct["class_g"]]
    assert [r["n"] for r in rows] == [str(n) for n in direct["n"]]
    cohort = by_place(results, "Islamabad")
    page = render_report(cohort)
    progress = cells(page).tables["progress"]
    direct = progress_over_sessions(cohort.answers, cohort.sessions.sort_values("position")["session_id"])
    assert [r["pre_mean"] for r in progress] == [fmt(v, "pct") for v in direct["pre_mean"]]
    assert [r["post_mean"] for r in progress] == [fmt(v, "pct") for v in direct["post_mean"]]


def test_charts_are_inline_svg_without_addresses(quetta):
    scores = pre_post_scores(quetta.answers[quetta.answers["activity_kind"].isin(("pretest", "posttest"))])
    fig = slope_figure(scores)
    people = [line for line in fig.axes[0].lines if line.get_label() == "_person"]
    assert len(people) == len(scores)
    assert np.allclose(sorted(tuple(line.get_ydata()) for line in people),
                       sorted(zip(scores["pre"], scores["post"], strict=True)))
    drawing = svg(fig)
    assert drawing.startswith("<svg") and "http" not in drawing and "<metadata" not in drawing


def test_report_command(series, tmp_path):
    code = series.list_sessions()[-1]["join_code"]  # the oldest: Quetta
    out = tmp_path / "quetta.html"
    data = series.sqlite_path.parent
    done = CliRunner().invoke(report, ["--session", code, "--out", str(out), "--data", str(data)])
    assert done.exit_code == 0, done.output
    assert "24 participants (3 female, 21 male)" in done.output and out.is_file()
    assert "<g> = " in done.output
    missing = CliRunner().invoke(report, ["--out", str(out), "--data", str(data)])
    assert missing.exit_code == 2 and "Name either a session" in missing.output
    unknown = CliRunner().invoke(report, ["--session", "ZZZZZZ", "--out", str(out), "--data", str(data)])
    assert unknown.exit_code == 1 and "No session in this store has the code or id 'ZZZZZZ'" in unknown.output
    assert "Example" in report.get_help(__import__("click").Context(report))


def test_a_test_opened_but_left_blank_does_not_count(sqlite_store, all_types_bank, tmp_path):
    store = sqlite_store
    w = store.add_workshop("Small", place="Quetta")
    session = store.add_session(w["id"], "Day 1")
    pre = store.add_activity(session["id"], all_types_bank, "pretest")
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    people = [store.join(session["join_code"], f"P{i}") for i in range(3)]
    for activity, right in ((pre, ["consent"]), (post, ["consent", "kiln"])):
        store.open_activity(activity["id"])
        for p in people:
            attempt = store.start_attempt(activity["id"], p["id"])
            if p is people[2] and activity is post:
                continue  # opened the post-test and answered nothing
            store.save_answer(attempt["id"], "consent", True)
            if "kiln" in right:
                store.save_answer(attempt["id"], "kiln", "tip")
    r = load_results(store)
    assert r.answers["participant_id"].nunique() == 3  # the blank attempt is in the frame, all zeros
    t = analyse(r)
    assert len(t["scores"]) == 2 and t["match_rate"]["n_posttest"].iloc[0] == 2
    # 7 scored questions: 1/7 before, 2/7 after, for both
    assert t["scores"]["pre"].tolist() == pytest.approx([100 / 7] * 2)
    assert t["scores"]["post"].tolist() == pytest.approx([200 / 7] * 2)
    assert cells(render_report(r)).stats["headcount"] == "3 participants (3 did not answer)."
    empty = store.add_session(store.add_workshop("Nobody came")["id"], "Day 1")
    run = CliRunner().invoke(report, ["--session", empty["join_code"], "--out", str(tmp_path / "x.html"),
                                      "--db", store.url])
    assert run.exit_code == 1 and "nothing to report" in run.output


def test_a_report_on_three_people_says_no_interval_is_meaningful_and_notes_alpha(quetta):
    women = quetta.participants.loc[quetta.participants["sex"] == "female", "participant_id"]
    three = quetta.select(participants=women)
    t = analyse(three)
    assert int(t["gain_summary"].set_index("statistic").at["mean_gain", "n"]) == 3
    page = render_report(three, tables=t)
    rows = {row.get("value"): row for row in cells(page).tables["stats"]}
    assert any("no meaningful interval with fewer than 5 people" in "".join(r.values()) for r in rows.values())
    assert "No interval is shown: with fewer than 5 people who took both tests none is meaningful" in page_text(page)
    assert "95% CI" not in page_text(page)
    notes = t["notes"]
    for r in notes.itertuples():  # every note is in the page, in words
        assert r.reason in page_text(page)
    assert {"95% intervals of the mean gain and <g>", "Cronbach's alpha"} <= set(notes["statistic"])
    alpha_cells = [row["alpha_shown"] for row in cells(page).tables[""] if "alpha_shown" in row]
    # (a crossover: each test on two forms; a form only one of the three took has no alpha at all: "–")
    undefined = int(t["reliability"]["cronbach_alpha"].isna().sum())
    assert [c for c in alpha_cells if c == "–"] == ["–"] * undefined and len(alpha_cells) > undefined
    assert all(c.endswith("(not meaningful here: see the note)") for c in alpha_cells if c != "–")


def test_the_report_says_the_design_and_what_the_crossover_found(results):
    """The demo series runs its workshops as crossovers, with form B made easier (toolkit.demo.FORM_EASE)."""
    workshops = results.select(workshops=results.workshops.loc[results.workshops["place"] != "Islamabad",
                                                               "workshop_id"])
    assert set(workshops.sessions["design"]) == {"crossover"}
    t = analyse(workshops)
    cross = t["crossover"].set_index("statistic")
    n_ab, n_ba = int(cross["n_ab"].iloc[0]), int(cross["n_ba"].iloc[0])
    assert n_ab + n_ba == len(t["scores"]) and abs(n_ab - n_ba) <= 4
    effect = cross.at["form_effect", "value"]
    assert 0 < effect < 15 and cross.at["form_effect", "ci_low"] < effect < cross.at["form_effect", "ci_high"]
    # the adjusted gain is the mean of the two sequences' mean gains (the standard AB/BA analysis)
    scores = t["scores"].assign(sequence=lambda f: f["participant_id"].map(
        workshops.participants.set_index("participant_id")["sequence"]))
    means = scores.groupby("sequence")["gain"].mean()
    assert cross.at["gain", "value"] == pytest.approx(means.mean())
    assert cross.at["form_effect", "value"] == pytest.approx((means["AB"] - means["BA"]) / 2)
    page = render_report(workshops, tables=t)
    line = cells(page).stats["design"]
    assert line == (f"Design: crossover: half the room took form A first and form B after, the other half B first and "
                    f"A after ({n_ab} A then B, {n_ba} B then A).")
    assert "Half of the participants took form A before the training" in page_text(page)
    assert "it assumes the training helps as much on either form" in page_text(page)
    [row] = [r for r in cells(page).tables["stats crossover"] if "form_effect" in r]
    assert row["form_effect"] == fmt(effect, "pts")


def test_a_then_b_is_explained_as_a_limit(sqlite_store, all_types_bank):
    from toolkit.bank import content_hash_of, parse_bank
    content = {**all_types_bank.content, "id": "all-types-b", "form": "B"}
    form_b = parse_bank(content, "form B", content_hash_of(content))
    workshop = sqlite_store.add_workshop("Old style")
    session = sqlite_store.add_session(workshop["id"], "Day 1", design="a-then-b")
    pre = sqlite_store.add_activity(session["id"], all_types_bank, "pretest")
    post = sqlite_store.add_activity(session["id"], form_b, "posttest")
    people = [sqlite_store.join(session["join_code"], f"P{i}") for i in range(3)]
    for activity in (pre, post):
        sqlite_store.open_activity(activity["id"])
        for p in people:
            sqlite_store.save_answer(sqlite_store.start_attempt(activity["id"], p["id"])["id"], "kiln", "tip")
    page = render_report(load_results(sqlite_store))
    assert cells(page).stats["design"] == ("Design: A then B: everyone took the pre-test's form first and the other "
                                           "form after.")
    assert "that difference is counted here as learning (or as forgetting)" in page_text(page)
