"""Item analysis (classical test theory, and Moodle's quiz statistics for those who compare) and McNemar per item.

The answers frame holds one row per participant, activity and scored question: participant_id,
activity_kind, question_id, points, max_points, and for distractors response (an option id, or a list
of option ids). A question without a row for a participant counts 0 points, as an unanswered question
does in toolkit.scoring.score_attempt: analyse each form on its own (`by=("activity_kind", "form")`)
when a test kind was given on several forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import questions
from ._common import BAND_DECIMALS, POST, PRE, AnalysisError, as_text, require
from .matching import match_by_participant_id

UPPER_LOWER_SHARE = 0.27  # Kelley's 27% groups
LOW_EFFICIENCY = 15  # Moodle: discriminative efficiency below 15 is flagged
NOT_FUNCTIONING_SHARE = 0.05  # a distractor chosen by fewer than 5% does not function
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "fdr_bh": "Benjamini-Hochberg"}
ITEM_COLUMNS = ["question_id", "n", "max_points", "facility", "facility_useful", "upper_facility", "lower_facility",
                "discrimination", "discrimination_band", "item_rest_r", "moodle_discrimination_index",
                "moodle_discriminative_efficiency", "efficiency_low"]
RELIABILITY_COLUMNS = ["n", "k", "mean_pct", "sd_pct", "cronbach_alpha", "kr20", "cic", "error_ratio", "standard_error"]


def discrimination_band(d: float) -> str:
    """Upper-lower D: >= .40 very good, .30-.39 good, .20-.29 revise, < .20 poor, negative: check the key."""
    if d is None or not np.isfinite(d):
        return "undefined"
    d = round(float(d), BAND_DECIMALS)
    if d < 0:
        return "negative: check the key"
    if d < 0.20:
        return "poor"
    if d < 0.30:
        return "revise"
    return "good" if d < 0.40 else "very good"


def _groups(answers: pd.DataFrame, by: Sequence[str]):
    keys = list(by)
    for values, rows in answers.groupby(keys, sort=True, observed=True):
        yield dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True)), rows


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and the sorted distinct values (hashing, not sorting, the long column)."""
    codes, uniques = pd.factorize(as_text(values), sort=True)
    return codes, pd.Index(uniques)


def score_matrix(rows: pd.DataFrame, value: str = "points") -> tuple[pd.Index, pd.Index, np.ndarray, np.ndarray]:
    """Participants × questions `value` (0 where a row is missing), and each question's maximum."""
    p_codes, people = _codes(rows["participant_id"])
    q_codes, items = _codes(rows["question_id"])
    x = np.zeros((len(people), len(items)))
    x[p_codes, q_codes] = rows[value].to_numpy(float)
    maxima = np.zeros(len(items))
    np.maximum.at(maxima, q_codes, rows["max_points"].to_numpy(float))
    return people, items, x, maxima


def extreme_weights(total: np.ndarray, size: int, top: bool) -> np.ndarray:
    """Each person's share of a place in the bottom (or top) `size` by total score, the same whatever their ids.

    Those strictly beyond the cut count fully; those tied at the cut share the places left equally (2 places
    for 4 people tied: 1/2 each). The weights sum to `size`.
    """
    total = np.round(total, BAND_DECIMALS)  # 0.1 + 0.2 and 0.3 are one total
    ranked = np.sort(total)
    cut = ranked[-size] if top else ranked[size - 1]
    beyond = total > cut if top else total < cut
    tied = total == cut
    return np.where(beyond, 1.0, np.where(tied, (size - beyond.sum()) / tied.sum(), 0.0))


def _item_table(x: np.ndarray, maxima: np.ndarray) -> dict[str, np.ndarray]:
    n, _k = x.shape
    total = x.sum(axis=1)
    rest = total[:, None] - x
    with np.errstate(divide="ignore", invalid="ignore"):
        facility = x.mean(axis=0) / maxima
        size = max(1, int(round(UPPER_LOWER_SHARE * n))) if n >= 2 else 0
        if size:
            lower = extreme_weights(total, size, top=False) @ x / size / maxima
            upper = extreme_weights(total, size, top=True) @ x / size / maxima
        else:
            lower = upper = np.full(len(maxima), np.nan)
        if n >= 2:
            xc, rc = x - x.mean(axis=0), rest - rest.mean(axis=0)
            cov = (xc * rc).sum(axis=0) / (n - 1)
            var_x, var_rest = (xc**2).sum(axis=0) / (n - 1), (rc**2).sum(axis=0) / (n - 1)
            item_rest_r = cov / np.sqrt(var_x * var_rest)
            # Moodle's cov_max: x and the rest of the test each sorted on its own, the best pairing possible.
            cov_max = (np.sort(xc, axis=0) * np.sort(rc, axis=0)).sum(axis=0) / (n - 1)
            efficiency = np.where(cov_max > 0, 100 * cov / cov_max, np.nan)
        else:
            item_rest_r = efficiency = np.full(len(maxima), np.nan)
    item_rest_r = np.where(np.isfinite(item_rest_r), item_rest_r, np.nan)
    return {"facility": facility, "upper_facility": upper, "lower_facility": lower,
            "discrimination": upper - lower, "item_rest_r": item_rest_r, "efficiency": efficiency}


def item_statistics(answers: pd.DataFrame, by: Sequence[str] = ("activity_kind",)) -> pd.DataFrame:
    """Per question: facility, upper-lower discrimination with its band, item-rest r, Moodle's indices.

    `answers`: the `by` columns, participant_id, question_id, points, max_points. Returns the `by`
    columns, question_id, n, max_points and
    - facility: mean points / maximum (0-1); facility_useful: within 0.3-0.7, the useful range on a pre-test;
    - upper_facility, lower_facility, discrimination: facility in the top and bottom 27% by total score
      (Kelley), their difference, and discrimination_band; people tied at a cut share its remaining
      places equally, so that no statistic depends on the participants' ids;
    - item_rest_r: the corrected point-biserial, corr(item, total - item);
    - moodle_discrimination_index: 100 × item_rest_r (Moodle's name for the same correlation);
    - moodle_discriminative_efficiency: 100 × cov(x, y)/cov_max, y = total - x, cov_max from x and y each
      sorted on its own (sample covariances, n - 1); efficiency_low when below 15.
    Correlations are NaN where an item or the rest of the test does not vary, or n < 2.
    """
    keys = list(by)
    require(answers, [*keys, "participant_id", "question_id", "points", "max_points"], "answers")
    tables = []
    for labels, rows in _groups(answers, keys):
        _people, items, x, maxima = score_matrix(rows)
        stats_ = _item_table(x, maxima)
        table = pd.DataFrame({**labels, "question_id": items, "n": x.shape[0], "max_points": maxima})
        table["facility"] = stats_["facility"]
        table["facility_useful"] = (np.round(table["facility"], BAND_DECIMALS) >= 0.3) & (
            np.round(table["facility"], BAND_DECIMALS) <= 0.7)
        table["upper_facility"] = stats_["upper_facility"]
        table["lower_facility"] = stats_["lower_facility"]
        table["discrimination"] = stats_["discrimination"]
        table["discrimination_band"] = [discrimination_band(d) for d in stats_["discrimination"]]
        table["item_rest_r"] = stats_["item_rest_r"]
        table["moodle_discrimination_index"] = 100 * stats_["item_rest_r"]
        table["moodle_discriminative_efficiency"] = stats_["efficiency"]
        table["efficiency_low"] = np.round(table["moodle_discriminative_efficiency"], BAND_DECIMALS) < LOW_EFFICIENCY
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=[*keys, *ITEM_COLUMNS])
    return pd.concat(tables, ignore_index=True)


def cronbach_alpha(x: np.ndarray) -> float:
    """k/(k-1) × (1 - sum of item variances / variance of the totals), all with n - 1."""
    n, k = x.shape
    if n < 2 or k < 2:
        return np.nan
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return np.nan
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var)


def reliability(answers: pd.DataFrame, by: Sequence[str] = ("activity_kind",)) -> pd.DataFrame:
    """Per test: Cronbach's alpha, KR-20 when every item is right/wrong, and Moodle's CIC, error ratio, SE.

    `answers`: as for item_statistics. Returns the `by` columns, n, k, mean_pct, sd_pct (sd of the
    totals in percent of the maximum, n - 1), cronbach_alpha, kr20 (on the 0/1 items with the same ddof
    as alpha, so equal to it when every item is worth 1 point; NaN when an item has partial credit),
    cic (100 × alpha), error_ratio (100 × sqrt(1 - CIC/100)), standard_error (ER × SD/100, in
    percentage points).
    """
    keys = list(by)
    require(answers, [*keys, "participant_id", "question_id", "points", "max_points"], "answers")
    rows = []
    for labels, group in _groups(answers, keys):
        _people, _items, x, maxima = score_matrix(group)
        n, k = x.shape
        percent = 100 * x.sum(axis=1) / maxima.sum() if maxima.sum() > 0 else np.full(n, np.nan)
        alpha = cronbach_alpha(x)
        dichotomous = bool(np.all((x == 0) | np.isclose(x, maxima)))
        kr20 = cronbach_alpha((np.isclose(x, maxima) & (maxima > 0)).astype(float)) if dichotomous else np.nan
        sd = percent.std(ddof=1) if n >= 2 else np.nan
        cic = 100 * alpha
        error_ratio = 100 * np.sqrt(1 - cic / 100) if np.isfinite(cic) else np.nan
        rows.append({**labels, "n": n, "k": k, "mean_pct": percent.mean() if n else np.nan, "sd_pct": sd,
                     "cronbach_alpha": alpha, "kr20": kr20, "cic": cic, "error_ratio": error_ratio,
                     "standard_error": error_ratio * sd / 100})
    return pd.DataFrame(rows, columns=[*keys, *RELIABILITY_COLUMNS])


def adjust_p_values(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Holm's step-down or Benjamini-Hochberg's step-up adjustment of a family of p-values."""
    if method not in CORRECTIONS:
        raise AnalysisError(f"Unknown correction {method!r}: use one of {', '.join(CORRECTIONS)}.")
    p = np.asarray(p, dtype=float)
    m = len(p)
    if not m:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def item_mcnemar(answers: pd.DataFrame, pairs: pd.DataFrame | None = None, correction: str = "holm") -> pd.DataFrame:
    """McNemar's exact test per question asked in both tests, with Holm or Benjamini-Hochberg correction.

    `answers`: participant_id, activity_kind, question_id, points, max_points (right = full points).
    `pairs`: from toolkit.analysis.matching (by participant id when None). Returns question_id, n_pairs,
    right_both, b_right_to_wrong, c_wrong_to_right, wrong_both, pre_facility, post_facility, p_exact
    (two-sided binomial of min(b, c) in b + c at 0.5; 1 when b + c = 0), p_adjusted and correction (its
    name). Questions asked in only one of the tests (parallel forms) are not tested; every question
    tested counts in the family.
    """
    require(answers, ["participant_id", "activity_kind", "question_id", "points", "max_points"], "answers")
    name = CORRECTIONS.get(correction)
    if name is None:
        raise AnalysisError(f"Unknown correction {correction!r}: use one of {', '.join(CORRECTIONS)}.")
    pairs = match_by_participant_id(answers) if pairs is None else pairs
    rows = answers[["participant_id", "activity_kind", "question_id", "points", "max_points"]]
    # 0 where the person has no row for the question, 1 wrong, 2 right: one matrix tells both
    rows = rows.assign(answer=(rows["points"] >= rows["max_points"] - 1e-9).astype(float) + 1)
    kind = rows["activity_kind"]
    pre, post = rows[kind == PRE], rows[kind == POST]
    common = sorted(set(as_text(pre["question_id"])) & set(as_text(post["question_id"])))
    pre = pre[as_text(pre["question_id"]).isin(common)]
    post = post[as_text(post["question_id"]).isin(common)]
    pre_people, _, pre_answer, _ = score_matrix(pre, "answer")
    post_people, _, post_answer, _ = score_matrix(post, "answer")
    i = pre_people.get_indexer(as_text(pairs["pre_participant_id"]))
    j = post_people.get_indexer(as_text(pairs["post_participant_id"]))
    i, j = i[(i >= 0) & (j >= 0)], j[(i >= 0) & (j >= 0)]
    asked = (pre_answer[i] > 0) & (post_answer[j] > 0)  # the pair has a row for the question in both tests
    before, after = pre_answer[i] == 2, post_answer[j] == 2
    table = pd.DataFrame({"right_both": (asked & before & after).sum(axis=0),
                          "b_right_to_wrong": (asked & before & ~after).sum(axis=0),
                          "c_wrong_to_right": (asked & ~before & after).sum(axis=0),
                          "wrong_both": (asked & ~before & ~after).sum(axis=0)},
                         index=pd.Index(common, name="question_id"), dtype=int)
    table.insert(0, "n_pairs", table.sum(axis=1))
    table = table[table["n_pairs"] > 0]  # in a crossover both forms come before and after, but never to one person
    table["pre_facility"] = (table["right_both"] + table["b_right_to_wrong"]) / table["n_pairs"]
    table["post_facility"] = (table["right_both"] + table["c_wrong_to_right"]) / table["n_pairs"]
    b, c = table["b_right_to_wrong"].to_numpy(), table["c_wrong_to_right"].to_numpy()
    table["p_exact"] = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(b, c), b + c, 0.5))
    table["p_adjusted"] = adjust_p_values(table["p_exact"].to_numpy(), correction)
    table["correction"] = name
    return table.reset_index()


_LISTS = (list, tuple, set, np.ndarray)


def _options_chosen(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (answer row, option chosen): a scalar response is one option, a list its distinct members.

    Blank answers and answers that are not options (a dict, as matching questions give) choose nothing.
    """
    responses = rows["response"].to_numpy(object)
    if pd.api.types.infer_dtype(responses, skipna=True) in ("string", "empty"):  # one option each: no loop
        shape = np.zeros(len(responses), dtype=np.int8)
    else:
        shape = np.fromiter((2 if isinstance(r, dict) else 1 if isinstance(r, _LISTS) else 0 for r in responses),
                            dtype=np.int8, count=len(responses))
    scalar = (shape == 0) & ~pd.isna(responses)
    position = np.arange(len(rows))
    parts = [pd.DataFrame({"row": position[scalar], "option": as_text(pd.Series(responses[scalar], dtype=object))})]
    if (shape == 1).any():
        listed = pd.Series(list(responses[shape == 1]), index=position[shape == 1]).explode().dropna()
        parts.append(pd.DataFrame({"row": listed.index.to_numpy(), "option": listed.astype(str).to_numpy()})
                     .drop_duplicates())
    return pd.concat(parts, ignore_index=True)


def distractor_analysis(answers: pd.DataFrame, key: Mapping[str, str | Sequence[str]] | None = None,
                        options: Mapping[str, Sequence[str]] | None = None,
                        by: Sequence[str] = ("activity_kind",)) -> pd.DataFrame:
    """How often each option was chosen, and whether its choosers did better than the rest.

    `answers`: the `by` columns, participant_id, question_id, points, max_points, response (an option
    id or a list of ids; dict answers, e.g. matching, are left out; with a question_type column only
    the types whose answers are options are analysed: `option_answers` in toolkit.questions). `key`: question_id -> the
    right option(s); for questions not in it, the options of the responses that earned full points. `options`:
    question_id -> every option id, so that options nobody chose are listed too.
    Returns the `by` columns, question_id, option, is_key (NA when unknown), n_takers, n_chosen,
    pct_chosen, mean_score_choosers, mean_score_rest (total test score in percent), not_functioning (a
    distractor chosen by < 5%), choosers_score_higher (a distractor whose choosers score higher than the
    rest: review it), verdict.
    """
    keys = list(by)
    require(answers, [*keys, "participant_id", "question_id", "points", "max_points", "response"], "answers")
    rows = answers[[*keys, "participant_id", "question_id", "points", "max_points", "response"]]
    if "question_type" in answers.columns:
        rows = rows[answers["question_type"].isin(questions.having("option_answers")).to_numpy()]
    rows = rows.assign(participant_id=as_text(rows["participant_id"])).reset_index(drop=True)
    # each person's total on the test, in percent, and each question's takers
    person = rows.groupby([*keys, "participant_id"], sort=False, observed=True).ngroup().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        total = (np.bincount(person, rows["points"].to_numpy(float))
                 / np.bincount(person, rows["max_points"].to_numpy(float)) * 100)[person]
    item = [*keys, "question_id"]
    question = rows.groupby(item, sort=False, observed=True).ngroup().to_numpy()
    takers = rows[item].assign(n_takers=1, sum_takers=total).groupby(item, observed=True).sum()
    full = (rows["points"] >= rows["max_points"] - 1e-9).to_numpy()
    chosen = _options_chosen(rows)
    chosen = chosen.assign(question=question[chosen["row"]], total=total[chosen["row"]], full=full[chosen["row"]])
    table = chosen.groupby(["question", "option"], observed=True).agg(
        n_chosen=("total", "size"), sum_choosers=("total", "sum"), chosen_by_full=("full", "any")).reset_index()
    labels = rows[item].groupby(question).first()
    table = pd.concat([labels.loc[table["question"]].reset_index(drop=True), table.drop(columns="question")], axis=1)
    if options:
        listed = pd.DataFrame([(q, str(o)) for q, opts in options.items() for o in opts], columns=["question_id", "option"])
        listed = takers.reset_index()[item].merge(listed, on="question_id")
        table = table.merge(listed, on=[*item, "option"], how="outer")
        table[["n_chosen", "sum_choosers"]] = table[["n_chosen", "sum_choosers"]].fillna(0)
        table["chosen_by_full"] = table["chosen_by_full"].eq(True)
    table = table.join(takers, on=item)
    # The key: as given, else the options of full-mark responses (unknown when nobody earned full marks).
    anyone_full = table.groupby(item, observed=True)["chosen_by_full"].transform("any")
    is_key = [bool(k) if known else pd.NA for k, known in zip(table["chosen_by_full"], anyone_full, strict=True)]
    keyed = {str(q): {str(k)} if isinstance(k, (str, bool, int)) else {str(v) for v in k} for q, k in (key or {}).items()}
    is_key = [o in keyed[q] if q in keyed else inferred
              for q, o, inferred in zip(as_text(table["question_id"]), table["option"], is_key, strict=True)]
    table["is_key"] = pd.array(is_key, dtype="boolean")
    table["pct_chosen"] = 100 * table["n_chosen"] / table["n_takers"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["mean_score_choosers"] = table["sum_choosers"] / table["n_chosen"]
        table["mean_score_rest"] = (table["sum_takers"] - table["sum_choosers"]) / (table["n_takers"] - table["n_chosen"])
    distractor = table["is_key"].eq(False).fillna(False).to_numpy(bool)
    table["not_functioning"] = distractor & (table["n_chosen"] < NOT_FUNCTIONING_SHARE * table["n_takers"]).to_numpy()
    table["choosers_score_higher"] = distractor & (table["mean_score_choosers"] > table["mean_score_rest"]).to_numpy()
    table["verdict"] = np.select(
        [table["is_key"].eq(True).fillna(False), table["is_key"].isna(), table["not_functioning"],
         table["choosers_score_higher"]],
        ["key", "key unknown", "does not function (chosen by < 5%)", "review: its choosers score higher than the rest"],
        "functions")
    columns = [*item, "option", "is_key", "n_takers", "n_chosen", "pct_chosen", "mean_score_choosers",
               "mean_score_rest", "not_functioning", "choosers_score_higher", "verdict"]
    return table.sort_values([*item, "option"], ignore_index=True)[columns]
