"""Scores, gains and paired tests: what the workshop changed, as the evaluation methods define it.

The answers frame holds one row per participant, activity and scored question (unanswered questions
included with 0 points, as toolkit.scoring.score_attempt counts them): participant_id, activity_kind
('pretest' | 'posttest'), question_id, points, max_points, and where needed workshop_id, session_id,
objective. A scores frame (from `pre_post_scores`) holds one row per matched participant:
participant_id, pre, post, gain (percent of the maximum; gain = post - pre in percentage points).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._common import (
    MIN_INTERVAL_N,
    NO_INTERVAL,
    POST,
    PRE,
    AnalysisError,
    as_text,
    class_gain,
    gain_band,
    gain_table,
    per_person_gains,
    require,
)
from .matching import match_by_participant_id

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20260101
WILCOXON_ZERO_METHOD = "wilcox"  # zero differences are dropped before ranking (Wilcoxon 1945)
WILCOXON_EXACT_MAX = 200  # non-zero differences up to which Wilcoxon's p is exact (counted, not approximated)
WILCOXON_METHODS = {  # the `method` of the Wilcoxon row, in words for the report
    "exact": "exact p",
    "permutation": "exact p over every sign pattern (ties or zero differences present)",
    "asymptotic": f"normal approximation (more than {WILCOXON_EXACT_MAX} changed scores)",
}
_BOOTSTRAP_CELLS = 4_000_000  # resampled values held at once: bounds memory for large cohorts
_PERCENT_DECIMALS = 10  # 100 * 7/7 must be exactly 100: a person at the ceiling is at the ceiling


def scores_per_person(answers: pd.DataFrame, by: tuple[str, ...] = ("participant_id", "activity_kind")) -> pd.DataFrame:
    """Each person's score per activity in percent of the maximum.

    `answers`: the columns in `by`, points, max_points. Returns the `by` columns, points, max_points,
    n_items, percent (NaN when the maximum is 0).
    """
    keys = list(by)
    require(answers, [*keys, "points", "max_points"], "answers")
    totals = answers.groupby(keys, sort=True, observed=True).agg(
        points=("points", "sum"), max_points=("max_points", "sum"), n_items=("points", "size"))
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(totals["max_points"] > 0, 100 * totals["points"] / totals["max_points"], np.nan)
    totals["percent"] = np.round(percent, _PERCENT_DECIMALS)
    return totals.reset_index()


def paired_percent(per_person: pd.DataFrame, pairs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pre and post percent side by side, one row per pair (and per `keys` value)."""
    columns = ["participant_id", "post_participant_id", "match_rule", *keys, "pre", "post", "gain"]
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("pre", "post", "gain") else object) for c in columns})
    kind = per_person["activity_kind"]
    pre = per_person.loc[kind == PRE, ["participant_id", *keys, "percent"]].rename(columns={"percent": "pre"})
    post = per_person.loc[kind == POST, ["participant_id", *keys, "percent"]].rename(
        columns={"participant_id": "post_participant_id", "percent": "post"})
    link = pairs.rename(columns={"pre_participant_id": "participant_id", "rule": "match_rule"})
    link = link.assign(participant_id=as_text(link["participant_id"]),
                       post_participant_id=as_text(link["post_participant_id"]))
    frame = link.merge(pre, on="participant_id").merge(post, on=["post_participant_id", *keys])
    frame = frame.dropna(subset=["pre", "post"])
    frame["gain"] = frame["post"] - frame["pre"]
    return frame.sort_values(["participant_id", *keys], ignore_index=True)[columns]


def pre_post_scores(answers: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per matched participant: pre, post and gain in percent of the maximum.

    `answers`: participant_id, activity_kind, points, max_points (workshop_id kept when present).
    `pairs`: from toolkit.analysis.matching (by participant id when None).
    Returns participant_id (the pre-test's), post_participant_id, match_rule, [workshop_id], pre, post, gain.
    """
    pairs = match_by_participant_id(answers) if pairs is None else pairs
    columns = ["participant_id", "activity_kind", "points", "max_points"]
    rows = answers[columns].assign(participant_id=as_text(answers["participant_id"]))
    frame = paired_percent(scores_per_person(rows), pairs, [])
    if "workshop_id" in answers.columns:
        pre = (answers["activity_kind"] == PRE).to_numpy()
        workshop = answers.loc[pre, "workshop_id"].groupby(rows.loc[pre, "participant_id"].to_numpy()).first()
        frame.insert(3, "workshop_id", frame["participant_id"].map(workshop))
    return frame


def participant_gains(scores: pd.DataFrame) -> pd.DataFrame:
    """Each person's g_i and normalized change c_i (Marx & Cummings 2007), next to pre and post.

    `scores`: participant_id, pre, post. Adds g (NaN at pre = 100: undefined) and normalized_change
    ((post - pre)/(100 - pre) when post > pre, (post - pre)/pre when post < pre, 0 when equal; NaN,
    i.e. dropped, when both are 0 or both 100).
    """
    require(scores, ["pre", "post"], "scores")
    g, c = per_person_gains(scores["pre"].to_numpy(float), scores["post"].to_numpy(float))
    return scores.assign(g=g, normalized_change=c)


INTERVAL_METHODS = {  # each method's interval of the mean gain and of <g>, in words
    "t": {"mean_gain": "Student t-interval, n - 1 df",
          "class_g": "t-interval on the linearised ratio (delta method), n - 1 df"},
    "bca": dict.fromkeys(("mean_gain", "class_g"), "BCa bootstrap of the paired scores (scipy.stats.bootstrap)"),
    "percentile": dict.fromkeys(("mean_gain", "class_g"), "percentile bootstrap of the paired scores"),
}
# The default: 92-96% coverage at n = 5 to 40, the percentile bootstrap 81-94% (benchmarks/interval_coverage.py)
INTERVAL_METHOD = "t"


def _percentile_resamples(pre: np.ndarray, post: np.ndarray, n_resamples: int,
                          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Resampled mean gain and <g>: participants are drawn with replacement, pre and post together."""
    rng = np.random.default_rng(seed)
    n = len(pre)
    gain = post - pre
    mean_gain = np.empty(n_resamples)
    class_g = np.empty(n_resamples)
    chunk = max(1, _BOOTSTRAP_CELLS // n)
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        mean_gain[start:stop] = gain[idx].mean(axis=1)
        pre_mean = pre[idx].mean(axis=1)
        class_g[start:stop] = class_gain(pre_mean, pre_mean + mean_gain[start:stop])
    return mean_gain, class_g


def _mean_gain_of(pre: np.ndarray, post: np.ndarray, axis: int = -1) -> np.ndarray:
    return (post - pre).mean(axis=axis)


def _class_g_of(pre: np.ndarray, post: np.ndarray, axis: int = -1) -> np.ndarray:
    return class_gain(pre.mean(axis=axis), post.mean(axis=axis))


def _t_intervals(pre: np.ndarray, post: np.ndarray, confidence: float) -> dict[str, tuple[float, float]]:
    """Mean gain: d̄ ± t·SD(d)/√n. <g> = d̄/(100 - pre̅), a ratio of means: the same t-interval on its
    linearisation (delta method), SE = SD(d_i - <g>·(100 - pre_i)) / (√n · (100 - pre̅)); n - 1 df for both."""
    n = len(pre)
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    d = post - pre
    bounds = {}
    se = d.std(ddof=1) / np.sqrt(n) if np.ptp(d) > 0 else 0.0  # equal differences: no spread, not a rounding error
    bounds["mean_gain"] = (d.mean() - q * se, d.mean() + q * se)
    room = 100 - pre.mean()
    if room > 0:
        g = d.mean() / room
        linear = d - g * (100 - pre)
        se = linear.std(ddof=1) / (np.sqrt(n) * room)
        bounds["class_g"] = (g - q * se, g + q * se)
    else:
        bounds["class_g"] = (np.nan, np.nan)
    return bounds


def _bca_intervals(pre: np.ndarray, post: np.ndarray, confidence: float, n_resamples: int,
                   seed: int) -> dict[str, tuple[float, float]]:
    bounds = {}
    batch = max(1, _BOOTSTRAP_CELLS // len(pre))
    for name, statistic in (("mean_gain", _mean_gain_of), ("class_g", _class_g_of)):
        value = float(statistic(pre, post))
        if not np.isfinite(value):
            bounds[name] = (np.nan, np.nan)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 in the acceleration of equal resamples
            result = stats.bootstrap((pre, post), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                                     confidence_level=confidence, method="BCa", batch=batch,
                                     rng=np.random.default_rng(seed))
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        spread = result.bootstrap_distribution
        if not np.isfinite(low + high) and np.isfinite(spread).all() and np.ptp(spread) <= 1e-12 * max(1, abs(value)):
            low = high = value  # every resample gives the same value (equal gains): BCa's NaN means a zero width
        bounds[name] = (low, high)
    return bounds


def _percentile_intervals(pre: np.ndarray, post: np.ndarray, confidence: float, n_resamples: int,
                          seed: int) -> dict[str, tuple[float, float]]:
    """Resamples in which every pre-test is at 100 leave <g> undefined and are left out of its interval."""
    alpha = 1 - confidence
    bounds = {}
    for name, sample in zip(("mean_gain", "class_g"), _percentile_resamples(pre, post, n_resamples, seed), strict=True):
        sample = sample[np.isfinite(sample)]
        bounds[name] = tuple(float(b) for b in np.quantile(sample, [alpha / 2, 1 - alpha / 2])) if len(sample) else (
            np.nan, np.nan)
    return bounds


def gain_intervals(scores: pd.DataFrame, method: str = INTERVAL_METHOD, n_resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = BOOTSTRAP_SEED, confidence: float = 0.95) -> pd.DataFrame:
    """Confidence intervals for the mean gain and for <g>, by a method that holds its level in small groups.

    `scores`: pre, post. `method`: 't' (default: Student t for the mean gain; for <g>, a ratio of means,
    the t-interval on its linearisation, i.e. the delta method), 'bca' (scipy's BCa bootstrap on the
    paired resamples) or 'percentile' (the percentile bootstrap: it covers too little under 40 people);
    the bootstrap methods use `n_resamples` (at least 2000) and the fixed `seed`.
    Returns statistic ('mean_gain' | 'class_g'), value, ci_low, ci_high, method, interval (the method
    in words, or NO_INTERVAL), n, n_resamples, seed. With fewer than MIN_INTERVAL_N (5) people no
    interval is meaningful: ci_low and ci_high are NaN and `interval` is NO_INTERVAL, the marker to
    render as words. Where <g> is undefined (every pre-test at 100) its interval is NaN; so is its BCa
    interval when a resample has every pre-test at 100 (the percentile method leaves such resamples out).
    """
    require(scores, ["pre", "post"], "scores")
    if method not in INTERVAL_METHODS:
        raise AnalysisError(f"Unknown interval method {method!r}: use one of {', '.join(INTERVAL_METHODS)}.")
    bootstrap = method != "t"
    if bootstrap and n_resamples < BOOTSTRAP_RESAMPLES:
        raise AnalysisError(f"A bootstrap needs at least {BOOTSTRAP_RESAMPLES} resamples, not {n_resamples}.")
    pre, post = scores["pre"].to_numpy(float), scores["post"].to_numpy(float)
    n = len(pre)
    values = {"mean_gain": float(np.mean(post - pre)) if n else np.nan,
              "class_g": float(class_gain(pre.mean(), post.mean())) if n else np.nan}
    if n < MIN_INTERVAL_N:
        bounds = dict.fromkeys(values, (np.nan, np.nan))
        used, words = None, NO_INTERVAL
    else:
        if method == "t":
            bounds = _t_intervals(pre, post, confidence)
        elif method == "bca":
            bounds = _bca_intervals(pre, post, confidence, n_resamples, seed)
        else:
            bounds = _percentile_intervals(pre, post, confidence, n_resamples, seed)
        used, words = method, INTERVAL_METHODS[method]
        if bootstrap:
            words = {k: f"{w}, {n_resamples} resamples, seed {seed}" for k, w in words.items()}
    return pd.DataFrame([{"statistic": k, "value": v, "ci_low": float(bounds[k][0]), "ci_high": float(bounds[k][1]),
                          "method": used, "interval": words if used is None else words[k], "n": n,
                          "n_resamples": n_resamples if bootstrap else 0, "seed": seed if bootstrap else None}
                         for k, v in values.items()])


def bootstrap_ci(scores: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 confidence: float = 0.95, method: str = "bca") -> pd.DataFrame:
    """Bootstrap intervals for the mean gain and <g> (BCa, or 'percentile'), with a fixed seed: see gain_intervals."""
    if method not in ("bca", "percentile"):
        raise AnalysisError(f"Unknown bootstrap method {method!r}: use 'bca' or 'percentile'.")
    return gain_intervals(scores, method, n_resamples, seed, confidence)


def gain_summary(scores: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 confidence: float = 0.95, method: str = INTERVAL_METHOD) -> pd.DataFrame:
    """The report's gain table: means, mean gain and <g> with their intervals, g_avg, normalized change.

    `scores`: pre, post (from pre_post_scores). Returns statistic, label, value, ci_low, ci_high,
    interval (how the interval was made, NO_INTERVAL under 5 people; None for rows without one), n, band:
    - pre_mean, post_mean: mean scores in percent;
    - mean_gain: mean of post - pre in percentage points, with its interval (gain_intervals, `method`);
    - class_g: <g>, Hake's class-average normalized gain, with its band and interval;
    - g_avg: the average of per-person g_i, people with pre = 100 left out (not <g>: a different number);
    - normalized_change: the average of Marx & Cummings' c_i, people at 0/0 or 100/100 dropped.
    """
    people = participant_gains(scores)
    n = len(people)
    ci = gain_intervals(scores, method, n_resamples, seed, confidence).set_index("statistic")
    pre_mean = people["pre"].mean() if n else np.nan
    post_mean = people["post"].mean() if n else np.nan
    g_used = people["g"].dropna()
    c_used = people["normalized_change"].dropna()
    rows = [
        ("pre_mean", "Pre-test mean (% of maximum)", pre_mean, None, n, None),
        ("post_mean", "Post-test mean (% of maximum)", post_mean, None, n, None),
        ("mean_gain", "Mean gain, post - pre (percentage points)", ci.at["mean_gain", "value"], "mean_gain", n, None),
        ("class_g", "<g>: class-average normalized gain (Hake), (<post> - <pre>)/(100 - <pre>)",
         ci.at["class_g", "value"], "class_g", n, gain_band(ci.at["class_g", "value"])),
        ("g_avg", "g_avg: average of per-participant g_i, pre = 100 left out (not <g>)",
         g_used.mean() if len(g_used) else np.nan, None, len(g_used), None),
        ("normalized_change", "Average normalized change c (Marx & Cummings 2007), 0/0 and 100/100 dropped",
         c_used.mean() if len(c_used) else np.nan, None, len(c_used), None),
    ]
    return pd.DataFrame([{
        "statistic": key, "label": label, "value": float(value),
        "ci_low": ci.at[interval, "ci_low"] if interval else np.nan,
        "ci_high": ci.at[interval, "ci_high"] if interval else np.nan,
        "interval": ci.at[interval, "interval"] if interval else None,
        "n": int(count), "band": band,
    } for key, label, value, interval, count, band in rows])


@dataclass(frozen=True)
class ClassFigures:
    """Pre, post and <g> of a class over the people who took both tests: one rule for the coach's console and the
    report. `summary` is gain_summary's table; `n_pre`, `n_post`: how many took each test at all."""
    pairs: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    n_pre: int
    n_post: int

    def value(self, statistic: str) -> float:
        return float(self.summary.set_index("statistic").at[statistic, "value"])

    @property
    def n_matched(self) -> int:
        return len(self.scores)


def class_figures(answers: pd.DataFrame, pairs: pd.DataFrame | None = None, n_resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = BOOTSTRAP_SEED) -> ClassFigures:
    """The pre/post figures of `answers` (pre- and post-test rows, toolkit.results.tested_answers) over the people
    matched by `pairs` (by participant id when None)."""
    pairs = match_by_participant_id(answers) if pairs is None else pairs
    scores = pre_post_scores(answers, pairs)
    took = answers.groupby("activity_kind")["participant_id"].nunique() if len(answers) else pd.Series(dtype=int)
    return ClassFigures(pairs, scores, gain_summary(scores, n_resamples=n_resamples, seed=seed),
                        int(took.get(PRE, 0)), int(took.get(POST, 0)))


def signed_ranks(d: np.ndarray) -> tuple[float, float, int]:
    """R+ and R- of the non-zero differences (zero_method 'wilcox'; tied |d| share their average rank)."""
    d = np.asarray(d, dtype=float)
    nonzero = d[d != 0]
    if not len(nonzero):
        return 0.0, 0.0, 0
    ranks = stats.rankdata(np.abs(nonzero))
    return float(ranks[nonzero > 0].sum()), float(ranks[nonzero < 0].sum()), len(nonzero)


def signed_rank_p(d: np.ndarray) -> float:
    """Two-sided p of the signed-rank statistic over all 2^k sign patterns of the k non-zero differences.

    The exact permutation (conditional) distribution: zeros dropped, tied |d| at their average rank, each
    pattern equally likely under the null. Average ranks are multiples of 1/2, so twice R+ is a whole
    number and the distribution is counted exactly, one rank at a time (k·k(k+1) steps, no enumeration).
    p = min(1, 2·min(P(R+ <= r), P(R+ >= r))), as scipy.stats.permutation_test computes it.
    """
    d = np.asarray(d, dtype=float)
    nonzero = d[d != 0]
    twice = np.rint(2 * stats.rankdata(np.abs(nonzero))).astype(np.int64)
    observed = int(twice[nonzero > 0].sum())
    dist = np.zeros(int(twice.sum()) + 1)
    dist[0] = 1.0
    top = 0
    for r in twice:  # each rank counts for R+ or not, with probability 1/2
        top += r
        dist[r:top + 1] += dist[:top + 1 - r].copy()
        dist[:top + 1] *= 0.5
    low, high = dist[:observed + 1].sum(), dist[observed:].sum()
    return float(min(1.0, 2 * min(low, high)))


def _wilcoxon_method(d: np.ndarray) -> str:
    """'exact' without ties or zeros, 'permutation' (also exact: every sign pattern) with them, both up to
    WILCOXON_EXACT_MAX non-zero differences; beyond, 'asymptotic'."""
    nonzero = d[d != 0]
    if len(nonzero) > WILCOXON_EXACT_MAX:
        return "asymptotic"
    has_ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    return "permutation" if has_ties or len(nonzero) < len(d) else "exact"


def wilcoxon_test(d: np.ndarray) -> dict:
    """Wilcoxon signed-rank test of d against 0 with the rank-biserial r; NaN where it is undefined."""
    d = np.asarray(d, dtype=float)
    r_plus, r_minus, n_nonzero = signed_ranks(d)
    row = {"test": "Wilcoxon signed-rank", "n": len(d), "n_nonzero": n_nonzero, "statistic": np.nan,
           "df": np.nan, "p_value": np.nan, "effect_size": np.nan,
           "effect_size_name": "rank-biserial r = (R+ - R-)/(R+ + R-)", "r_plus": r_plus, "r_minus": r_minus,
           "method": None, "zero_method": WILCOXON_ZERO_METHOD, "note": ""}
    if n_nonzero == 0:
        row["note"] = "no participant changed: the test is undefined" if len(d) else "no pairs"
        return row
    method = _wilcoxon_method(d)
    if method == "asymptotic":
        p = stats.wilcoxon(d, zero_method=WILCOXON_ZERO_METHOD, correction=False, method="asymptotic").pvalue
    else:
        p = signed_rank_p(d)
    row.update(statistic=min(r_plus, r_minus), p_value=float(p), method=method,
               effect_size=(r_plus - r_minus) / (r_plus + r_minus))
    if n_nonzero < len(d):
        row["note"] = f"{len(d) - n_nonzero} zero difference(s) dropped"
    return row


def paired_t_test(d: np.ndarray) -> dict:
    """t = mean(d)/(sd(d)/sqrt(n)) with d_z = mean(d)/sd(d) (sd with n - 1); NaN where undefined."""
    d = np.asarray(d, dtype=float)
    n = len(d)
    row = {"test": "paired t-test", "n": n, "n_nonzero": int(np.count_nonzero(d)), "statistic": np.nan,
           "df": n - 1 if n >= 2 else np.nan, "p_value": np.nan, "effect_size": np.nan,
           "effect_size_name": "d_z = mean(d)/SD(d), SD of the differences (not d_av)",
           "r_plus": np.nan, "r_minus": np.nan, "method": "Student t, two-sided", "zero_method": None, "note": ""}
    if n < 2:
        row["note"] = "fewer than 2 pairs"
        return row
    if np.all(d == d[0]):  # tested on the values: their computed SD may be a rounding error, not 0
        row["note"] = "every difference is the same: no spread, t and d_z are undefined"
        return row
    sd = d.std(ddof=1)
    t = d.mean() / (sd / np.sqrt(n))
    row.update(statistic=t, p_value=float(2 * stats.t.sf(abs(t), n - 1)), effect_size=d.mean() / sd)
    return row


def paired_tests(scores: pd.DataFrame) -> pd.DataFrame:
    """The paired t-test with d_z and the Wilcoxon signed-rank test with the rank-biserial r, on d = post - pre.

    `scores`: pre, post. Returns one row per test: test, n, n_nonzero, statistic (t; or W = min(R+, R-)),
    df, p_value (two-sided), effect_size, effect_size_name, r_plus, r_minus, method, zero_method, note.
    Wilcoxon drops zero differences (zero_method 'wilcox'); its p is exact up to 200 non-zero
    differences: method 'exact' without ties or zeros, 'permutation' with them (the exact distribution
    over every sign pattern, with average ranks for ties); beyond, 'asymptotic' (the normal
    approximation with the tie correction and no continuity correction).
    """
    require(scores, ["pre", "post"], "scores")
    d = (scores["post"] - scores["pre"]).to_numpy(float)
    return pd.DataFrame([paired_t_test(d), wilcoxon_test(d)])


def gain_by_objective(answers: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pre, post, gain and <g> per learning objective, over the matched participants.

    `answers`: participant_id, activity_kind, objective (one id, or a list of ids: the question then
    counts for each), points, max_points. Returns objective, n, pre_mean, post_mean, gain_mean, class_g,
    band, g_avg. Parallel forms are fine: a person's score on an objective is over the questions they had.
    """
    require(answers, ["participant_id", "activity_kind", "objective", "points", "max_points"], "answers")
    pairs = match_by_participant_id(answers) if pairs is None else pairs
    rows = answers[["participant_id", "activity_kind", "objective", "points", "max_points"]]
    rows = rows.assign(participant_id=as_text(rows["participant_id"]))
    if pd.api.types.infer_dtype(rows["objective"], skipna=True) != "string":  # some questions have several
        rows = rows.explode("objective")
    rows = rows.dropna(subset=["objective"])
    per_person = scores_per_person(rows, by=("participant_id", "activity_kind", "objective"))
    return gain_table(paired_percent(per_person, pairs, ["objective"]), "objective")
