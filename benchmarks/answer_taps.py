"""What a burst of taps on one screen costs the participant's kernel and the store.

One phone taps one question 5,000 times: the chosen option again and again, then two options alternately.
The baseline, measured in the same run, is what the kernel did before answers were bounded: one store write
per tap, each with a fresh retry id. Figures: seconds the kernel was busy and rows added to the answer log.

    python benchmarks/answer_taps.py --taps 5000

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from toolkit.apps.participant import ParticipantApp
from toolkit.bank import load_bank
from toolkit.store import Store

BANK = Path(__file__).resolve().parent.parent / "tests" / "banks" / "all-types.yaml"


def setup(folder: str) -> tuple[Store, dict]:
    store = Store(f"sqlite:///{folder}/toolkit.db")
    session = store.add_session(store.add_workshop("Bench")["id"], "S")
    activity = store.add_activity(session["id"], load_bank(BANK), "pretest")
    store.open_activity(activity["id"])
    return store, session


def rows(store: Store, attempt_id: str) -> int:
    return len(store.answer_history(attempt_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=5000)
    taps = parser.parse_args().taps
    with tempfile.TemporaryDirectory() as folder:
        store, session = setup(folder)
        # the baseline: a write per tap, as the kernel did
        attempt = store.start_attempt(store.current_activity(session["id"])["id"],
                                      store.join(session["join_code"], "Baseline")["id"])
        t0 = time.perf_counter()
        for i in range(taps):  # two options alternately: every tap a new answer, so every tap a write
            store.save_answer(attempt["id"], "kiln", "som" if i % 2 == 0 else "tip", uid=str(uuid.uuid4()))
        baseline = time.perf_counter() - t0
        baseline_rows = rows(store, attempt["id"])

        app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
        app.join_form.consent_box.value = True
        app.join_form.join_button.click()
        app.go(1)
        t0 = time.perf_counter()
        app.input.choose("tip")
        for _ in range(taps - 1):
            app.input.buttons[0].value = False  # the chosen option again
        same = time.perf_counter() - t0
        same_rows = rows(store, app.attempt["id"])
        t0 = time.perf_counter()
        for i in range(taps):
            app.input.choose("som" if i % 2 == 0 else "tip")
        alternate = time.perf_counter() - t0
        alternate_rows = rows(store, app.attempt["id"]) - same_rows
        store.close()
    print(f"{taps} taps on one question (SQLite, one kernel)")
    print(f"  baseline, a write per tap:        {baseline:6.2f} s busy, {baseline_rows} rows")
    print(f"  the chosen option again and again: {same:6.2f} s busy, {same_rows} rows "
          f"({same / baseline:.2f} of the baseline's time)")
    print(f"  two options alternately:           {alternate:6.2f} s busy, {alternate_rows} rows "
          f"({alternate / baseline:.2f} of the baseline's time; the latest waits for the window)")


if __name__ == "__main__":
    main()
