"""The whole analysis in one call: every table present, and the tables agree with one another."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.analysis import ONE_GROUP_CAVEAT, full_analysis
from toolkit.matchcode import match_code_hash


def workshop(n=40, items=12, seed=21):
    """A workshop where everyone gets a new participant id at the post-test and matches by code."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    rows, people = [], []
    for i in range(n):
        answers = {"mother": "abcdefghij"[i % 10], "birthday": str(1 + i // 10), "district": "q", "siblings": "1"}
        profile = {"sex": "fm"[i % 2], "organisation": ["FIA", "Police"][i % 3 == 0], "rank": "SI"}
        people.append({"participant_id": f"pre{i}", "match_code_hash": match_code_hash(answers), **profile})
        if i % 7 == 3:
            answers = {**answers, "siblings": "2"}  # misremembered at the post-test: a tolerant match
        people.append({"participant_id": f"post{i}", "match_code_hash": match_code_hash(answers), **profile})
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
                           "by_organisation", "by_rank", "workshops", "caveat"}
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
