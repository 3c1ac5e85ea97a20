"""Scores, gains, paired tests and bootstrap intervals, checked against scipy and pingouin or worked by hand."""

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from toolkit.analysis import (
    NO_INTERVAL,
    AnalysisError,
    bootstrap_ci,
    gain_band,
    gain_by_objective,
    gain_intervals,
    gain_summary,
    paired_tests,
    participant_gains,
    pre_post_scores,
    scores_per_person,
)

EXACT = 1e-12  # deterministic arithmetic: the same numbers up to rounding


def scores(pre, post):
    return pd.DataFrame({"participant_id": [f"p{i}" for i in range(len(pre))], "pre": pre, "post": post})


def answers_from(percent_pre, percent_post, items=10):
    """A test of `items` one-point questions on which each person scores the given percentages."""
    rows = []
    for kind, percents in (("pretest", percent_pre), ("posttest", percent_post)):
        for i, pct in enumerate(percents):
            right = round(pct * items / 100)
            rows += [{"participant_id": f"p{i}", "activity_kind": kind, "question_id": f"q{j}",
                      "points": float(j < right), "max_points": 1.0} for j in range(items)]
    return pd.DataFrame(rows)


def cohort(n=20, seed=7):
    """Percent scores in steps of 10, so there are ties and zero differences, as in a real 10-item test."""
    rng = np.random.default_rng(seed)
    pre = rng.integers(2, 9, n) * 10.0
    post = np.clip(pre + rng.integers(-1, 4, n) * 10.0, 0, 100)
    return pre, post


# ---------------------------------------------------------------- scores


def test_a_score_is_the_percent_of_the_maximum_over_the_questions_of_the_activity():
    answers = pd.DataFrame({"participant_id": ["a"] * 3, "activity_kind": ["pretest"] * 3,
                            "question_id": ["q1", "q2", "q3"], "points": [1.0, 0.5, 0.0], "max_points": [1.0, 1.0, 2.0]})
    got = scores_per_person(answers)
    # (1 + 0.5 + 0) / (1 + 1 + 2) = 1.5 / 4 = 37.5 %
    assert got.loc[0, "percent"] == 37.5
    assert got.loc[0, "n_items"] == 3


def test_full_marks_from_fractional_points_are_exactly_100():
    answers = pd.DataFrame({"participant_id": ["a"] * 3, "activity_kind": ["posttest"] * 3, "question_id": ["x", "y", "z"],
                            "points": [0.1, 0.2, 0.7], "max_points": [0.1, 0.2, 0.7]})
    assert scores_per_person(answers).loc[0, "percent"] == 100.0  # so that g_i knows this person is at the ceiling


def test_pre_post_scores_pairs_by_participant_and_leaves_out_who_missed_a_test():
    answers = answers_from([40, 60, 80], [70, 80])  # p2 missed the post-test
    got = pre_post_scores(answers)
    assert got["participant_id"].tolist() == ["p0", "p1"]
    assert got[["pre", "post", "gain"]].to_numpy().tolist() == [[40, 70, 30], [60, 80, 20]]


def test_pre_post_scores_follow_code_pairs_to_the_post_tests_own_participant():
    answers = answers_from([40], [70])
    answers.loc[answers["activity_kind"] == "posttest", "participant_id"] = "new-device"
    pairs = pd.DataFrame({"pre_participant_id": ["p0"], "post_participant_id": ["new-device"], "rule": ["exact code"]})
    got = pre_post_scores(answers, pairs)
    assert got.iloc[0][["participant_id", "post_participant_id", "match_rule", "pre", "post"]].tolist() == [
        "p0", "new-device", "exact code", 40, 70]


# ---------------------------------------------------------------- gains


def test_class_gain_and_g_avg_are_different_numbers_and_both_are_labelled():
    got = gain_summary(scores([0, 90], [50, 100])).set_index("statistic")
    # <pre> = 45, <post> = 75: <g> = (75 - 45)/(100 - 45) = 30/55 = 0.5454…
    assert got.at["class_g", "value"] == pytest.approx(30 / 55, abs=EXACT)
    assert got.at["class_g", "band"] == "medium"
    # g_i = 50/100 = 0.5 and 10/10 = 1.0: g_avg = 0.75, not <g>
    assert got.at["g_avg", "value"] == pytest.approx(0.75, abs=EXACT)
    assert "<g>" in got.at["class_g", "label"] and "not <g>" in got.at["g_avg", "label"]
    assert got.at["mean_gain", "value"] == pytest.approx(30, abs=EXACT)


def test_normalized_change_follows_marx_and_cummings_and_drops_0_0_and_100_100():
    pre = [50, 60, 40, 100, 0, 100]
    post = [75, 30, 40, 100, 0, 80]
    people = participant_gains(scores(pre, post))
    # c: 25/50 = 0.5; -30/60 = -0.5; equal: 0; 100/100 and 0/0 dropped; (80 - 100)/100 = -0.2
    assert people["normalized_change"].tolist()[:3] == [0.5, -0.5, 0.0]
    assert math.isnan(people["normalized_change"][3]) and math.isnan(people["normalized_change"][4])
    assert people["normalized_change"][5] == pytest.approx(-0.2, abs=EXACT)
    # g_i is undefined at pre = 100 (rows 3 and 5); 0/0 gives g = 0/100 = 0
    assert people["g"].isna().tolist() == [False, False, False, True, False, True]
    summary = gain_summary(scores(pre, post)).set_index("statistic")
    # c_avg = (0.5 - 0.5 + 0 - 0.2)/4 = -0.05 over 4 people
    assert summary.at["normalized_change", "value"] == pytest.approx(-0.05, abs=EXACT)
    assert summary.at["normalized_change", "n"] == 4
    # g_avg = (25/50 - 30/40 + 0 + 0)/4 = (0.5 - 0.75)/4 = -0.0625 over the 4 with pre < 100
    assert summary.at["g_avg", "value"] == pytest.approx(-0.0625, abs=EXACT)
    assert summary.at["g_avg", "n"] == 4


@pytest.mark.parametrize(("g", "band"), [
    (-0.2, "low"), (0.29, "low"), (0.3, "medium"), (0.1 + 0.2, "medium"), (0.5, "medium"), (0.7, "medium"),
    (0.7 + 1e-12, "medium"), (0.71, "high"), (1.0, "high"), (float("nan"), "undefined"),
])
def test_hake_bands_low_below_0_3_medium_to_0_7_high_above(g, band):
    assert gain_band(g) == band


def test_everyone_at_the_ceiling_leaves_gains_and_tests_undefined_without_failing():
    ceiling = scores([100] * 6, [100] * 6)
    summary = gain_summary(ceiling).set_index("statistic")
    assert math.isnan(summary.at["class_g", "value"]) and summary.at["class_g", "band"] == "undefined"
    assert math.isnan(summary.at["g_avg", "value"]) and summary.at["g_avg", "n"] == 0
    assert math.isnan(summary.at["normalized_change", "value"]) and summary.at["normalized_change", "n"] == 0
    assert math.isnan(summary.at["class_g", "ci_low"])
    assert (summary.at["mean_gain", "ci_low"], summary.at["mean_gain", "ci_high"]) == (0, 0)
    tests = paired_tests(ceiling).set_index("test")
    assert tests["p_value"].isna().all()
    assert "no spread" in tests.at["paired t-test", "note"]
    assert "no participant changed" in tests.at["Wilcoxon signed-rank", "note"]


def test_gain_by_objective_counts_a_question_for_each_of_its_objectives():
    rows = []
    for kind, points in (("pretest", [1, 0, 0]), ("posttest", [1, 1, 1])):
        rows += [{"participant_id": "a", "activity_kind": kind, "question_id": q, "objective": obj,
                  "points": float(p), "max_points": 1.0}
                 for q, obj, p in zip(["q1", "q2", "q3"], ["O1", ["O1", "O2"], "O2"], points, strict=True)]
    got = gain_by_objective(pd.DataFrame(rows)).set_index("objective")
    # O1 = q1 + q2: pre 1/2 = 50 %, post 100 %: <g> = 50/50 = 1.0. O2 = q2 + q3: pre 0 %, post 100 %: <g> = 1.0
    assert got.loc["O1", ["pre_mean", "post_mean", "class_g"]].tolist() == [50, 100, 1.0]
    assert got.loc["O2", ["pre_mean", "post_mean", "class_g", "band"]].tolist() == [0, 100, 1.0, "high"]


# ---------------------------------------------------------------- paired tests


def test_paired_t_test_and_d_z_agree_with_scipy_and_pingouin():
    pre, post = cohort()
    got = paired_tests(scores(pre, post)).set_index("test").loc["paired t-test"]
    expected = stats.ttest_rel(post, pre)
    assert got["statistic"] == pytest.approx(expected.statistic, rel=EXACT)
    assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert got["df"] == len(pre) - 1
    expected_dz = pg.compute_effsize(post, pre, paired=True, eftype="cohen_dz")
    assert got["effect_size"] == pytest.approx(expected_dz, rel=EXACT)
    assert got["effect_size"] == pytest.approx(expected.statistic / math.sqrt(len(pre)), rel=EXACT)  # d_z = t/sqrt(n)
    # pingouin's paired default is d_av = mean(d)/sqrt((s_pre² + s_post²)/2): another number, not reported as d_z
    d_av = pg.compute_effsize(post, pre, paired=True, eftype="cohen")
    assert abs(got["effect_size"] - d_av) > 0.05
    assert got["effect_size_name"].startswith("d_z")


def signed_rank_reference(d):
    """scipy's permutation test on the signed ranks (zeros dropped, ties at their average rank), every sign
    pattern enumerated (n_resamples=inf): the exact conditional p-value the toolkit must give."""
    d = np.asarray(d, dtype=float)
    nonzero = d[d != 0]
    signed = np.sign(nonzero) * stats.rankdata(np.abs(nonzero))
    return stats.permutation_test((signed,), lambda x, axis: np.where(x > 0, x, 0).sum(axis=axis),
                                  permutation_type="samples", n_resamples=np.inf, vectorized=True, batch=2**14).pvalue


def test_wilcoxon_with_ties_and_zero_differences_agrees_with_a_full_permutation_test_and_pingouin():
    pre, post = cohort()
    d = post - pre
    assert (d == 0).any() and len(np.unique(np.abs(d[d != 0]))) < np.count_nonzero(d)  # ties and zeros present
    got = paired_tests(scores(pre, post)).set_index("test").loc["Wilcoxon signed-rank"]
    expected = stats.wilcoxon(d, zero_method="wilcox", correction=False)
    assert got["statistic"] == pytest.approx(expected.statistic, rel=EXACT)
    assert got["p_value"] == pytest.approx(signed_rank_reference(d), rel=1e-9)
    assert got["method"] == "permutation" and got["zero_method"] == "wilcox"
    expected_rbc = pg.wilcoxon(post, pre).iloc[0]["RBC"]
    assert got["effect_size"] == pytest.approx(expected_rbc, rel=1e-9)


# 20 pairs of a 10-item test: 5 zero differences and the rest tied in |d|. The normal approximation says
# p = 0.049 (significant); every sign pattern of the 15 changed scores says 0.073.
TWENTY = np.array([30, 10, 10, 0, 10, 0, -20, 0, 10, 10, -10, 0, 10, 10, 10, 0, 10, 10, 10, -10], dtype=float)


def test_wilcoxon_at_20_pairs_with_ties_and_zeros_is_exact_not_the_normal_approximation():
    got = paired_tests(scores(50 + 0 * TWENTY, 50 + TWENTY)).set_index("test").loc["Wilcoxon signed-rank"]
    # stats.permutation_test((signed ranks,), R+, permutation_type="samples", n_resamples=np.inf): 0.07318115234375
    assert signed_rank_reference(TWENTY) == pytest.approx(0.07318115234375, rel=1e-12)
    assert got["p_value"] == pytest.approx(0.07318115234375, rel=1e-12)
    # stats.wilcoxon(TWENTY, correction=False, method="asymptotic"): 0.0491, the p the toolkit printed before
    asymptotic = stats.wilcoxon(TWENTY, zero_method="wilcox", correction=False, method="asymptotic").pvalue
    assert asymptotic == pytest.approx(0.04911, abs=1e-5)
    assert got["method"] == "permutation" and "5 zero difference(s) dropped" in got["note"]


def test_wilcoxon_is_exact_up_to_50_pairs_and_beyond():
    rng = np.random.default_rng(5)
    untied = rng.permutation(np.arange(1, 51)) * rng.choice([-1, 1], 50, p=[0.3, 0.7])  # 50 distinct |d|
    w = paired_tests(scores(np.zeros(50), untied.astype(float))).set_index("test").loc["Wilcoxon signed-rank"]
    assert w["method"] == "exact"
    assert w["p_value"] == pytest.approx(stats.wilcoxon(untied, method="exact").pvalue, rel=1e-9)
    # 50 pairs with ties and zeros: 2^47 sign patterns are too many to list, so the reference samples 20,000
    tied = rng.choice([-20, -10, 0, 10, 10, 20, 30], 50).astype(float)
    w = paired_tests(scores(np.full(50, 40.0), 40 + tied)).set_index("test").loc["Wilcoxon signed-rank"]
    assert w["method"] == "permutation"
    nonzero = tied[tied != 0]
    signed = np.sign(nonzero) * stats.rankdata(np.abs(nonzero))
    sampled = stats.permutation_test((signed,), lambda x, axis: np.where(x > 0, x, 0).sum(axis=axis),
                                     permutation_type="samples", n_resamples=20000, vectorized=True,
                                     rng=np.random.default_rng(0)).pvalue
    # a Monte Carlo p of 20,000 resamples has SE sqrt(p(1 - p)/20000): 4 SE either side
    assert w["p_value"] == pytest.approx(sampled, abs=4 * math.sqrt(sampled * (1 - sampled) / 20000) + 1e-4)
    asymptotic = stats.wilcoxon(tied, zero_method="wilcox", correction=False, method="asymptotic").pvalue
    assert w["p_value"] != pytest.approx(asymptotic, rel=1e-6)


def test_wilcoxon_worked_by_hand_drops_zeros_and_shares_ranks_among_ties():
    got = paired_tests(scores([50, 60, 70, 80, 90, 40, 55], [60, 65, 70, 75, 100, 60, 55])).set_index("test")
    w = got.loc["Wilcoxon signed-rank"]
    # d = 10, 5, 0, -5, 10, 20, 0; zeros dropped; |d| = 10, 5, 5, 10, 20 rank 3.5, 1.5, 1.5, 3.5, 5
    # R+ = 3.5 + 1.5 + 3.5 + 5 = 13.5, R- = 1.5, W = 1.5, r = (13.5 - 1.5)/15 = 0.8
    assert (w["r_plus"], w["r_minus"], w["statistic"], w["n_nonzero"]) == (13.5, 1.5, 1.5, 5)
    assert w["effect_size"] == pytest.approx(0.8, abs=EXACT)
    assert w["method"] == "permutation" and "2 zero difference(s) dropped" in w["note"]
    expected = stats.wilcoxon([10, 5, 0, -5, 10, 20, 0], zero_method="wilcox", method=stats.PermutationMethod())
    assert w["p_value"] == pytest.approx(expected.pvalue, rel=EXACT)


def test_wilcoxon_exact_p_worked_by_hand():
    w = paired_tests(scores([0, 0, 0, 0, 0], [1, 2, 3, 4, 5])).set_index("test").loc["Wilcoxon signed-rank"]
    # all five differences positive: R- = 0; of the 2^5 = 32 sign patterns, one gives R- = 0 and one R+ = 0: p = 2/32
    assert w["method"] == "exact" and w["statistic"] == 0
    assert w["p_value"] == pytest.approx(2 / 32, abs=EXACT)
    assert w["effect_size"] == 1.0


def test_fewer_than_two_pairs_say_so():
    tests = paired_tests(scores([40], [60])).set_index("test")
    assert math.isnan(tests.at["paired t-test", "p_value"]) and tests.at["paired t-test", "note"] == "fewer than 2 pairs"
    # one positive difference: of the two sign patterns, each is as extreme as the other: p = 1
    assert tests.at["Wilcoxon signed-rank", "p_value"] == pytest.approx(1.0)
    summary = gain_summary(scores([40], [60])).set_index("statistic")
    assert summary.at["class_g", "value"] == pytest.approx(20 / 60, abs=EXACT)  # (60 - 40)/(100 - 40)
    assert math.isnan(summary.at["class_g", "ci_low"])


def test_equal_differences_have_no_spread_even_when_their_computed_sd_is_a_rounding_error():
    d = np.full(3, 0.1)
    assert d.std(ddof=1) > 0  # 0.1 + 0.1 + 0.1 is not 0.3 in floating point
    t = paired_tests(scores([0, 0, 0], d)).set_index("test").loc["paired t-test"]
    assert math.isnan(t["statistic"]) and "no spread" in t["note"]


def test_no_pairs_give_an_empty_but_well_formed_summary():
    summary = gain_summary(scores([], []))
    assert summary["n"].eq(0).all() and summary["value"].isna().all()


# ---------------------------------------------------------------- intervals


def test_the_mean_gain_interval_is_the_paired_t_interval():
    pre, post = cohort(n=22, seed=4)
    got = gain_intervals(scores(pre, post)).set_index("statistic").loc["mean_gain"]
    # stats.ttest_rel(post, pre).confidence_interval(0.95)
    expected = stats.ttest_rel(post, pre).confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((expected.low, expected.high), rel=1e-12)
    assert got["method"] == "t" and got["interval"] == "Student t-interval, n - 1 df"


def test_the_class_g_interval_is_a_t_interval_on_the_linearised_ratio():
    pre, post = cohort(n=10, seed=9)
    got = gain_intervals(scores(pre, post)).set_index("statistic").loc["class_g"]
    room = 100 - pre.mean()
    g = (post.mean() - pre.mean()) / room
    # <g> = mean(d)/mean(100 - pre): its delta-method terms z_i = (d_i - <g>(100 - pre_i))/(100 - <pre>) have
    # mean 0, so <g> + stats.ttest_1samp(z, 0).confidence_interval() is the interval
    z = ((post - pre) - g * (100 - pre)) / room
    expected = stats.ttest_1samp(z, 0).confidence_interval(0.95)
    assert got["value"] == pytest.approx(g, rel=EXACT)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((g + expected.low, g + expected.high), rel=1e-10)
    assert "delta method" in got["interval"]


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_under_five_people_no_interval_is_meaningful_and_the_marker_says_so(n):
    pre, post = cohort(n=n, seed=2)
    for method in ("t", "bca", "percentile"):
        got = gain_intervals(scores(pre, post), method=method)
        assert got["interval"].tolist() == [NO_INTERVAL, NO_INTERVAL]
        assert got["ci_low"].isna().all() and got["ci_high"].isna().all()
    summary = gain_summary(scores(pre, post)).set_index("statistic")
    assert summary.at["mean_gain", "interval"] == summary.at["class_g", "interval"] == NO_INTERVAL
    assert summary.at["mean_gain", "value"] == pytest.approx((post - pre).mean(), abs=EXACT)  # the value stays


def test_five_people_get_an_interval():
    got = gain_intervals(scores([40, 50, 60, 70, 80], [60, 50, 80, 90, 100])).set_index("statistic")
    assert got["interval"].ne(NO_INTERVAL).all() and got["ci_low"].notna().all()
    assert (got["ci_low"] < got["value"]).all() and (got["value"] < got["ci_high"]).all()


@pytest.mark.parametrize("method", ["t", "bca", "percentile"])
def test_equal_gains_give_an_interval_of_no_width(method):
    got = gain_intervals(scores([40, 50, 60, 70, 80], [50, 60, 70, 80, 90]), method=method).set_index("statistic")
    assert (got.at["mean_gain", "ci_low"], got.at["mean_gain", "ci_high"]) == pytest.approx((10, 10), abs=1e-9)


def test_unknown_interval_method_is_named():
    with pytest.raises(AnalysisError, match="Unknown interval method 'wald'"):
        gain_intervals(scores([40] * 6, [60] * 6), method="wald")


def test_bootstrap_intervals_are_reproducible_and_need_2000_resamples():
    pre, post = cohort()
    first = bootstrap_ci(scores(pre, post))
    again = bootstrap_ci(scores(pre, post))
    other = bootstrap_ci(scores(pre, post), seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert not first[["ci_low", "ci_high"]].equals(other[["ci_low", "ci_high"]])
    assert (first["n_resamples"] == 2000).all() and (first["method"] == "bca").all()
    with pytest.raises(AnalysisError, match="at least 2000"):
        bootstrap_ci(scores(pre, post), n_resamples=500)


def class_g_statistic(pre_, post_, axis=-1):
    pre_mean, post_mean = pre_.mean(axis=axis), post_.mean(axis=axis)
    return (post_mean - pre_mean) / (100 - pre_mean)


def mean_gain_statistic(pre_, post_, axis=-1):
    return (post_ - pre_).mean(axis=axis)


def test_bca_intervals_are_scipys_bca_on_the_paired_scores_with_the_fixed_seed():
    pre, post = cohort(n=22, seed=3)
    got = bootstrap_ci(scores(pre, post)).set_index("statistic")
    for name, statistic in (("class_g", class_g_statistic), ("mean_gain", mean_gain_statistic)):
        expected = stats.bootstrap((pre, post), statistic, paired=True, vectorized=True, n_resamples=2000,
                                   method="BCa", rng=np.random.default_rng(20260101)).confidence_interval
        assert (got.at[name, "ci_low"], got.at[name, "ci_high"]) == pytest.approx((expected.low, expected.high),
                                                                                    rel=1e-12)


def test_percentile_intervals_agree_with_scipy_percentile_bootstrap():
    pre, post = cohort(n=25, seed=3)
    got = bootstrap_ci(scores(pre, post), n_resamples=20000, method="percentile").set_index("statistic")
    for name, statistic in (("class_g", class_g_statistic), ("mean_gain", mean_gain_statistic)):
        expected = stats.bootstrap((pre, post), statistic, paired=True, vectorized=True, n_resamples=20000,
                                   method="percentile", rng=np.random.default_rng(99))
        # Two independent Monte Carlo runs of 20,000: each 2.5% quantile wanders by about 0.02 bootstrap SE;
        # 0.15 SE is over five of those, yet well under the gap a wrong statistic or pairing would make.
        tolerance = 0.15 * expected.standard_error
        assert got.at[name, "ci_low"] == pytest.approx(expected.confidence_interval.low, abs=tolerance)
        assert got.at[name, "ci_high"] == pytest.approx(expected.confidence_interval.high, abs=tolerance)
        assert got.at[name, "ci_low"] < got.at[name, "value"] < got.at[name, "ci_high"]
