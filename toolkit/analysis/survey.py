"""Reaction survey (Kirkpatrick level 1) and confidence before and after, per objective.

A survey frame holds one row per participant and question: participant_id, question_id, response
(the scale point as given by the bank: "1"…"5", "0"…"10"; or the text of an open answer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._common import as_text, require
from .gain import wilcoxon_test

AGREE5 = tuple(range(1, 6))
AGREE_FROM = 4  # "agree" and "strongly agree"
RECOMMEND10 = tuple(range(11))
PROMOTERS_FROM, DETRACTORS_TO = 9, 6


def _numeric(responses: pd.Series) -> pd.Series:
    return pd.to_numeric(responses.map(lambda r: r.strip() if isinstance(r, str) else r), errors="coerce")


def likert_summary(survey: pd.DataFrame, scale: Sequence[int] = AGREE5, agree_from: int = AGREE_FROM,
                   questions: Sequence[str] | None = None) -> pd.DataFrame:
    """Per Likert question: n, mean, % agree (4-5) and how many chose each point of the scale.

    `survey`: question_id, response. Responses off the scale (or not numbers) are left out of n.
    `questions`: which to summarise (default: every question with an answer on the scale).
    Returns question_id, n, mean, pct_agree, then one count column per scale point ("1" … "5").
    """
    require(survey, ["question_id", "response"], "survey answers")
    rows = survey.assign(value=_numeric(survey["response"]))
    if questions is not None:
        rows = rows[rows["question_id"].isin(questions)]
    rows = rows[rows["value"].isin(scale)]
    counts = pd.crosstab(rows["question_id"], rows["value"]).reindex(columns=list(scale), fill_value=0)
    counts.columns = [str(c) for c in scale]
    grouped = rows.groupby("question_id")["value"]
    table = pd.DataFrame({"n": grouped.size(), "mean": grouped.mean(),
                          "pct_agree": 100 * grouped.apply(lambda v: (v >= agree_from).mean())})
    table = table.join(counts)
    if questions is not None:
        table = table.reindex([q for q in questions if q in table.index])
    return table.rename_axis("question_id").reset_index()


def recommend_summary(survey: pd.DataFrame, question_id: str = "would-recommend") -> pd.DataFrame:
    """An NPS-style summary of a 0-10 question: promoters (9-10), passives (7-8), detractors (0-6).

    `survey`: question_id, response. Returns one row: question_id, n, mean, pct_promoters,
    pct_passives, pct_detractors, nps (% promoters - % detractors, from -100 to 100), then the counts
    "0" … "10". With no answer the figures are NaN.
    """
    require(survey, ["question_id", "response"], "survey answers")
    values = _numeric(survey.loc[survey["question_id"] == question_id, "response"])
    values = values[values.isin(RECOMMEND10)]
    n = len(values)
    share = (lambda mask: 100 * mask.mean()) if n else (lambda mask: np.nan)
    promoters, detractors = share(values >= PROMOTERS_FROM), share(values <= DETRACTORS_TO)
    row = {"question_id": question_id, "n": n, "mean": values.mean() if n else np.nan,
           "pct_promoters": promoters, "pct_passives": share((values > DETRACTORS_TO) & (values < PROMOTERS_FROM)),
           "pct_detractors": detractors, "nps": promoters - detractors}
    row.update({str(p): int((values == p).sum()) for p in RECOMMEND10})
    return pd.DataFrame([row])


def open_answers(survey: pd.DataFrame, questions: Sequence[str] | None = None) -> pd.DataFrame:
    """The open answers, listed by question without who wrote them; empty answers are left out.

    `survey`: question_id, response. `questions`: the open questions (default: every question whose
    answers are not numbers). Returns question_id, answer, in the order given.
    """
    require(survey, ["question_id", "response"], "survey answers")
    rows = survey[["question_id", "response"]]
    if questions is None:
        text = rows["response"].map(lambda r: isinstance(r, str)) & _numeric(rows["response"]).isna()
        questions = list(dict.fromkeys(rows.loc[text, "question_id"]))
    rows = rows[rows["question_id"].isin(questions)]
    answers = rows["response"].map(lambda r: r.strip() if isinstance(r, str) else "")
    listed = pd.DataFrame({"question_id": rows["question_id"], "answer": answers})
    listed = listed[listed["answer"] != ""]
    order = {q: i for i, q in enumerate(questions)}
    return listed.sort_values("question_id", key=lambda q: q.map(order), kind="stable", ignore_index=True)


def top_words(survey: pd.DataFrame, questions: Sequence[str], n: int = 10,
               normalise: Callable[[str], str] = str.casefold) -> pd.DataFrame:
    """The words most sent to each word-cloud question: each person's words counted once, as `normalise`d.

    `survey`: question_id, participant_id, response (a list of words). Returns question_id, word (the form sent
    most often), people (how many sent it), the `n` most frequent of each question, most first.
    """
    require(survey, ["question_id", "participant_id", "response"], "survey answers")
    rows = []
    for row in survey[survey["question_id"].isin(questions)].itertuples(index=False):
        words = row.response if isinstance(row.response, (list, tuple)) else []
        for word in {normalise(w): w.strip() for w in words if isinstance(w, str) and normalise(w)}.items():
            rows.append((row.question_id, row.participant_id, *word))
    frame = pd.DataFrame(rows, columns=["question_id", "participant_id", "key", "word"])
    if frame.empty:
        return pd.DataFrame(columns=["question_id", "word", "people"])
    people = frame.drop_duplicates(["question_id", "participant_id", "key"]).groupby(["question_id", "key"]).agg(
        word=("word", lambda s: s.value_counts().index[0]), people=("participant_id", "size")).reset_index()
    order = {q: i for i, q in enumerate(questions)}
    people = people.sort_values(["question_id", "people", "word"], key=lambda c: c.map(order) if c.name == "question_id"
                                else (-c if c.name == "people" else c), ignore_index=True)
    return people.groupby("question_id", sort=False).head(n)[["question_id", "word", "people"]].reset_index(drop=True)


def confidence_change(confidence: pd.DataFrame, confident_from: int = AGREE_FROM, before: str = "before",
                      after: str = "after") -> pd.DataFrame:
    """Self-rated confidence (1-5) before and after the workshop, per learning objective.

    `confidence`: participant_id, objective, moment ('before' | 'after'), response. People who rated an
    objective both times are paired. Returns objective, n (pairs), before_mean, after_mean, change_mean,
    pct_confident_before, pct_confident_after (4-5), wilcoxon_p and rank_biserial_r (zero differences
    dropped, as in paired_tests).
    """
    require(confidence, ["participant_id", "objective", "moment", "response"], "confidence ratings")
    rows = confidence.assign(value=_numeric(confidence["response"]), participant_id=as_text(confidence["participant_id"]))
    rows = rows.dropna(subset=["value", "objective"])
    wide = rows.pivot_table(index=["objective", "participant_id"], columns="moment", values="value", aggfunc="mean")
    wide = wide.reindex(columns=[before, after]).dropna()
    table = []
    for objective, pairs in wide.groupby(level="objective", sort=True):
        b, a = pairs[before].to_numpy(float), pairs[after].to_numpy(float)
        test = wilcoxon_test(a - b)
        table.append({"objective": objective, "n": len(b), "before_mean": b.mean(), "after_mean": a.mean(),
                      "change_mean": (a - b).mean(), "pct_confident_before": 100 * (b >= confident_from).mean(),
                      "pct_confident_after": 100 * (a >= confident_from).mean(),
                      "wilcoxon_p": test["p_value"], "rank_biserial_r": test["effect_size"]})
    columns = ["objective", "n", "before_mean", "after_mean", "change_mean", "pct_confident_before",
               "pct_confident_after", "wilcoxon_p", "rank_biserial_r"]
    return pd.DataFrame(table, columns=columns)
