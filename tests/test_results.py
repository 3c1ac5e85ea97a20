"""The store's results as tidy frames: every scored question a row, unanswered ones with 0 points, latest answer."""

from __future__ import annotations

import pytest
from helpers import by_place

from toolkit.analysis import pre_post_scores
from toolkit.results import (
    ANSWER_COLUMNS,
    PARTICIPANT_COLUMNS,
    load_results,
    moment_of,
)
from toolkit.scoring import score, score_attempt


@pytest.fixture
def small(store, all_types_bank):
    """Two people: Ayesha answers four questions (one twice), Bilal two; only Ayesha submits."""
    workshop = store.add_workshop("Small workshop", place="Quetta",
                                  profile_fields={"sex": "optional", "organisation": "optional"})
    session = store.add_session(workshop["id"], "Day 1")
    before = store.add_activity(session["id"], all_types_bank, "confidence", title="Confidence (before)")
    pre = store.add_activity(session["id"], all_types_bank, "pretest")
    ayesha = store.join(session["join_code"], "Ayesha", sex="female", organisation="FIA")
    bilal = store.join(session["join_code"], "Bilal", sex="male", organisation="Police")
    store.open_activity(before["id"])
    rating = store.start_attempt(before["id"], ayesha["id"])
    store.save_answer(rating["id"], "confident", "2")
    store.save_answer(rating["id"], "comment", "  Useful  ")
    store.open_activity(pre["id"])
    a = store.start_attempt(pre["id"], ayesha["id"])
    store.save_answer(a["id"], "consent", False)
    store.save_answer(a["id"], "consent", True)  # changed her mind: this one counts
    store.save_answer(a["id"], "elements", ["act", "means", "border"])  # 2 right, 1 wrong of 3: 1/3
    store.save_answer(a["id"], "agencies", {"internal": "police", "smuggling": "police"})  # half
    store.save_answer(a["id"], "confident", "4")  # likert: not scored, not in the answers frame
    store.submit_attempt(a["id"])
    b = store.start_attempt(pre["id"], bilal["id"])
    store.save_answer(b["id"], "kiln", "tip")
    store.save_answer(b["id"], "age", 18)
    return store, session, all_types_bank, {"ayesha": ayesha["id"], "bilal": bilal["id"]}


def test_every_scored_question_is_a_row_with_the_points_of_the_latest_answer(small):
    store, session, bank, who = small
    answers = load_results(store).answers
    assert list(answers.columns) == ANSWER_COLUMNS
    scored = [q for q in bank.questions if q.scored]
    assert len(answers) == 2 * len(scored)  # both people, every scored question, answered or not
    mine = answers[answers["participant_id"] == who["ayesha"]].set_index("question_id")
    # points worked by hand: consent True (1), elements 1/3, agencies 1/2, the other four unanswered (0)
    assert mine.loc["consent", "points"] == 1.0 and mine.loc["consent", "response"] is True
    assert mine.loc["elements", "points"] == pytest.approx(1 / 3, abs=1e-6)
    assert mine.loc["agencies", "points"] == 0.5
    assert mine["points"].sum() == pytest.approx(1 + 1 / 3 + 0.5, abs=1e-6)
    assert list(mine["answered"]) == [q.id in ("consent", "elements", "agencies") for q in scored]
    assert mine["submitted"].all() and mine["max_points"].sum() == len(scored)
    assert mine.loc["consent", "objective"] == "O1" and mine.loc["nrm", "objective"] == "O5"
    bilal = answers[answers["participant_id"] == who["bilal"]]
    assert bilal["points"].sum() == 2.0 and not bilal["submitted"].any()
    # the same as the scorer counts the whole attempt
    attempt = store.get_attempt(answers["activity_id"].iloc[0], who["ayesha"])
    total = score_attempt(bank.questions, store.latest_answers(attempt["id"]))
    assert mine["points"].sum() == pytest.approx(total.points)


def test_participants_profiles_without_tokens_and_ratings_with_their_moment(small):
    store, session, _bank, who = small
    r = load_results(store)
    assert list(r.participants.columns) == PARTICIPANT_COLUMNS
    people = r.participants.set_index("participant_id")
    assert people.loc[who["ayesha"], "sex"] == "female" and people.loc[who["bilal"], "organisation"] == "Police"
    assert (people["sessions_attended"] == 1).all()
    assert "token" not in r.participants.columns
    # the confidence activity's unscored questions: the rating and the open comment (trimmed); before, by its title
    conf = r.confidence.set_index("question_id")
    assert conf.loc["confident", "response"] == "2" and conf.loc["comment", "response"] == "Useful"
    assert set(conf["moment"]) == {"before"}
    assert r.survey.empty
    assert r.activities.set_index("activity_kind").loc["pretest", "moment"] is None


def test_moment_from_the_title_else_from_the_place_among_the_activities():
    def act(kind, position, title=""):
        return {"kind": kind, "position": position, "title": title}

    tests = [act("confidence", 0), act("pretest", 1), act("posttest", 2), act("confidence", 3), act("survey", 4)]
    assert [moment_of(a, tests) for a in (tests[0], tests[3], tests[4])] == ["before", "after", "after"]
    assert moment_of(act("confidence", 5, "Confidence (before)"), tests) == "before"  # the title says
    assert moment_of(act("confidence", 0, "Self-assessment at the end"), tests) == "after"
    only_pre = [act("pretest", 0), act("confidence", 1)]
    assert moment_of(only_pre[1], only_pre) == "after"
    no_tests = [act("confidence", 0), act("confidence", 1)]
    assert [moment_of(a, no_tests) for a in no_tests] == ["before", "after"]
    assert moment_of(act("survey", 0), [act("survey", 0)]) == "after"


def test_the_series_frames_agree_with_the_store(series, results):
    quetta = by_place(results, "Quetta")
    pre = quetta.activities.set_index("activity_kind").loc["pretest", "activity_id"]
    bank = series.find_bank(quetta.activities.set_index("activity_kind").loc["pretest", "bank_hash"])
    attempts = series.list_attempts(pre)
    rows = quetta.answers[quetta.answers["activity_id"] == pre]
    assert len(rows) == len(attempts) * len(bank.scored_questions) == 23 * 26  # one came after the pre-test
    # (both forms have 26 scored questions)
    tests = quetta.activities[quetta.activities["activity_kind"].isin(("pretest", "posttest"))]
    assert {a["bank_hash"] for a in attempts} == set(tests["bank_hash"])  # a crossover: the pre-test on both forms
    for attempt in attempts[:5]:  # each person's points: the scorer's, on the latest answers of their form
        latest = series.latest_answers(attempt["id"])
        taken = series.find_bank(attempt["bank_hash"])
        mine = rows[rows["participant_id"] == attempt["participant_id"]].set_index("question_id")
        assert set(mine["form"]) == {taken.id}
        for q in taken.scored_questions:
            assert mine.loc[q.id, "points"] == score(q, latest.get(q.id)).points
    scores = pre_post_scores(quetta.answers)
    assert len(scores) == 21  # 23 took the pre-test, 22 the post-test, one of them late
    cohort = by_place(results, "Islamabad")
    attended = cohort.participants.set_index("participant_id")["sessions_attended"]
    assert attended.value_counts().to_dict() == {3: 20, 2: 2}


def test_select_narrows_every_frame(results):
    women = results.participants.loc[results.participants["sex"] == "female", "participant_id"]
    only = results.select(participants=women)
    assert set(only.answers["participant_id"]) <= set(women) and len(only.participants) == 36
    one = results.sessions.sort_values("created_at")["session_id"].iloc[-1]
    last = results.select(sessions=[one])
    assert set(last.answers["session_id"]) == {one} and len(last.participants) == 22
    assert (last.participants["sessions_attended"] == 1).all()
