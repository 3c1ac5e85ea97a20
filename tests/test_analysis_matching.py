"""Matching pre- and post-tests by participant id and by self-generated code, and the match rate."""

import math
from itertools import product

import numpy as np
import pandas as pd
from helpers import quick_code

from toolkit.analysis import BY_ID, EXACT_CODE, TOLERANT_CODE, match_by_code, match_by_participant_id, match_rate
from toolkit.matchcode import differ_in_at_most_one, digests


def taken(pre_ids, post_ids):
    rows = [{"participant_id": p, "activity_kind": "pretest"} for p in pre_ids]
    rows += [{"participant_id": p, "activity_kind": "posttest"} for p in post_ids]
    return pd.DataFrame(rows)


def person(pid, code, sex="f", organisation="FIA"):
    return {"participant_id": pid, "sex": sex, "organisation": organisation, "rank": None,
            "match_code_hash": quick_code(code) if isinstance(code, dict) else code}


def code(mother="r", birthday="14", district="q", siblings="2"):
    return {"mother": mother, "birthday": birthday, "district": district, "siblings": siblings}


def as_set(pairs):
    return set(zip(pairs["pre_participant_id"], pairs["post_participant_id"], pairs["rule"], strict=True))


def test_by_participant_id_pairs_only_those_who_took_both_tests():
    pairs = match_by_participant_id(taken(["a", "b", "c"], ["b", "c", "d"]))
    assert as_set(pairs) == {("b", "b", BY_ID), ("c", "c", BY_ID)}
    rate = match_rate(pairs, taken(["a", "b", "c"], ["b", "c", "d"])).iloc[0]
    # 2 matched of min(3 pre, 3 post): 2/3 = 66.7 %
    assert (rate["matched"], rate["unmatched_pretest"], rate["unmatched_posttest"]) == (2, 1, 1)
    assert rate["match_rate_pct"] == 100 * 2 / 3


def test_codes_match_exactly_then_tolerantly_and_the_rate_counts_each_rule():
    participants = pd.DataFrame([
        person("same", code(mother="s")),                          # took both tests on one device
        person("pre-exact", code(mother="a")), person("post-exact", code(mother="a")),
        person("pre-one-off", code(mother="b")), person("post-one-off", code(mother="b", siblings="3")),
        person("pre-two-off", code(mother="c")), person("post-two-off", code(mother="c", siblings="3", birthday="1")),
        person("pre-other-sex", code(mother="d")), person("post-other-sex", code(mother="d", siblings="5"), sex="m"),
    ])
    answers = taken(["same", "pre-exact", "pre-one-off", "pre-two-off", "pre-other-sex"],
                    ["same", "post-exact", "post-one-off", "post-two-off", "post-other-sex"])
    pairs = match_by_code(answers, participants)
    assert as_set(pairs) == {("same", "same", BY_ID), ("pre-exact", "post-exact", EXACT_CODE),
                             ("pre-one-off", "post-one-off", TOLERANT_CODE)}
    rate = match_rate(pairs, answers).iloc[0]
    assert rate[["matched_by_participant_id", "matched_exact_code", "matched_tolerant_code", "matched"]].tolist() == [
        1, 1, 1, 3]
    assert rate["match_rate_pct"] == 60.0  # 3 of 5


def test_a_tolerant_match_that_is_not_unique_is_not_made():
    participants = pd.DataFrame([
        person("pre-1", code(siblings="1")), person("pre-2", code(siblings="2")),  # both one element off post's
        person("post", code(siblings="3")),
    ])
    assert match_by_code(taken(["pre-1", "pre-2"], ["post"]), participants).empty


def test_an_exact_code_held_twice_is_resolved_only_within_sex_and_organisation():
    participants = pd.DataFrame([
        person("pre-f", code(), sex="f"), person("pre-m", code(), sex="m"),
        person("post-f", code(), sex="F "),  # the same sex, written differently
    ])
    pairs = match_by_code(taken(["pre-f", "pre-m"], ["post-f"]), participants)
    assert as_set(pairs) == {("pre-f", "post-f", TOLERANT_CODE)}  # not exact: two pre-tests hold the code


def test_missing_or_malformed_codes_are_not_matched():
    participants = pd.DataFrame([
        person("pre-none", None), person("post-none", None),
        person("pre-bad", "not-a-code"), person("post-bad", "not-a-code"),
    ])
    assert match_by_code(taken(["pre-none", "pre-bad"], ["post-none", "post-bad"]), participants).empty


def test_nobody_at_the_post_test_gives_no_rate_rather_than_a_division_by_zero():
    rate = match_rate(match_by_participant_id(taken(["a"], [])), taken(["a"], [])).iloc[0]
    assert rate["matched"] == 0 and math.isnan(rate["match_rate_pct"])


def brute_force(pre, post, people):
    """The rule as the evaluation methods state it, pair by pair, with toolkit.matchcode as the oracle."""
    code_of = {p["participant_id"]: p["match_code_hash"] for p in people}
    group = {p["participant_id"]: (p["sex"].strip().casefold(), p["organisation"].strip().casefold()) for p in people}
    whole = {pid: digests(c)[0] for pid, c in code_of.items()}
    found = set()
    for a, b in product(pre, post):
        if whole[a] == whole[b] and sum(whole[x] == whole[a] for x in pre) == 1 \
                and sum(whole[y] == whole[b] for y in post) == 1:
            found.add((a, b, EXACT_CODE))
    pre_left = [a for a in pre if a not in {f[0] for f in found}]
    post_left = [b for b in post if b not in {f[1] for f in found}]
    candidates = {(a, b) for a, b in product(pre_left, post_left)
                  if group[a] == group[b] and differ_in_at_most_one(code_of[a], code_of[b])}
    for a, b in candidates:
        if sum(x == a for x, _ in candidates) == 1 and sum(y == b for _, y in candidates) == 1:
            found.add((a, b, TOLERANT_CODE))
    return found


def test_matching_at_random_agrees_with_the_rule_applied_pair_by_pair():
    rng = np.random.default_rng(2026)
    people, pre, post = [], [], []
    for i in range(120):
        # few letters and days, so that codes collide and candidates compete, as in a real room
        answers = code(mother=rng.choice(list("abcdefgh")), birthday=str(rng.integers(1, 9)),
                       district=rng.choice(list("qk")), siblings=str(rng.integers(0, 3)))
        sex, organisation = rng.choice(["f", "m"]), rng.choice(["FIA", "Police "])
        people.append(person(f"pre{i}", answers, sex, organisation))
        pre.append(f"pre{i}")
        if rng.random() < 0.85:  # most come back; some misremember one or two answers
            later = dict(answers)
            for field in rng.choice(list(later), size=rng.choice([0, 0, 1, 2]), replace=False):
                later[field] = {"mother": "z", "birthday": "30", "district": "x", "siblings": "9"}[field]
            people.append(person(f"post{i}", later, sex, organisation.strip().upper()))
            post.append(f"post{i}")
    got = match_by_code(taken(pre, post), pd.DataFrame(people))
    expected = brute_force(pre, post, people)
    assert as_set(got) == expected
    assert {r for *_, r in expected} == {EXACT_CODE, TOLERANT_CODE}  # both rules were exercised
