"""What the bounds on joining cost: a join and a code lookup counted per address, against the same verbs without an
address (the baseline, measured in the same run), and the coach's list of people who never answered.

    python benchmarks/join_bounds.py                 # SQLite, and PostgreSQL if reachable
    python benchmarks/join_bounds.py --joins 400 --postgres postgresql://postgres@127.0.0.1/test

One process, one store, one join at a time: the cost of the extra queries, not of contention (store_writes.py
measures that). Each counted join comes from an address of its own, so none is refused. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def timed(call, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        out.append(time.perf_counter() - t0)
    return out


def ms(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:6.2f} ms, p90 {sorted(xs)[int(len(xs) * 0.9)] * 1000:6.2f} ms"


def measure(url: str, joins: int) -> None:
    from toolkit.bank import load_bank
    from toolkit.store import Store, UnknownJoinCode

    store = Store(url)
    workshop = store.add_workshop("Bench", profile_fields={"rank": "optional", "organisation": "optional"})
    session = store.add_session(workshop["id"], "S")
    code = session["join_code"]
    run = uuid.uuid4().hex[:8]
    for i in range(20):  # warm the connections and caches
        store.join(code, f"Warm {i}")
    plain = timed(lambda i: store.join(code, f"P{i}", rank="ASI", organisation="FIA"), joins)
    counted = timed(lambda i: store.join(code, f"C{i}", rank="ASI", organisation="FIA",
                                         client=f"10.{run}.{i}"), joins)
    find_plain = timed(lambda i: store.find_session_by_code(code), joins)
    find_counted = timed(lambda i: store.find_session_by_code(code, client=f"10.{run}.{i}"), joins)

    def wrong(i: int) -> None:
        with contextlib.suppress(UnknownJoinCode):
            store.find_session_by_code("ZZZZZZ", client=f"11.{run}.{i}")

    wrong_counted = timed(wrong, joins)
    print(f"  join, no address (baseline): {ms(plain)}")
    print(f"  join, counted per address:   {ms(counted)}  ratio {statistics.median(counted) / statistics.median(plain):.2f}")
    print(f"  code lookup, no address:     {ms(find_plain)}")
    print(f"  code lookup, per address:    {ms(find_counted)}  "
          f"ratio {statistics.median(find_counted) / statistics.median(find_plain):.2f}")
    print(f"  wrong code, counted:         {ms(wrong_counted)}")

    bank = load_bank(Path(__file__).resolve().parent.parent / "tests" / "banks" / "all-types.yaml")
    room = store.add_session(workshop["id"], "Room of 40")
    activity = store.add_activity(room["id"], bank, "pretest")
    store.open_activity(activity["id"])
    people = [store.join(room["join_code"], f"R{i}") for i in range(40)]
    for p in people[:30]:  # 30 answered 9 questions, 10 never answered
        attempt = store.start_attempt(activity["id"], p["id"])
        for q in bank.questions:
            store.save_answer(attempt["id"], q.id, "x")
    silent = timed(lambda i: store.silent_participants(room["id"]), 50)
    pulse = timed(lambda i: store.pulse(room["id"]), 50)
    print(f"  never answered, 40 people:   {ms(silent)}  (the coach's pulse, for scale: {ms(pulse)})")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("TOOLKIT_TEST_POSTGRES", DEFAULT_POSTGRES))
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite")
        measure(f"sqlite:///{folder}/toolkit.db", args.joins)
    from toolkit.store import normalise_url

    name = f"bench_bounds_{uuid.uuid4().hex[:8]}"
    try:
        engine = sa.create_engine(normalise_url(args.postgres))
        with engine.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except sa.exc.OperationalError:
        print("PostgreSQL: not reachable, skipped")
        return
    try:
        sep = "&" if "?" in args.postgres else "?"
        print("PostgreSQL")
        measure(f"{args.postgres}{sep}options=-csearch_path%3D{name}", args.joins)
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    main()
