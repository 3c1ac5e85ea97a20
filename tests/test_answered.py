"""When an answer counts as given is one rule per question type (toolkit.questions): the phone, the coach's counts
and the results agree on it. A half-built order is the case that used to differ: "Not answered yet" on the phone,
answered for the coach."""

from __future__ import annotations

import re

from test_coach_app import new_session, phone

from toolkit import questions
from toolkit.results import load_results

NRM = 4  # the ordering question's place in the all-types bank


def _half_then_whole(store):
    app, session = new_session(store)
    pre = store.list_activities(session["id"])[0]
    app.set_state(pre["id"], "open")
    p = phone(store, session, "Ayesha")
    p.go(NRM)
    p.input.tap("identify")
    p.input.tap("screen")
    return app, pre, p


def _coach_counts(app) -> tuple[int, str]:
    app.nav.value = "results"
    app.refresh(force=True)
    results = app.panels["results"].questions.value
    nrm = int(re.search(r"class='tk-answered' data-question='nrm'><b>(\d+)</b>", results).group(1))
    app.nav.value = "run"
    app.refresh(force=True)
    row = re.search(r"(\d+) of 9 answered", app.panels["run"].board.value).group(0)
    return nrm, row


def test_a_half_built_order_is_not_answered_on_the_phone_until_every_item_is_placed(store):
    _app, _pre, p = _half_then_whole(store)
    assert "Not answered yet" in p.status.value and "Saved" not in p.status.value
    p.go(9)
    assert "You answered 0 of 9 questions." in p.body.children[0].value
    p.go(NRM)
    p.input.tap("refer")
    p.input.tap("protect")
    assert "Saved" in p.status.value
    p.go(9)
    assert "You answered 1 of 9 questions." in p.body.children[0].value


def test_a_half_built_order_is_not_counted_as_answered_by_the_coach(store):
    app, _pre, p = _half_then_whole(store)
    assert _coach_counts(app) == (0, "0 of 9 answered")
    p.input.tap("refer")
    p.input.tap("protect")
    assert _coach_counts(app) == (1, "1 of 9 answered")


def test_a_half_built_order_is_not_answered_in_the_results_yet_earns_its_points(store, all_types_bank):
    _app, pre, p = _half_then_whole(store)
    row = load_results(store).answers.set_index("question_id").loc["nrm"]
    assert not row["answered"] and row["points"] == 0.5  # two of four in their place
    p.input.tap("refer")
    p.input.tap("protect")
    row = load_results(store).answers.set_index("question_id").loc["nrm"]
    assert row["answered"] and row["points"] == 1.0


def test_the_rule_is_the_types_own(all_types_bank):
    bank = all_types_bank
    nrm, agencies, age = bank.question("nrm"), bank.question("agencies"), bank.question("age")
    assert not questions.answered(nrm, ["identify"]) and questions.answered(nrm, list(nrm.key))
    assert not questions.answered(agencies, {"internal": "police"})
    assert questions.answered(agencies, {"internal": "police", "smuggling": "police"})
    assert questions.answered(age, 0) and not questions.answered(age, None) and not questions.answered(age, "")
