"""`toolkit serve`: the participant app and the coach app as two Voila servers on one store.

What a plain Voila setup gets wrong in a workshop, and what is done about it here:
- assets from a CDN: the toolkit's own template serves everything from this laptop;
- a cold kernel per page load: a pool of preheated kernels sized for the room (`--expect`);
  the work that depends on the request (who is joining) happens once the request arrives;
- kernels left running: a closed or reloaded page shuts its kernel down (the template's
  `pagehide` beacon) and kernels with no connection are culled after `--cull-after` seconds;
- large first loads: responses are compressed; static assets are cached by the browser;
- exposure: the participant server serves the participant notebook and nothing else, and the
  coach app listens on this laptop only unless given `--coach-host`, always behind a secret;
  both answer only under their own names and addresses (DNS rebinding);
- kernels without a ceiling: the participant server runs at most the kernels this laptop holds
  (`capacity()`, checked against free memory as kernels start); a phone beyond is told the room
  is full, and so is the coach; a kernel whose page never connected is freed within a minute;
- a hard kill leaves servers and kernels running: the next start on the same data folder ends
  those of the earlier run (RunRecord, end_leftovers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from . import config, forking

TEMPLATE = "toolkit"
KERNEL_MB = 110  # assumed where no kernel could be measured: resident memory of one started from scratch after a quiz
SERVER_MB = 250  # the two Voila servers themselves
# What a participant kernel's own memory (USS) grows by from having imported the participant app to the end of a
# full quiz (the app, its widgets and the answers), which measure_kernel() adds to what it measures. A forked
# kernel grows more: every page of the template it writes to (a reference count is enough) becomes its own.
# benchmarks/participant_memory.py prints both ends (load 5-9): forked 15.7 -> 34.3 MiB, from scratch 68.3 -> 74.5.
# What a full quiz adds to a kernel's USS measured once it has imported the participant app (measure_kernel), forked
# and from scratch: benchmarks/participant_memory.py, 2 Dec 2026 (load 3.3 on 2 cores): forked 15.8 MiB at the start,
# 32.4 after a quiz (+16.6); from scratch 70.0 and 74.7 (+4.7); rounded up.
QUIZ_GROWTH_MB = {True: 17, False: 5}  # forked, from scratch
RESERVE_MB = 1024  # left for the operating system, the browser on the projector and everything else
# What one participant costs the laptop's CPU: the participant server (its page, every kernel message passed between
# the kernel and the phone) and the participant's kernel together; the phone's own work is done on the phone.
# Measured by benchmarks/serving.py (N participants joining at once, think time 0, the whole pre-test, forked
# kernels; its line "CPU a participant costs the server and its kernels") on the machine where SPEED_PROBE took
# REFERENCE_PROBE_S, and scaled for this machine by how long SPEED_PROBE takes here (cpu_scale()).
JOIN_CPU_S = 0.28  # to the first question (N=100, 2026-12-03 13:30-13:47 UTC, three runs: 0.277, 0.273, 0.279 s)
ANSWER_CPU_S = 0.030  # each answer after it (the tap, its save, the next question); the same runs: 0.0302-0.0304
# (On the machine of the morning's runs the same work cost 0.18 and 0.019 s. It is the same code: that machine
# was faster. speed_probe() was then JSON and HMAC only, which said 2.9 times faster where it was 1.5.)
REFERENCE_PROBE_S = 0.107  # speed_probe() there (the same runs: 0.107 and 0.108 s, load 1.0 and 9.6)
JOIN_WITHIN_S = 10  # a room joining at once should see its first question within this


def lan_address() -> str:
    """This laptop's address on the local network (no packet is sent: UDP connect only picks a route)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def coach_token(data_dir: Path) -> str:
    """The coach app's secret, kept in the data folder so that the coach's address survives a restart."""
    path = data_dir / "coach-token"
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(18)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def speed_probe(rounds: int = 25) -> float:
    """CPU seconds this machine takes for a fixed piece of the work a participant costs the laptop, made of the
    same code: a question's answer widgets made, one tapped and closed (ipywidgets and traitlets, as a kernel
    does), each widget's state sent as a signed kernel message and read back (jupyter_client's Session, as the
    kernel and the server do), and a status line filled (Jinja2). The best of three runs: CPU time, so barely
    affected by other programs, but caches are.

    It was JSON and HMAC alone, which two machines took 0.0337 and 0.099 s for (2.9 times) where a participant
    cost them 0.18 and 0.28 s of CPU (1.5 times): hashing and the C parts of JSON differ between processors more
    than the interpreter's work, which is most of what a participant costs."""
    import ipywidgets as w
    from jupyter_client.session import Session

    from .apps.texts import panel

    session = Session(key=b"k" * 32, username="toolkit")
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        for i in range(rounds):  # outside a kernel the widgets' comms are dummies: nothing is sent anywhere
            options = [w.ToggleButton(description=f"Option {j}", _dom_classes=["tk-choice"]) for j in range(4)]
            box = w.VBox(options, _dom_classes=["tk-input"])
            options[i % 4].value = True
            for widget in (*options, box):
                state = {"method": "update", "state": widget.get_state(), "buffer_paths": []}
                parts = session.serialize(session.msg("comm_msg", {"comm_id": widget.model_id, "data": state}))
                session.deserialize(session.feed_identities(parts)[1])
            for widget in (box, *options):  # with the layout and style each made for itself
                for part in (widget, widget.layout, getattr(widget, "style", None)):
                    if part is not None:
                        part.close()
            panel("line.html", css="tk-saved", text=f"Saved {i}")
        best = min(best, time.thread_time() - started)
    return best


def cpu_scale(probe_s: float | None = None) -> float:
    """How much more CPU time the same work takes here than where JOIN_CPU_S and ANSWER_CPU_S were measured (1.0:
    the same; 2.0: a machine half as fast)."""
    probe_s = speed_probe() if probe_s is None else probe_s
    return max(probe_s, 1e-6) / REFERENCE_PROBE_S


@dataclass(frozen=True)
class KernelCost:
    """What one participant's kernel costs this machine, in MB: `unique_mb` measured (the USS of a kernel started
    as the participant server starts them, the participant app imported) or, where that failed, assumed."""

    unique_mb: float
    forked: bool
    shared_mb: float = 0.0  # forked: the template's memory, which all its kernels share (paid once)
    why_assumed: str | None = None  # None: measured
    cpu_scale: float = 1.0  # this machine's CPU time for the same work, over the reference machine's (cpu_scale())

    @property
    def join_cpu_s(self) -> float:
        """CPU seconds one participant costs the laptop until they see the first question."""
        return JOIN_CPU_S * self.cpu_scale

    @property
    def answer_cpu_s(self) -> float:
        """CPU seconds each answer costs the laptop."""
        return ANSWER_CPU_S * self.cpu_scale

    @property
    def per_participant_mb(self) -> int:
        """One more participant: the kernel's own memory at the end of a full quiz."""
        if self.why_assumed:
            return KERNEL_MB
        return int(-(-(self.unique_mb + QUIZ_GROWTH_MB[self.forked]) // 1))


ASSUMED = KernelCost(KERNEL_MB, False, why_assumed="not measured")


def participant_kernelspec(folder: Path, fork: bool) -> Path:
    """A kernel spec named "participant" in `folder`/kernels, started as the participant server starts its
    kernels (forked from a template, or from scratch): the kernels folder, for a KernelSpecManager."""
    spec = folder / "kernels" / "participant"
    spec.mkdir(parents=True)
    provisioner = forking.ENTRY_POINT if fork else "local-provisioner"
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "participant", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": provisioner}}}))
    return folder / "kernels"


def measure_kernel(fork: bool) -> KernelCost:
    """Start one kernel the way the participant server will (forked from a template of its own, or from scratch),
    import the participant app in it, and measure its unique memory (USS); then stop it (and the template).
    Where that cannot be done, KERNEL_MB is assumed and `why_assumed` says why. This machine's speed
    (speed_probe) is measured meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        import psutil
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
    except ImportError as e:
        return KernelCost(KERNEL_MB, fork, why_assumed=str(e), cpu_scale=cpu_scale())
    with ThreadPoolExecutor(1) as probing:  # while the kernel starts (the probe counts its own thread's CPU only)
        probe = probing.submit(speed_probe)
        cost = _measure_kernel(fork, psutil, KernelSpecManager, AsyncKernelManager)
        scale = cpu_scale(probe.result())
    return dataclasses.replace(cost, cpu_scale=scale)


def _measure_kernel(fork: bool, psutil, KernelSpecManager, AsyncKernelManager) -> KernelCost:
    import asyncio
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="toolkit-measure-"))
    kernels = participant_kernelspec(folder, fork)

    async def one() -> KernelCost:
        km = AsyncKernelManager(kernel_name="participant", transport="ipc" if os.name == "posix" else "tcp",
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                                connection_file=str(folder / "kernel.json"))
        await km.start_kernel(env=voila_environment(dict(os.environ)), cwd=str(folder))
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            reply = await kc.execute_interactive("from toolkit.apps.participant import ParticipantApp", timeout=120)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the participant app did not import: {reply['content'].get('evalue')}")
            forked = bool(getattr(km.provisioner, "forked", False))
            unique = psutil.Process(km.provisioner.pid).memory_full_info().uss / 2**20
            shared = 0.0
            if forked and forking.Template.current is not None:
                shared = psutil.Process(forking.Template.current.proc.pid).memory_info().rss / 2**20
            return KernelCost(unique, forked, shared)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    try:
        return asyncio.run(asyncio.wait_for(one(), 180))
    except Exception as e:  # anything at all: the room is then sized as before
        return KernelCost(KERNEL_MB, fork, why_assumed=f"{type(e).__name__}: {e}"[:200])
    finally:
        current = forking.Template.current
        if current is not None:
            forking.Template._close(current.proc, current.folder)
            forking.Template.current = None
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Capacity:
    available_mb: int
    participants: int
    pool: int
    kernel: KernelCost = ASSUMED

    cores: int = 1

    @property
    def cap(self) -> int:
        """The most participant kernels the server runs (warm pool and pages together)."""
        return max(self.participants, self.pool)

    @property
    def joining_at_once(self) -> int:
        """How many participants joining at once the CPU brings to their first question within JOIN_WITHIN_S: the
        laptop's cores for that long, over what one participant's join costs. Memory may hold many more: they
        join all the same, only more slowly (about join_cpu_s / cores more seconds for each one more)."""
        return int(JOIN_WITHIN_S * self.cores // self.kernel.join_cpu_s)

    @property
    def answers_per_s(self) -> float:
        """Answers a second the CPU keeps up with, all cores busy."""
        return self.cores / self.kernel.answer_cpu_s


def capacity(expect: int, available_mb: int | None = None, kernel: KernelCost = ASSUMED) -> Capacity:
    """How many participants this machine can hold, and how many kernels to keep warm for the room: the memory
    free, less the servers, the reserve and what forked kernels share, over what one participant's kernel costs."""
    if available_mb is None:
        import psutil

        available_mb = int(psutil.virtual_memory().available / 2**20)
    room_mb = available_mb - SERVER_MB - RESERVE_MB - int(-(-kernel.shared_mb // 1))
    holdable = max(0, room_mb // kernel.per_participant_mb)
    # Warm kernels for everyone expected to join at once, never more than memory allows.
    pool = max(1, min(expect, holdable))
    return Capacity(available_mb, int(holdable), int(pool), kernel, cores=os.cpu_count() or 1)


def describe_room(room: Capacity, expect: int, why_not_fork: str | None = None) -> list[str]:
    """What `toolkit serve` tells the coach about the room: how kernels start (`why_not_fork`: None where they are
    forked), what one costs, how many the laptop holds."""
    k = room.kernel
    how = ("forked from a preloaded process (toolkit.forking); `--no-fork` starts each from scratch"
           if why_not_fork is None else f"each started from scratch ({why_not_fork})")
    if k.why_assumed:
        cost = f"{k.per_participant_mb} MB a participant assumed (a kernel could not be measured: {k.why_assumed})"
    else:
        cost = (f"{k.per_participant_mb} MB a participant, measured: {k.unique_mb:.0f} MB of its own at the start "
                f"+ {QUIZ_GROWTH_MB[k.forked]} MB over a full quiz"
                + (f"; {k.shared_mb:.0f} MB shared by all of them, counted once" if k.forked else ""))
    return [
        f"Kernels: {how}; {cost}.",
        f"Room: {room.pool} kernels kept warm for {expect} expected participants; with {room.available_mb} MB free "
        f"this laptop can hold about {room.participants} participants at once; beyond {room.cap} a phone is told "
        "the room is full.",
        f"CPU: {room.cores} core{'s' if room.cores != 1 else ''}; a participant costs about {k.join_cpu_s:.2f} s of "
        f"CPU to reach the first question and {k.answer_cpu_s:.3f} s an answer (measured on this laptop's speed, "
        f"{k.cpu_scale:.2f}× the reference machine's CPU time); about {room.joining_at_once} joining at once see "
        f"their first question within {JOIN_WITHIN_S} s, more wait longer; about {room.answers_per_s:.0f} answers "
        "a second keep up.",
    ]


def voila_config(port: int, ip: str, pool: int = 0, token: str | None = None, cull_after: int = 300,
                 kernel_cap: int = 0, hosts: tuple[str, ...] = (), fork: bool | None = None,
                 trusted_proxies: tuple[str, ...] = (), kernel_mb: int = KERNEL_MB) -> dict:
    """The configuration of one of the two Voila servers.

    `kernel_cap`: the most kernels it runs (pool and pages together), each started only while a kernel and
    the reserve still fit in free memory; 0: no cap. `hosts`: names and addresses it answers to besides
    loopback and its own (toolkit.voila_app.HostCheck). `fork`: kernels are forked from a preloaded process
    (toolkit.forking); None: wherever that is available. `trusted_proxies`: besides loopback, the proxies whose
    X-Real-IP / X-Forwarded-For names the phone (toolkit.proxy.TrustedProxies). `kernel_mb`: what one
    participant's kernel costs (KernelCost.per_participant_mb): a kernel starts only while that and the reserve
    are free."""
    if fork is None:
        fork = forking.available() is None
    return {
        "WorkshopVoila": {
            "port": port, "port_retries": 0, "ip": ip, "open_browser": False,
            "token": token or "",
            "tornado_settings": {"compress_response": True},
            "kernel_cap": max(kernel_cap, 0),
            "kernel_min_free_mb": kernel_mb + RESERVE_MB if kernel_cap > 0 else 0,
            "allowed_hosts": list(hosts),
            "trusted_proxies": list(trusted_proxies),
        },
        "VoilaConfiguration": {
            "template": TEMPLATE,
            "allow_template_override": "NO",  # nobody changes the page from its address
            "allow_theme_override": "NO",
            "show_tracebacks": False,
            "file_allowlist": [],  # serve no file from the notebook's folder: the page needs none
            "preheat_kernel": pool > 0,
            "default_pool_size": max(pool, 0),
            # the page's kernel gets the phone's address as HTTP_X_TOOLKIT_CLIENT (set by LimitedPageHandler)
            "http_header_envs": ["X-Toolkit-Client"],
        },
        # CalmRefill (toolkit.voila_app) decides when a taken warm kernel is replaced
        "VoilaKernelManager": {"fill_delay": 0},
        # kernels whose pages are gone (no connection) are shut down after a while
        "MappingKernelManager": {"cull_idle_timeout": cull_after, "cull_interval": 30, "cull_connected": False},
        # Kernels talk to the server over Unix sockets where there are some: many kernels starting at once
        # over TCP can pick the same free port, and one of them dies (seen with 10 at once on 2 cores).
        **({"KernelManager": {"transport": "ipc"}} if os.name == "posix" else {}),
        # the provisioner of every kernel whose kernelspec names none (python3's): toolkit.forking's
        **({"KernelProvisionerFactory": {"default_provisioner_name": forking.ENTRY_POINT}} if fork else {}),
    }


# ------------------------------------------------------------------ processes left by a run that was killed

RUN_FILE = ".serve-run.json"  # in the data folder: what the running (or last) `toolkit serve` started
ENV_RUN = "TOOLKIT_SERVE_RUN"  # in the environment of its servers, hence of their kernels: the run's id
RECORD_EVERY_S = 5.0


def _process_info(p) -> dict:
    return {"pid": p.pid, "created": p.create_time()}


class RunRecord:
    """What this `toolkit serve` started, kept in the data folder: its own pid, its servers' and their
    kernels' pids with their creation times (renewed every few seconds), and the run's id that all of them
    carry in their environment. After a hard kill (`kill -9`, a crash, a power cut) the next start on the same
    data folder finds them by it."""

    def __init__(self, data_dir: Path):
        import psutil

        self.path = data_dir / RUN_FILE
        self.run = secrets.token_hex(8)
        self.me = psutil.Process()
        self.recorded_at = 0.0

    def write(self, procs: list[subprocess.Popen]) -> None:
        import psutil

        servers, kernels = [], []
        for proc in procs:
            try:
                server = psutil.Process(proc.pid)
                servers.append(_process_info(server))
                kernels += [_process_info(k) for k in server.children(recursive=True)]
            except psutil.Error:
                continue
        record = {"run": self.run, "serve": _process_info(self.me), "servers": servers, "kernels": kernels}
        partial = self.path.with_name(self.path.name + ".new")
        partial.write_text(json.dumps(record))
        os.replace(partial, self.path)
        self.recorded_at = time.monotonic()

    def renew(self, procs: list[subprocess.Popen]) -> None:
        if time.monotonic() - self.recorded_at >= RECORD_EVERY_S:
            with contextlib.suppress(OSError):  # a full disk must not stop the workshop
                self.write(procs)


def end_leftovers(data_dir: Path) -> tuple[int, int]:
    """End the servers and kernels an earlier `toolkit serve` on this data folder left running; (kernels, servers).

    Only processes of that run: the pid recorded or found, the same creation time as recorded (or created
    after that run began), a Voila server or kernel by its command line, and that run's id in its
    environment wherever the environment can be read. A pid reused by another program since is never
    touched. While that run's `toolkit serve` is itself alive, nothing is ended (ClickException)."""
    import psutil

    path = data_dir / RUN_FILE
    try:
        record = json.loads(path.read_text())
        run, serve_info = record["run"], record["serve"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0, 0
    if _same_process(serve_info) is not None:
        raise click.ClickException(f"`toolkit serve` is already running on this data folder (process "
                                   f"{serve_info['pid']}); stop it first, or use another --data folder.")
    recorded = {info["pid"]: info["created"] for info in record.get("servers", []) + record.get("kernels", [])}
    found: dict[str, list] = {"kernel": [], "server": []}
    for p in psutil.process_iter(["pid", "create_time", "cmdline"]):
        if p.pid == os.getpid():
            continue
        try:
            kind = _kind(p.info["cmdline"] or [])
            if kind is None or p.info["create_time"] < serve_info["created"] - 1:
                continue
            try:
                marked = p.environ().get(ENV_RUN, "")
            except (psutil.AccessDenied, NotImplementedError, OSError):
                marked = None  # unreadable here: only the recorded pid with its creation time identifies it
            same_record = abs(recorded.get(p.pid, -1.0) - p.info["create_time"]) < 0.01
            if marked == run or (marked is None and same_record):
                found[kind].append(p)
        except psutil.Error:
            continue
    for kind in ("server", "kernel"):  # servers first: a server left alive would start new kernels
        for p in found[kind]:
            with contextlib.suppress(psutil.Error):
                p.terminate()
        _gone, alive = psutil.wait_procs(found[kind], timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
    return len(found["kernel"]), len(found["server"])


def _same_process(info: dict):
    import psutil

    try:
        p = psutil.Process(int(info["pid"]))
        return p if abs(p.create_time() - float(info["created"])) < 0.01 else None
    except (psutil.Error, KeyError, TypeError, ValueError):
        return None


def _kind(cmdline: list[str]) -> str | None:
    """A kernel or a Voila server of `toolkit serve`, by its command line; None for anything else."""
    if "ipykernel_launcher" in cmdline or any(part.endswith("ipykernel_launcher.py") for part in cmdline):
        return "kernel"
    if "toolkit.voila_app" in cmdline:
        return "server"
    return None


def voila_process(name: str, notebook: Path, data_dir: Path, settings: dict, env: dict) -> subprocess.Popen:
    """Start one Voila server; it reads voila.json from a working folder of its own."""
    folder = data_dir / f".voila-{name}"
    folder.mkdir(exist_ok=True)
    (folder / "voila.json").write_text(json.dumps(settings, indent=2))
    (folder / "voila.json").chmod(0o600)  # it holds the coach's secret
    return subprocess.Popen([sys.executable, "-m", "toolkit.voila_app", str(notebook)], env=env, cwd=folder)


def voila_environment(base: dict[str, str]) -> dict[str, str]:
    """The environment for Voila: the toolkit's template found through JUPYTER_PATH; and kernels that do not echo a
    page's own changes back to it (ipywidgets 8 sends every change a page makes back as an `echo_update`, for other
    pages on the same kernel: a Voila kernel has one page, and the echo was one message more for each answer)."""
    env = dict(base)
    env["JUPYTER_WIDGETS_ECHO"] = "0"
    share = str(config.PACKAGE_DIR / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, base.get("JUPYTER_PATH", "")) if p)
    return env


def wait_for_port(port: int, seconds: float = 60, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def serve(data_dir: Path, db_url: str | None = None, demo: bool = False, port: int = 8866,
          coach_port: int | None = None, host: str = "0.0.0.0", banks_dir: Path | None = None, expect: int = 25,
          coach_host: str = "127.0.0.1", cull_after: int = 300, server_names: tuple[str, ...] = (),
          participant_servers: int = 1, coach: bool = True, public_url: str | None = None,
          trusted_proxies: tuple[str, ...] = (), fork: bool = True) -> None:
    """`participant_servers` participant servers on ports `port`, `port`+1, … (behind nginx: toolkit.proxy; 0: the
    coach's only), the coach's on `coach_port` (default: the port after them) unless `coach` is False (it runs on
    another machine on the same --db); `public_url`: the address phones open (nginx's), shown to the coach."""
    from .proxy import TrustedProxies
    from .store import Store

    ports = [port + i for i in range(participant_servers)]
    coach_port = port + max(participant_servers, 1) if coach_port is None else coach_port
    if not ports and not coach:
        raise click.ClickException("No server to run: --participant-servers 0 runs the coach's only, --no-coach "
                                   "the participant servers only.")
    if coach and coach_port in ports:
        raise click.ClickException(f"--coach-port {coach_port} is one of the participant servers' ports "
                                   f"{ports[0]}-{ports[-1]}; choose another.")
    try:
        TrustedProxies(trusted_proxies)
    except ValueError as e:
        raise click.ClickException(str(e)) from None

    data_dir.mkdir(parents=True, exist_ok=True)
    kernels, servers = end_leftovers(data_dir)
    if kernels or servers:
        click.echo(f"Ended {kernels} kernel{'s' if kernels != 1 else ''} and {servers} server"
                   f"{'s' if servers != 1 else ''} left running by an earlier `toolkit serve` on this data folder.")
    run = RunRecord(data_dir)
    url = db_url or config.sqlite_url(data_dir)
    store = Store(url)
    if demo:
        from .demo import seed_demo

        session = seed_demo(store, banks_dir)
        click.echo(f"Seeded a demo session; join code {session['join_code']}.")
    store.close()

    why_not_fork = forking.available() if fork else "--no-fork"
    if ports:
        click.echo("Measuring what a participant kernel costs on this machine…")
        kernel = measure_kernel(why_not_fork is None)
        if why_not_fork is None and not kernel.forked and not kernel.why_assumed:  # the template did not start
            why_not_fork = f"forking failed: {forking.Template.failed}"
    else:
        kernel = ASSUMED
    room = capacity(expect, kernel=kernel)
    token = coach_token(data_dir)
    shown_host = lan_address() if host in ("0.0.0.0", "") else host
    join_url = public_url or f"http://{shown_host}:{port}/"
    if public_url:
        from urllib.parse import urlsplit

        server_names = (*server_names, urlsplit(public_url).hostname or "")
    coach_shown = lan_address() if coach_host in ("0.0.0.0", "") else coach_host
    coach_url = f"http://{coach_shown}:{coach_port}/?token={token}"
    env = voila_environment(dict(os.environ))
    env.update({config.ENV_DB: url, config.ENV_DATA: str(data_dir.resolve()), config.ENV_JOIN_URL: join_url,
                ENV_RUN: run.run})
    if banks_dir:
        env[config.ENV_BANKS] = str(banks_dir.resolve())
    notebooks = config.notebooks_dir()
    stop_on_signals()
    run.write([])  # before any server starts: whatever this run starts carries its id from the first moment
    # several participant servers on this machine share its warm kernels and its cap
    pool, cap = -(-room.pool // max(participant_servers, 1)), -(-room.cap // max(participant_servers, 1))
    procs = [
        voila_process("participant" if i == 0 else f"participant-{i + 1}", notebooks / "participant.ipynb",
                      data_dir, voila_config(p, host, pool=pool, cull_after=cull_after, kernel_cap=cap,
                                             hosts=(shown_host, *server_names), trusted_proxies=trusted_proxies,
                                             fork=why_not_fork is None, kernel_mb=kernel.per_participant_mb),
                      env)
        for i, p in enumerate(ports)
    ]
    if coach:
        procs.append(voila_process("coach", notebooks / "coach.ipynb", data_dir,
                                   voila_config(coach_port, coach_host, token=token, cull_after=cull_after,
                                                hosts=(coach_shown, *server_names),
                                                trusted_proxies=trusted_proxies, fork=False), env))
    run.write(procs)
    try:
        for p, name in [*((p, "participant") for p in ports), *([(coach_port, "coach")] if coach else [])]:
            if not wait_for_port(p, 90) or any(proc.poll() is not None for proc in procs):
                raise click.ClickException(f"The {name} app did not start on port {p}; is the port in use?")
        click.echo("")
        click.echo(f"Participants (phones on this network): {join_url}"
                   f"{'' if ports else ' (served by the participant servers on the same store)'}")
        if participant_servers > 1:
            click.echo(f"Participant servers (behind nginx: `toolkit nginx-config`): ports {ports[0]}-{ports[-1]}")
        where = "this laptop only" if coach_host in ("127.0.0.1", "localhost") else "keep this address secret"
        if coach:
            click.echo(f"Coach ({where}): {coach_url}")
        click.echo(f"Store: {url}")
        if ports:
            for line in describe_room(room, expect, why_not_fork):
                click.echo(line)
        if room.participants < expect:
            click.echo(f"Warning: {expect} participants expected but memory for about {room.participants}: "
                       "close other programs, or run `toolkit rehearse` to check.")
        elif ports and room.joining_at_once < expect:
            click.echo(f"Note: {expect} participants joining at all at once wait about "
                       f"{expect * kernel.join_cpu_s / room.cores:.0f} s for their first question on this laptop's "
                       f"{room.cores} cores: let them join in groups of about {room.joining_at_once}, or run "
                       "`toolkit rehearse` to check.")
        click.echo("Press Ctrl+C to stop. Every answer is already saved.")
        _show_qr(join_url)
        while all(p.poll() is None for p in procs):
            run.renew(procs)
            time.sleep(0.5)
        raise click.ClickException("A server stopped unexpectedly; see the messages above.")
    except KeyboardInterrupt:
        click.echo("Stopping…")
    finally:
        stop_servers(procs)


def stop_servers(procs: list[subprocess.Popen]) -> None:
    """Stop the servers as Ctrl+C would (each stops its kernels), killing any that has not ended in 15 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def _stop(*_args) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl+C stops the servers, as the console says, even when this process was started with SIGINT ignored (a
    background job of a script inherits that, and so would every server it starts: none would ever stop on
    Ctrl+C, and a stop by SIGINT would leave them all running). A stop by SIGTERM (a service manager, `kill`)
    takes the same clean path: no server left behind."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)


def _show_qr(url: str) -> None:
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    click.echo(out.getvalue())
