"""Analysis of workshop results: pure functions, DataFrame in, DataFrame out.

The statistics are those of shared/domain/evaluation-methods.md: matching pre and post, scores in
percent of the maximum, <g> and g_avg (labelled), paired tests with d_z and the rank-biserial r,
intervals that hold in small groups, notes where a figure is not meaningful at the group's size,
McNemar per item, the crossover analysis of two forms, item analysis, disaggregation with small cells suppressed,
comparisons across workshops and sessions, the reaction survey and confidence before and after.
"""

from ._common import MIN_INTERVAL_N, NO_INTERVAL, POST, PRE, AnalysisError, class_gain, gain_band
from .crossover import crossover_analysis, crossover_notes, crossover_scores, forms_taken
from .gain import (
    ClassFigures,
    bootstrap_ci,
    class_figures,
    gain_by_objective,
    gain_intervals,
    gain_summary,
    paired_tests,
    participant_gains,
    pre_post_scores,
    scores_per_person,
)
from .groups import compare_workshops, disaggregate, headcount_by, progress_over_sessions
from .items import (
    adjust_p_values,
    discrimination_band,
    distractor_analysis,
    item_mcnemar,
    item_statistics,
    reliability,
)
from .matching import BY_ID, EXACT_CODE, TOLERANT_CODE, match_by_code, match_by_participant_id, match_rate
from .report import ONE_GROUP_CAVEAT, full_analysis, small_sample_notes
from .survey import confidence_change, likert_summary, open_answers, recommend_summary

__all__ = [
    "BY_ID", "EXACT_CODE", "MIN_INTERVAL_N", "NO_INTERVAL", "ONE_GROUP_CAVEAT", "POST", "PRE", "TOLERANT_CODE",
    "AnalysisError", "ClassFigures", "adjust_p_values", "bootstrap_ci", "class_figures", "class_gain",
    "compare_workshops", "confidence_change", "crossover_analysis", "crossover_notes", "crossover_scores", "forms_taken",
    "disaggregate", "discrimination_band", "distractor_analysis", "full_analysis", "gain_band", "gain_by_objective",
    "gain_intervals", "gain_summary", "headcount_by", "item_mcnemar", "item_statistics", "likert_summary",
    "match_by_code", "match_by_participant_id", "match_rate", "open_answers", "paired_tests", "participant_gains",
    "pre_post_scores", "progress_over_sessions", "recommend_summary", "reliability", "scores_per_person",
    "small_sample_notes",
]
