"""Reaction survey summaries and confidence before and after, worked by hand or against scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.analysis import ONE_GROUP_CAVEAT, confidence_change, likert_summary, open_answers, recommend_summary

EXACT = 1e-12


def survey(question_id, responses):
    return pd.DataFrame({"participant_id": [f"p{i}" for i in range(len(responses))],
                         "question_id": question_id, "response": responses})


def test_likert_summary_worked_by_hand():
    got = likert_summary(survey("content-relevant", ["5", "4", "4", "3", "1", "no idea", None])).iloc[0]
    # on the scale: 5 4 4 3 1 → n 5, mean 17/5 = 3.4, agree (4-5) 3/5 = 60 %
    assert got["n"] == 5 and got["mean"] == pytest.approx(3.4, abs=EXACT)
    assert got["pct_agree"] == pytest.approx(60, abs=EXACT)
    assert got[["1", "2", "3", "4", "5"]].tolist() == [1, 0, 1, 2, 1]


def test_likert_summary_keeps_the_banks_order_when_asked():
    answers = pd.concat([survey("b", ["4", "5"]), survey("a", ["2"])])
    assert likert_summary(answers, questions=["b", "a"])["question_id"].tolist() == ["b", "a"]


def test_recommend_summary_worked_by_hand():
    got = recommend_summary(survey("would-recommend", ["10", "9", "8", "7", "6", "0", "11"])).iloc[0]
    # 0-10 only: 10 9 8 7 6 0 → promoters 2/6, passives 2/6, detractors 2/6; NPS = 33.3 - 33.3 = 0
    assert got["n"] == 6 and got["mean"] == pytest.approx(40 / 6, abs=EXACT)
    assert got[["pct_promoters", "pct_passives", "pct_detractors"]].tolist() == pytest.approx([100 / 3] * 3, abs=EXACT)
    assert got["nps"] == pytest.approx(0, abs=EXACT)
    assert got["10"] == 1 and got["5"] == 0
    nobody = recommend_summary(survey("other", ["5"])).iloc[0]
    assert nobody["n"] == 0 and math.isnan(nobody["nps"])


def test_open_answers_are_listed_without_who_wrote_them():
    answers = pd.concat([survey("most-useful", ["The case studies ", "", "  ", None]),
                         survey("content-relevant", ["4"]), survey("what-to-change", ["More time"])])
    got = open_answers(answers)
    assert got.to_dict("records") == [{"question_id": "most-useful", "answer": "The case studies"},
                                      {"question_id": "what-to-change", "answer": "More time"}]


def test_confidence_before_and_after_per_objective():
    rng = np.random.default_rng(8)
    before = rng.integers(1, 4, 16)
    after = np.minimum(before + rng.integers(0, 3, 16), 5)
    rows = pd.DataFrame({"participant_id": [f"p{i}" for i in range(16)] * 2, "objective": "O1",
                         "moment": ["before"] * 16 + ["after"] * 16,
                         "response": [str(v) for v in np.concatenate([before, after])]})
    rows = pd.concat([rows, pd.DataFrame([{"participant_id": "late", "objective": "O1", "moment": "after",
                                           "response": "5"}])])  # rated only after: not paired
    got = confidence_change(rows).iloc[0]
    assert got["n"] == 16
    assert got["before_mean"] == pytest.approx(before.mean(), abs=EXACT)
    assert got["change_mean"] == pytest.approx((after - before).mean(), abs=EXACT)
    assert got["pct_confident_after"] == pytest.approx(100 * (after >= 4).mean(), abs=EXACT)
    # ties and zeros: the exact p over every sign pattern, stats.permutation_test on the signed ranks
    d = (after - before)[after != before].astype(float)
    signed = np.sign(d) * stats.rankdata(np.abs(d))
    expected = stats.permutation_test((signed,), lambda x, axis: np.where(x > 0, x, 0).sum(axis=axis),
                                      permutation_type="samples", n_resamples=np.inf, vectorized=True)
    assert got["wilcoxon_p"] == pytest.approx(expected.pvalue, rel=1e-9)


def test_the_one_group_caveat_is_one_line():
    assert "\n" not in ONE_GROUP_CAVEAT and "comparison group" in ONE_GROUP_CAVEAT
    assert "testing" in ONE_GROUP_CAVEAT and "maturation" in ONE_GROUP_CAVEAT
