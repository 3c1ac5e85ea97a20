"""`toolkit rehearse` (a step of the README) against a real `toolkit serve`: simulated phones join, answer, submit."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import TEST_BANKS

from toolkit.bank import load_bank
from toolkit.store import Store


@pytest.mark.browser
def test_rehearse_plays_participants_who_join_answer_and_submit_in_the_store(served):
    code = served["session"]["join_code"]
    run = subprocess.run([sys.executable, "-m", "toolkit", "rehearse", served["participant"], "--code", code, "-n", "3"],
                         capture_output=True, text=True, timeout=900)
    questions = {q.id for q in load_bank(TEST_BANKS / "all-types.yaml").questions}
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.fullmatch(r"3 simulated participants, 3 submitted, 0 failed, [\d.]+ s in all", lines[0]), lines
    assert re.fullmatch(r"time to first question: median [\d.]+ s, p95 [\d.]+ s, max [\d.]+ s", lines[1]), lines
    assert re.fullmatch(rf"answer saved \(tap to ✓ Saved\): median [\d.]+ s, p95 [\d.]+ s, max [\d.]+ s "
                        rf"over {3 * len(questions)} answers", lines[2]), lines
    assert len(lines) == 3  # no failure listed

    store = Store(served["db"])
    try:
        joined = store.session_participants(served["session"]["id"])
        assert sorted(p["display_name"] for p in joined) == ["Rehearsal 1", "Rehearsal 2", "Rehearsal 3"]
        pretest = next(a for a in store.list_activities(served["session"]["id"]) if a["kind"] == "pretest")
        attempts = store.list_attempts(pretest["id"])
        assert {a["participant_id"] for a in attempts} == {p["id"] for p in joined}
        for attempt in attempts:
            assert attempt["submitted_at"] is not None
            assert set(store.latest_answers(attempt["id"])) == questions  # every question's answer is stored
    finally:
        store.close()


def test_a_phone_is_sent_no_echo_of_its_own_changes_and_no_close_for_each_screen_it_left(served):
    # toolkit serve's kernels (toolkit.serve.voila_environment: JUPYTER_WIDGETS_ECHO=0) and the screens' quiet
    # closing (toolkit.apps.screens.close_quietly): a whole quiz costs the phone and the server fewer messages
    import asyncio

    from toolkit.rehearse import play_participant

    outcome = asyncio.run(play_participant(served["participant"], served["session"]["join_code"], 41, timeout=120))
    assert outcome.submitted, outcome.error
    assert outcome.answered == len(load_bank(TEST_BANKS / "all-types.yaml").questions)
    assert outcome.kinds["comm_msg update"] > outcome.answered  # the kernel's changes still arrive
    assert outcome.kinds["comm_msg echo_update"] == 0
    assert outcome.kinds["comm_close"] == 0


def test_a_save_is_counted_as_held_by_the_page_bound_only_when_the_page_had_reached_it():
    # a phone that taps without pause reaches the page's own bound (toolkit.apps.saving) and its next save waits
    # for the window: the benchmarks report those saves apart instead of as the server's latency
    from toolkit.apps.saving import SAVES_PER_WINDOW, WINDOW_S
    from toolkit.rehearse import held_by_page_bound, held_note

    quick = [i * 0.05 for i in range(SAVES_PER_WINDOW)]
    assert not held_by_page_bound(quick, 1)  # the bound's worth itself goes at once
    assert held_by_page_bound([*quick, quick[-1] + 0.05], 1)
    assert not held_by_page_bound([*quick, quick[0] + WINDOW_S + 0.01], 1)  # the first tap has left the window
    ordering = [*quick, quick[-1] + 0.05, quick[-1] + 0.1]
    assert held_by_page_bound(ordering, 2) and not held_by_page_bound(ordering[:SAVES_PER_WINDOW], 2)
    person = [i * (WINDOW_S / SAVES_PER_WINDOW + 0.01) for i in range(3 * SAVES_PER_WINDOW)]
    assert not any(held_by_page_bound(person[: i + 1], 1) for i in range(len(person)))
    assert held_note([0.5, 9.25]) == (f"2 of them held by the page's own bound of {SAVES_PER_WINDOW} saves in "
                                      f"{WINDOW_S:g} s, which these phones reach by tapping without pause: "
                                      "the longest waited 9.25 s")
