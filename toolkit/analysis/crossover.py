"""The crossover analysis: the difference between two test forms told apart from the learning (toolkit.design).

In a crossover half the people take form A before and form B after (sequence AB), the other half B before and A
after (BA). With d = post - pre, a person of AB gains the learning plus how much easier B is than A, a person of BA
the learning minus it:

    AB: d = gain + form_effect + e        BA: d = gain - form_effect + e

so, from the two sequences' mean differences m_AB and m_BA (the standard AB/BA crossover analysis, Jones & Kenward
2014 ch. 2; Senn 2002 ch. 3, with the periods "before" and "after" and the forms as the treatments):

    gain = (m_AB + m_BA) / 2        form_effect = (m_AB - m_BA) / 2 (form B's score minus form A's)

each with standard error sqrt(s2 (1/n_AB + 1/n_BA)) / 2, s2 the pooled variance of d within the sequences, and
Student t with n_AB + n_BA - 2 df. This is the ordinary least-squares fit of d on a ±1 sequence code, which the
tests check against statsmodels. It assumes the teaching helps as much on either form (no form × period
interaction): that cannot be tested apart from a difference between the two halves of the room.

Forms are the `form` column of the answers (a bank id); form A is the first of the two in alphabetical order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import MIN_INTERVAL_N, NO_INTERVAL, POST, PRE, SMALL_CELL, as_text, require
from .gain import pre_post_scores

SEQUENCE_AB, SEQUENCE_BA, SAME_FORM = "AB", "BA", "same form"
CROSSOVER_COLUMNS = ["statistic", "value", "se", "ci_low", "ci_high", "df", "p_value", "interval", "n_ab", "n_ba",
                     "form_a", "form_b"]
STATISTIC_WORDS = {"gain": "mean gain with the forms' difference removed (percentage points)",
                   "form_effect": "form B minus form A: how much easier form B is (percentage points)"}
SMALL_SEQUENCE = ("a sequence group has fewer than {n} people: the forms' difference rests on very few and may be "
                  "far off")


def forms_taken(answers: pd.DataFrame) -> pd.DataFrame:
    """Each person's form before and after: participant_id, pre_form, post_form (None where they took several)."""
    require(answers, ["participant_id", "activity_kind", "form"], "answers")
    rows = answers[answers["activity_kind"].isin((PRE, POST))]
    rows = rows.assign(participant_id=as_text(rows["participant_id"]))
    forms = rows.groupby(["participant_id", "activity_kind"])["form"].agg(
        lambda f: f.iloc[0] if f.nunique() == 1 else None).unstack()
    forms = forms.reindex(columns=[PRE, POST])
    return forms.rename(columns={PRE: "pre_form", POST: "post_form"}).rename_axis(columns=None).reset_index()


def crossover_scores(answers: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """pre_post_scores with each person's forms and sequence (AB, BA, "same form", or None when mixed).

    The post-test's form is the matched post-test participant's (the same person, or one matched by code)."""
    scores = pre_post_scores(answers, pairs)
    forms = forms_taken(answers).set_index("participant_id")
    pre_form = scores["participant_id"].map(forms["pre_form"])
    post_form = as_text(scores["post_participant_id"]).map(forms["post_form"])
    two = sorted({f for f in pd.concat([pre_form, post_form]).dropna().unique()})
    form_a = two[0] if two else None

    def sequence(pre, post):
        if pre is None or post is None or pd.isna(pre) or pd.isna(post):
            return None
        if pre == post:
            return SAME_FORM
        return SEQUENCE_AB if pre == form_a else SEQUENCE_BA

    return scores.assign(pre_form=pre_form.to_numpy(), post_form=post_form.to_numpy(),
                         sequence=[sequence(a, b) for a, b in zip(pre_form, post_form, strict=True)])


def crossover_analysis(scores: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The form-adjusted gain and the forms' difference, from crossover_scores (CROSSOVER_COLUMNS, two rows).

    Only people whose two tests were the two different forms count. Without both sequences the forms' difference
    cannot be estimated: the values are NaN. No interval with fewer than MIN_INTERVAL_N people in all."""
    require(scores, ["gain", "sequence", "pre_form", "post_form"], "scores")
    crossed = scores[scores["sequence"].isin((SEQUENCE_AB, SEQUENCE_BA))]
    forms = sorted(set(crossed["pre_form"]) | set(crossed["post_form"]))
    form_a, form_b = (forms + [None, None])[:2] if len(forms) <= 2 else (None, None)
    d_ab = crossed.loc[crossed["sequence"] == SEQUENCE_AB, "gain"].to_numpy(float)
    d_ba = crossed.loc[crossed["sequence"] == SEQUENCE_BA, "gain"].to_numpy(float)
    n_ab, n_ba = len(d_ab), len(d_ba)
    rows = []
    if n_ab and n_ba and form_b is not None:
        m_ab, m_ba = d_ab.mean(), d_ba.mean()
        df = n_ab + n_ba - 2
        estimates = {"gain": (m_ab + m_ba) / 2, "form_effect": (m_ab - m_ba) / 2}
        if df > 0:
            s2 = (((d_ab - m_ab) ** 2).sum() + ((d_ba - m_ba) ** 2).sum()) / df
            se = np.sqrt(s2 * (1 / n_ab + 1 / n_ba)) / 2
        else:
            se = np.nan
        shown = n_ab + n_ba >= MIN_INTERVAL_N and df > 0 and np.isfinite(se)
        half = stats.t.ppf(0.5 + confidence / 2, df) * se if shown else np.nan
        for name, value in estimates.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                t_value = value / se if df > 0 and se > 0 else np.nan
            p = 2 * stats.t.sf(abs(t_value), df) if np.isfinite(t_value) else np.nan
            rows.append({"statistic": name, "value": value, "se": se, "ci_low": value - half if shown else np.nan,
                         "ci_high": value + half if shown else np.nan, "df": df, "p_value": p,
                         "interval": f"Student t, {df} df" if shown else NO_INTERVAL})
    else:
        rows = [{"statistic": name, "value": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                 "df": np.nan, "p_value": np.nan, "interval": NO_INTERVAL} for name in ("gain", "form_effect")]
    frame = pd.DataFrame(rows).assign(n_ab=n_ab, n_ba=n_ba, form_a=form_a, form_b=form_b)
    return frame[CROSSOVER_COLUMNS]


def crossover_notes(table: pd.DataFrame) -> list[str]:
    """What to read with care in a crossover_analysis, in words ([] when nothing)."""
    if table.empty:
        return []
    n_ab, n_ba = int(table["n_ab"].iloc[0]), int(table["n_ba"].iloc[0])
    if not (n_ab and n_ba):
        return ["only one sequence was taken: the forms' difference cannot be told from the learning"]
    if min(n_ab, n_ba) < SMALL_CELL:
        return [SMALL_SEQUENCE.format(n=SMALL_CELL)]
    return []

