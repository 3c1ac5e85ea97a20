"""Pairing each participant's pre-test with their post-test: by participant id, or by self-generated code.

A pairs frame has one row per matched person: pre_participant_id, post_participant_id and the rule that
matched them (`BY_ID`, `EXACT_CODE`, `TOLERANT_CODE`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..matchcode import digests
from ._common import POST, PRE, as_text, require

BY_ID = "participant id"
EXACT_CODE = "exact code"
TOLERANT_CODE = "tolerant code (same sex and organisation, at most one element differs)"
PAIR_COLUMNS = ["pre_participant_id", "post_participant_id", "rule"]
_DIGESTS = 5  # the whole code's digest, then one per element left out (toolkit.matchcode)


def _takers(answers: pd.DataFrame, kind: str) -> pd.Index:
    ids = answers.loc[answers["activity_kind"] == kind, "participant_id"].dropna().unique()
    return pd.Index(np.sort(ids.astype(str)), dtype=object)


def _pairs(pre: list | pd.Index, post: list | pd.Index, rule: str) -> pd.DataFrame:
    return pd.DataFrame({"pre_participant_id": pd.Series(list(pre), dtype=object),
                         "post_participant_id": pd.Series(list(post), dtype=object),
                         "rule": rule})


def match_by_participant_id(answers: pd.DataFrame) -> pd.DataFrame:
    """Pairs of the participants who took both the pre-test and the post-test under the same id.

    `answers`: participant_id, activity_kind ('pretest' | 'posttest').
    Returns pre_participant_id, post_participant_id, rule.
    """
    require(answers, ["participant_id", "activity_kind"], "answers")
    both = _takers(answers, PRE).intersection(_takers(answers, POST))
    return _pairs(both, both, BY_ID)


def _normalise_text(values: pd.Series) -> pd.Series:
    # Missing sex or organisation is a value of its own: profiles with the field off still match tolerantly.
    return values.fillna("").astype(str).str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()


def _with_codes(people: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The people among `ids` whose stored code is well formed, with its digests split out."""
    rows = people.reindex(ids)
    parts = rows["match_code_hash"].map(digests)  # each digest marked with its key: other keys never match
    rows = rows[parts.notna()].copy()
    parts = parts[rows.index]
    for i in range(_DIGESTS):
        rows[f"d{i}"] = parts.str[i]
    rows["sex_key"] = _normalise_text(rows["sex"])
    rows["organisation_key"] = _normalise_text(rows["organisation"])
    return rows.rename_axis("participant_id").reset_index()


def _unique_pairs(candidates: pd.DataFrame) -> pd.DataFrame:
    """The candidate pairs in which each side has exactly one candidate."""
    candidates = candidates.drop_duplicates(["pre", "post"])
    once_pre = candidates["pre"].map(candidates["pre"].value_counts()) == 1
    once_post = candidates["post"].map(candidates["post"].value_counts()) == 1
    return candidates[once_pre & once_post].sort_values("pre")


def match_by_code(answers: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Pairs by participant id first, then by self-generated code: exact, then tolerant.

    `answers`: participant_id, activity_kind. `participants`: participant_id, sex, organisation,
    match_code_hash (toolkit.matchcode's stored form: the key's id and five digests; codes of another key, or
    stored before keys, match only codes of their own kind).

    - participant id: the same id took both tests;
    - exact code: the whole codes are equal and no other remaining participant holds that code;
    - tolerant code: among those still unmatched, of the same sex and organisation (compared without
      case or extra spaces; a missing value matches a missing value), the codes are equal or differ in
      one element, and the match is unique: neither side has another such candidate. One pass, so a
      match never depends on an earlier tolerant one.
    Codes that are missing or malformed are not matched. Returns pre_participant_id, post_participant_id, rule.
    """
    require(answers, ["participant_id", "activity_kind"], "answers")
    require(participants, ["participant_id", "sex", "organisation", "match_code_hash"], "participants")
    pre, post = _takers(answers, PRE), _takers(answers, POST)
    both = pre.intersection(post)
    found = [_pairs(both, both, BY_ID)]
    people = participants.assign(participant_id=as_text(participants["participant_id"]))
    people = people.drop_duplicates("participant_id").set_index("participant_id")
    pre_left = _with_codes(people, pre.difference(both))
    post_left = _with_codes(people, post.difference(both))

    code_count_pre = pre_left["d0"].value_counts() if len(pre_left) else pd.Series(dtype=int)
    code_count_post = post_left["d0"].value_counts() if len(post_left) else pd.Series(dtype=int)
    exact = pre_left[["participant_id", "d0"]].merge(post_left[["participant_id", "d0"]], on="d0",
                                                     suffixes=("_pre", "_post"))
    exact = exact[(exact["d0"].map(code_count_pre) == 1) & (exact["d0"].map(code_count_post) == 1)]
    exact = exact.sort_values("participant_id_pre")
    found.append(_pairs(exact["participant_id_pre"], exact["participant_id_post"], EXACT_CODE))

    pre_left = pre_left[~pre_left["participant_id"].isin(exact["participant_id_pre"])]
    post_left = post_left[~post_left["participant_id"].isin(exact["participant_id_post"])]
    keys = ["sex_key", "organisation_key", "position", "digest"]

    def long(rows: pd.DataFrame) -> pd.DataFrame:
        # Equal digests at the same position i > 0 mean the codes agree on every element but the i-th.
        return rows.melt(id_vars=["participant_id", "sex_key", "organisation_key"],
                         value_vars=[f"d{i}" for i in range(_DIGESTS)], var_name="position", value_name="digest")

    if len(pre_left) and len(post_left):
        candidates = long(pre_left).merge(long(post_left), on=keys, suffixes=("_pre", "_post"))
        candidates = candidates.rename(columns={"participant_id_pre": "pre", "participant_id_post": "post"})
        tolerant = _unique_pairs(candidates[["pre", "post"]])
        found.append(_pairs(tolerant["pre"], tolerant["post"], TOLERANT_CODE))
    return pd.concat(found, ignore_index=True)[PAIR_COLUMNS]


def match_rate(pairs: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """How many pre- and post-tests were paired, by rule, and the match rate.

    `pairs`: from match_by_participant_id or match_by_code. `answers`: participant_id, activity_kind.
    Returns one row: n_pretest, n_posttest, matched_by_participant_id, matched_exact_code,
    matched_tolerant_code, matched, unmatched_pretest, unmatched_posttest, match_rate_pct
    (100 × matched / the smaller of n_pretest and n_posttest: the share of the pairs that could be made).
    """
    require(pairs, PAIR_COLUMNS, "pairs")
    n_pre, n_post = len(_takers(answers, PRE)), len(_takers(answers, POST))
    counts = pairs["rule"].value_counts()
    matched = len(pairs)
    possible = min(n_pre, n_post)
    return pd.DataFrame([{
        "n_pretest": n_pre,
        "n_posttest": n_post,
        "matched_by_participant_id": int(counts.get(BY_ID, 0)),
        "matched_exact_code": int(counts.get(EXACT_CODE, 0)),
        "matched_tolerant_code": int(counts.get(TOLERANT_CODE, 0)),
        "matched": matched,
        "unmatched_pretest": n_pre - matched,
        "unmatched_posttest": n_post - matched,
        "match_rate_pct": 100 * matched / possible if possible else np.nan,
    }])
