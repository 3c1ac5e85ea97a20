"""Knowledge kept: a retention check in a later session repeats a sample of the post-test's questions.

Each person's retention check is compared with their own earlier answers to the same questions (by question id):
the latest pre-test and post-test before the check's session that asked them. So pre, post and retention are
scores on the same questions, in percent of their maximum; pre is missing where the person's pre-test did not ask
them (a crossover's other form). People are matched by participant id (a returning member of the cohort).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import MIN_INTERVAL_N, NO_INTERVAL, POST, PRE, SMALL_CELL, as_text, require

RETENTION = "retention"
RETENTION_COLUMNS = ["participant_id", "session_id", "n_items", "pre", "post", "retention", "kept"]
_NEEDED = ["participant_id", "session_id", "session_position", "activity_kind", "question_id", "points", "max_points"]


def _earlier(answers: pd.DataFrame, checks: pd.DataFrame, kind: str) -> pd.DataFrame:
    """For each retention row, the same person's points on the same question in their latest `kind` before it."""
    earlier = answers[answers["activity_kind"] == kind][["participant_id", "question_id", "session_position",
                                                         "points", "max_points"]]
    rows = checks[["participant_id", "session_id", "question_id", "session_position", "objective_key"]].merge(
        earlier, on=["participant_id", "question_id"], suffixes=("", "_then"))
    rows = rows[rows["session_position_then"] < rows["session_position"]]
    rows = rows.sort_values("session_position_then").drop_duplicates(
        ["participant_id", "session_id", "question_id"], keep="last")
    return rows


def _percent(points: pd.Series, maximum: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100 * points / maximum.where(maximum > 0)


def _objective_key(values: pd.Series) -> pd.Series:
    return values.map(lambda o: o if isinstance(o, str) else (o[0] if isinstance(o, (list, tuple)) and o else None))


def retention_scores(answers: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per person and retention check (and `by` value, e.g. ("objective",)): n_items, pre, post, retention
    (percent on the check's questions) and kept = retention - post (percentage points).

    Only questions the person also answered in an earlier post-test count; pre is NaN where no earlier pre-test
    asked them. `answers`: the results' answers frame (activity_kind 'retention' for the checks)."""
    require(answers, _NEEDED, "answers")
    answers = answers.assign(participant_id=as_text(answers["participant_id"]),
                             objective_key=_objective_key(answers["objective"]) if "objective" in answers else None)
    checks = answers[answers["activity_kind"] == RETENTION]
    keys = ["participant_id", "session_id", *(["objective_key"] if "objective" in by else [])]
    post = _earlier(answers, checks, POST)
    asked = post[["participant_id", "session_id", "question_id"]]
    checks = checks.merge(asked, on=["participant_id", "session_id", "question_id"])
    pre = _earlier(answers, checks, PRE)

    def total(rows: pd.DataFrame, name: str) -> pd.DataFrame:
        sums = rows.groupby(keys, sort=True)[["points", "max_points"]].sum()
        return pd.DataFrame({name: _percent(sums["points"], sums["max_points"]),
                             f"n_{name}": rows.groupby(keys, sort=True).size()})

    table = total(checks, "retention").join(total(post, "post"), how="inner").join(total(pre, "pre"), how="left")
    # pre only where the earlier pre-test asked every question of the check (else it is a score on other questions)
    table.loc[table["n_pre"] != table["n_retention"], "pre"] = np.nan
    table = table.reset_index().rename(columns={"objective_key": "objective", "n_retention": "n_items"})
    table["kept"] = table["retention"] - table["post"]
    columns = ["participant_id", "session_id", *(["objective"] if "objective" in by else []), "n_items", "pre",
               "post", "retention", "kept"]
    return table[columns].sort_values(columns[:3 if "objective" in by else 2], ignore_index=True)


def _interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, str]:
    n = len(values)
    if n < MIN_INTERVAL_N:
        return np.nan, np.nan, NO_INTERVAL
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return values.mean() - half, values.mean() + half, "Student t-interval, n - 1 df"


def retention_summary(scores: pd.DataFrame, by: str | None = None, threshold: int = SMALL_CELL) -> pd.DataFrame:
    """Means of pre, post and retention, and the change since the post-test (kept) with its 95% interval; per `by`
    value (e.g. "objective") when given: there a row of fewer than `threshold` people shows "<5" for every figure
    (toolkit.analysis._common.suppress_small_cells); the whole, like every total, is shown (no interval under 5).

    Also share_kept = (retention - pre) / (post - pre) of the means: the share of the gain still there (NaN without
    a pre-test on the same questions or without a gain)."""
    from ._common import suppress_small_cells

    groups = scores.groupby(by, sort=True) if by else [(None, scores)]
    rows = []
    for label, rows_of in groups:
        kept = rows_of["kept"].to_numpy(float)
        low, high, words = _interval(kept)
        pre, post, retention = (rows_of[c].mean() for c in ("pre", "post", "retention"))
        gain = post - pre
        share = (retention - pre) / gain if np.isfinite(gain) and gain > 0 else np.nan
        rows.append({**({by: label} if by else {}), "n": len(rows_of), "pre_mean": pre, "post_mean": post,
                     "retention_mean": retention, "kept_mean": float(kept.mean()) if len(kept) else np.nan,
                     "ci_low": low, "ci_high": high, "interval": words, "share_kept": share})
    table = pd.DataFrame(rows)
    if by and len(table):
        table = suppress_small_cells(table, [by], threshold=threshold)
    return table
