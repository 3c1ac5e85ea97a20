"""Figures by group: sex, organisation and rank for donors; workshops of a series; sessions of a cohort.

Cells with fewer than 5 people are suppressed: every figure of such a row reads "<5", never the number.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._common import SMALL_CELL, as_text, gain_table, label_missing, require, suppress_small_cells
from .gain import paired_percent, scores_per_person
from .matching import match_by_participant_id


def _people(participants: pd.DataFrame, by: str) -> pd.Series:
    require(participants, ["participant_id", by], "participants")
    people = participants.assign(participant_id=as_text(participants["participant_id"]))
    return label_missing(people.drop_duplicates("participant_id").set_index("participant_id")[by])


def headcount_by(participants: pd.DataFrame, by: str = "sex", threshold: int = SMALL_CELL,
                 complementary: bool = True) -> pd.DataFrame:
    """How many people took part, and their share, by `by` (all participants, matched or not).

    `participants`: participant_id and the `by` column (sex, organisation, rank…); missing values form
    the group "(not given)". Returns the `by` column, n, pct, with small cells suppressed.
    """
    groups = _people(participants, by)
    table = groups.value_counts().rename_axis(by).reset_index(name="n").sort_values(by, ignore_index=True)
    table["pct"] = 100 * table["n"] / table["n"].sum() if len(table) else []
    return suppress_small_cells(table, [by], threshold=threshold, complementary=complementary)


def disaggregate(scores: pd.DataFrame, participants: pd.DataFrame, by: str = "sex", threshold: int = SMALL_CELL,
                 complementary: bool = True) -> pd.DataFrame:
    """n and %, pre, post, gain and <g> by sex (or organisation, rank…) over the matched participants.

    `scores`: participant_id, pre, post (from pre_post_scores; the pre-test's participant carries the
    profile). `participants`: participant_id and the `by` column. Returns the `by` column, n, pct,
    pre_mean, post_mean, gain_mean, class_g, band, g_avg. Rows with fewer than `threshold` people show
    "<5" in every figure; with `complementary`, a lone hidden row takes the next smallest row with it
    ("suppressed"), since the total n and means are reported elsewhere.
    """
    require(scores, ["participant_id", "pre", "post"], "scores")
    groups = _people(participants, by)
    # People missing from `participants` join the "(not given)" group rather than vanishing from the table.
    frame = scores.assign(**{by: label_missing(as_text(scores["participant_id"]).map(groups))})
    table = gain_table(frame, by)
    table.insert(2, "pct", 100 * table["n"] / table["n"].sum() if len(table) else [])
    return suppress_small_cells(table, [by], threshold=threshold, complementary=complementary)


def compare_workshops(scores: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """Pre, post, gain and <g> for each workshop of a series, side by side.

    `scores`: workshop_id, pre, post (from pre_post_scores). Returns workshop_id, n, pre_mean,
    post_mean, gain_mean, class_g, band, g_avg. Pass `threshold` (SMALL_CELL) to suppress small workshops,
    with the complementary cell that keeps them from following from the series' total (suppress_small_cells).
    """
    require(scores, ["workshop_id", "pre", "post"], "scores")
    table = gain_table(scores, "workshop_id")
    if threshold is None:
        return table
    return suppress_small_cells(table, ["workshop_id"], threshold=threshold)


def progress_over_sessions(answers: pd.DataFrame, session_order: Sequence[str] | None = None,
                           pairs: pd.DataFrame | None = None, threshold: int | None = None) -> pd.DataFrame:
    """Pre, post, gain and <g> in each session of a cohort, in session order: the progress over sessions.

    `answers`: participant_id, activity_kind, session_id, points, max_points; within a session a
    participant's pre-test is paired with their post-test (by `pairs`, else by participant id).
    `session_order`: the sessions in the order they were held (default: order of first appearance).
    Returns position (1, 2, …), session_id, n, pre_mean, post_mean, gain_mean, class_g, band, g_avg.
    Pass `threshold` (SMALL_CELL) to suppress small sessions, as compare_workshops does (suppress_small_cells).
    """
    require(answers, ["participant_id", "activity_kind", "session_id", "points", "max_points"], "answers")
    rows = answers[["participant_id", "activity_kind", "session_id", "points", "max_points"]]
    rows = rows.assign(participant_id=as_text(rows["participant_id"]), session_id=as_text(rows["session_id"]))
    pairs = match_by_participant_id(rows) if pairs is None else pairs
    per_person = scores_per_person(rows, by=("participant_id", "activity_kind", "session_id"))
    table = gain_table(paired_percent(per_person, pairs, ["session_id"]), "session_id")
    order = list(dict.fromkeys(rows["session_id"])) if session_order is None else [str(s) for s in session_order]
    position = {s: i + 1 for i, s in enumerate(order)}
    table.insert(0, "position", table["session_id"].map(position))
    table = table.sort_values(["position", "session_id"], na_position="last", ignore_index=True)
    if threshold is None:
        return table
    return suppress_small_cells(table, ["position", "session_id"], threshold=threshold)
