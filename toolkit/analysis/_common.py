"""What the analysis modules share: the activity names, column checks, bands, and small-cell suppression."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

PRE, POST = "pretest", "posttest"
SMALL_CELL = 5  # fewer people than this in a cell: the figures are not shown
SMALL_CELL_TEXT = "<5"
COMPLEMENTARY_TEXT = "suppressed"
NOT_GIVEN = "(not given)"
# Bands and thresholds are compared on rounded values, so that 0.4 computed as 0.39999999999999997 is still 0.4.
BAND_DECIMALS = 9
# With fewer matched people than this no interval is shown: the marker below stands in its place.
MIN_INTERVAL_N = 5
NO_INTERVAL = "no meaningful interval"
# The small-sample notes of an analysis: which statistic, where (a test, an objective; "" for the whole), why.
NOTE_COLUMNS = ["statistic", "scope", "reason"]


class AnalysisError(ValueError):
    """The data cannot be analysed as asked (a missing column, an unknown option)."""


def as_text(values: pd.Series) -> pd.Series:
    """Ids as strings, so that 7 and "7" are one participant; free when they already are (the usual case)."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return values.astype(str)


def require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"The {what} lack the column(s) {', '.join(missing)}.")


def class_gain(pre_mean: float | np.ndarray, post_mean: float | np.ndarray) -> float | np.ndarray:
    """Hake's class-average normalized gain <g> = (<post> - <pre>)/(100 - <pre>); NaN when <pre> = 100."""
    pre_mean = np.asarray(pre_mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(pre_mean < 100, (post_mean - pre_mean) / (100 - pre_mean), np.nan)
    return g[()] if g.ndim == 0 else g


def gain_band(g: float) -> str:
    """Hake's bands: low < 0.3, medium 0.3–0.7, high > 0.7."""
    if g is None or not np.isfinite(g):
        return "undefined"
    g = round(float(g), BAND_DECIMALS)
    if g < 0.3:
        return "low"
    return "medium" if g <= 0.7 else "high"


def per_person_gains(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g_i (NaN at pre = 100) and Marx & Cummings' normalized change c_i (NaN where both are 0 or both 100)."""
    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(pre < 100, (post - pre) / (100 - pre), np.nan)
        c = np.select([post > pre, post < pre], [(post - pre) / (100 - pre), (post - pre) / pre], 0.0)
    c[(pre == post) & ((pre == 0) | (pre == 100))] = np.nan
    return g, c


def gain_table(scores: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """n, pre, post, gain, <g> with its band, and g_avg for each group of a pre_post_scores frame."""
    keys = [by] if isinstance(by, str) else list(by)
    frame = scores[[*keys, "pre", "post"]].copy()
    frame["gain"] = frame["post"] - frame["pre"]
    frame["g"], _ = per_person_gains(frame["pre"].to_numpy(), frame["post"].to_numpy())
    grouped = frame.groupby(keys, sort=True, dropna=False, observed=True)
    table = grouped.agg(
        n=("pre", "size"), pre_mean=("pre", "mean"), post_mean=("post", "mean"),
        gain_mean=("gain", "mean"), g_avg=("g", "mean"),
    ).reset_index()
    table["class_g"] = class_gain(table["pre_mean"].to_numpy(), table["post_mean"].to_numpy())
    table["band"] = [gain_band(g) for g in table["class_g"]]
    return table[[*keys, "n", "pre_mean", "post_mean", "gain_mean", "class_g", "band", "g_avg"]]


def suppress_small_cells(table: pd.DataFrame, label_columns: list[str], n_column: str = "n",
                         threshold: int = SMALL_CELL, complementary: bool = True) -> pd.DataFrame:
    """The one suppression rule of every table that shows groups beside a total: which rows' figures are hidden.

    Primary: every figure of a row with fewer than `threshold` people becomes "<5" (or "<threshold"); the
    labels stay. Complementary (with `complementary`): when exactly one row is hidden, the next smallest row
    is hidden too (shown as "suppressed").

    Why that is enough. The report always shows the total of the same people beside the table (n and the
    pre, post and gain means of everyone matched). A mean is a sum over n people, so each figure is a linear
    equation: total_mean·n_total = Σ n_i·mean_i over the rows, one equation per measure (pre, post, gain, and
    g_avg the same way). We assume the reader knows every n_i, hidden or not: the headcounts by sex,
    organisation and rank are shown in full, and n_total minus the shown n gives the hidden ones' sum, so
    the rule must not rest on n being hidden. Then the shown rows give n_i·mean_i and the total leaves one
    equation in the hidden rows' sums: Σ_hidden n_i·mean_i = known. A hidden row is recoverable exactly when
    it is the only unknown of that equation, so every table must hide either no row or at least two. With
    two or more hidden rows the equation has a line (plane…) of solutions and no hidden mean follows from it.
    A table whose only row is small is the total itself (its figures are the total's): nothing to pair it
    with, and nothing a table could hide that the total does not already show.

    The n of a hidden row reads "<5" or "suppressed" like its other figures (the existing convention of the
    by-group tables), although, as said, the rule does not rely on it.
    """
    out = table.astype(object)
    values = [c for c in table.columns if c not in label_columns]
    small = (table[n_column] < threshold).to_numpy()
    out.loc[small, values] = SMALL_CELL_TEXT if threshold == SMALL_CELL else f"<{threshold}"
    if complementary and small.sum() == 1 and (~small).any():
        shown = table.loc[~small, n_column]
        out.loc[shown.idxmin(), values] = COMPLEMENTARY_TEXT
    return out


def label_missing(values: pd.Series) -> pd.Series:
    """Group labels with the missing ones named, so that they form a group of their own."""
    return values.astype(object).where(values.notna() & (values.astype(str).str.strip() != ""), NOT_GIVEN)
