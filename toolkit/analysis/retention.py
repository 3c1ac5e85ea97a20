"""Knowledge kept: a retention check in a later session repeats a sample of the post-test's questions.

Each person's retention check is compared with their own earlier answers to the same questions (by question id):
the latest pre-test and post-test before the check's session that asked them. So pre, post and retention are
scores on the same questions, in percent of their maximum; pre is missing where the person's pre-test did not ask
them. People are matched by participant id (a returning member of the cohort).

After a crossover (half the room took form A at the post-test, half form B) the check repeats questions of both
forms (toolkit.retention.retention_check), and each person is compared on the half they answered at their
post-test; their pre-test asked the other form, so pre is missing there (retention_note says so in plain words).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import MIN_INTERVAL_N, NO_INTERVAL, POST, PRE, SMALL_CELL, as_text, require

RETENTION = "retention"
RETENTION_COLUMNS = ["participant_id", "session_id", "n_items", "n_asked", "pre", "post", "retention", "kept"]
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
    """One row per person and retention check (and `by` value, e.g. ("objective",)): n_items (the check's questions
    the person also answered at an earlier post-test: what is compared), n_asked (the check's questions they
    answered), pre, post, retention (percent on the n_items questions) and kept = retention - post (percentage points).

    Only questions the person also answered in an earlier post-test count; pre is NaN where no earlier pre-test
    asked them. `answers`: the results' answers frame (activity_kind 'retention' for the checks)."""
    require(answers, _NEEDED, "answers")
    answers = answers.assign(participant_id=as_text(answers["participant_id"]),
                             objective_key=_objective_key(answers["objective"]) if "objective" in answers else None)
    checks = answers[answers["activity_kind"] == RETENTION]
    keys = ["participant_id", "session_id", *(["objective_key"] if "objective" in by else [])]
    asked_now = checks.groupby(keys, sort=True).size().rename("n_asked")
    post = _earlier(answers, checks, POST)
    asked = post[["participant_id", "session_id", "question_id"]]
    checks = checks.merge(asked, on=["participant_id", "session_id", "question_id"])
    pre = _earlier(answers, checks, PRE)

    def total(rows: pd.DataFrame, name: str) -> pd.DataFrame:
        sums = rows.groupby(keys, sort=True)[["points", "max_points"]].sum()
        return pd.DataFrame({name: _percent(sums["points"], sums["max_points"]),
                             f"n_{name}": rows.groupby(keys, sort=True).size()})

    table = total(checks, "retention").join(total(post, "post"), how="inner").join(total(pre, "pre"), how="left")
    table = table.join(asked_now, how="left")
    # pre only where the earlier pre-test asked every question of the check (else it is a score on other questions)
    table.loc[table["n_pre"] != table["n_retention"], "pre"] = np.nan
    table = table.reset_index().rename(columns={"objective_key": "objective", "n_retention": "n_items"})
    table["kept"] = table["retention"] - table["post"]
    columns = ["participant_id", "session_id", *(["objective"] if "objective" in by else []), "n_items", "n_asked",
               "pre", "post", "retention", "kept"]
    return table[columns].sort_values(columns[:3 if "objective" in by else 2], ignore_index=True)


def retention_note(scores: pd.DataFrame) -> str:
    """How the comparison was made, in plain words for the report and the explorer (`scores`: retention_scores)."""
    words = ("A later session repeated some questions of an earlier post-test. Each person's answers to them are "
             "compared with their own answers to the same questions before and after the training (matched by "
             "participant; pre is left out where the pre-test did not ask them).")
    part = scores[scores["n_items"] < scores["n_asked"]] if len(scores) else scores
    if len(part):
        words += (f" {len(part)} of the {len(scores)} were compared on part of the check: the questions they had "
                  "answered at the post-test. After a crossover (half the room took form A after the training, half "
                  "form B) the check repeats questions of both forms, so each person is compared on the half from "
                  "the form they took after, and their pre-test asked the other form, so there is no pre there.")
    return words


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
