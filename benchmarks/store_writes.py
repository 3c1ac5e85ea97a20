"""Answers written per second and write latency with many participant kernels writing at once.

Each writer is a process of its own with its own Store (as each phone has its own Voila kernel): it joins,
starts its attempt, waits until every writer is ready, then saves its answers one by one. The baseline is one
writer alone, measured in the same run; the ratios compare the crowd with it.

    python benchmarks/store_writes.py                      # SQLite, and PostgreSQL if reachable
    python benchmarks/store_writes.py --writers 40 --answers 30 --postgres postgresql://postgres@127.0.0.1/test

PostgreSQL: --postgres, else TOOLKIT_TEST_POSTGRES; the run uses a schema of its own and drops it.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def writer(url: str, code: str, activity_id: str, index: int, n: int, ready, results, queue: bool = True) -> None:
    from toolkit import database
    from toolkit.store import Store

    if not queue:
        database.fcntl = None  # SQLite's busy timeout alone, for comparison
    store = Store(url)
    p = store.join(code, f"Writer {index}", uid=f"bench-{index}-{uuid.uuid4()}")
    attempt = store.start_attempt(activity_id, p["id"])
    ready.wait()
    latencies = []
    for i in range(n):
        t0 = time.perf_counter()
        store.save_answer(attempt["id"], f"q{i % 12}", i, uid=f"{attempt['id']}-{i}")
        latencies.append(time.perf_counter() - t0)
    results.put(latencies)
    ready.wait()  # a process exiting costs CPU: on 2 cores the early finishers would slow the others down
    store.close()


def run(url: str, code: str, activity_id: str, writers: int, answers: int, queue: bool = True) -> dict:
    ctx = mp.get_context("spawn")
    ready, results = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, code, activity_id, i, answers, ready, results, queue))
             for i in range(writers)]
    for p in procs:
        p.start()
    ready.wait(timeout=300)
    t0 = time.perf_counter()
    latencies = [x for _ in procs for x in results.get(timeout=600)]
    wall = time.perf_counter() - t0
    ready.wait(timeout=60)
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit("a writer failed; see the messages above")
    latencies.sort()
    return {"writers": writers, "answers": len(latencies), "wall": wall, "per_s": len(latencies) / wall,
            "p50": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "max": latencies[-1]}


def seeded(url: str) -> tuple[str, str]:
    """A demo session with its pre-test open: (join code, activity id)."""
    from toolkit.demo import seed_demo
    from toolkit.store import Store

    store = Store(url)
    session = seed_demo(store)
    activity = store.current_activity(session["id"])
    store.close()
    return session["join_code"], activity["id"]


def report(name: str, url: str, writers: int, answers: int, baseline_answers: int) -> None:
    code, activity_id = seeded(url)
    base = run(url, code, activity_id, 1, baseline_answers)
    crowd = run(url, code, activity_id, writers, answers)
    print(f"\n{name}")
    print(f"  {'writers':>8} {'answers':>8} {'seconds':>8} {'answers/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in (base, crowd):
        print(f"  {r['writers']:>8} {r['answers']:>8} {r['wall']:>8.2f} {r['per_s']:>10.0f} {r['p50'] * 1000:>8.1f} "
              f"{r['p95'] * 1000:>8.1f} {r['max'] * 1000:>8.1f}")
    print(f"  ratio {writers} writers / 1 writer: throughput x{crowd['per_s'] / base['per_s']:.2f}, "
          f"p95 latency x{crowd['p95'] / base['p95']:.1f}")


def postgres_schema(url: str):
    """A schema of this run's own (URL, drop function), or None with the reason when PostgreSQL is unreachable."""
    import sqlalchemy as sa

    from toolkit.store import normalise_url

    name = f"toolkit_bench_{os.getpid()}"
    try:
        engine = sa.create_engine(normalise_url(url))
        with engine.begin() as c:
            version = c.execute(sa.text("SHOW server_version")).scalar()
            c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except Exception as e:  # any reason not to reach it is a reason to skip it
        return None, f"{type(e).__name__}: {str(e).splitlines()[0]}"

    def drop() -> None:
        with engine.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()

    sep = "&" if "?" in url else "?"
    return (f"{url}{sep}options=-csearch_path%3D{name}", drop, version), None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=40)
    parser.add_argument("--answers", type=int, default=30, help="answers per writer")
    parser.add_argument("--baseline-answers", type=int, default=300, help="answers of the lone writer")
    parser.add_argument("--postgres", default=os.environ.get("TOOLKIT_TEST_POSTGRES") or DEFAULT_POSTGRES)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; SQLite {sqlite3.sqlite_version}; {args.writers} writers x {args.answers} "
          f"answers, baseline 1 writer x {args.baseline_answers}; each answer its own transaction")

    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as d:
        url = f"sqlite:///{Path(d) / 'toolkit.db'}"
        report("SQLite (WAL, synchronous=FULL, one file)", url, args.writers, args.answers, args.baseline_answers)

    found, why = postgres_schema(args.postgres)
    if found is None:
        print(f"\nPostgreSQL: skipped, {args.postgres} is not reachable ({why})")
        return
    url, drop, version = found
    try:
        report(f"PostgreSQL {version}", url, args.writers, args.answers, args.baseline_answers)
    finally:
        drop()


if __name__ == "__main__":
    main()
