"""Page loads that never show the app: first loads and reloads of the participant page in Chromium, on freshly
started servers and on warm ones, counted.

A page "shows the app" when the participant app's widget (`.tk-participant`) is on screen. A page that has not
shown it after `--timeout` seconds (120) never did (the toolkit's page reloads itself once after 20 s without
progress or 60 s at all: a page that showed the app only after that reload is counted apart, as recovered).

One phone (a Chromium context of its own, phone-sized): a first load with the join code, join, answer the first
question, then `--reloads` reloads; the last of them impatient (the phone reloads again 0.3–3 s into the
reload, as a person does at a slow page; the second reload is the one counted). Before each phone, another
phone opens the page and closes its tab 0.3–3 s later (not counted: it only leaves its kernel). Fresh servers:
`toolkit serve --expect E`'s participant server, the first phone right after the port opens (the pool still
warming), the next phones after. Warm servers: the same once
its pool is warm, then `--warm-phones` phones one after the other. Page loads to one server start at least
`--min-gap` s apart (the toolkit allows 20 page loads a minute per address; every load here is from 127.0.0.1).

`--strangers`: meanwhile a client opens and closes pairs of page-request sockets (/voila/query/<made-up id>)
about 166 times a minute (issue #13: with Voila's own handler, 0 of 3 phones then got their page).

For a page that never showed the app: what the page received (the kernel's config, the cell, Voila's last
script), the WebSockets it opened and the server's log lines about its kernel.

Not a test: `python benchmarks/page_loads.py` (114 page loads on 12 servers, about 20 minutes on 2 busy cores);
`python benchmarks/page_loads.py --fresh 0 --warm 1 --warm-phones 3 --strangers` for the stranger sockets.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from _servers import (
    JOIN_PLACEHOLDER,
    banner,
    launch_chromium,
    load_average,
    pool_for,
    seed_store,
    start_toolkit,
    work_dir,
)

APP = ".tk-participant"
FIRST_QUESTION = re.compile(r"Question 1 of \d+")


@dataclass
class Load:
    server: str
    kind: str  # "first load" or "reload"
    seconds: float | None  # until the app showed; None: never
    recovered: bool = False  # shown only after the page reloaded itself
    problem: str = ""
    detail: list[str] = field(default_factory=list)


class Phone:
    """One Chromium context and page; remembers the WebSockets the page opened and its console."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        self.page = self.context.new_page()
        self.sockets: list[str] = []
        self.console: list[str] = []
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"[:200]))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"[:200]))

    def close(self) -> None:
        self.context.close()

    def shown(self, timeout_s: float, server=None, stuck_s: float = 15) -> tuple[float | None, bool]:
        """Seconds until the app is on screen (None: not within timeout_s), and whether the page reloaded itself.

        A page not shown after `stuck_s` gets `self.stuck` (what it received, its WebSockets, the log lines about
        its kernel, the server's state dump: `kill -USR1`, toolkit.voila_app.StateDump) and its kernel writes every thread's stack to the server's log (SIGABRT with faulthandler on:
        that kernel ends; the page's recovery, if any, then reloads it)."""
        started = time.monotonic()
        self.stuck: list[str] = []
        try:
            self.page.locator(APP).first.wait_for(state="visible", timeout=min(stuck_s, timeout_s) * 1000)
        except Exception:
            if server is not None:
                self.stuck = self.diagnose(server, dump=True)
            try:
                self.page.locator(APP).first.wait_for(state="visible",
                                                      timeout=max(1.0, timeout_s - (time.monotonic() - started)) * 1000)
            except Exception:
                return None, self.reloaded_itself()
        return time.monotonic() - started, self.reloaded_itself()

    def reloaded_itself(self) -> bool:
        """The page's recovery script (the toolkit's template, recover.js) reloaded it during this load."""
        return any("reloading the page once" in line for line in self.console)

    def diagnose(self, server, dump: bool = False) -> list[str]:
        try:
            html = self.page.content()
        except Exception as e:
            return [f"page content unavailable: {e}"]
        kernel = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html)
        kernel_id = kernel.group(1) if kernel else None
        stacks: list[str] = []
        if dump:  # the server's own account first (toolkit.voila_app.StateDump): pool, pages, kernels, tasks
            before = server.log.stat().st_size if server.log.exists() else 0
            server.proc.send_signal(signal.SIGUSR1)
            time.sleep(1.5)
            with open(server.log, "rb") as log:
                log.seek(before)
                stacks = [f"server {line.strip()[:200]}" for line in log.read().decode(errors="replace").splitlines()
                          if line.startswith("  ") and not line.startswith("  File ")][:80]
        if dump and kernel_id:
            before = server.log.stat().st_size if server.log.exists() else 0
            for k in server.kernels():
                try:
                    if kernel_id in " ".join(k.cmdline()):
                        k.send_signal(signal.SIGABRT)
                        time.sleep(1.5)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            with open(server.log, "rb") as log:
                log.seek(before)
                stacks += [f"stack {line.strip()[:160]}" for line in log.read().decode(errors="replace").splitlines()
                          if line.strip().startswith(("File ", "Thread ", "Current thread"))][:60]
        lines = [f"html {len(html)} chars; kernel {kernel_id}; config {'jupyter-config-data' in html}; "
                 f"cell {'cell-index' in html}; voila_finish {'window.voila_finish()' in html}; "
                 f"voila.js {'voila.js' in html}; text {self.page.inner_text('body')[:80]!r}",
                 "page WebSockets: " + (", ".join(u.split('/api/')[-1][:60] for u in self.sockets) or "none")]
        lines += [f"console {c}" for c in self.console[-5:]]
        if kernel_id and server.log.exists():
            lines += [f"log {line.strip()[:200]}" for line in server.log.read_text(errors="replace").splitlines()
                      if kernel_id in line][-8:]
        return lines + stacks


class Paced:
    """Page loads to one server at least `gap` seconds apart (the per-address limit of page loads)."""

    def __init__(self, gap: float):
        self.gap, self.last = gap, 0.0

    def wait(self) -> None:
        left = self.gap - (time.monotonic() - self.last)
        if left > 0:
            time.sleep(left)
        self.last = time.monotonic()


def closed_tab(browser, server, code: str, rng: random.Random, pace: Paced) -> None:
    """A phone opens the page and closes the tab before the app shows (its pagehide beacon goes out)."""
    pace.wait()
    phone = Phone(browser)
    try:
        phone.page.goto(f"{server.url}?code={code}", wait_until="commit", timeout=60_000)
        phone.page.wait_for_timeout(rng.uniform(300, 3000))
        phone.page.close()
    except Exception:
        pass
    finally:
        phone.close()


def one_phone(browser, server, code: str, name: str, reloads: int, timeout_s: float, pace: Paced,
              rng: random.Random, impatient: bool, dump_stuck: bool = False) -> list[Load]:
    loads = []
    phone = Phone(browser)
    try:
        for i in range(reloads + 1):
            kind = "first load" if i == 0 else "reload"
            pace.wait()
            phone.sockets.clear()
            phone.console.clear()
            try:
                if i == 0:
                    phone.page.goto(f"{server.url}?code={code}", wait_until="commit", timeout=timeout_s * 1000)
                else:
                    phone.page.reload(wait_until="commit", timeout=timeout_s * 1000)
                    if impatient and i == reloads:
                        kind = "reload after a reload"
                        phone.page.wait_for_timeout(rng.uniform(300, 3000))
                        pace.wait()
                        phone.sockets.clear()
                        phone.page.reload(wait_until="commit", timeout=timeout_s * 1000)
            except Exception as e:
                loads.append(Load(server.name, kind, None, problem=f"navigation: {str(e).splitlines()[0][:100]}"))
                break
            seconds, recovered = phone.shown(timeout_s, server if dump_stuck else None)
            if seconds is None:
                problem = "page refused (429)" if "Please wait a minute" in phone.page.content() else \
                    "never showed the app"
                loads.append(Load(server.name, kind, None, recovered, problem, phone.diagnose(server)))
                break  # this phone is stuck; the next phone carries on
            loads.append(Load(server.name, kind, seconds, recovered, detail=phone.stuck))
            if i == 0:
                try:
                    phone.page.get_by_placeholder(JOIN_PLACEHOLDER).fill(name, timeout=timeout_s * 1000)
                    phone.page.get_by_text("I understand and agree").click()
                    phone.page.get_by_role("button", name="Join").click()
                    phone.page.get_by_text(FIRST_QUESTION).wait_for(timeout=timeout_s * 1000)
                    phone.page.locator(".tk-choice").first.click()
                    phone.page.get_by_text("✓ Saved").first.wait_for(timeout=timeout_s * 1000)
                except Exception as e:
                    loads[-1].problem = f"joining or answering: {str(e).splitlines()[0][:100]}"
                    break
    finally:
        phone.close()
    return loads


class Strangers(threading.Thread):
    """Pairs of page-request sockets for made-up kernel ids, opened and closed, `per_minute` pairs a minute."""

    def __init__(self, port: int, per_minute: float = 166):
        super().__init__(daemon=True)
        self.port, self.gap = port, 60.0 / per_minute
        self.stop_event = threading.Event()
        self.pairs = self.refused = 0

    def run(self) -> None:
        import websocket

        deadline = time.monotonic() + 3600
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            made_up = str(uuid.uuid4())
            opened = []
            for _ in range(2):
                try:
                    opened.append(websocket.create_connection(f"ws://127.0.0.1:{self.port}/voila/query/{made_up}",
                                                              timeout=10))
                except websocket.WebSocketBadStatusException:
                    self.refused += 1
                except Exception:
                    pass
            for ws in opened:
                ws.close()
            self.pairs += 1
            self.stop_event.wait(self.gap)

    def finish(self) -> str:
        self.stop_event.set()
        self.join(timeout=30)
        return f"{self.pairs} pairs of stranger sockets, {self.refused} of {2 * self.pairs} sockets refused"


def run_server(browser, label: str, warm: bool, phones: int, args, number: int) -> list[Load]:
    data = work_dir(f"tk-page-loads-{number}-")
    code = seed_store(data, args.banks)["join_code"]
    pool = pool_for(args.expect)
    server = start_toolkit("participant", data, args.banks, pool=pool, cull_after=args.cull_after)
    server.name = f"{label} server {number}"
    loads: list[Load] = []
    pace = Paced(args.min_gap)
    rng = random.Random(number)
    strangers = None
    try:
        server.wait_started()
        if warm:
            server.wait_warm(pool)
        if args.strangers:
            strangers = Strangers(server.port)
            strangers.start()
        for p in range(phones):
            if args.closed_tabs:
                closed_tab(browser, server, code, rng, pace)
            loads += one_phone(browser, server, code, f"Phone {number}.{p + 1}", args.reloads, args.timeout, pace,
                               rng, args.impatient, args.dump_stuck)
    finally:
        if strangers is not None:
            print(f"     {server.name}: {strangers.finish()}", flush=True)
        server.stop()
        never = [load for load in loads if load.seconds is None or load.detail]
        if never and args.keep:
            print(f"     log of {server.name} kept in {server.log}", flush=True)
        else:
            shutil.rmtree(data, ignore_errors=True)
    return loads


def report(loads: list[Load]) -> None:
    def line(label: str, subset: list[Load]) -> str:
        never = sum(1 for x in subset if x.seconds is None)
        recovered = sum(1 for x in subset if x.seconds is not None and x.recovered)
        times = sorted(x.seconds for x in subset if x.seconds is not None)
        median = f", median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s" if times else ""
        return (f"       {label:28} {len(subset):>4} loads: never showed the app {never}, "
                f"shown after the page reloaded itself {recovered}{median}")

    print("   results")
    for where in ("fresh", "warm"):
        for kind in ("first load", "reload", "reload after a reload"):
            subset = [x for x in loads if x.server.startswith(where) and x.kind == kind]
            if subset:
                print(line(f"{where} servers, {kind}", subset))
    never = [x for x in loads if x.seconds is None]
    print(line("all", loads))
    print(f"   NEVER SHOWED THE APP: {len(never)} of {len(loads)} page loads")
    for x in never:
        print(f"     {x.server}, {x.kind}: {x.problem}")
        for d in x.detail:
            print(f"         {d}")
    for x in [x for x in loads if x.seconds is not None and x.detail]:
        print(f"     {x.server}, {x.kind}: shown after {x.seconds:.0f} s{' (the page reloaded itself)' if x.recovered else ''}"
              f"; at {15} s:")
        for d in x.detail:
            print(f"         {d}")
    other = [x for x in loads if x.seconds is not None and x.problem]
    for x in other:
        print(f"     (not a page load failure) {x.server}, {x.kind}: {x.problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", type=int, default=10, help="freshly started servers (default 10)")
    parser.add_argument("--fresh-phones", type=int, default=2, help="phones on each fresh server (default 2)")
    parser.add_argument("--warm", type=int, default=2, help="warm servers (default 2)")
    parser.add_argument("--warm-phones", type=int, default=9, help="phones on each warm server (default 9)")
    parser.add_argument("--reloads", type=int, default=2, help="reloads per phone after the first load (default 2)")
    parser.add_argument("--expect", type=int, default=2, help="`toolkit serve --expect` (default 2)")
    parser.add_argument("--cull-after", type=int, default=300, help="`toolkit serve --cull-after` (default 300)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a page may take to show the app")
    parser.add_argument("--min-gap", type=float, default=3.2, help="seconds between page loads to one server")
    parser.add_argument("--banks", type=Path, default=None, help="question banks (default: the shipped ones)")
    parser.add_argument("--no-impatient", dest="impatient", action="store_false",
                        help="no impatient reload (a reload 0.3–3 s into the last reload)")
    parser.add_argument("--no-closed-tabs", dest="closed_tabs", action="store_false",
                        help="no tab opened and closed early before each phone")
    parser.add_argument("--strangers", action="store_true",
                        help="meanwhile open and close pairs of page-request sockets for made-up ids (166 a minute)")
    parser.add_argument("--dump-stuck", action="store_true",
                        help="a page not shown after 15 s: describe it, dump the server's state and its kernel's stacks "
                             "into the log (ends that kernel)")
    parser.add_argument("--keep", action="store_true", help="keep the server log when a page never showed the app")
    args = parser.parse_args()
    per_phone = args.reloads + 1
    planned = per_phone * (args.fresh * args.fresh_phones + args.warm * args.warm_phones)
    banner(f"page loads: {planned} planned (first loads and reloads), `--expect {args.expect}` "
           f"(pool {pool_for(args.expect)}), a page that shows no app within {args.timeout:.0f} s never did")
    from playwright.sync_api import sync_playwright

    loads: list[Load] = []
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            plan = [("fresh", False, args.fresh_phones)] * args.fresh + [("warm", True, args.warm_phones)] * args.warm
            for number, (label, warm, phones) in enumerate(plan, 1):
                got = run_server(browser, label, warm, phones, args, number)
                loads += got
                never = sum(1 for x in got if x.seconds is None)
                print(f"     {label} server {number}: {len(got)} loads, never showed the app {never}; "
                      f"{load_average()}", flush=True)
        finally:
            browser.close()
    report(loads)
    print(f"   {len(loads)} page loads in {time.monotonic() - started:.0f} s; {load_average()} (at the end)")
    print("   " + json.dumps({"loads": len(loads), "never": sum(1 for x in loads if x.seconds is None)}))


if __name__ == "__main__":
    main()
