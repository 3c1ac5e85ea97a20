"""Shared helpers of the serving benchmarks: start and stop the toolkit's participant and coach servers and
plain Voila on loopback, count their kernels, play simulated participants, drive the system Chromium.

Every server started here listens on 127.0.0.1 only and is stopped by `stop()` (called from `finally`
blocks); every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit import config, forking  # noqa: E402
from toolkit.serve import capacity, voila_config, voila_environment, wait_for_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# No name resolves in the browser: only loopback (an address, not a name) is reached. A page asking for a CDN
# therefore sees the request fail at once, as offline; the request is still counted. (Playwright's routing
# would do the same but turns the browser's cache off, and the second load measures that cache.)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
HOST = "127.0.0.1"
JOIN_PLACEHOLDER = "Leave empty to stay anonymous"


# ------------------------------------------------------------------ small things


def free_port() -> int:
    """A free port on loopback: the first free one of BENCH_PORTS ("9600-9899") where that is set (a machine shared
    by several people, each with a range of their own), else one the system picks."""
    first, _, last = os.environ.get("BENCH_PORTS", "").partition("-")
    for port in range(int(first), int(last or first) + 1) if first else ():
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            if port not in _GIVEN:
                _GIVEN.add(port)  # a server given this port may not have bound it yet
                return port
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


_GIVEN: set[int] = set()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} cores"


def wait_for_quiet_machine(busy_percent: float = 25.0, seconds: int = 3, cap_s: float = 120) -> float:
    """Wait until the whole machine's CPU use stays under `busy_percent` for `seconds` seconds in a row (the
    previous run's kernels have finished warming or stopping), at most `cap_s`; the seconds waited."""
    import psutil

    started = time.monotonic()
    calm = 0
    while calm < seconds and time.monotonic() - started < cap_s:
        calm = calm + 1 if psutil.cpu_percent(interval=1.0) < busy_percent else 0
    return time.monotonic() - started


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile (the same rule as toolkit.rehearse.Report)."""
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summary(values: list[float], unit: str = "s", digits: int = 2) -> str:
    if not values:
        return "–"
    return (f"median {statistics.median(values):.{digits}f} {unit}, p95 {percentile(values, 0.95):.{digits}f} {unit}, "
            f"max {max(values):.{digits}f} {unit} (n={len(values)})")


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def banner(title: str) -> None:
    print(f"\n== {title}\n   {load_average()}", flush=True)


# ------------------------------------------------------------------ servers


@dataclass
class Server:
    """One Voila server process on loopback, with its log file and working folder."""

    name: str
    proc: subprocess.Popen
    port: int
    folder: Path
    log: Path
    token: str = ""
    pool: int = 0
    seen: dict[int, psutil.Process] = field(default_factory=dict)  # every process of its tree ever seen
    known: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def descendants(self) -> list[psutil.Process]:
        try:
            found = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for p in found:
            self.seen.setdefault(p.pid, p)
        return found

    def kernels(self) -> list[psutil.Process]:
        """The kernel processes this server started (the warm pool included)."""
        out = []
        for p in self.descendants():
            try:
                if "ipykernel" in " ".join(p.cmdline()):
                    out.append(self.known.setdefault(p.pid, p))  # the same object: cpu_percent() needs it
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return out

    def wait_started(self, seconds: float = 120) -> None:
        if not wait_for_port(self.port, seconds) or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} did not start on port {self.port}; see {self.log}")

    def wait_warm(self, kernels: int, seconds: float = 600) -> float:
        """Wait until the server logs that `kernels` kernels are warm (toolkit.voila_app logs "Warm kernels: N of
        M" when a pool kernel has run the notebook up to the page request)."""
        started = time.monotonic()
        pattern = re.compile(r"Warm kernels: (\d+) of")
        while time.monotonic() - started < seconds:
            found = pattern.findall(self.log.read_text(errors="replace")) if self.log.exists() else []
            if found and int(found[-1]) >= kernels:
                return time.monotonic() - started
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}: {kernels} warm kernels not ready after {seconds:.0f} s "
                           f"({len(self.kernels())} running); see {self.log}")

    def stop(self, dump: bool = False) -> None:
        """SIGINT (Voila shuts its kernels down), then kill whatever of this server's tree is left, by pid.

        `dump`: first make the server write every thread's stack to its log (SIGABRT with faulthandler on,
        which ends it), to see where a server that stopped answering is stuck."""
        self.descendants()
        if dump and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for p in self.seen.values():
            # the Process objects seen earlier: psutil refuses to signal a pid that has been reused since
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                if p.is_running():
                    p.kill()


def seed_store(data_dir: Path, banks_dir: Path | None) -> dict:
    """A demo session with its pre-test open (toolkit.demo.seed_demo); returns the session."""
    from toolkit.demo import seed_demo
    from toolkit.store import Store

    store = Store(config.sqlite_url(data_dir))
    try:
        return seed_demo(store, banks_dir)
    finally:
        store.close()


def toolkit_env(data_dir: Path, banks_dir: Path | None, join_url: str) -> dict[str, str]:
    """The environment `toolkit serve` gives its servers (toolkit.serve.serve)."""
    env = voila_environment(dict(os.environ))
    env.update({config.ENV_DB: config.sqlite_url(data_dir), config.ENV_DATA: str(data_dir.resolve()),
                config.ENV_JOIN_URL: join_url})
    if banks_dir:
        env[config.ENV_BANKS] = str(Path(banks_dir).resolve())
    return env


def start_toolkit(name: str, data_dir: Path, banks_dir: Path | None, pool: int, notebook: str = "participant",
                  token: str | None = None, cull_after: int = 300, port: int | None = None,
                  join_url: str | None = None, fill_delay: float | None = None, calm_refill: bool = True,
                  kernel_cap: int = 0, workshop_voila: dict | None = None, fork: bool | None = None,
                  kernel_mb: int | None = None) -> Server:
    """One of the two servers of `toolkit serve`, configured by toolkit.serve.voila_config (as serve() does).

    For experiments only: `calm_refill=False` replaces each taken warm kernel at once, as Voila itself does
    (toolkit.voila_app.CalmRefill off); `fill_delay` (seconds before that replacement starts) overrides 0;
    `workshop_voila` overrides WorkshopVoila traits (e.g. page_connect_s); `fork`: kernels forked from a preloaded
    process (toolkit.forking; None: where available, as `toolkit serve` does) or each started from scratch;
    `kernel_mb`: what one kernel costs (toolkit.serve.KernelCost.per_participant_mb), for the free-memory check
    that comes with `kernel_cap` (None: KERNEL_MB)."""
    port = port or free_port()
    folder = data_dir / f".voila-{name}"
    folder.mkdir(exist_ok=True)
    if fork is None:  # as `toolkit serve`: the participant server's kernels only
        fork = notebook == "participant" and forking.available() is None
    settings = voila_config(port, HOST, pool=pool, token=token, cull_after=cull_after, kernel_cap=kernel_cap,
                            fork=fork, **({} if kernel_mb is None else {"kernel_mb": kernel_mb}))
    if fill_delay is not None:
        settings.setdefault("VoilaKernelManager", {})["fill_delay"] = fill_delay
    if not calm_refill:
        settings["WorkshopVoila"]["calm_refill"] = False
    settings["WorkshopVoila"].update(workshop_voila or {})
    (folder / "voila.json").write_text(json.dumps(settings, indent=2))
    log = data_dir / f"{name}.log"
    env = toolkit_env(data_dir, banks_dir, join_url or f"http://{HOST}:{port}/")
    env["PYTHONFAULTHANDLER"] = "1"  # see Server.stop(dump=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "toolkit.voila_app",
                                 str(config.notebooks_dir() / f"{notebook}.ipynb")],
                                env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, proc, port, folder, log, token or "", pool)


def start_plain(name: str, notebook: Path, work_dir: Path, env_extra: dict[str, str] | None = None,
                port: int | None = None) -> Server:
    """Plain Voila: `voila NOTEBOOK --no-browser --port P` (lab template, no preheat, no culling)."""
    port = port or free_port()
    folder = work_dir / f".plain-{name}"
    folder.mkdir(exist_ok=True)
    log = work_dir / f"{name}.log"
    env = dict(os.environ)
    env.update(env_extra or {})
    env["PYTHONFAULTHANDLER"] = "1"  # see Server.stop(dump=True)
    voila = shutil.which("voila")
    command = [voila] if voila else [sys.executable, "-m", "voila"]
    with open(log, "wb") as out:
        proc = subprocess.Popen([*command, str(notebook), "--no-browser", "--port", str(port),
                                 f"--Voila.ip={HOST}"], env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, proc, port, folder, log)


def pool_for(n: int, kernel=None) -> int:
    """The pool `toolkit serve --expect n` keeps warm on this machine (capped by free memory), for kernels that cost
    what `kernel` (toolkit.serve.KernelCost, as measure_kernel gives it) says; None: the assumed KERNEL_MB."""
    return (capacity(n) if kernel is None else capacity(n, kernel=kernel)).pool


def work_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


# ------------------------------------------------------------------ simulated participants


# Each simulated participant loads its page from an address of its own (127.0.0.2, 127.0.0.3, …), as phones do:
# the toolkit limits page loads per address (toolkit/voila_app.py, PAGE_LOADS_PER_MINUTE = 20).
_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("source_address", default=None)


def loopback_source(i: int) -> str:
    return f"127.0.{2 + i // 250}.{2 + i % 250}"


def install_source_addresses() -> None:
    """Make tornado's AsyncHTTPClient send each participant's page request from its own loopback address."""
    from tornado.simple_httpclient import SimpleAsyncHTTPClient

    class PerParticipantSource(SimpleAsyncHTTPClient):
        def fetch_impl(self, request, callback):
            source = _SOURCE.get()
            if source:
                request.request.network_interface = source
            return super().fetch_impl(request, callback)

    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(PerParticipantSource, max_clients=1000)


# Where each participant's time goes before the first question: the rehearsal's own steps, timed from outside
# (toolkit.rehearse calls websocket_connect once the page arrived, and WidgetClient.wait_for first for the form).
STAGES = ("page", "websocket", "join form")
_STAGES: contextvars.ContextVar[dict | None] = contextvars.ContextVar("stages", default=None)


def _time_stages() -> None:
    import toolkit.rehearse as rehearse

    if getattr(rehearse, "_benchmark_timed", False):
        return
    connect, wait_for = rehearse.websocket_connect, rehearse.WidgetClient.wait_for

    async def timed_connect(*args, **kwargs):
        stages = _STAGES.get()
        if stages is not None:
            stages["page"] = time.monotonic() - stages["start"]
        connection = await connect(*args, **kwargs)
        if stages is not None:
            stages["websocket"] = time.monotonic() - stages["start"]
        return connection

    async def timed_wait_for(self, predicate, timeout):
        await wait_for(self, predicate, timeout)
        stages = _STAGES.get()
        if stages is not None and "join form" not in stages:
            stages["join form"] = time.monotonic() - stages["start"]

    class Kept(rehearse.Outcome):
        """The participant's Outcome, kept where the run can read it when the participant is still playing at the
        cap (its task is cancelled then, and play_participant returns nothing)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stages = _STAGES.get()
            if stages is not None:
                stages["outcome"] = self

    rehearse.websocket_connect = timed_connect
    rehearse.WidgetClient.wait_for = timed_wait_for
    rehearse.Outcome = Kept
    rehearse._benchmark_timed = True


@dataclass
class Run:
    outcomes: list
    wall_s: float
    timed_out: int
    stages: list[dict] = field(default_factory=list)
    client_cpu_s: float | None = None

    def stage(self, name: str) -> list[float]:
        return [s[name] for s in self.stages if name in s]

    @property
    def first_question(self) -> list[float]:
        return [o.first_question_s for o in self.outcomes if o is not None and o.first_question_s is not None]

    @property
    def saves(self) -> list[float]:
        return [s for o in self.outcomes if o is not None for s in o.save_latencies_s]

    @property
    def held(self) -> list[float]:
        """The saves that a page's own bound held (toolkit.rehearse.Outcome.held_latencies_s)."""
        return [s for o in self.outcomes if o is not None for s in o.held_latencies_s]

    def saves_line(self) -> str:
        """The save latencies, and what the page's bound held of them."""
        from toolkit.rehearse import held_note

        return summary(self.saves) + (f"; {held_note(self.held)}" if self.held else "")

    @property
    def errors(self) -> list[str]:
        return [o.error for o in self.outcomes if o is not None and o.error]

    @property
    def failures(self) -> int:
        return len(self.errors) + self.timed_out


async def _play_all(address: str, code: str, n: int, think_s: float, stagger_s: float, timeout: float,
                    cap_s: float, distinct: bool, first: int, hold: bool = False) -> Run:
    from toolkit.rehearse import play_participant

    # A request cut short at the cap would log "Exception after Future was cancelled" with a traceback.
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
    _time_stages()
    started = time.monotonic()
    stages = [{} for _ in range(n)]
    # hold: each participant waits at question 1 until every one has reached it or failed (joining measured alone)
    settled, everyone_joined = [0], asyncio.Event()

    def settle():
        settled[0] += 1
        if settled[0] == n:
            everyone_joined.set()

    async def at_first_question():
        stages[_STAGES.get()["index"]]["held"] = True
        settle()
        await everyone_joined.wait()

    async def one(i: int):
        if distinct:
            _SOURCE.set(loopback_source(first + i))
        await asyncio.sleep(i * stagger_s)
        stages[i]["start"] = time.monotonic()
        stages[i]["index"] = i
        _STAGES.set(stages[i])
        try:
            return await play_participant(address, code, first + i + 1, think_s=think_s, timeout=timeout,
                                          at_first_question=at_first_question if hold else None)
        finally:
            if hold and not stages[i].get("held"):
                settle()

    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=cap_s)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)
    # a participant still playing at the cap counts with what it had done (its first question, its saves)
    outcomes = [t.result() if t in done and not t.cancelled() else stages[i].get("outcome")
                for i, t in enumerate(tasks)]
    return Run(outcomes, time.monotonic() - started, len(pending), stages)


def _cpu_of_this_process() -> float:
    t = os.times()
    return t.user + t.system


def play(address: str, code: str, n: int, think_s: float = 0.0, stagger_s: float = 0.0, timeout: float = 180,
         cap_s: float = 600, distinct: bool = True, first: int = 0, hold: bool = False) -> Run:
    """`n` participants of toolkit.rehearse (play_participant) at once, the whole run capped at `cap_s`;
    those still playing at the cap count as timed out."""
    install_source_addresses()
    # A thread of its own: the caller may be running an event loop already (Playwright's sync API does).
    cpu = _cpu_of_this_process()
    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        run = worker.submit(asyncio.run, _play_all(address, code, n, think_s, stagger_s, timeout, cap_s,
                                                   distinct, first, hold)).result()
    run.client_cpu_s = _cpu_of_this_process() - cpu  # the simulated phones share the server's cores
    return run


# ------------------------------------------------------------------ the browser


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
