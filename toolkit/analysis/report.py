"""The whole analysis of a workshop's pre/post tests in one call, and the caveat every report carries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import MIN_INTERVAL_N, NOTE_COLUMNS, SMALL_CELL
from .gain import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, class_figures, gain_by_objective, paired_tests
from .groups import compare_workshops, disaggregate, headcount_by
from .items import distractor_analysis, item_mcnemar, item_statistics, reliability
from .matching import match_by_code, match_rate

ONE_GROUP_CAVEAT = (
    "One group tested before and after, with no comparison group: part of the change may come from "
    "taking the test twice or from other influences over the same time (testing and maturation effects)."
)


MIN_ITEM_N = 10  # fewer people: alpha and the 27% groups (2 people or fewer each) are not meaningful
MIN_CHANGED = 6  # fewer changed scores: even all in one direction give p >= 2/2^5 = 0.0625
INTERVALS, T_TEST, WILCOXON, ALPHA, DISCRIMINATION, CONFIDENCE = (
    "95% intervals of the mean gain and <g>", "paired t-test", "Wilcoxon signed-rank test", "Cronbach's alpha",
    "discrimination of the questions", "confidence before and after")
_KINDS = {"pretest": "pre-test", "posttest": "post-test"}
_FIGURES = {"n", "k", "mean_pct", "sd_pct", "cronbach_alpha", "kr20", "cic", "error_ratio", "standard_error"}


def note_scope(labels: dict) -> str:
    """The words for a test's labels ({"activity_kind": "pretest", "form": "A"} -> "pre-test, form A")."""
    words = []
    for key, value in labels.items():
        if key == "activity_kind":
            words.append(_KINDS.get(str(value), str(value)))
        elif pd.notna(value) and str(value) != "":
            words.append(f"{key} {value}")
    return ", ".join(words)


def small_sample_notes(gain_summary: pd.DataFrame | None = None, paired_tests: pd.DataFrame | None = None,
                       reliability: pd.DataFrame | None = None, item_statistics: pd.DataFrame | None = None,
                       confidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where a figure is not meaningful at the group's size, in words an organiser reads: one row per note.

    Takes the tables of the same names (any may be None). Returns statistic, scope (the test or objective
    concerned; "" for the whole group), reason. Notes: no interval under 5 matched people, a rough one
    under 10; a t-test on fewer than 5 pairs; a Wilcoxon test with fewer than 6 changed scores (it cannot
    reach p < 0.05); Cronbach's alpha from fewer than 10 people, or below 0; discrimination with 27%
    groups of 2 people or fewer (under 10 people); confidence ratings paired for fewer than 6 people.
    """
    notes = []
    if gain_summary is not None and len(gain_summary):
        n = int(gain_summary.set_index("statistic").at["mean_gain", "n"])
        if 0 < n < MIN_INTERVAL_N:
            notes.append((INTERVALS, "", f"only {n} people took both tests: with fewer than {MIN_INTERVAL_N} no "
                                         "interval is meaningful, so none is shown"))
        elif MIN_INTERVAL_N <= n < MIN_ITEM_N:
            notes.append((INTERVALS, "", f"only {n} people took both tests: the intervals are wide and approximate; "
                                         "read them as a rough range"))
    if paired_tests is not None and len(paired_tests):
        tests = paired_tests.set_index("test")
        n = int(tests.at["paired t-test", "n"])
        if 2 <= n < MIN_INTERVAL_N:
            notes.append((T_TEST, "", f"with {n} pairs its p-value rests on assumptions that so few scores cannot "
                                      "check: do not read much into it"))
        changed = int(tests.at["Wilcoxon signed-rank", "n_nonzero"])
        if 0 < changed < MIN_CHANGED:
            notes.append((WILCOXON, "", f"only {changed} people's scores changed: even if all had changed the same "
                                        f"way, p could not fall below 0.05 (the smallest possible p is "
                                        f"{2 / 2 ** changed:.3f})"))
    if reliability is not None:
        labels = [c for c in reliability.columns if c not in _FIGURES]
        for row in reliability.to_dict("records"):
            n, alpha = int(row["n"]), row["cronbach_alpha"]
            scope = note_scope({c: row[c] for c in labels})
            negative = bool(np.isfinite(alpha) and alpha < 0)
            if 0 < n < MIN_ITEM_N and np.isfinite(alpha):
                notes.append((ALPHA, scope, f"from only {n} people alpha is not meaningful: it moves widely from one "
                                            "group to the next" + (", and here it is below 0" if negative else "")))
            elif negative:
                notes.append((ALPHA, scope, "alpha is below 0, which is not a reliability: the questions do not hang "
                                            "together in this group (check the key of the questions that discriminate "
                                            "negatively)"))
    if item_statistics is not None and len(item_statistics):
        labels = list(item_statistics.columns[:item_statistics.columns.get_loc("question_id")])  # the `by` columns
        groups = item_statistics.groupby(labels, sort=True, dropna=False) if labels else [((), item_statistics)]
        for values, rows in groups:
            n = int(rows["n"].iloc[0])
            if 2 <= n < MIN_ITEM_N:
                size = max(1, round(0.27 * n))
                scope = note_scope(dict(zip(labels, values if isinstance(values, tuple) else (values,), strict=True)))
                notes.append((DISCRIMINATION, scope, f"the top and bottom 27% are only {size} "
                                                     f"{'person' if size == 1 else 'people'} each: the discrimination "
                                                     "index is not meaningful; do not revise a question on it alone"))
    if confidence is not None and len(confidence):
        few = confidence[confidence["n"] < MIN_CHANGED]
        for n, rows in few.groupby("n", sort=True):  # one note for the objectives rated by as few people
            objectives = [str(o) for o in rows["objective"]]
            notes.append((CONFIDENCE, f"objective{'s' if len(objectives) > 1 else ''} {', '.join(objectives)}",
                          f"only {int(n)} {'person' if n == 1 else 'people'} rated "
                          f"{'them' if len(objectives) > 1 else 'it'} both times: the Wilcoxon p cannot fall "
                          "below 0.05"))
    return pd.DataFrame(notes, columns=NOTE_COLUMNS)


def full_analysis(answers: pd.DataFrame, participants: pd.DataFrame, by_code: bool = False,
                  correction: str = "holm", n_resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = BOOTSTRAP_SEED) -> dict[str, pd.DataFrame]:
    """Every table of a pre/post report, by name.

    `answers`: participant_id, activity_kind, workshop_id, question_id, objective, points, max_points,
    response. `participants`: participant_id, sex, organisation, rank, match_code_hash. `by_code`:
    match by self-generated code after participant id (else by participant id only).
    Returns match_rate, scores, gain_summary, paired_tests, gain_by_objective, item_mcnemar,
    item_statistics, reliability, distractors, headcount_by_sex, by_sex, by_organisation, by_rank,
    workshops, caveat (one row, one column: the text) and notes (small_sample_notes: the figures that
    are not meaningful at this size, and why). In the tables of groups (by_*, workshops, headcount_by_sex)
    a group of fewer than 5 people is suppressed, with a complementary group when it would otherwise follow
    from the total (suppress_small_cells).
    """
    figures = class_figures(answers, match_by_code(answers, participants) if by_code else None, n_resamples, seed)
    pairs, scores = figures.pairs, figures.scores
    tables = {
        "match_rate": match_rate(pairs, answers),
        "scores": scores,
        "gain_summary": figures.summary,
        "paired_tests": paired_tests(scores),
        "gain_by_objective": gain_by_objective(answers, pairs),
        "item_mcnemar": item_mcnemar(answers, pairs, correction=correction),
        "item_statistics": item_statistics(answers),
        "reliability": reliability(answers),
        "distractors": distractor_analysis(answers),
        "headcount_by_sex": headcount_by(participants, "sex"),
        "by_sex": disaggregate(scores, participants, "sex"),
        "by_organisation": disaggregate(scores, participants, "organisation"),
        "by_rank": disaggregate(scores, participants, "rank"),
        "workshops": compare_workshops(scores, threshold=SMALL_CELL),  # small ones hidden, with a complement
        "caveat": pd.DataFrame({"caveat": [ONE_GROUP_CAVEAT]}),
    }
    tables["notes"] = small_sample_notes(tables["gain_summary"], tables["paired_tests"], tables["reliability"],
                                         tables["item_statistics"])
    return tables
