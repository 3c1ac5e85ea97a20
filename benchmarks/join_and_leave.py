"""Kernels left running after join-and-leave cycles in a real browser: `toolkit serve` against plain Voila
(measured in the same run, one after the other).

One cycle: a fresh Chromium context (a phone of its own) opens the participant page with the join code,
fills in the join form, joins, waits for the first question, and closes the page. After the cycles the
kernels of each server (its child processes) are counted at once and again after `--wait` seconds.
The toolkit keeps a warm pool (`--pool`), so it should end with the pool and no more: a closed page sends a
beacon that shuts its kernel down, and kernels with no connection are culled after `--cull-after` s.

Cycles start at least `--min-cycle` seconds apart: the toolkit allows 20 page loads a minute per address
(toolkit/voila_app.py) and every cycle here comes from 127.0.0.1; a room has one address per phone.

Not a test: `python benchmarks/join_and_leave.py` (10 cycles), `--cycles 30` for the full figure.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import time
from pathlib import Path

from _servers import (
    JOIN_PLACEHOLDER,
    banner,
    launch_chromium,
    load_average,
    seed_store,
    start_plain,
    start_toolkit,
    summary,
    toolkit_env,
    work_dir,
)

from toolkit import config

FIRST_QUESTION = re.compile(r"Question 1 of \d+")


def cycle(browser, url: str, name: str, timeout_s: float) -> tuple[float | None, str | None]:
    """One phone opens the page, joins and leaves; (seconds to the first question, problem)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    started = time.monotonic()
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        try:
            page.get_by_placeholder(JOIN_PLACEHOLDER).wait_for(timeout=timeout_s * 1000)
        except Exception:
            if "Please wait a minute" in page.content():
                return None, "page load refused (429: too many page loads from this address)"
            return None, "the join form did not show"
        page.get_by_placeholder(JOIN_PLACEHOLDER).fill(name)
        page.get_by_text("I understand and agree").click()
        page.get_by_role("button", name="Join").click()
        page.get_by_text(FIRST_QUESTION).wait_for(timeout=timeout_s * 1000)
        seconds = time.monotonic() - started
        page.close()  # pagehide: the toolkit's page sends its shutdown beacon here
        return seconds, None
    except Exception as e:
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
    finally:
        context.close()


def run_server(kind: str, browser, args) -> dict:
    data = work_dir(f"tk-join-leave-{kind}-")
    code = seed_store(data, args.banks)["join_code"]
    if kind == "toolkit":
        server = start_toolkit("participant", data, args.banks, pool=args.pool, cull_after=args.cull_after)
    else:
        env = toolkit_env(data, args.banks, "http://127.0.0.1/")
        server = start_plain("participant", config.notebooks_dir() / "participant.ipynb", data,
                             {k: v for k, v in env.items() if k.startswith("TOOLKIT_")})
    result: dict = {"kind": kind, "times": [], "problems": []}
    try:
        server.wait_started()
        if kind == "toolkit":
            server.wait_warm(args.pool)
        result["before"] = len(server.kernels())
        result["load"] = load_average()
        for i in range(args.cycles):
            started = time.monotonic()
            seconds, problem = cycle(browser, f"{server.url}?code={code}", f"Cycle {i + 1}", args.timeout)
            if seconds is not None:
                result["times"].append(seconds)
            if problem:
                result["problems"].append(f"cycle {i + 1}: {problem}")
            left = args.min_cycle - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)
        result["right_after"] = len(server.kernels())
        timeline = []
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
            timeline.append(len(server.kernels()))
        result["timeline"] = timeline
        result["after_wait"] = len(server.kernels())
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10, help="join-and-leave cycles per server (full: 30)")
    parser.add_argument("--pool", type=int, default=5, help="the toolkit's warm kernels (default 5)")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait after the cycles (default 60)")
    parser.add_argument("--cull-after", type=int, default=300, help="the toolkit's --cull-after (default 300)")
    parser.add_argument("--min-cycle", type=float, default=3.2, help="seconds between cycle starts (default 3.2)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one step of a cycle may take")
    parser.add_argument("--banks", type=Path, default=None, help="question banks (default: the shipped ones)")
    args = parser.parse_args()
    banner(f"join and leave: {args.cycles} cycles in Chromium, then kernels still running (children of the server)")
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for kind in ("toolkit", "plain"):
                results.append(run_server(kind, browser, args))
        finally:
            browser.close()
    for r in results:
        head = f"toolkit (pool {args.pool}, cull after {args.cull_after} s)" if r["kind"] == "toolkit" \
            else "plain Voila"
        print(f"   {head}")
        print(f"       kernels before the cycles {r['before']}, right after {r['right_after']}, "
              f"after {args.wait:.0f} s {r['after_wait']} (every 10 s: {r['timeline']})")
        print(f"       cycles joined {len(r['times'])}/{args.cycles}; page open to first question: "
              f"{summary(r['times'])}")
        print(f"       {r['load']} (before the cycles)")
        for p in r["problems"][:5]:
            print(f"       problem: {p}")
        if len(r["problems"]) > 5:
            print(f"       … and {len(r['problems']) - 5} more problems")
    if len(results) == 2:
        t, p = results
        left_t = t["after_wait"] - t["before"]
        left_p = p["after_wait"] - p["before"]
        print(f"   kernels left beyond those before the cycles, after {args.wait:.0f} s: toolkit {left_t}, "
              f"plain Voila {left_p}; right after the cycles: toolkit {t['right_after'] - t['before']}, "
              f"plain Voila {p['right_after'] - p['before']}")
        if t["times"] and p["times"]:
            print(f"   join time toolkit / plain (median): "
                  f"{statistics.median(t['times']) / statistics.median(p['times']):.2f}×")
    print(f"   {load_average()} (at the end)")


if __name__ == "__main__":
    main()
