"""What the coach sees live about each person: not started, answering, idle, submitted."""

from __future__ import annotations

from datetime import timedelta, timezone

from toolkit.live import IDLE_AFTER_S, status_board


def test_a_person_who_saved_nothing_for_two_minutes_is_shown_idle_and_a_submitted_one_never(session_with_pretest):
    store, session, pre = session_with_pretest
    first = next(q for q in store.find_bank(pre["bank_hash"]).questions if q.options)
    people = {name: store.join(session["join_code"], name) for name in ("Amna", "Bilal", "Chand", "Dua")}
    attempts = {name: store.start_attempt(pre["id"], people[name]["id"]) for name in ("Amna", "Bilal", "Chand")}
    for name in ("Amna", "Bilal", "Chand"):
        store.save_answer(attempts[name]["id"], first.id, first.options[0].id)
    store.set_position(attempts["Amna"]["id"], 1)
    store.submit_attempt(attempts["Chand"]["id"])
    saved = max(a["last_saved_at"] for a in store.list_attempts(pre["id"]))
    saved = saved if saved.tzinfo else saved.replace(tzinfo=timezone.utc)

    def states(after_s: float) -> dict[str, str]:
        board = status_board(store, session["id"], pre, now=saved + timedelta(seconds=after_s))
        return {s.name: s.state for s in board}

    assert states(IDLE_AFTER_S - 5) == {"Amna": "answering", "Bilal": "answering", "Chand": "submitted",
                                        "Dua": "not started"}
    assert states(IDLE_AFTER_S + 5) == {"Amna": "idle", "Bilal": "idle", "Chand": "submitted", "Dua": "not started"}
    amna = next(s for s in status_board(store, session["id"], pre, now=saved + timedelta(seconds=IDLE_AFTER_S + 5))
                if s.name == "Amna")
    assert amna.describe() == f"question 2 of {amna.total}, idle"
