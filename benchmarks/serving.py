"""The participant page as `toolkit serve` serves it, against plain Voila measured in the same run.

(a) A first page load of the participant page in Chromium (empty cache, a phone-sized window): requests,
    bytes on the wire (CDP Network.loadingFinished encodedDataLength, headers included) and the time until
    the join form shows; then a second load in the same browser (the browser's cache at work). Plain
    Voila's lab template also asks a CDN for two stylesheets: those requests are counted as attempted and
    fail at once (the browser resolves no name: only loopback is reached). The bytes by kind (scripts,
    styles, fonts, page) and the encodings of the responses are printed with each load. The browser loads
    from 127.0.0.1, to which Chromium offers Brotli and zstd; to a phone's address on the network it offers
    gzip and deflate only (plain HTTP): neither server sends Brotli, so the figures are a phone's.
(b) N simulated participants (toolkit.rehearse.play_participant, think time 0, all starting at once) join
    and answer the whole pre-test: how many reach the first question and submit, the time until each sees
    the first question (p50, p95, max), the memory of the server with its kernels (sums of RSS and PSS over
    the process tree: with the pool warm, at the peak and once everyone has submitted), and the answers the
    store holds against those the participants saw saved (none may be lost). Servers: the toolkit with a pool
    of warm kernels sized for N as `toolkit serve` sizes it (toolkit.serve.measure_kernel and capacity, capped
    by memory; the run starts once the pool is warm), with kernels forked (`toolkit`) and each started from
    scratch (`nofork`, `toolkit serve --no-fork`); and plain Voila (no pool: every page load starts a kernel;
    only up to --plain-up-to). Each run is capped; participants still playing at the cap count as failures.
    Goals (issue #18, two cores): everyone reaches question 1 and submits, p95 to question 1 under 5 s at
    N=100 and under 10 s at N=200, the tree's memory at N=200 under 4 GB, no answer lost.

Each simulated participant loads its page from a loopback address of its own (127.0.0.2, …), as phones on
a network do; `--one-address` sends them all from 127.0.0.1 instead (the toolkit's limit of page loads
per address then applies to all of them together).

Not a test: `python benchmarks/serving.py` (N=10), `python benchmarks/serving.py --sizes 30,100,200` (full).
BENCH_PORTS=9600-9899 keeps the servers on those ports (benchmarks/_servers.free_port).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import threading
import time
from pathlib import Path

import psutil
from _servers import (
    JOIN_PLACEHOLDER,
    ROOT,
    STAGES,
    banner,
    launch_chromium,
    load_average,
    percentile,
    play,
    ratio,
    seed_store,
    start_plain,
    start_toolkit,
    summary,
    toolkit_env,
    wait_for_quiet_machine,
    work_dir,
)

from toolkit import config, forking
from toolkit.serve import capacity, measure_kernel

TOOLKITS = ("toolkit", "nofork", "eager")


def memory_mb(p: psutil.Process) -> tuple[float, float | None]:
    """RSS and PSS of one process in MiB (PSS from /proc/PID/smaps_rollup, None where there is none)."""
    rss = p.memory_info().rss / 2**20
    try:
        with open(f"/proc/{p.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return rss, int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, None


class TreeSampler(threading.Thread):
    """Every second: the number of kernels of a server, and the CPU seconds its process tree used since the
    sampler started (a process that ends between two samples loses its last second); every MEMORY_EVERY_S, the
    memory of the whole tree (the server, the template that forks kernels, every kernel): the sum of RSS
    (shared pages counted in every process) and of PSS (each shared page split between the processes that share
    it: the tree's real share of the machine's memory), and the peak of each."""

    MEMORY_EVERY_S = 5.0

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop_event = threading.Event()
        self.peak_kernels = 0
        self.cpu: dict[int, float] = {}
        self.before: dict[int, float] = {}
        self.procs: dict[int, psutil.Process] = {}
        self.peak_rss = self.peak_pss = 0.0
        self.last_memory: tuple[float, float | None] = (0.0, None)
        self.server_memory: tuple[float, float | None] = (0.0, None)  # the server process alone, at the last sample
        self._memory_at = 0.0
        self.timeline: list[tuple[float, float, float]] = []  # (when, CPU of the tree, CPU of the server) since start

    def sample_memory(self) -> tuple[float, float | None]:
        rss = pss = 0.0
        pss_known = True
        for p in [psutil.Process(self.server.proc.pid), *self.server.descendants()]:
            try:
                r, q = memory_mb(p)
            except psutil.NoSuchProcess:
                continue
            if p.pid == self.server.proc.pid:
                self.server_memory = (r, q)
            rss += r
            pss_known = pss_known and q is not None
            pss += q or 0.0
        self.peak_rss = max(self.peak_rss, rss)
        if pss_known:
            self.peak_pss = max(self.peak_pss, pss)
        self.last_memory = (rss, pss if pss_known else None)
        self._memory_at = time.monotonic()
        return self.last_memory

    def sample(self) -> None:
        first = not self.procs
        tree = [psutil.Process(self.server.proc.pid), *self.server.descendants()]
        for p in tree:
            p = self.procs.setdefault(p.pid, p)
            try:
                t = p.cpu_times()
                self.cpu[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                continue
            if first:  # what the processes running at the start had used before: not part of the run
                self.before[p.pid] = self.cpu[p.pid]
        self.timeline.append((time.monotonic(), sum(self.cpu.values()) - sum(self.before.values()),
                              self.cpu.get(self.server.proc.pid, 0.0) - self.before.get(self.server.proc.pid, 0.0)))
        self.peak_kernels = max(self.peak_kernels, len(self.server.kernels()))
        if time.monotonic() - self._memory_at >= self.MEMORY_EVERY_S:
            self.sample_memory()

    def run(self) -> None:
        deadline = time.monotonic() + 24 * 3600
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.sample()
            self.stop_event.wait(1.0)

    def finish(self) -> float:
        self.stop_event.set()
        self.join(timeout=10)
        return sum(self.cpu.values()) - sum(self.before.values())

    def cpu_at(self, when: float) -> tuple[float, float] | None:
        """CPU seconds (the tree, the server process) used from the start until `when` (time.monotonic()), from the
        first sample at or after it."""
        return next(((tree, server) for t, tree, server in self.timeline if t >= when), None)

    def server_cpu(self) -> float:
        pid = self.server.proc.pid
        return self.cpu.get(pid, 0.0) - self.before.get(pid, 0.0)


# ------------------------------------------------------------------ (a) a first page load


def kind_of(url: str) -> str:
    """What a response of the page is, for the first load's breakdown."""
    path = url.split("?")[0]
    for kind, endings in (("scripts", (".js",)), ("styles", (".css",)), ("fonts", (".woff2", ".woff", ".ttf")),
                          ("images", (".svg", ".png"))):
        if path.endswith(endings):
            return kind
    return "page and API" if path.startswith("http") else "other"


def page_load(browser, url: str, timeout_s: float) -> dict:
    """Load `url` twice in one browser context (empty cache, then cached); figures of each load."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    current: dict = {}
    urls: dict[str, str] = {}

    def reset() -> None:
        current.clear()
        current.update(requests=0, bytes=0, failed=[], ws_bytes=0, cached=0, not_modified=0, by_url={}, by_kind={},
                       encodings={})

    def sent(e):
        current["requests"] += 1
        urls[e["requestId"]] = e["request"]["url"]

    def received(e):
        response = e.get("response", {})
        encoding = {k.lower(): v for k, v in response.get("headers", {}).items()}.get("content-encoding", "none")
        current["encodings"][encoding] = current["encodings"].get(encoding, 0) + 1
        if response.get("status") == 304:
            current["not_modified"] += 1
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            current["cached"] += 1

    def from_memory(e):
        current["cached"] += 1

    def finished(e):
        size = e.get("encodedDataLength", 0)
        current["bytes"] += size
        url = urls.get(e["requestId"], "?").split("?")[0]
        current["by_url"][url] = current["by_url"].get(url, 0) + size
        kind = kind_of(url)
        current["by_kind"][kind] = current["by_kind"].get(kind, 0) + size

    def failed(e):
        current["failed"].append(f"{e.get('errorText', '?')} {urls.get(e['requestId'], '?')}")

    def ws_frame(e):
        current["ws_bytes"] += len(e.get("response", {}).get("payloadData", ""))

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", from_memory)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", failed)
    cdp.on("Network.webSocketFrameReceived", ws_frame)
    cdp.on("Network.webSocketFrameSent", ws_frame)
    loads = []
    try:
        for _ in range(2):
            reset()
            started = time.monotonic()
            if loads:
                page.reload(wait_until="commit", timeout=timeout_s * 1000)
            else:
                page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
            page.get_by_placeholder(JOIN_PLACEHOLDER).wait_for(timeout=timeout_s * 1000)
            form_s = time.monotonic() - started
            with contextlib.suppress(Exception):  # a page that keeps asking: take the figures as they are
                page.wait_for_load_state("networkidle", timeout=30_000)
            page.wait_for_timeout(1500)
            loads.append(dict(current, failed=list(current["failed"]), by_url=dict(current["by_url"]),
                              by_kind=dict(current["by_kind"]), encodings=dict(current["encodings"]), form_s=form_s,
                              load=load_average()))
    finally:
        context.close()
    return {"first": loads[0] if loads else None, "second": loads[1] if len(loads) > 1 else None}


def print_loads(results: dict[str, dict], detail: int = 0) -> None:
    print("   (a) participant page in Chromium (390×844), until the join form shows and the network is quiet")
    print(f"       {'':28} {'requests':>8} {'failed':>6} {'cached':>6} {'304':>4} {'HTTP bytes':>11} "
          f"{'WebSocket':>10} {'form shown':>10}")
    for label, r in results.items():
        for which in ("first", "second"):
            x = r.get(which)
            if not x:
                print(f"       {label + ', ' + which + ' load':28} did not load")
                continue
            print(f"       {label + ', ' + which + ' load':28} {x['requests']:>8} {len(x['failed']):>6} "
                  f"{x['cached']:>6} {x['not_modified']:>4} {x['bytes']:>11,} {x['ws_bytes']:>10,} "
                  f"{x['form_s']:>9.2f}s")
            print("           by kind: " + ", ".join(f"{kind} {size:,}" for kind, size in
                                                 sorted(x["by_kind"].items(), key=lambda kv: -kv[1]))
                  + "; encodings: " + ", ".join(f"{e} {n}" for e, n in sorted(x["encodings"].items()))
                  + f"; {x['load']}")
            for url, size in sorted(x["by_url"].items(), key=lambda kv: -kv[1])[:detail]:
                print(f"           {size:>10,}  {url[:110]}")
    t, p = results.get("toolkit", {}).get("first"), results.get("plain Voila", {}).get("first")
    if t and p:
        print(f"       first load: toolkit {t['bytes'] / 1e6:.2f} MB, plain Voila {p['bytes'] / 1e6:.2f} MB (goal for the "
              f"toolkit: at most 1.0 MB; {'met' if t['bytes'] <= 1_000_000 else 'not met'})")
        print(f"       first load, toolkit / plain: HTTP bytes {ratio(t['bytes'], p['bytes'])}, "
              f"requests {ratio(t['requests'], p['requests'])} ({t['requests']} vs {p['requests']}), "
              f"join form shown {ratio(t['form_s'], p['form_s'])}")
        for label, x in (("toolkit", t), ("plain Voila", p)):
            print(f"       failed (offline), {label}: {x['failed'] or 'none'}")
    t2, p2 = results.get("toolkit", {}).get("second"), results.get("plain Voila", {}).get("second")
    if t2 and p2:
        print(f"       second load: toolkit {t2['bytes'] / 1e3:.1f} kB, plain Voila {p2['bytes'] / 1e3:.1f} kB (goal for the "
              f"toolkit: under 20 kB; {'met' if t2['bytes'] < 20_000 else 'not met'})")
        print(f"       second load, toolkit / plain: HTTP bytes {ratio(t2['bytes'], p2['bytes'])}, "
              f"requests that reached the server {t2['requests'] - t2['cached']} vs {p2['requests'] - p2['cached']}")


# ------------------------------------------------------------------ (b) N participants at once


def one_run(kind: str, n: int, banks: Path | None, cap_s: float, distinct: bool, keep: bool,
            fill_delay: float | None = None, hold: bool = False) -> dict:
    data = work_dir(f"tk-serving-{kind}-{n}-")
    session = seed_store(data, banks)
    code = session["join_code"]
    result: dict = {"kind": kind, "n": n, "cap": cap_s, "hold": hold}
    if kind in TOOLKITS:
        fork = kind != "nofork" and forking.available() is None
        result["kernel"] = kernel = measure_kernel(fork)  # as `toolkit serve` sizes the room, and caps it
        room = capacity(n, kernel=kernel)
        result["pool"], result["kernel_cap"] = room.pool, room.cap
        server = start_toolkit("participant", data, banks, pool=room.pool, fill_delay=fill_delay,
                               calm_refill=kind != "eager", fork=fork, kernel_cap=room.cap,
                               kernel_mb=kernel.per_participant_mb)
        result["fill_delay"] = fill_delay
    else:
        env = toolkit_env(data, banks, "http://127.0.0.1/")
        server = start_plain("participant", config.notebooks_dir() / "participant.ipynb", data,
                             {k: v for k, v in env.items() if k.startswith("TOOLKIT_")})
    sampler = None
    try:
        server.wait_started()
        if kind in TOOLKITS:
            result["warm_s"] = server.wait_warm(result["pool"], seconds=max(600, 20 * result["pool"]))
            result["warm_memory"] = TreeSampler(server).sample_memory()
        result["settled_s"] = wait_for_quiet_machine()  # the warm-up (or a previous run) has finished
        result["load_before"] = load_average()
        sampler = TreeSampler(server)
        sampler.start()
        started = time.monotonic()
        run = play(server.url, code, n, think_s=0.0, cap_s=cap_s, timeout=cap_s, distinct=distinct, hold=hold)
        result["end_memory"] = sampler.sample_memory()  # everyone has submitted (or the cap has passed)
        result["end_server_memory"] = sampler.server_memory
        result["cpu_s"] = sampler.finish()
        result["peak_rss"], result["peak_pss"] = sampler.peak_rss, sampler.peak_pss
        result["store"] = answers_in_store(data, session)
        result["server_cpu_s"] = sampler.server_cpu()
        if run.first_question:  # CPU until the last participant saw question 1 (the sample after it)
            result["cpu_to_first"] = sampler.cpu_at(started + max(run.first_question))
        result.update(run=run, peak_kernels=sampler.peak_kernels, kernels_after=len(server.kernels()))
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.finish()
        run = result.get("run")
        server.stop(dump=run is not None and run.timed_out > 0)
        if keep or run is None or run.failures:
            result["kept"] = str(data)  # the server's log, for a look at the failures
        else:
            shutil.rmtree(data, ignore_errors=True)
    return result


def answers_in_store(data: Path, session: dict) -> dict:
    """What the store holds of the pre-test: attempts, submitted attempts, and answers (the one that counts for
    each question of each attempt)."""
    from toolkit.store import Store

    store = Store(config.sqlite_url(data))
    try:
        pre = next(a for a in store.list_activities(session["id"]) if a["kind"] == "pretest")
        attempts = store.list_attempts(pre["id"])
        return {"attempts": len(attempts), "submitted": sum(1 for a in attempts if a.get("submitted_at")),
                "answers": sum(len(store.latest_answers(a["id"])) for a in attempts)}
    finally:
        store.close()


def memory_line(r: dict) -> str:
    def both(m: tuple[float, float | None]) -> str:
        return f"RSS {m[0] / 1024:.2f} GiB" + (f", PSS {m[1] / 1024:.2f} GiB" if m[1] is not None else "")

    parts = []
    if r.get("warm_memory"):
        parts.append(f"warm pool {both(r['warm_memory'])}")
    if r.get("end_memory"):
        parts.append(f"after everyone submitted {both(r['end_memory'])}")
    if r.get("end_server_memory") and r["end_server_memory"][0]:
        rss, pss = r["end_server_memory"]
        parts.append(f"of which the server process RSS {rss:.0f} MiB" + (f", PSS {pss:.0f} MiB" if pss else ""))
    if r.get("peak_rss"):
        parts.append(f"peak sums RSS {r['peak_rss'] / 1024:.2f} GiB"
                     + (f", PSS {r['peak_pss'] / 1024:.2f} GiB" if r.get("peak_pss") else ""))
    return "; ".join(parts) or "–"


def messages_line(run) -> str:
    """What the kernels sent each participant (toolkit.rehearse.Outcome.messages): every one passes the server."""
    outcomes = [o for o in run.outcomes if o is not None and o.messages]
    if not outcomes:
        return "–"
    first = [o.first_question_messages for o in outcomes if o.first_question_messages is not None]
    per_answer = [(o.messages - (o.first_question_messages or 0)) / o.answered for o in outcomes if o.answered]
    return (f"median {statistics.median(o.messages for o in outcomes):.0f} in all"
            + (f", {statistics.median(first):.0f} before question 1" if first else "")
            + (f", {statistics.median(per_answer):.1f} per answered question after it" if per_answer else "")
            + f"; {statistics.median(o.message_bytes for o in outcomes) / 1e3:.0f} kB in all; "
            f"{sum(o.messages for o in outcomes):,} through the server")


def cpu_lines(r: dict) -> list[str]:
    """The CPU a participant costs the laptop (the server and its kernels; the simulated phones are not counted:
    real phones bring their own), to question 1 and per answer after it: what toolkit.serve.CPU_COST is set from."""
    run, to_first = r["run"], r.get("cpu_to_first")
    if not to_first or not run.first_question:
        return []
    answers = sum(o.answered for o in run.outcomes if o is not None)
    after = r["cpu_s"] - to_first[0]
    return [f"           CPU a participant costs the server and its kernels: {to_first[0] / r['n']:.3f} s to question 1 "
            f"(the server process {to_first[1] / r['n']:.3f} s; {to_first[0]:.0f} s for all {r['n']} by "
            f"{max(run.first_question):.0f} s)"
            + (f", then {after / answers:.4f} s an answer ({answers} answers)" if answers else "")]


def describe(r: dict) -> list[str]:
    run = r["run"]
    first = run.first_question
    expected = sum(o.answered for o in run.outcomes if o is not None)
    delay = "" if r.get("fill_delay") is None else f", fill_delay {r['fill_delay']:g} s instead of the toolkit's"
    refill = ", each taken kernel replaced at once as Voila does" if r["kind"] == "eager" else ""
    how = {"nofork": ", kernels each started from scratch (--no-fork)", "toolkit": ", kernels forked",
           "eager": ""}.get(r["kind"], "")
    if r.get("hold"):
        how += ", everyone held at question 1 until all had joined"
    head = f"toolkit (pool {r['pool']}, cap {r['kernel_cap']}{how}{refill}{delay}, warm after {r['warm_s']:.0f} s)" \
        if r["kind"] in TOOLKITS else "plain Voila"
    if first and len(first) == r["n"]:
        everyone = f"all {r['n']} at their first question after {max(first):.1f} s"
    else:
        everyone = f"only {len(first)} of {r['n']} reached their first question within the cap"
    lines = [
        f"       {head}: {everyone}",
        f"           first question: {summary(first)}; never reached: {r['n'] - len(first)}",
        f"           failures (whole quiz): {run.failures} ({run.timed_out} still playing at the {r['cap']:.0f} s cap, "
        f"{len(run.errors)} errors); submitted {sum(1 for o in run.outcomes if o is not None and o.submitted)}",
        "           before the first question (each from the participant's start): " + "; ".join(
            f"{name} {len(run.stage(name))}/{r['n']}"
            + (f" median {statistics.median(run.stage(name)):.1f} s" if run.stage(name) else "")
            for name in STAGES),
        f"           answer saved: {run.saves_line()}",
        f"           reached question 1: {len(first)}/{r['n']}; submitted: "
        f"{sum(1 for o in run.outcomes if o is not None and o.submitted)}/{r['n']}; time to question 1: p50 "
        + (f"{percentile(first, 0.5):.2f} s, p95 {percentile(first, 0.95):.2f} s" if first else "–"),
        "           answers in the store: " + (
            f"{r['store']['answers']} (the participants saw {expected} saved: "
            + ("none lost" if r["store"]["answers"] == expected else
               f"{expected - r['store']['answers']} LOST" if r["store"]["answers"] < expected else "more than seen")
            + f"); attempts {r['store']['attempts']}, submitted {r['store']['submitted']}"
            if "store" in r else "not counted"),
        "           memory of the server and its kernels: " + memory_line(r),
        "           kernel messages to each phone over its WebSocket: " + messages_line(run),
        f"           kernels: peak {r['peak_kernels']}, at the end {r['kernels_after']}; "
        f"CPU used by the server and its kernels {r['cpu_s']:.0f} s (the server process alone "
        f"{r['server_cpu_s']:.0f} s) in {run.wall_s:.0f} s; the simulated participants {run.client_cpu_s:.0f} s "
        "on the same cores",
        f"           {r['load_before']} (before the run, after waiting {r['settled_s']:.0f} s for the CPU to settle)",
        *cpu_lines(r),
    ]
    if r.get("kernel") is not None:
        k = r["kernel"]
        lines.append(f"           kernel cost as `toolkit serve` measured it: {k.per_participant_mb} MB a participant"
                     + (f" ({k.unique_mb:.0f} MB own at the start, {k.shared_mb:.0f} MB shared)" if not k.why_assumed
                        else f" (assumed: {k.why_assumed})"))
    errors = sorted({e.split(": ", 1)[1] if ": " in e else e for e in run.errors})
    lines += [f"           error: {e[:160]}" for e in errors[:3]]
    if r.get("kept"):
        lines.append(f"           data folder and server log kept in {r['kept']}"
                     + (" (the server's stacks at the cap are at the end of the log)" if run.timed_out else ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10", help="participants at once, comma-separated (full: 10,30,60)")
    parser.add_argument("--cap", type=float, default=300, help="seconds each run may take (default 300)")
    parser.add_argument("--banks", type=Path, default=None, help="question banks (default: the shipped ones)")
    parser.add_argument("--skip-page", action="store_true", help="skip (a), the page load in Chromium")
    parser.add_argument("--servers", default="toolkit,nofork,plain",
                        help="which servers (b) runs: toolkit (kernels forked where available), nofork (the same "
                             "toolkit with kernels each started from scratch), plain, and eager (the toolkit with "
                             "Voila's own refill of the pool, at once; an experiment) (default toolkit,nofork,plain)")
    parser.add_argument("--plain-up-to", type=int, default=30,
                        help="run plain Voila only for N at most this (default 30: beyond, every page load starting "
                             "a kernel of its own does not end within the cap on two cores)")
    parser.add_argument("--one-address", action="store_true", help="all participants from 127.0.0.1")
    parser.add_argument("--keep", action="store_true", help="keep the data folders and server logs")
    parser.add_argument("--detail", type=int, default=0, help="in (a), list the N largest responses of each load")
    parser.add_argument("--cold-gzip", action="store_true",
                        help="in (a), the toolkit's first load before any Zopfli body is made (a new installation's "
                             "first start): Tornado's gzip")
    parser.add_argument("--fill-delay", type=float, default=None,
                        help="experiment: seconds before the toolkit replaces a taken warm kernel (toolkit: 0)")
    parser.add_argument("--hold", action="store_true",
                        help="each participant waits at question 1 until all have reached it (or failed), then goes "
                             "on: the time and CPU to question 1 of joining alone, with nobody answering yet")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    banner(f"serving: `toolkit serve` vs plain Voila, participant page ({ROOT / 'notebooks' / 'participant.ipynb'})")

    if not args.skip_page:
        from playwright.sync_api import sync_playwright

        from toolkit import static_gzip

        started = time.monotonic()
        made = 0 if args.cold_gzip else static_gzip.precompress_now()  # as `toolkit serve` has them after its first start (a minute or two)
        print("   the toolkit's first load without Zopfli bodies (--cold-gzip: Tornado's gzip)" if args.cold_gzip else
              f"   Zopfli bodies of the page's static files: {made} made now in {time.monotonic() - started:.0f} s "
              f"(the rest were in {static_gzip.cache_dir()}); `--cold-gzip` measures without them", flush=True)

        loads: dict[str, dict] = {}
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for kind in ("toolkit", "plain Voila"):
                    data = work_dir("tk-serving-page-")
                    session = seed_store(data, args.banks)
                    if kind == "toolkit":
                        if args.cold_gzip:
                            os.environ["TOOLKIT_GZIP_CACHE"] = str(data / "gzip-cache")  # empty: none made yet
                        server = start_toolkit("participant", data, args.banks, pool=1)
                    else:
                        env = toolkit_env(data, args.banks, "http://127.0.0.1/")
                        server = start_plain("participant", config.notebooks_dir() / "participant.ipynb", data,
                                             {k: v for k, v in env.items() if k.startswith("TOOLKIT_")})
                    try:
                        server.wait_started()
                        if kind == "toolkit":
                            server.wait_warm(1)
                        loads[kind] = page_load(browser, f"{server.url}?code={session['join_code']}", args.cap)
                    finally:
                        server.stop()
                        shutil.rmtree(data, ignore_errors=True)
            finally:
                browser.close()
                if args.cold_gzip:
                    os.environ.pop("TOOLKIT_GZIP_CACHE", None)
        print_loads(loads, args.detail)

    print("   (b) N simulated participants at once (think 0), until each sees the first question"
          + (" — all from 127.0.0.1" if args.one_address else " — one loopback address each"))
    for n in sizes:
        print(f"     N = {n}", flush=True)
        results = {}
        for kind in ("toolkit", "nofork", "eager", "plain"):
            if kind not in args.servers.split(",") or (kind == "plain" and n > args.plain_up_to):
                continue
            results[kind] = one_run(kind, n, args.banks, args.cap, not args.one_address, args.keep,
                                    args.fill_delay if kind != "plain" else None, args.hold)
            for line in describe(results[kind]):
                print(line, flush=True)
        if "toolkit" in results and "nofork" in results:
            t, p = results["toolkit"], results["nofork"]
            tf, pf = t["run"].first_question, p["run"].first_question
            if tf and pf:
                print(f"       forked / from scratch: p95 to question 1 {ratio(percentile(tf, 0.95), percentile(pf, 0.95))}"
                      f", peak PSS {ratio(t.get('peak_pss'), p.get('peak_pss'))}, peak RSS "
                      f"{ratio(t.get('peak_rss'), p.get('peak_rss'))}")
        if "toolkit" in results and "plain" in results:
            t, p = results["toolkit"]["run"].first_question, results["plain"]["run"].first_question
            if t and p:
                print(f"       toolkit / plain: median {ratio(statistics.median(t), statistics.median(p))}, "
                      f"p95 {ratio(percentile(t, 0.95), percentile(p, 0.95))}, max {ratio(max(t), max(p))}; "
                      f"failures {results['toolkit']['run'].failures} vs {results['plain']['run'].failures}")
    print(f"   {load_average()} (at the end)")


if __name__ == "__main__":
    main()
