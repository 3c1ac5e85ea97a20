"""What one refresh of the coach's console costs: SQL statements, reads of the answer log, and CPU time of the
coach's kernel (this process), at N participants, for a tick when nothing changed and for a tick after one
answer arrived from a phone (another Store: another connection, as a participant's kernel). The console polls
twice a second, so a tick's cost is paid 120 times a minute.

In-process (no servers): a store with one session whose pre-test is closed (everyone answered it) and whose
post-test is open (everyone answering), so the Results tab draws pre vs post too; the coach app
(toolkit.apps.coach.CoachApp, not polling) shows the post-test on the tab chosen.

Before and after in the same run: "before" is the toolkit of a git revision (`--before main`), taken out with
`git archive` into a temporary folder and measured by this same script in a child process; "after" is this
checkout. Statements are counted with SQLAlchemy's before_cursor_execute event (on PostgreSQL the coach's
LISTEN connection runs no statement); a read of the answer log is a statement naming the `answers` table.

With `--latency`: also the time from a saved answer to the coach's chart. N phones (in a few worker processes,
each with a Store of its own, as participants' kernels) answer the open post-test with `--think` seconds between
questions, starting spread over one think time; the coach's console polls as its kernel does (wait
`poll_seconds`, then refresh: 0.5 s on main, 0.25 s now) and notes when the "Answered" count of each question
(td.tk-answered of the Results tab) goes up, at the moment the widget's value is set, which is when the kernel
sends it to the browser. The k-th answer to a question is shown when its count reaches k: its latency is that
moment minus the moment its save returned (one clock: one machine). The widget message's way from the kernel to
the browser (localhost) is not in it: benchmarks/coach_latency.py measures that end to end in Chromium.

Not a test: `python benchmarks/coach_refresh.py` (sizes 30 and 100, SQLite, before = main),
`--db postgresql://postgres@127.0.0.1:5432/test` (in a schema of its own, dropped after), `--tab run`,
`--before ''` (this checkout only), `--latency` (and `--think 3`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "question_banks" / "prepost-form-a.yaml"
ANSWERS = re.compile(r"\banswers\b", re.IGNORECASE)


def load() -> str:
    return "load " + " / ".join(f"{x:.1f}" for x in os.getloadavg()) + f" (1/5/15 min) on {os.cpu_count()} cores"


def seeded(url: str, n: int, answer_post: bool = True):
    from toolkit.bank import load_bank
    from toolkit.store import Store

    store = Store(url)
    bank = load_bank(BANK)
    chosen = [q for q in bank.questions if q.type == "single"]  # an option's id is the whole answer
    workshop = store.add_workshop("Benchmark workshop", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], bank, "pretest")
    post = store.add_activity(session["id"], bank, "posttest")
    people = [store.join(session["join_code"], f"Participant {i + 1}") for i in range(n)]
    attempts = []
    for activity in (pre, post):
        store.open_activity(activity["id"])
        attempts = []
        if activity is post and not answer_post:
            break
        for p in people:
            attempt = store.start_attempt(activity["id"], p["id"])
            for q in chosen:
                store.save_answer(attempt["id"], q.id, q.options[0].id)
            attempts.append(attempt)
        if activity is pre:
            store.set_activity_state(pre["id"], "closed")
    return store, session, store.find_activity(post["id"]), chosen, attempts


def measure(url: str, n: int, tab: str, ticks: int) -> dict:
    """(statements, reads of the answer log, CPU seconds) of each idle and each changed tick."""
    import sqlalchemy as sa

    from toolkit.apps.coach import CoachApp
    from toolkit.store import Store

    store, session, post, chosen, attempts = seeded(url, n)
    phone = Store(url)
    app = CoachApp(store=store, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.show_session(session["id"])
    if hasattr(app, "select"):
        app.select(post["id"])
    app.nav.value = tab
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))
    watch = getattr(app, "_watch", None)

    def tick() -> tuple[int, int, float]:
        seen.clear()
        t0 = time.process_time()
        app.refresh()
        cpu = time.process_time() - t0
        return len(seen), sum(1 for s in seen if ANSWERS.search(s)), cpu

    app.refresh()
    idle, changed = [], []
    for i in range(ticks):
        idle.append(tick())
        q = chosen[i % len(chosen)]
        phone.save_answer(attempts[i % n]["id"], q.id, q.options[1 + i % (len(q.options) - 1)].id)
        if watch is not None and hasattr(watch, "wait"):
            watch.wait(10)  # PostgreSQL: until the notice reached the coach's listening connection
        changed.append(tick())
    phone.close()
    if hasattr(app, "show_prepare"):
        app.show_prepare()
    store.close()
    return {"idle": idle, "changed": changed}


def phones(url: str, plan: list[tuple[float, str, str, str]], results) -> None:
    """A worker process: save each planned answer (epoch seconds, attempt, question, option) at its time; put
    (question, attempt, epoch seconds when the save returned) of each on `results`."""
    from toolkit.store import Store

    store = Store(url)
    saved = []
    for when, attempt_id, question_id, option in plan:
        time.sleep(max(0.0, when - time.time()))
        store.save_answer(attempt_id, question_id, option)
        saved.append((question_id, attempt_id, time.time()))
    store.close()
    results.put(saved)


SHOWN = re.compile(r"class='tk-answered' data-question='([^']+)'><b>(\d+)</b>")


def measure_latency(url: str, n: int, think: float, workers: int = 4) -> dict:
    """Saved → shown on the coach's chart, for every first answer of N phones to the open post-test."""
    import multiprocessing
    import random

    from toolkit.apps.coach import CoachApp

    store, session, post, chosen, _pre_attempts = seeded(url, n, answer_post=False)
    attempts = [store.start_attempt(post["id"], p["id"]) for p in store.session_participants(session["id"])]
    app = CoachApp(store=store, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.show_session(session["id"])
    app.select(post["id"])
    app.refresh()
    rng = random.Random(n)
    start = time.time() + 2.0
    plan = sorted((start + rng.uniform(0, think) + i * rng.uniform(0.5 * think, 1.5 * think), a["id"], q.id,
                   q.options[rng.randrange(len(q.options))].id)
                  for a in attempts for i, q in enumerate(chosen))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    procs = [context.Process(target=phones, args=(url, plan[w::workers], results)) for w in range(workers)]
    for p in procs:
        p.start()
    shown: dict[str, int] = {}
    seen_at: dict[tuple[str, int], float] = {}

    def drawn(change) -> None:  # the moment the widget's new value goes to the browser
        now = time.time()
        for qid, count in SHOWN.findall(change["new"]):
            for k in range(shown.get(qid, 0) + 1, int(count) + 1):
                seen_at[(qid, k)] = now
            shown[qid] = max(shown.get(qid, 0), int(count))

    app.panels["results"].questions.observe(drawn, "value")
    cpu0, ticks, refresh_cpu = time.process_time(), 0, []
    expected = len(plan)
    done_at = None
    while True:
        time.sleep(app.poll_seconds)
        t0 = time.process_time()
        app.refresh()
        refresh_cpu.append(time.process_time() - t0)
        ticks += 1
        now = time.time()
        if len(seen_at) >= expected and done_at is None:
            done_at = now
        if done_at is not None or now > plan[-1][0] + 60:
            break
    cpu = time.process_time() - cpu0
    saves = [x for _ in procs for x in results.get()]
    for p in procs:
        p.join()
    by_question: dict[str, list[float]] = {}
    for qid, _attempt, t in saves:
        by_question.setdefault(qid, []).append(t)
    values, missing = [], 0
    for qid, times in by_question.items():
        for k, t in enumerate(sorted(times), 1):
            if (qid, k) in seen_at:
                values.append(seen_at[(qid, k)] - t)
            else:
                missing += 1
    app.show_prepare()
    store.close()
    return {"latency": values, "missing": missing, "ticks": ticks, "cpu": cpu, "refresh_cpu": refresh_cpu,
            "wall": time.time() - start}


def child(args) -> None:
    """Measure with whichever toolkit is first on the path; print JSON."""
    sys.path.insert(0, os.environ.get("TOOLKIT_TREE", str(ROOT)))
    out = {}
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url, drop = database(args.db, tmp)
            try:
                out[n] = measure(url, n, args.tab, args.ticks)
            finally:
                drop()
        if args.latency:
            with tempfile.TemporaryDirectory() as tmp:
                url, drop = database(args.db, tmp)
                try:
                    out[n]["latency"] = measure_latency(url, n, args.think)
                    out[n]["latency"]["load"] = load()
                finally:
                    drop()
    print(json.dumps(out))


def database(db: str, tmp: str):
    """A store URL of this run's own, and how to take it away."""
    if db == "sqlite":
        return f"sqlite:///{tmp}/toolkit.db", lambda: None
    import sqlalchemy as sa

    from toolkit.database import normalise_url

    name = f"coach_refresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(normalise_url(db))
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{name}"'))

    def drop() -> None:
        with engine.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()

    sep = "&" if "?" in db else "?"
    return f"{db}{sep}options=-csearch_path%3D{name}", drop


def run(tree: Path, args) -> dict:
    env = {**os.environ, "TOOLKIT_TREE": str(tree), "PYTHONPATH": str(tree)}
    command = [sys.executable, __file__, "--child", "--sizes", ",".join(map(str, args.sizes)), "--db", args.db,
               "--tab", args.tab, "--ticks", str(args.ticks), "--think", str(args.think)]
    command += ["--latency"] if args.latency else []
    done = subprocess.run(command, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"the measurement with {tree} failed:\n{done.stderr[-3000:]}")
    return {int(k): v for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def medians(samples: list) -> tuple[float, float, float]:
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            1000 * statistics.median(s[2] for s in samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,100", help="participants, comma-separated")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (a schema of its own is made)")
    parser.add_argument("--tab", default="results", choices=["join", "run", "results", "groups", "room", "presenter"])
    parser.add_argument("--ticks", type=int, default=20, help="ticks measured per size (each: idle, then changed)")
    parser.add_argument("--before", default="main", help="git revision measured as 'before' ('' for none)")
    parser.add_argument("--latency", action="store_true", help="also saved answer → coach's chart")
    parser.add_argument("--think", type=float, default=3.0, help="seconds between a phone's answers (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = [int(x) for x in str(args.sizes).split(",")]
    if args.child:
        child(args)
        return
    where = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    print(f"coach refresh on tab '{args.tab}', {where}, {args.ticks} ticks per size; {load()}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "toolkit"], capture_output=True,
                                     check=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            results[f"before ({args.before})"] = run(Path(tmp), args)
            print(f"  measured before; {load()}")
        results["after (this checkout)"] = run(ROOT, args)
        print(f"  measured after; {load()}")
    for n in args.sizes:
        print(f"{n} participants (median per tick):")
        base = None
        for label, by_size in results.items():
            for kind in ("idle", "changed"):
                statements, reads, cpu = medians(by_size[n][kind])
                versus = ""
                if base is not None:
                    before_cpu = medians(base[n][kind])[2]
                    versus = f"  CPU {cpu / before_cpu:.2f}× before" if before_cpu else ""
                print(f"  {label:<24} {kind:<8} {statements:>4.0f} statements, {reads:>2.0f} reads of the answer log,"
                      f" CPU {cpu:6.1f} ms{versus}")
            base = base or by_size
        for label, by_size in results.items():
            lat = by_size[n].get("latency")
            if lat:
                v = sorted(lat["latency"])
                p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))] if v else float("nan")
                print(f"  {label:<24} saved → chart: median {statistics.median(v) if v else float('nan'):.2f} s, "
                      f"p95 {p95:.2f} s, max {max(v) if v else float('nan'):.2f} s (n={len(v)}, never shown "
                      f"{lat['missing']}); coach CPU {lat['cpu']:.1f} s over {lat['wall']:.0f} s, {lat['ticks']} "
                      f"ticks, refresh CPU median {1000 * statistics.median(lat['refresh_cpu']):.1f} ms; "
                      f"{lat['load']}")
    print(f"  {load()} (at the end)")


if __name__ == "__main__":
    main()
