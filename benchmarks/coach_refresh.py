"""What one refresh of the coach's console costs: SQL statements, reads of the answer log, and CPU time of the
coach's kernel (this process), at N participants, for a tick when nothing changed and for a tick after one
answer arrived. The console polls twice a second, so a tick's cost is paid 120 times a minute.

In-process (no servers): a store with one session whose pre-test is open and N participants who have answered
every question; the coach app (toolkit.apps.coach.CoachApp, not polling) shows the session on the tab chosen.
The first size is the baseline; each row's ratio is against it, measured in the same run.

Not a test: `python benchmarks/coach_refresh.py` (sizes 30 and 100), `--sizes 10,30,100`, `--tab run`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit import config  # noqa: E402
from toolkit.apps.coach import CoachApp  # noqa: E402
from toolkit.bank import load_bank  # noqa: E402
from toolkit.store import Store  # noqa: E402

BANK = ROOT / "question_banks" / "prepost-form-a.yaml"


class Statements:
    """Counts the statements the engine runs, and those that read the answer log."""

    def __init__(self, engine: sa.Engine):
        self.total = self.answers = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.total += 1
        self.answers += " answers" in statement.lower()

    def reset(self) -> None:
        self.total = self.answers = 0


def seeded(folder: Path, n: int) -> tuple[Store, dict, dict, list]:
    store = Store(config.sqlite_url(folder))
    bank = load_bank(BANK)
    workshop = store.add_workshop("Benchmark workshop", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], bank, "pretest")
    store.open_activity(pre["id"])
    attempts = []
    for i in range(n):
        person = store.join(session["join_code"], f"Participant {i + 1}")
        attempt = store.start_attempt(pre["id"], person["id"])
        for q in bank.questions:
            store.save_answer(attempt["id"], q.id, q.options[0].id if q.options else "An answer")
        attempts.append(attempt)
    return store, session, pre, attempts


def measure(n: int, tab: str, ticks: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store, session, pre, attempts = seeded(Path(tmp), n)
        app = CoachApp(store=store, join_url="http://192.168.43.1:8866/", start_polling=False)
        app.show_session(session["id"])
        app.nav.value = tab
        counter = Statements(store.engine)
        bank = store.find_bank(pre["bank_hash"])
        idle, changed = [], []
        for i in range(ticks):
            counter.reset()
            t0 = time.process_time()
            app.refresh()
            idle.append((counter.total, counter.answers, time.process_time() - t0))
            q = bank.questions[i % len(bank.questions)]
            other = q.options[-1].id if q.options else f"Another answer {i}"
            store.save_answer(attempts[i % n]["id"], q.id, other)
            counter.reset()
            t0 = time.process_time()
            app.refresh()
            changed.append((counter.total, counter.answers, time.process_time() - t0))
        store.close()
    return {"idle": idle, "changed": changed}


def row(name: str, samples: list, base: list | None) -> str:
    queries = statistics.median(s[0] for s in samples)
    log_reads = statistics.median(s[1] for s in samples)
    cpu = 1000 * statistics.median(s[2] for s in samples)
    ratio = ""
    if base:
        base_cpu = 1000 * statistics.median(s[2] for s in base)
        ratio = f"  CPU {cpu / base_cpu:.2f}x the baseline" if base_cpu else ""
    return f"  {name:<8} {queries:>5.0f} statements, {log_reads:>3.0f} reads of the answer log, CPU {cpu:7.1f} ms{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,100", help="participants, comma-separated; the first is the baseline")
    parser.add_argument("--tab", default="results", choices=["join", "run", "results", "groups", "room", "presenter"])
    parser.add_argument("--ticks", type=int, default=20, help="ticks measured per size (each: idle, then changed)")
    args = parser.parse_args()
    print(f"coach refresh on tab '{args.tab}', {args.ticks} ticks per size; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    base = None
    for n in (int(x) for x in args.sizes.split(",")):
        result = measure(n, args.tab, args.ticks)
        print(f"{n} participants (median per tick):")
        print(row("idle", result["idle"], base["idle"] if base else None))
        print(row("changed", result["changed"], base["changed"] if base else None))
        base = base or result


if __name__ == "__main__":
    main()
