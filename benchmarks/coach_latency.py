"""From a participant's saved answer to the coach's chart showing it: N simulated participants answering
against one participant alone (the baseline, measured first in the same run on the same servers).

The coach page runs in Chromium (coach address with ?token=…): "Continue this session", then the
"Results" tab. A MutationObserver in the page (and a 100 ms poll as a safety net) records, with Date.now(),
every time the "Answered" count of a question (td.tk-answered) goes up. The simulated participants
(toolkit.rehearse.play_participant, think time `--think`) answer the whole pre-test; the store keeps the
time each answer was saved (answers.saved_at). The k-th participant to answer question q raises its count
to k: the latency of that answer is the moment the page showed a count of at least k minus the moment the
k-th first (non-empty) answer to q was saved. Same clock: one machine.

Not a test: `python benchmarks/coach_latency.py` (10 participants), `--participants 30` for the full figure.
The queries and CPU of one refresh, before and after a change, and the same latency measured without servers
and browser at 30 and 100 participants against main in one run: `python benchmarks/coach_refresh.py --latency`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import timezone
from pathlib import Path

import sqlalchemy as sa
from _servers import (
    banner,
    launch_chromium,
    load_average,
    percentile,
    play,
    pool_for,
    ratio,
    seed_store,
    start_toolkit,
    summary,
    work_dir,
)

from toolkit import config, schema
from toolkit.serve import coach_token

OBSERVER = """() => {
  const state = {events: [], last: {}};
  window.__tkAnswered = state;
  const scan = () => {
    const now = Date.now();
    for (const td of document.querySelectorAll('td.tk-answered')) {
      const q = td.dataset.question;
      const n = parseInt(td.textContent.trim(), 10);
      if (Number.isNaN(n)) continue;
      const before = state.last[q];
      if (before === undefined || n > before) state.events.push([q, n, now]);
      state.last[q] = n;
    }
  };
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true, characterData: true});
  window.setInterval(scan, 100);
  scan();
  return document.querySelectorAll('td.tk-answered').length;
}"""


def first_saves(db_url: str, activity_id: str) -> list[tuple[str, str, float]]:
    """(question, attempt, epoch seconds) of each attempt's first non-empty answer to each question."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.select(schema.answers.c.question_id, schema.answers.c.attempt_id, schema.answers.c.response,
                          schema.answers.c.saved_at)
                .join(schema.attempts, schema.attempts.c.id == schema.answers.c.attempt_id)
                .where(schema.attempts.c.activity_id == activity_id)
                .order_by(schema.answers.c.seq)).all()
    finally:
        engine.dispose()
    seen: dict[tuple[str, str], float] = {}
    for question, attempt, response, saved_at in rows:
        if response is None or response == "" or response == []:
            continue
        when = saved_at if saved_at.tzinfo else saved_at.replace(tzinfo=timezone.utc)
        seen.setdefault((question, attempt), when.timestamp())
    return [(q, a, t) for (q, a), t in seen.items()]


def latencies(saves: list[tuple[str, str, float]], events: list, attempts: set[str] | None) -> tuple[list, int]:
    """Per answer (of the given attempts): seen on the coach page − saved. Also how many were never seen."""
    seen_at: dict[tuple[str, int], float] = {}
    shown: dict[str, int] = {}
    for q, n, ms in events:
        for k in range(shown.get(q, 0) + 1, n + 1):
            seen_at[(q, k)] = ms / 1000
        shown[q] = max(shown.get(q, 0), n)
    by_question: dict[str, list[tuple[float, str]]] = {}
    for q, a, t in saves:
        by_question.setdefault(q, []).append((t, a))
    out, missing = [], 0
    for q, answers in by_question.items():
        for k, (t, a) in enumerate(sorted(answers), 1):
            if attempts is not None and a not in attempts:
                continue
            if (q, k) in seen_at:
                out.append(seen_at[(q, k)] - t)
            else:
                missing += 1
    return out, missing


def attempts_of(db_url: str, activity_id: str) -> set[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as c:
            return set(c.execute(sa.select(schema.attempts.c.id)
                                 .where(schema.attempts.c.activity_id == activity_id)).scalars())
    finally:
        engine.dispose()


def wait_settled(page, seconds: float) -> None:
    """Until the page's counts have not changed for 3 s (at most `seconds`)."""
    deadline = time.monotonic() + seconds
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        n = page.evaluate("() => window.__tkAnswered.events.length")
        if n != last:
            last, quiet_since = n, time.monotonic()
        elif time.monotonic() - quiet_since >= 3:
            return
        page.wait_for_timeout(500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=10, help="simulated participants (full: 30)")
    parser.add_argument("--think", type=float, default=3.0, help="seconds of thought per question (default 3)")
    parser.add_argument("--cap", type=float, default=600, help="seconds each phase may take (default 600)")
    parser.add_argument("--banks", type=Path, default=None, help="question banks (default: the shipped ones)")
    args = parser.parse_args()
    n = args.participants
    banner(f"coach latency: saved answer → coach's Results chart, {n} participants vs 1 (think {args.think} s)")
    from playwright.sync_api import sync_playwright

    data = work_dir("tk-coach-latency-")
    session = seed_store(data, args.banks)
    db = config.sqlite_url(data)
    token = coach_token(data)
    pool = pool_for(n + 1)
    participant = start_toolkit("participant", data, args.banks, pool=pool)
    coach = None
    results: dict[str, dict] = {}
    try:
        coach = start_toolkit("coach", data, args.banks, pool=0, notebook="coach", token=token,
                              join_url=participant.url)
        participant.wait_started()
        coach.wait_started()
        warm_s = participant.wait_warm(pool, seconds=max(600, 20 * pool))
        from toolkit.store import Store

        store = Store(db)
        pretest = next(a for a in store.list_activities(session["id"]) if a["kind"] == "pretest")
        store.close()
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{coach.url}?token={token}", timeout=120_000)
                page.get_by_role("button", name="Continue this session").click(timeout=120_000)
                page.get_by_role("button", name="Results").click(timeout=60_000)
                page.locator("td.tk-answered").first.wait_for(timeout=60_000)
                cells = page.evaluate(OBSERVER)
                coach_kernels = coach.kernels()
                for label, count, first in (("1 participant (baseline)", 1, 0), (f"{n} participants", n, 1)):
                    before = attempts_of(db, pretest["id"])
                    load = load_average()
                    cpu0 = sum(k.cpu_times().user + k.cpu_times().system for k in coach_kernels)
                    run = play(participant.url, session["join_code"], count, think_s=args.think, cap_s=args.cap,
                               timeout=args.cap, first=first)
                    wait_settled(page, 60)
                    cpu = sum(k.cpu_times().user + k.cpu_times().system for k in coach_kernels) - cpu0
                    mine = attempts_of(db, pretest["id"]) - before
                    events = page.evaluate("() => window.__tkAnswered.events")
                    values, missing = latencies(first_saves(db, pretest["id"]), events, mine)
                    results[label] = {"values": values, "missing": missing, "run": run, "load": load,
                                      "coach_cpu": cpu}
            finally:
                browser.close()
    finally:
        for server in (coach, participant):
            if server is not None:
                server.stop()
        shutil.rmtree(data, ignore_errors=True)
    print(f"   participant server: pool of {pool} warm kernels (ready after {warm_s:.0f} s); "
          f"coach page: {cells} questions on the Results tab; the coach app looks for changes every 0.25 s")
    for label, r in results.items():
        run = r["run"]
        print(f"   {label}: saved → shown on the coach's chart {summary(r['values'])}")
        print(f"       answers never shown: {r['missing']}; participants failed {run.failures} "
              f"(of them timed out {run.timed_out}); answer saved (tap → ✓ Saved) {run.saves_line()}")
        print(f"       coach kernel CPU {r['coach_cpu']:.1f} s over {run.wall_s:.0f} s; {r['load']} (before)")
        for e in sorted(set(run.errors))[:3]:
            print(f"       error: {e[:160]}")
    if len(results) == 2:
        (_, base), (_, many) = results.items()
        if base["values"] and many["values"]:
            print(f"   {n} participants / 1: median "
                  f"{ratio(statistics.median(many['values']), statistics.median(base['values']))}, p95 "
                  f"{ratio(percentile(many['values'], 0.95), percentile(base['values'], 0.95))}")
    print(f"   {load_average()} (at the end)")


if __name__ == "__main__":
    main()
