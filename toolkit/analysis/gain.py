"""Scores, gains and paired tests: what the workshop changed, as the evaluation methods define it.

The answers frame holds one row per participant, activity and scored question (unanswered questions
included with 0 points, as toolkit.scoring.score_attempt counts them): participant_id, activity_kind
('pretest' | 'posttest'), question_id, points, max_points, and where needed workshop_id, session_id,
objective. A scores frame (from `pre_post_scores`) holds one row per matched participant:
participant_id, pre, post, gain (percent of the maximum; gain = post - pre in percentage points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import POST, PRE, AnalysisError, as_text, class_gain, gain_band, gain_table, per_person_gains, require
from .matching import match_by_participant_id

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20260101
WILCOXON_ZERO_METHOD = "wilcox"  # zero differences are dropped before ranking (Wilcoxon 1945)
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


def _bootstrap(pre: np.ndarray, post: np.ndarray, n_resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
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


def bootstrap_ci(scores: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Percentile bootstrap confidence intervals for the mean gain and for <g>.

    `scores`: pre, post. Returns statistic ('mean_gain' | 'class_g'), value, ci_low, ci_high, n,
    n_resamples, seed. Resamples in which every pre-test is at 100 leave <g> undefined and are left out
    of its interval. With fewer than 2 people the intervals are NaN.
    """
    require(scores, ["pre", "post"], "scores")
    if n_resamples < BOOTSTRAP_RESAMPLES:
        raise AnalysisError(f"A bootstrap needs at least {BOOTSTRAP_RESAMPLES} resamples, not {n_resamples}.")
    pre, post = scores["pre"].to_numpy(float), scores["post"].to_numpy(float)
    n = len(pre)
    values = {"mean_gain": np.mean(post - pre) if n else np.nan,
              "class_g": class_gain(pre.mean(), post.mean()) if n else np.nan}
    bounds = {k: (np.nan, np.nan) for k in values}
    if n >= 2:
        alpha = 1 - confidence
        for name, sample in zip(values, _bootstrap(pre, post, n_resamples, seed), strict=True):
            sample = sample[np.isfinite(sample)]
            if len(sample):
                low, high = np.quantile(sample, [alpha / 2, 1 - alpha / 2])
                bounds[name] = (float(low), float(high))
    return pd.DataFrame([{"statistic": k, "value": float(v), "ci_low": bounds[k][0], "ci_high": bounds[k][1],
                          "n": n, "n_resamples": n_resamples, "seed": seed} for k, v in values.items()])


def gain_summary(scores: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 confidence: float = 0.95) -> pd.DataFrame:
    """The report's gain table: means, mean gain and <g> with bootstrap intervals, g_avg, normalized change.

    `scores`: pre, post (from pre_post_scores). Returns statistic, label, value, ci_low, ci_high, n, band:
    - pre_mean, post_mean: mean scores in percent;
    - mean_gain: mean of post - pre in percentage points, with its percentile bootstrap interval;
    - class_g: <g>, Hake's class-average normalized gain, with its band and bootstrap interval;
    - g_avg: the average of per-person g_i, people with pre = 100 left out (not <g>: a different number);
    - normalized_change: the average of Marx & Cummings' c_i, people at 0/0 or 100/100 dropped.
    """
    people = participant_gains(scores)
    n = len(people)
    ci = bootstrap_ci(scores, n_resamples, seed, confidence).set_index("statistic")
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
        "n": int(count), "band": band,
    } for key, label, value, interval, count, band in rows])


def _wilcoxon_method(d: np.ndarray) -> str:
    """The p-value method, chosen as scipy >= 1.15 does for method='auto', named so the report can say it."""
    nonzero = d[d != 0]
    has_ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    if len(d) <= 50 and not has_ties and len(nonzero) == len(d):
        return "exact"
    return "permutation" if len(d) <= 13 else "asymptotic"


def signed_ranks(d: np.ndarray) -> tuple[float, float, int]:
    """R+ and R- of the non-zero differences (zero_method 'wilcox'; tied |d| share their average rank)."""
    d = np.asarray(d, dtype=float)
    nonzero = d[d != 0]
    if not len(nonzero):
        return 0.0, 0.0, 0
    ranks = stats.rankdata(np.abs(nonzero))
    return float(ranks[nonzero > 0].sum()), float(ranks[nonzero < 0].sum()), len(nonzero)


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
    scipy_method = stats.PermutationMethod() if method == "permutation" else method
    result = stats.wilcoxon(d, zero_method=WILCOXON_ZERO_METHOD, correction=False, method=scipy_method)
    row.update(statistic=min(r_plus, r_minus), p_value=float(result.pvalue), method=method,
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
    Wilcoxon drops zero differences (zero_method 'wilcox'); its p is exact without ties or zeros
    (n <= 50), an exhaustive sign-flip permutation with them (n <= 13), else the normal approximation
    with the tie correction and no continuity correction.
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
