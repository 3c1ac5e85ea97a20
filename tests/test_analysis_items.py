"""Item analysis, reliability, distractors and McNemar per item, against scipy, statsmodels, pingouin or by hand."""

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from toolkit.analysis import (
    AnalysisError,
    adjust_p_values,
    discrimination_band,
    distractor_analysis,
    item_mcnemar,
    item_statistics,
    reliability,
)

EXACT = 1e-12

# Ten people, five one-point questions; totals 0, 1, 1, 2, 2, 2, 3, 4, 4, 4, so the 27% groups
# (round(2.7) = 3 people) are p0-p2 and p7-p9 with no tie at either cut.
KELLEY = np.array([
    [0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1],
    [1, 1, 0, 0, 0],
    [1, 0, 1, 0, 0],
    [0, 1, 0, 0, 1],
    [1, 1, 1, 0, 0],
    [1, 1, 1, 1, 0],
    [1, 1, 0, 1, 1],
    [1, 1, 1, 1, 0],
])


def long(matrix, kind="pretest", maxima=None, people=None):
    matrix = np.asarray(matrix, dtype=float)
    maxima = np.ones(matrix.shape[1]) if maxima is None else maxima
    people = people or [f"p{i}" for i in range(matrix.shape[0])]
    return pd.DataFrame([{"participant_id": people[i], "activity_kind": kind, "question_id": f"q{j + 1}",
                          "points": matrix[i, j], "max_points": float(maxima[j])}
                         for i in range(matrix.shape[0]) for j in range(matrix.shape[1])])


def random_test(n=40, k=8, seed=11):
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n, 1))
    difficulty = np.linspace(-1.5, 1.5, k)
    return (rng.random((n, k)) < 1 / (1 + np.exp(-(ability - difficulty)))).astype(float)


# ---------------------------------------------------------------- facility and discrimination


def test_facility_and_upper_lower_discrimination_worked_by_hand():
    got = item_statistics(long(KELLEY)).set_index("question_id")
    # facility = people right / 10
    assert got["facility"].tolist() == pytest.approx([0.7, 0.6, 0.4, 0.3, 0.3], abs=EXACT)
    assert got["facility_useful"].tolist() == [True, True, True, True, True]  # 0.3 and 0.7 are inside the range
    # upper p7-p9: 3/3, 3/3, 2/3, 3/3, 1/3; lower p0-p2: 1/3, 0, 0, 0, 1/3
    assert got["upper_facility"].tolist() == pytest.approx([1, 1, 2 / 3, 1, 1 / 3], abs=EXACT)
    assert got["lower_facility"].tolist() == pytest.approx([1 / 3, 0, 0, 0, 1 / 3], abs=EXACT)
    assert got["discrimination"].tolist() == pytest.approx([2 / 3, 1, 2 / 3, 1, 0], abs=EXACT)
    assert got["discrimination_band"].tolist() == ["very good"] * 4 + ["poor"]


# Ten people; totals 0, 1, 1, 1, 1, 2, 3, 3, 3, 4: the bottom 3 places go to p0 and two of the four tied at 1
# (p1-p4), the top 3 to p9 and two of the three tied at 3 (p6-p8). Which two depended on their ids.
TIED = np.array([
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 1],
    [1, 1, 0, 0],
    [1, 1, 1, 0],
    [1, 1, 0, 1],
    [0, 1, 1, 1],
    [1, 1, 1, 1],
])


def test_people_tied_at_a_cut_share_its_places_worked_by_hand():
    got = item_statistics(long(TIED)).set_index("question_id")
    # lower: p0 in full, p1-p4 at 2/4 each. q1: (0 + 0.5 × (1 + 1 + 0 + 0))/3 = 1/3; q2: 0.5/3; q3: 0; q4: 0.5/3
    assert got["lower_facility"].tolist() == pytest.approx([1 / 3, 1 / 6, 0, 1 / 6], abs=EXACT)
    # upper: p9 in full, p6-p8 at 2/3 each. q1: (1 + 2/3 × 2)/3 = 7/9; q2: (1 + 2/3 × 3)/3 = 1; q3, q4: 7/9
    assert got["upper_facility"].tolist() == pytest.approx([7 / 9, 1, 7 / 9, 7 / 9], abs=EXACT)
    assert got["discrimination"].tolist() == pytest.approx([4 / 9, 5 / 6, 7 / 9, 11 / 18], abs=EXACT)


def test_relabelling_the_participants_changes_no_item_statistic():
    rng = np.random.default_rng(3)
    x = (rng.random((23, 6)) < np.linspace(0.2, 0.8, 6)).astype(float)  # 23 people, 6 items: many tied totals
    size = round(0.27 * 23)  # 6 places in each group
    totals = np.sort(x.sum(axis=1))
    assert totals[size - 1] == totals[size] and totals[-size] == totals[-size - 1]  # ties across both cuts
    responses = np.where(x == 1, "a", rng.choice(["b", "c", "d"], x.shape))
    answers = long(x).assign(response=responses.ravel())
    before_items = item_statistics(answers)
    before_alpha = reliability(answers)
    before_options = distractor_analysis(answers)
    for seed in range(5):  # the same people under other ids: their order among the tied changes
        ids = [f"p{i}" for i in range(23)]
        new = dict(zip(ids, np.random.default_rng(seed).permutation([f"x{i:02d}" for i in range(23)]), strict=True))
        relabelled = answers.assign(participant_id=answers["participant_id"].map(new))
        pd.testing.assert_frame_equal(item_statistics(relabelled), before_items, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(reliability(relabelled), before_alpha, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(distractor_analysis(relabelled), before_options, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize(("d", "band"), [
    (0.40, "very good"), (0.7 - 0.3, "very good"), (0.39, "good"), (0.30, "good"), (0.29, "revise"),
    (0.20, "revise"), (0.19, "poor"), (0.0, "poor"), (-0.01, "negative: check the key"), (float("nan"), "undefined"),
])
def test_discrimination_bands(d, band):
    assert discrimination_band(d) == band  # 0.7 - 0.3 is 0.39999999999999997: still .40


def test_item_rest_correlation_is_the_corrected_point_biserial_and_moodles_discrimination_index():
    x = random_test()
    got = item_statistics(long(x)).set_index("question_id")
    total = x.sum(axis=1)
    for j in range(x.shape[1]):
        expected = stats.pointbiserialr(x[:, j], total - x[:, j])
        assert got.loc[f"q{j + 1}", "item_rest_r"] == pytest.approx(expected.statistic, rel=1e-10)
        assert got.loc[f"q{j + 1}", "moodle_discrimination_index"] == pytest.approx(100 * expected.statistic, rel=1e-10)


def test_discriminative_efficiency_worked_by_hand():
    # q1 = x = 0 1 1 0 1; the rest (q2 + q3 + q4) = y = 2 3 0 1 2
    matrix = [[0, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 1]]
    got = item_statistics(long(matrix)).set_index("question_id").loc["q1"]
    # x - 0.6 = -.6 .4 .4 -.6 .4; y - 1.6 = .4 1.4 -1.6 -.6 .4; sum of products 0.2: cov = 0.2/4 = 0.05
    # sorted on their own: -.6 -.6 .4 .4 .4 and -1.6 -.6 .4 .4 1.4: sum 2.2, cov_max = 0.55; DE = 100 × 0.05/0.55
    assert got["moodle_discriminative_efficiency"] == pytest.approx(100 * 0.05 / 0.55, abs=1e-10)
    assert got["efficiency_low"]  # 9.09 < 15
    # var x = 1.2/4 = 0.3, var y = 5.2/4 = 1.3: DI = 100 × 0.05/sqrt(0.39)
    assert got["moodle_discrimination_index"] == pytest.approx(100 * 0.05 / math.sqrt(0.39), abs=1e-10)


def test_items_that_do_not_vary_and_tiny_groups_give_nan_not_errors():
    ceiling = item_statistics(long(np.ones((6, 3)))).iloc[0]
    assert ceiling["facility"] == 1 and math.isnan(ceiling["item_rest_r"])
    assert math.isnan(ceiling["moodle_discriminative_efficiency"]) and not ceiling["efficiency_low"]
    one = item_statistics(long([[1, 0, 1]])).iloc[0]
    assert math.isnan(one["discrimination"]) and math.isnan(one["item_rest_r"])
    assert one["discrimination_band"] == "undefined"


def test_each_test_kind_is_analysed_on_its_own():
    answers = pd.concat([long(KELLEY, "pretest"), long(1 - KELLEY, "posttest")])
    got = item_statistics(answers).set_index(["activity_kind", "question_id"])
    assert got.loc[("posttest", "q1"), "facility"] == pytest.approx(0.3, abs=EXACT)
    assert got.loc[("pretest", "q1"), "facility"] == pytest.approx(0.7, abs=EXACT)


# ---------------------------------------------------------------- reliability


def test_cronbach_alpha_agrees_with_pingouin_and_kr20_is_alpha_with_the_same_ddof():
    x = random_test()
    got = reliability(long(x)).iloc[0]
    expected_alpha, _ci = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert got["cronbach_alpha"] == pytest.approx(expected_alpha, rel=1e-10)
    # KR-20 as textbooks write it, with p·q and the variance of the totals both over n (ddof 0)
    k, p = x.shape[1], x.mean(axis=0)
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var(ddof=0))
    assert got["kr20"] == pytest.approx(kr20, rel=1e-10)
    assert got["kr20"] == pytest.approx(got["cronbach_alpha"], rel=1e-12)


def test_moodles_cic_error_ratio_and_standard_error_follow_from_alpha_and_the_sd():
    x = random_test()
    got = reliability(long(x)).iloc[0]
    percent = 100 * x.sum(axis=1) / x.shape[1]
    sd = percent.std(ddof=1)
    alpha = got["cronbach_alpha"]
    assert got["sd_pct"] == pytest.approx(sd, rel=EXACT)
    assert got["cic"] == pytest.approx(100 * alpha, rel=EXACT)
    assert got["error_ratio"] == pytest.approx(100 * math.sqrt(1 - alpha), rel=1e-10)
    assert got["standard_error"] == pytest.approx(100 * math.sqrt(1 - alpha) * sd / 100, rel=1e-10)


def test_partial_credit_has_alpha_but_no_kr20():
    x = random_test()
    x[:, 0] = x[:, 0] * 2  # a 2-point question scored 0 or 2 is still right/wrong
    x[::3, 1] = 0.5  # but half marks are not
    got = reliability(long(x, maxima=[2] + [1] * 7)).iloc[0]
    expected_alpha, _ci = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert got["cronbach_alpha"] == pytest.approx(expected_alpha, rel=1e-10)
    assert math.isnan(got["kr20"])


def test_reliability_is_undefined_for_one_person_or_one_item():
    assert math.isnan(reliability(long([[1, 0, 1]])).iloc[0]["cronbach_alpha"])
    assert math.isnan(reliability(long([[1], [0], [1]])).iloc[0]["cronbach_alpha"])


# ---------------------------------------------------------------- McNemar


def paired_items(seed=5, n=30, k=6):
    rng = np.random.default_rng(seed)
    before = (rng.random((n, k)) < np.linspace(0.2, 0.8, k)).astype(float)
    after = np.where(rng.random((n, k)) < 0.35, 1.0, before)  # some learn
    after = np.where(rng.random((n, k)) < 0.08, 0.0, after)  # a few forget
    after[:, -1] = before[:, -1]  # nobody changes on the last question: b + c = 0
    return before, after


def test_mcnemar_per_item_agrees_with_statsmodels_and_scipy_binomtest():
    before, after = paired_items()
    answers = pd.concat([long(before, "pretest"), long(after, "posttest")])
    got = item_mcnemar(answers).set_index("question_id")
    for j in range(before.shape[1] - 1):
        pre, post = before[:, j].astype(bool), after[:, j].astype(bool)
        a, b, c, d = (pre & post).sum(), (pre & ~post).sum(), (~pre & post).sum(), (~pre & ~post).sum()
        row = got.loc[f"q{j + 1}"]
        assert row[["right_both", "b_right_to_wrong", "c_wrong_to_right", "wrong_both"]].tolist() == [a, b, c, d]
        expected = mcnemar([[a, b], [c, d]], exact=True)
        assert row["p_exact"] == pytest.approx(expected.pvalue, rel=1e-10)
        expected = stats.binomtest(min(b, c), b + c, 0.5)
        assert row["p_exact"] == pytest.approx(expected.pvalue, rel=1e-10)
    assert got.loc["q6", "p_exact"] == 1.0  # b + c = 0: no evidence of change


@pytest.mark.parametrize(("correction", "statsmodels_method", "name"), [
    ("holm", "holm", "Holm"), ("bh", "fdr_bh", "Benjamini-Hochberg"),
])
def test_mcnemar_corrections_agree_with_statsmodels_multipletests_and_are_named(correction, statsmodels_method, name):
    before, after = paired_items()
    got = item_mcnemar(pd.concat([long(before, "pretest"), long(after, "posttest")]), correction=correction)
    expected = multipletests(got["p_exact"], method=statsmodels_method)[1]
    assert got["p_adjusted"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert (got["correction"] == name).all()


def test_adjusted_p_values_with_ties_and_ones_agree_with_statsmodels():
    p = np.array([0.01, 0.04, 0.04, 0.03, 1.0, 0.2, 0.001, 1.0])
    for method, statsmodels_method in (("holm", "holm"), ("bh", "fdr_bh")):
        expected = multipletests(p, method=statsmodels_method)[1]
        assert adjust_p_values(p, method) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(AnalysisError, match="Unknown correction"):
        adjust_p_values(p, "bonferroni")


def test_mcnemar_follows_code_pairs_and_skips_questions_of_one_form_only():
    before, after = paired_items(n=8, k=3)
    pre = long(before, "pretest")
    post = long(after, "posttest", people=[f"later{i}" for i in range(8)])
    post.loc[post["question_id"] == "q3", "question_id"] = "formB-q3"  # parallel form: another question
    pairs = pd.DataFrame({"pre_participant_id": [f"p{i}" for i in range(8)],
                          "post_participant_id": [f"later{i}" for i in range(8)], "rule": "exact code"})
    got = item_mcnemar(pd.concat([pre, post]), pairs)
    assert got["question_id"].tolist() == ["q1", "q2"] and (got["n_pairs"] == 8).all()


# ---------------------------------------------------------------- distractors


def distractor_answers():
    """25 people; q1's key is a. 15 choose a (and score 50%), 7 choose b (75%), 1 c (0%), 2 leave it blank (0%)."""
    rows = []
    choices = ["a"] * 15 + ["b"] * 7 + ["c"] + [None] * 2
    for i, choice in enumerate(choices):
        others = {"a": [1, 0, 0], "b": [1, 1, 1], "c": [0, 0, 0], None: [0, 0, 0]}[choice]
        rows.append({"participant_id": f"p{i}", "activity_kind": "pretest", "question_id": "q1",
                     "points": float(choice == "a"), "max_points": 1.0, "response": choice})
        rows += [{"participant_id": f"p{i}", "activity_kind": "pretest", "question_id": f"q{j + 2}",
                  "points": float(v), "max_points": 1.0, "response": None} for j, v in enumerate(others)]
    return pd.DataFrame(rows)


def test_distractors_worked_by_hand():
    got = distractor_analysis(distractor_answers(), options={"q1": ["a", "b", "c", "d"]})
    got = got[got["question_id"] == "q1"].set_index("option")
    assert got["n_takers"].eq(25).all()
    # chosen: a 15/25 = 60%, b 7/25 = 28%, c 1/25 = 4%, d 0%
    assert got["pct_chosen"].tolist() == pytest.approx([60, 28, 4, 0], abs=EXACT)
    assert got["is_key"].tolist() == [True, False, False, False]
    # b: choosers 75%; the rest (15 × 50 + 3 × 0)/18 = 41.67%: choosers score higher, review it
    assert got.loc["b", "mean_score_choosers"] == pytest.approx(75, abs=EXACT)
    assert got.loc["b", "mean_score_rest"] == pytest.approx(750 / 18, abs=EXACT)
    assert got.loc["b", "verdict"] == "review: its choosers score higher than the rest"
    # c: 4% < 5%, and d nobody: they do not function
    assert got.loc[["c", "d"], "verdict"].tolist() == ["does not function (chosen by < 5%)"] * 2
    assert got.loc["c", "mean_score_rest"] == pytest.approx((15 * 50 + 7 * 75) / 24, abs=EXACT)
    assert got.loc["a", "verdict"] == "key"


def test_multiple_response_keys_are_inferred_from_full_marks_or_given():
    rows = pd.DataFrame({
        "participant_id": ["p1", "p2", "p3", "p4"], "activity_kind": "posttest", "question_id": "m",
        "points": [1.0, 0.5, 0.0, 0.0], "max_points": 1.0, "response": [["x", "y"], ["x"], ["x", "z"], []],
    })
    got = distractor_analysis(rows).set_index("option")
    assert got["is_key"].tolist() == [True, True, False]
    assert got["n_chosen"].tolist() == [3, 1, 1]
    nobody_right = rows.assign(points=0.0)
    unknown = distractor_analysis(nobody_right)
    assert unknown["is_key"].isna().all() and (unknown["verdict"] == "key unknown").all()
    given = distractor_analysis(nobody_right, key={"m": ["x", "y"]}).set_index("option")
    assert given["is_key"].tolist() == [True, True, False]
