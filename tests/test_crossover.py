"""Counterbalanced forms (#16): sequences assigned at join and kept, the form each person takes, and the crossover
analysis that tells the forms' difference from the learning."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from helpers import ROOT

from toolkit.analysis.crossover import crossover_analysis, crossover_notes, crossover_scores
from toolkit.apps.participant import ParticipantApp
from toolkit.bank import load_bank
from toolkit.design import choose_sequence, describe_session
from toolkit.results import load_results
from toolkit.store import StoreError


@pytest.fixture(scope="module")
def forms():
    return (load_bank(ROOT / "question_banks" / "prepost-form-a.yaml"),
            load_bank(ROOT / "question_banks" / "prepost-form-b.yaml"))


def _crossover_session(store, forms, design="crossover", profile=None):
    workshop = store.add_workshop("Crossover", profile_fields=profile or {"sex": "optional", "organisation": "optional"})
    session = store.add_session(workshop["id"], "Day 1", design=design)
    pre = store.add_activity(session["id"], forms[0], "pretest")
    post = store.add_activity(session["id"], forms[1], "posttest")
    return workshop, session, pre, post


def _simulated_answers(n_per_sequence: int, form_b_easier: float, gain: float, seed: int) -> pd.DataFrame:
    """One row per person and test (a 100-point "question"): ability ~ N(50, 10), noise sd 5 per test."""
    rng = np.random.default_rng(seed)
    rows = []
    for sequence in ("AB", "BA"):
        for i in range(n_per_sequence):
            pid = f"{sequence}-{i}"
            ability = rng.normal(50, 10)
            for kind, form, period in (("pretest", sequence[0], 0), ("posttest", sequence[1], 1)):
                score = ability + gain * period + (form_b_easier if form == "B" else 0) + rng.normal(0, 5)
                rows.append({"participant_id": pid, "activity_kind": kind, "form": f"form-{form.lower()}",
                             "question_id": "q", "points": score, "max_points": 100.0})
    return pd.DataFrame(rows)


def test_the_analysis_recovers_a_known_form_effect_and_the_true_gain():
    answers = _simulated_answers(40, form_b_easier=10.0, gain=15.0, seed=16)
    scores = crossover_scores(answers)
    assert Counter(scores["sequence"]) == {"AB": 40, "BA": 40}
    table = crossover_analysis(scores).set_index("statistic")
    assert table.at["form_effect", "value"] == pytest.approx(10.0, abs=2.0)
    assert table.at["gain", "value"] == pytest.approx(15.0, abs=2.0)
    for name, truth in (("form_effect", 10.0), ("gain", 15.0)):
        assert table.at[name, "ci_low"] < truth < table.at[name, "ci_high"]
    assert (table.at["gain", "form_a"], table.at["gain", "form_b"]) == ("form-a", "form-b")
    # Everyone A then B would have counted the easier form as learning: about 25 points.
    ab = scores[scores["sequence"] == "AB"]
    assert ab["gain"].mean() == pytest.approx(25.0, abs=2.5)
    assert crossover_notes(crossover_analysis(scores)) == []


def test_the_estimates_are_the_least_squares_fit_on_a_sequence_code():
    scores = crossover_scores(_simulated_answers(7, form_b_easier=-6.0, gain=12.0, seed=3).iloc[:-4])  # 7 AB, 5 BA
    table = crossover_analysis(scores).set_index("statistic")
    # statsmodels 0.15 OLS of d on a ±1 code: the intercept is the gain, the slope the form effect
    x = sm.add_constant(np.where(scores["sequence"] == "AB", 1.0, -1.0))
    fit = sm.OLS(scores["gain"].to_numpy(float), x).fit()
    for i, name in enumerate(("gain", "form_effect")):
        assert table.at[name, "value"] == pytest.approx(fit.params[i], rel=1e-9)
        assert table.at[name, "se"] == pytest.approx(fit.bse[i], rel=1e-9)
        assert table.at[name, "p_value"] == pytest.approx(fit.pvalues[i], rel=1e-6)
        low, high = fit.conf_int(0.05)[i]
        assert (table.at[name, "ci_low"], table.at[name, "ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert (table.at["gain", "n_ab"], table.at["gain", "n_ba"]) == (7, 5)


def test_a_small_sequence_group_and_a_single_sequence_are_said():
    scores = crossover_scores(_simulated_answers(6, 10.0, 15.0, seed=1).iloc[:-8])  # 6 AB, 2 BA
    assert crossover_notes(crossover_analysis(scores)) == [
        "a sequence group has fewer than 5 people: the forms' difference rests on very few and may be far off"]
    only_ab = crossover_scores(_simulated_answers(6, 10.0, 15.0, seed=1).iloc[:12])
    table = crossover_analysis(only_ab)
    assert table["value"].isna().all() and (table["interval"] == "no meaningful interval").all()
    assert "cannot be told from the learning" in crossover_notes(table)[0]


def test_sequences_are_balanced_within_organisation_and_sex_in_order_of_joining(store, forms):
    _, session, _, _ = _crossover_session(store, forms)
    people = [(org, sex) for org in ("Police", "FIA", "Prosecution") for sex in ("female", "male")
              for _ in range(3)] + [("Police", "male")] * 2
    import random
    random.Random(7).shuffle(people)
    joined = [store.join(session["join_code"], f"P{i}", uid=f"u{i}", organisation=org, sex=sex)
              for i, (org, sex) in enumerate(people)]
    assert all(p["sequence"] in ("AB", "BA") for p in joined)
    strata = Counter((p["organisation"], p["sex"], p["sequence"]) for p in joined)
    for org, sex in set(people):
        assert abs(strata[(org, sex, "AB")] - strata[(org, sex, "BA")]) <= 1, (org, sex)
    for sex in ("female", "male"):
        of_sex = Counter(p["sequence"] for p in joined if p["sex"] == sex)
        assert abs(of_sex["AB"] - of_sex["BA"]) <= 1, sex
    room = Counter(p["sequence"] for p in joined)
    assert abs(room["AB"] - room["BA"]) <= 1
    again = store.join(session["join_code"], "P0", uid="u0", organisation=people[0][0], sex=people[0][1])
    assert again["sequence"] == joined[0]["sequence"]  # a retried join is the same person with the same sequence


def test_the_choice_looks_at_the_stratum_first_then_the_margins():
    taken = [("AB", "female", "Police"), ("BA", "male", "Police"), ("AB", "male", "FIA")]
    assert choose_sequence(taken, "x", "female", "Police") == "BA"  # the stratum has one AB
    assert choose_sequence(taken, "x", "male", "FIA") == "BA"
    # a new stratum: the sex margin decides (men: one AB, one BA), then organisation (FIA: one AB)
    assert choose_sequence(taken, "x", "male", "Prosecution") == choose_sequence(taken, "y", "female", "FIA") == "BA"
    assert {choose_sequence([], f"id-{i}", None, None) for i in range(20)} == {"AB", "BA"}  # ties by id: both


def test_a_returning_member_keeps_their_sequence_in_the_next_session(store, forms):
    workshop, first, _, _ = _crossover_session(store, forms)
    people = [store.join(first["join_code"], f"P{i}", uid=f"r{i}", sex="female", organisation="Police")
              for i in range(5)]
    second = store.add_session(workshop["id"], "Day 2")
    store.add_activity(second["id"], forms[1], "pretest")
    post = store.add_activity(second["id"], forms[0], "posttest")
    for p in people:
        store.attend(second["id"], p["id"])
    newcomer = store.join(second["join_code"], "New", uid="r-new", sex="female", organisation="Police")
    for p in people:
        assert store.find_participant(p["token"])["sequence"] == p["sequence"]
    assert Counter(p["sequence"] for p in [*people, newcomer]) == {"AB": 3, "BA": 3}
    store.open_activity(post["id"])
    for p in people:  # Day 2 pairs form B before and A after: sequence AB takes the post-test's own form, A
        expected = forms[0].hash if p["sequence"] == "AB" else forms[1].hash
        assert store.start_attempt(post["id"], p["id"])["bank_hash"] == expected


def test_a_rostered_participant_gets_a_sequence_when_claiming_the_card(store, forms):
    workshop, session, pre, _ = _crossover_session(store, forms)
    card = store.add_rostered(workshop["id"], [{"name": "Sana", "sex": "female", "organisation": "FIA"}])[0]
    assert store.find_card(card["personal_code"])["sequence"] is None
    claimed, _ = store.claim_card(card["personal_code"])
    assert claimed["sequence"] in ("AB", "BA")
    store.open_activity(pre["id"])
    taken = store.start_attempt(pre["id"], claimed["id"])["bank_hash"]
    assert taken == (forms[0].hash if claimed["sequence"] == "AB" else forms[1].hash)


def _phone(store, session, name):
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    app.join_form.name_box.value = name
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    return app


def _shown(widget) -> str:
    """Every text on the phone's screen."""
    import html
    own = html.unescape(widget.value) if isinstance(getattr(widget, "value", None), str) else ""
    return own + "".join(_shown(child) for child in getattr(widget, "children", ()))


def test_each_participant_takes_the_form_of_their_sequence(store, forms):
    _, session, pre, post = _crossover_session(store, forms)
    phones = [_phone(store, session, f"P{i}") for i in range(4)]
    sequences = [p.participant["sequence"] for p in phones]
    assert sorted(sequences) == ["AB", "AB", "BA", "BA"]
    a, b = forms
    for kind, activity in (("pre", pre), ("post", post)):
        store.open_activity(activity["id"])
        for p, sequence in zip(phones, sequences, strict=True):
            p.refresh()
            first = sequence[0] if kind == "pre" else sequence[1]
            bank = a if first == "A" else b
            other = b if bank is a else a
            assert p.attempt["bank_hash"] == bank.hash
            shown = _shown(p.body)
            assert bank.title["en"] in shown and other.title["en"] not in shown
            assert bank.questions[0].text["en"][:40] in shown and other.questions[0].text["en"][:40] not in shown
            p.input.choose(bank.questions[0].key)
    results = load_results(store)
    forms_taken = results.answers.groupby(["participant_id", "activity_kind"])["form"].first().unstack()
    for p, sequence in zip(phones, sequences, strict=True):
        expected = (a.id, b.id) if sequence == "AB" else (b.id, a.id)
        assert tuple(forms_taken.loc[p.participant["id"], ["pretest", "posttest"]]) == expected
    assert results.sessions["design"].tolist() == ["crossover"]
    assert describe_session(store, session["id"]).startswith("Design: crossover") and "(2 A then B, 2 B then A)" in \
        describe_session(store, session["id"])


def test_a_then_b_and_same_form_give_everyone_the_activitys_form(store, forms):
    _, session, pre, post = _crossover_session(store, forms, design="a-then-b")
    phones = [_phone(store, session, f"P{i}") for i in range(4)]
    store.open_activity(pre["id"])
    assert {store.start_attempt(pre["id"], p.participant["id"])["bank_hash"] for p in phones} == {forms[0].hash}
    assert describe_session(store, session["id"]) == ("Design: A then B: everyone took the pre-test's form first and "
                                                       "the other form after.")
    with pytest.raises(StoreError, match="crossover, same-form, a-then-b"):
        store.set_session_design(session["id"], "latin-square")
    workshop = store.add_workshop("Same")
    same = store.add_session(workshop["id"], "S")  # the default is crossover, but one bank is one form
    store.add_activity(same["id"], forms[0], "pretest")
    store.add_activity(same["id"], forms[0], "posttest")
    assert describe_session(store, same["id"]) == "Design: same form: the same questions before and after."
