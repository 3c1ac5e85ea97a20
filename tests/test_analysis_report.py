"""The whole analysis in one call: every table present, and the tables agree with one another."""

import numpy as np
import pandas as pd
import pytest
from helpers import quick_code
from scipy import stats

from toolkit.analysis import NO_INTERVAL, ONE_GROUP_CAVEAT, full_analysis, paired_tests, reliability, small_sample_notes


def workshop(n=40, items=12, seed=21):
    """A workshop where everyone gets a new participant id at the post-test and matches by code."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    rows, people = [], []
    for i in range(n):
        answers = {"mother": "abcdefghij"[i % 10], "birthday": str(1 + i // 10), "district": "q", "siblings": "1"}
        profile = {"sex": "fm"[i % 2], "organisation": ["FIA", "Police"][i % 3 == 0], "rank": "SI"}
        people.append({"participant_id": f"pre{i}", "match_code_hash": quick_code(answers), **profile})
        if i % 7 == 3:
            answers = {**answers, "siblings": "2"}  # misremembered at the post-test: a tolerant match
        people.append({"participant_id": f"post{i}", "match_code_hash": quick_code(answers), **profile})
        for kind, shift, pid in (("pretest", 0.0, f"pre{i}"), ("posttest", 1.0, f"post{i}")):
            for j in range(items):
                right = rng.random() < 1 / (1 + np.exp(-(ability[i] + shift - (j - items / 2) / 4)))
                rows.append({"participant_id": pid, "activity_kind": kind, "session_id": "s1", "workshop_id": "w1",
                             "question_id": f"q{j}", "objective": f"O{j % 3 + 1}", "points": float(right),
                             "max_points": 1.0, "response": "a" if right else "bcd"[rng.integers(0, 3)]})
    return pd.DataFrame(rows), pd.DataFrame(people)


def test_full_analysis_by_code_gives_every_table_and_they_agree():
    answers, participants = workshop()
    tables = full_analysis(answers, participants, by_code=True)
    assert set(tables) == {"match_rate", "scores", "gain_summary", "paired_tests", "gain_by_objective", "item_mcnemar",
                           "item_statistics", "reliability", "distractors", "headcount_by_sex", "by_sex",
                           "by_organisation", "by_rank", "workshops", "caveat", "notes"}
    rate = tables["match_rate"].iloc[0]
    # i % 7 == 3 for i = 3, 10, 17, 24, 31, 38: six tolerant matches, 34 exact
    assert (rate["matched_exact_code"], rate["matched_tolerant_code"], rate["match_rate_pct"]) == (34, 6, 100.0)
    scores = tables["scores"]
    assert len(scores) == 40
    summary = tables["gain_summary"].set_index("statistic")
    pre_mean, post_mean = scores["pre"].mean(), scores["post"].mean()
    assert summary.at["class_g", "value"] == pytest.approx((post_mean - pre_mean) / (100 - pre_mean), abs=1e-12)
    t = tables["paired_tests"].set_index("test").at["paired t-test", "statistic"]
    assert t == pytest.approx(stats.ttest_rel(scores["post"], scores["pre"]).statistic, rel=1e-12)
    assert tables["workshops"].iloc[0]["class_g"] == pytest.approx(summary.at["class_g", "value"], abs=1e-12)
    assert tables["by_sex"]["n"].sum() == 40
    assert (tables["item_mcnemar"]["n_pairs"] == 40).all()
    assert tables["caveat"].iloc[0, 0] == ONE_GROUP_CAVEAT


def test_small_groups_get_notes_in_words_and_no_interval():
    answers, participants = workshop(n=3, items=12, seed=4)
    tables = full_analysis(answers, participants, by_code=True)
    assert tables["gain_summary"].set_index("statistic").at["mean_gain", "interval"] == NO_INTERVAL
    notes = tables["notes"]
    assert list(notes.columns) == ["statistic", "scope", "reason"]
    said = {(r.statistic, r.scope) for r in notes.itertuples()}
    assert ("95% intervals of the mean gain and <g>", "") in said
    assert ("paired t-test", "") in said
    assert {("Cronbach's alpha", "pre-test"), ("Cronbach's alpha", "post-test")} <= said
    assert {("discrimination of the questions", "pre-test"), ("discrimination of the questions", "post-test")} <= said
    reasons = notes.set_index(["statistic", "scope"])["reason"]
    assert "only 3 people took both tests" in reasons[("95% intervals of the mean gain and <g>", "")]
    assert "the top and bottom 27% are only 1 person each" in reasons[("discrimination of the questions", "pre-test")]


def test_a_negative_alpha_is_noted_at_any_size():
    # 12 people, 2 items: for 10 of them q2 is right exactly when q1 is wrong, so the items covary negatively
    rows = [{"participant_id": f"p{i}", "activity_kind": "pretest", "question_id": q, "points": float(v),
             "max_points": 1.0} for i in range(12) for q, v in (("q1", i % 2), ("q2", 1 - i % 2 if i < 10 else 1))]
    tables = reliability(pd.DataFrame(rows))
    assert tables.iloc[0]["cronbach_alpha"] < 0
    notes = small_sample_notes(reliability=tables)
    assert notes.to_dict("records") == [{"statistic": "Cronbach's alpha", "scope": "pre-test", "reason": (
        "alpha is below 0, which is not a reliability: the questions do not hang together in this group "
        "(check the key of the questions that discriminate negatively)")}]


def test_a_wilcoxon_test_on_few_changed_scores_says_it_cannot_reach_significance():
    scores = pd.DataFrame({"pre": [50.0] * 12, "post": [50.0] * 8 + [60.0, 70.0, 60.0, 80.0]})
    notes = small_sample_notes(paired_tests=paired_tests(scores))
    assert notes.to_dict("records") == [{"statistic": "Wilcoxon signed-rank test", "scope": "", "reason": (
        "only 4 people's scores changed: even if all had changed the same way, p could not fall below 0.05 "
        "(the smallest possible p is 0.125)")}]
    assert paired_tests(scores).set_index("test").at["Wilcoxon signed-rank", "p_value"] == pytest.approx(0.125)


def test_ten_people_get_no_notes():
    answers, participants = workshop(n=10, items=12, seed=4)
    assert full_analysis(answers, participants, by_code=True)["notes"].empty


def test_objectives_rated_by_few_people_share_one_note():
    confidence = pd.DataFrame({"objective": ["O1", "O2", "O3", "O4"], "n": [3, 3, 12, 1]})
    notes = small_sample_notes(confidence=confidence)
    assert notes.to_dict("records") == [
        {"statistic": "confidence before and after", "scope": "objective O4",
         "reason": "only 1 person rated it both times: the Wilcoxon p cannot fall below 0.05"},
        {"statistic": "confidence before and after", "scope": "objectives O1, O2",
         "reason": "only 3 people rated them both times: the Wilcoxon p cannot fall below 0.05"}]
