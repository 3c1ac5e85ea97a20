"""The whole analysis of a workshop's pre/post tests in one call, and the caveat every report carries."""

from __future__ import annotations

import pandas as pd

from .gain import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, gain_by_objective, gain_summary, paired_tests, pre_post_scores
from .groups import compare_workshops, disaggregate, headcount_by
from .items import distractor_analysis, item_mcnemar, item_statistics, reliability
from .matching import match_by_code, match_by_participant_id, match_rate

ONE_GROUP_CAVEAT = (
    "One group tested before and after, with no comparison group: part of the change may come from "
    "taking the test twice or from other influences over the same time (testing and maturation effects)."
)


def full_analysis(answers: pd.DataFrame, participants: pd.DataFrame, by_code: bool = False,
                  correction: str = "holm", n_resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = BOOTSTRAP_SEED) -> dict[str, pd.DataFrame]:
    """Every table of a pre/post report, by name.

    `answers`: participant_id, activity_kind, workshop_id, question_id, objective, points, max_points,
    response. `participants`: participant_id, sex, organisation, rank, match_code_hash. `by_code`:
    match by self-generated code after participant id (else by participant id only).
    Returns match_rate, scores, gain_summary, paired_tests, gain_by_objective, item_mcnemar,
    item_statistics, reliability, distractors, headcount_by_sex, by_sex, by_organisation, by_rank,
    workshops, and caveat (one row, one column: the text).
    """
    pairs = match_by_code(answers, participants) if by_code else match_by_participant_id(answers)
    scores = pre_post_scores(answers, pairs)
    return {
        "match_rate": match_rate(pairs, answers),
        "scores": scores,
        "gain_summary": gain_summary(scores, n_resamples=n_resamples, seed=seed),
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
        "workshops": compare_workshops(scores),
        "caveat": pd.DataFrame({"caveat": [ONE_GROUP_CAVEAT]}),
    }
