"""Serving a room within what the laptop holds: each phone's kernel knows the phone's address, kernels are
capped, a kernel whose page never connected is freed, only the server's own names are answered, and kernels
left by a hard-killed `toolkit serve` are ended on the next start.

Most tests run `python -m toolkit.voila_app` (as `toolkit serve` does, with the configuration
`serve.voila_config` writes) on a small probe notebook: its kernels are cheap, and the page shows what the
kernel saw."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from helpers import free_port

from toolkit.serve import voila_config, voila_environment, wait_for_port

PROBE = """import os
from toolkit.apps.request import page_query_string

page_query_string()
print("CLIENT=" + os.environ.get("HTTP_X_TOOLKIT_CLIENT", "none") + "=")
"""


def start_probe(folder: Path, settings: dict, port: int, env: dict | None = None) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "probe.ipynb")
    (folder / "voila.json").write_text(json.dumps(settings))
    with open(folder / "voila.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "toolkit.voila_app", "probe.ipynb"], cwd=folder,
                                env=voila_environment({**os.environ, **(env or {})}), stdout=log, stderr=log,
                                start_new_session=True)
    assert wait_for_port(port, 90), (folder / "voila.log").read_text()
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def get(port: int, path: str = "/", source: str = "127.0.0.1", headers: dict | None = None,
        host: str | None = None) -> tuple[int, dict, str]:
    """One request from the loopback address `source` (any 127.x address reaches a server on 127.0.0.1)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=180, source_address=(source, 0))
    try:
        c.putrequest("GET", path, skip_host=True)
        c.putheader("Host", host or f"127.0.0.1:{port}")
        for name, value in (headers or {}).items():
            c.putheader(name, value)
        c.endheaders()
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace")
    finally:
        c.close()


def seen_client(page: str) -> str:
    return page.split("CLIENT=", 1)[1].split("=", 1)[0]


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    port = free_port()
    settings = voila_config(port, "127.0.0.1", pool=1, hosts=("toolkit.example.lan",))
    proc = start_probe(tmp_path_factory.mktemp("probe"), settings, port)
    yield port
    stop(proc)


def test_a_pages_kernel_knows_its_phones_address_and_a_phone_cannot_pretend_another(probe):
    # the first page takes the warm kernel (the request reaches it over Voila's request socket); the second,
    # at once, finds the pool empty and starts its own kernel (the request is in its environment)
    status, _, warm = get(probe, source="127.0.0.7")
    assert status == 200 and seen_client(warm) == "127.0.0.7"
    status, _, own = get(probe, source="127.0.0.8", headers={"X-Toolkit-Client": "10.9.9.9"})
    assert status == 200 and seen_client(own) == "127.0.0.8"
    time.sleep(8)  # the pool refills once the room is quiet (CalmRefill.QUIET_S)
    status, _, warm = get(probe, source="127.0.0.9", headers={"X-Toolkit-Client": "10.9.9.9"})
    assert status == 200 and seen_client(warm) == "127.0.0.9"


# ------------------------------------------------------------------ the room's status, as the coach sees it


def test_a_participant_server_tells_the_coach_when_the_room_is_full(store):
    from toolkit.room_status import FRESH_S, room_line, room_status, write_room_status

    write_room_status(store, "laptop:8866", {"full": True, "why": "cap", "in": 28, "kernels": 30, "cap": 30,
                                             "away": 3})
    [record] = room_status(store)
    assert record["server"] == "laptop:8866" and record["full"] and record["away"] == 3
    assert room_line([record]).startswith("The room is full: 3 phones turned away so far (this laptop holds 30")
    write_room_status(store, "laptop:8866", {"full": False, "why": None, "in": 20, "kernels": 24, "cap": 30,
                                             "away": 0})
    [record] = room_status(store)  # one record per server: replaced, not added
    assert not record["full"] and room_line([record]) == ""
    write_room_status(store, "office:8866", {"full": True, "why": "memory", "in": 9, "kernels": 12, "cap": 40,
                                             "away": 1})
    records = room_status(store)
    assert [r["server"] for r in records] == ["office:8866", "laptop:8866"]  # the full one first
    assert "participant server office:8866" in room_line(records) and "memory is short" in room_line(records)
    assert room_status(store, now=time.time() + FRESH_S + 5) == []  # a server that stopped renewing is ignored


def test_the_coach_console_says_the_room_is_full_and_how_many_were_turned_away(sqlite_store):
    from toolkit.apps.coach import CoachApp
    from toolkit.room_status import write_room_status

    app = CoachApp(store=sqlite_store, banks_dir=Path(__file__).parent / "banks", start_polling=False)
    app.refresh()
    assert app.room.value == ""
    write_room_status(sqlite_store, "laptop:8866", {"full": True, "why": "cap", "in": 30, "kernels": 30,
                                                    "cap": 30, "away": 4})
    app._room_read_at = 0.0
    app.refresh()
    assert "The room is full: 4 phones turned away so far" in app.room.value
    write_room_status(sqlite_store, "laptop:8866", {"full": False, "why": None, "in": 29, "kernels": 29,
                                                    "cap": 30, "away": 0})
    app._room_read_at = 0.0
    app.refresh()
    assert app.room.value == ""


# ------------------------------------------------------------------ the kernel cap and never-connected kernels


def probe_kernels(proc: subprocess.Popen) -> dict[str, int]:
    """The probe server's kernels: kernel id -> pid."""
    import psutil

    out = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            line = " ".join(child.cmdline())
            if "ipykernel" in line:
                out[line.split("kernel-")[1].split(".json")[0]] = child.pid
    return out


def page_kernel(page: str) -> str:
    return json.loads(page.split('<script id="jupyter-config-data" type="application/json">')[1]
                      .split("</script>")[0])["kernelId"]


def wait_until(condition, seconds: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def test_kernels_are_capped_and_a_phone_beyond_is_told_the_room_is_full(tmp_path):
    from toolkit.room_status import room_status
    from toolkit.store import Store

    store_url = f"sqlite:///{tmp_path}/toolkit.db"
    Store(store_url).close()
    port = free_port()
    settings = voila_config(port, "127.0.0.1", pool=1, kernel_cap=2)
    assert settings["MappingKernelManager"]["cull_idle_timeout"] == 300  # not what frees the kernels below
    proc = start_probe(tmp_path / "probe", settings, port, env={"TOOLKIT_DB": store_url})
    store = Store(store_url, create=False)
    try:
        assert get(port, source="127.0.0.11")[0] == 200  # takes the warm kernel
        assert get(port, source="127.0.0.12")[0] == 200  # starts its own: two kernels, the cap
        status, headers, body = get(port, source="127.0.0.13")
        assert status == 503 and headers["Retry-After"] == "30"
        assert "The room is full: ask the coach" in body and "کمرہ بھرا ہوا ہے: کوچ سے پوچھیں" in body
        assert len(body) < 2000  # small: no kernel, no scripts
        assert get(port, source="127.0.0.14")[0] == 503
        assert get(port, source="127.0.0.13")[0] == 503  # the same phone again: still two phones turned away
        assert len(probe_kernels(proc)) == 2  # the pool's replacement waits for room
        assert wait_until(lambda: [(r["full"], r["away"]) for r in room_status(store)] == [(True, 2)], 30)
        # neither page opened its WebSocket: both kernels are freed within a minute, and phones get in again
        assert wait_until(lambda: get(port, source="127.0.0.13")[0] == 200, 150, every=5)
        assert wait_until(lambda: [r["full"] for r in room_status(store)] == [False], 30)
    finally:
        store.close()
        stop(proc)


def test_a_kernel_whose_page_never_connected_is_freed_within_a_minute_and_warm_ones_are_kept(tmp_path):
    import websocket

    port = free_port()
    proc = start_probe(tmp_path / "probe", voila_config(port, "127.0.0.1", pool=3), port)
    try:
        assert wait_until(lambda: len(probe_kernels(proc)) == 3, 120)
        warm = set(probe_kernels(proc))
        status, _, plain = get(port, source="127.0.0.21")  # a plain page load: no WebSocket ever
        assert status == 200
        status, _, used = get(port, source="127.0.0.22")
        assert status == 200
        url = f"ws://127.0.0.1:{port}/api/kernels/{page_kernel(used)}/channels?session_id=probe"
        connection = websocket.create_connection(url, timeout=30)  # this page connected, and stays
        try:
            assert {page_kernel(plain), page_kernel(used)} < warm
            assert wait_until(lambda: page_kernel(plain) not in probe_kernels(proc), 150, every=2)
            running = set(probe_kernels(proc))
            assert page_kernel(used) in running
            still_warm = warm - {page_kernel(plain), page_kernel(used)}
            assert still_warm <= running  # the pool's kernel, warm since the start and never connected, stays
        finally:
            connection.close()
    finally:
        stop(proc)


def test_once_the_room_has_joined_the_pool_refills_only_its_spares_not_every_kernel_taken(tmp_path):
    """Voila replaces every warm kernel a page takes: a room of N that has joined had N more kernels starting
    while it answered. The pool is for those still to come: four expected, four joined, two spares."""
    from toolkit.voila_app import CalmRefill

    port = free_port()
    settings = voila_config(port, "127.0.0.1", pool=4)
    settings["WorkshopVoila"]["page_connect_s"] = 600  # the pages below never connect; their kernels stay
    proc = start_probe(tmp_path / "probe", settings, port)
    log = tmp_path / "probe" / "voila.log"
    try:
        assert wait_until(lambda: "Warm kernels: 4 of 4" in log.read_text(), 120)
        pages = {page_kernel(get(port, source=f"127.0.0.{31 + i}")[2]) for i in range(4)}
        assert len(pages) == 4 and pages <= set(probe_kernels(proc))
        spares = min(4, max(CalmRefill.MIN_SPARES, -(-4 * CalmRefill.SPARE_SHARE // 1)))
        assert spares == 2
        # the replacements start once no page has loaded for CalmRefill.QUIET_S, one at a time
        assert wait_until(lambda: log.read_text().count("Warm kernels: 2 of 4") >= 1, 120)
        wait_until(lambda: len(probe_kernels(proc)) > 4 + spares, CalmRefill.QUIET_S + 20)
        assert len(probe_kernels(proc)) == 4 + spares  # the four pages' kernels and the two spares, no more
        # a page taking a spare gets it replaced: the room keeps its spares
        fifth = page_kernel(get(port, source="127.0.0.41")[2])
        assert fifth in probe_kernels(proc) and fifth not in pages
        assert wait_until(lambda: len(probe_kernels(proc)) == 5 + spares, CalmRefill.QUIET_S + 60)
    finally:
        stop(proc)


# ------------------------------------------------------------------ only the server's own names (DNS rebinding)


def test_the_host_check_accepts_this_servers_names_and_addresses_only():
    import socket

    import psutil

    from toolkit.voila_app import HostCheck

    local = HostCheck("127.0.0.1", [])
    for host in ("127.0.0.1:8867", "localhost:8867", "LOCALHOST", "[::1]:8867", "127.0.0.1"):
        assert local(host), host
    for host in ("evil.example:8867", "evil.example", "localhost.evil.example", "10.1.2.3:8867", "",
                 "127.0.0.1.evil.example"):
        assert not local(host), host
    everywhere = HostCheck("0.0.0.0", ["192.168.43.10"])
    assert everywhere("192.168.43.10:8866") and everywhere(f"{socket.gethostname()}:8866")
    assert everywhere(f"{socket.gethostname()}.local:8866")
    own = next(a.address for nic in psutil.net_if_addrs().values() for a in nic
               if a.family == socket.AF_INET and not a.address.startswith("127."))
    assert everywhere(f"{own}:8866")  # an address this machine has, even one serve did not print
    assert not everywhere("203.0.113.9:8866") and not everywhere("rebind.evil.example:8866")
    assert not HostCheck("192.168.43.10", [])(f"{socket.gethostname()}:8866")  # bound to one address only
    assert HostCheck("192.168.43.10", [])("192.168.43.10:8866")


def test_serve_configures_the_cap_the_client_header_and_the_names_of_the_participant_server():
    from toolkit.serve import KERNEL_MB, RESERVE_MB, capacity

    settings = voila_config(8866, "0.0.0.0", pool=10, kernel_cap=capacity(10, available_mb=3000).cap,
                            hosts=("192.168.43.10", "toolkit.lan"))
    assert settings["WorkshopVoila"]["kernel_cap"] == (3000 - 250 - 1024) // 110
    assert settings["WorkshopVoila"]["kernel_min_free_mb"] == KERNEL_MB + RESERVE_MB
    assert settings["WorkshopVoila"]["allowed_hosts"] == ["192.168.43.10", "toolkit.lan"]
    assert settings["VoilaConfiguration"]["http_header_envs"] == ["X-Toolkit-Client"]
    assert capacity(30, available_mb=500).cap == 1  # never below the warm pool
    assert voila_config(8867, "127.0.0.1", token="x")["WorkshopVoila"]["kernel_cap"] == 0  # the coach: no cap


def test_the_room_is_sized_by_what_a_kernel_was_measured_to_cost_and_the_console_says_so():
    from toolkit.serve import (
        ANSWER_CPU_S,
        JOIN_CPU_S,
        JOIN_WITHIN_S,
        KERNEL_MB,
        QUIZ_GROWTH_MB,
        RESERVE_MB,
        SERVER_MB,
        KernelCost,
        capacity,
        describe_room,
    )

    forked = KernelCost(unique_mb=15.2, forked=True, shared_mb=84.3)
    per = forked.per_participant_mb
    assert per == -(-(15.2 + QUIZ_GROWTH_MB[True]) // 1)  # its own memory after a quiz, rounded up
    room = capacity(300, available_mb=4000, kernel=forked)
    assert room.participants == (4000 - SERVER_MB - RESERVE_MB - 85) // per  # the shared part counted once
    assert room.pool == room.participants < 300 and room.kernel is forked
    assert capacity(20, available_mb=4000, kernel=forked).pool == 20
    assert describe_room(room, 300) == [
        f"Kernels: forked from a preloaded process (toolkit.forking); `--no-fork` starts each from scratch; "
        f"{per} MB a participant, measured: 15 MB of its own at the start + {QUIZ_GROWTH_MB[True]} MB over a full quiz; "
        "84 MB shared by all of them, counted once.",
        f"Room: {room.pool} kernels kept warm for 300 expected participants; with 4000 MB free this laptop can hold "
        f"about {room.participants} participants at once; beyond {room.cap} a phone is told the room is full.",
        f"CPU: {room.cores} core{'s' if room.cores != 1 else ''}; a participant costs about {JOIN_CPU_S:.2f} s of CPU "
        f"to reach the first question and {ANSWER_CPU_S:.3f} s an answer (measured on this laptop's speed, 1.00× the "
        f"reference machine's CPU time); about {room.joining_at_once} joining at once see their first question "
        f"within {JOIN_WITHIN_S} s, more wait longer; about {room.answers_per_s:.0f} answers a second keep up.",
    ]
    scratch = KernelCost(unique_mb=68.3, forked=False)
    alone = capacity(300, available_mb=4000, kernel=scratch)
    assert alone.participants == (4000 - SERVER_MB - RESERVE_MB) // scratch.per_participant_mb < room.participants
    assert describe_room(alone, 300, "--no-fork")[0] == (
        f"Kernels: each started from scratch (--no-fork); {scratch.per_participant_mb} MB a participant, measured: "
        f"68 MB of its own at the start + {QUIZ_GROWTH_MB[False]} MB over a full quiz.")
    assert scratch.per_participant_mb == -(-(68.3 + QUIZ_GROWTH_MB[False]) // 1)
    unknown = KernelCost(unique_mb=0, forked=True, why_assumed="TimeoutError: no reply")
    assert unknown.per_participant_mb == KERNEL_MB
    assert capacity(10, available_mb=3000, kernel=unknown).participants == (3000 - SERVER_MB - RESERVE_MB) // KERNEL_MB
    assert describe_room(capacity(10, available_mb=3000, kernel=unknown), 10)[0].endswith(
        f"; {KERNEL_MB} MB a participant assumed (a kernel could not be measured: TimeoutError: no reply).")
    # the participant server starts a kernel only while what one costs and the reserve are free
    assert voila_config(8866, "0.0.0.0", pool=10, kernel_cap=5, kernel_mb=per)["WorkshopVoila"][
        "kernel_min_free_mb"] == per + RESERVE_MB


@pytest.mark.skipif(os.name != "posix", reason="open-file limits are POSIX's")
def test_the_participant_servers_kernel_manager_holds_the_sockets_of_a_large_room():
    # ZMQ refuses a context's 1024th socket by default, and laptops often allow a process 1024 open files: the
    # server holds several sockets per kernel, and 200 participants with the pool's replacements need ~1,500
    import resource

    import zmq

    from toolkit.voila_app import CappedKernelManager

    assert zmq.Context().get(zmq.MAX_SOCKETS) == 1023  # ZMQ's default, which the manager raises
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    sockets = []
    try:
        manager = CappedKernelManager()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
        sockets = [manager.context.socket(zmq.DEALER) for _ in range(1500)]
        assert len(sockets) == 1500
    finally:
        for sock in sockets:
            sock.close(linger=0)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernels are forked on Linux only")
def test_the_console_says_how_many_the_cpu_brings_to_their_first_question_and_scales_with_the_machine():
    """`toolkit serve` said "about 590 participants" from memory alone, though on two cores 100 joining at once
    waited 17 s for their first question: the console says what the CPU allows too, for this machine's speed."""
    from toolkit.serve import JOIN_CPU_S, JOIN_WITHIN_S, REFERENCE_PROBE_S, Capacity, KernelCost, cpu_scale, speed_probe

    reference = KernelCost(unique_mb=15, forked=True, shared_mb=85)
    room = Capacity(20000, 590, 100, reference, cores=2)
    assert room.participants == 590 and room.joining_at_once == int(JOIN_WITHIN_S * 2 // JOIN_CPU_S) < 590
    slow = Capacity(20000, 590, 100, KernelCost(15, True, 85, cpu_scale=cpu_scale(2 * REFERENCE_PROBE_S)), cores=2)
    assert slow.kernel.join_cpu_s == pytest.approx(2 * JOIN_CPU_S)
    assert slow.joining_at_once == int(JOIN_WITHIN_S * 2 // (2 * JOIN_CPU_S))  # half as fast: about half as many
    assert Capacity(20000, 590, 100, reference, cores=4).joining_at_once == int(JOIN_WITHIN_S * 4 // JOIN_CPU_S)
    assert slow.answers_per_s == pytest.approx(room.answers_per_s / 2)
    assert 0.2 < cpu_scale() < 5 and speed_probe() > 0  # this machine, measured (CPU time of a fixed piece of work)


def test_the_speed_probe_does_a_participants_work_and_leaves_nothing_behind():
    # it makes widgets in the serve command's own process (their comms are dummies outside a kernel): none stays
    from ipywidgets.widgets.widget import _instances

    from toolkit.serve import speed_probe

    before = dict(_instances)
    assert speed_probe(rounds=3) > 0
    assert _instances == before


def test_serve_measures_a_kernel_started_the_way_the_participant_server_starts_them():
    from toolkit import forking
    from toolkit.serve import measure_kernel

    forked, scratch = measure_kernel(True), measure_kernel(False)
    assert forked.why_assumed is None and scratch.why_assumed is None
    assert forked.forked and not scratch.forked
    assert forked.shared_mb > 0 and scratch.shared_mb == 0  # the template's memory, shared by its kernels
    assert 0 < forked.unique_mb < scratch.unique_mb  # what forking is for
    assert forking.Template.current is None  # the template started to measure is stopped again
    assert 0.2 < forked.cpu_scale < 5 and 0.2 < scratch.cpu_scale < 5  # this machine's speed, measured with it


@pytest.mark.parametrize(("path", "answer"), [
    ("/", 200), ("/voila/static/voila.js", 200), ("/login", 302),
    ("/voila/templates/toolkit/static/fonts/NotoNastaliqUrdu-Regular.woff2", 200),
    ("/api/kernels/00000000-0000-0000-0000-000000000000/channels", 404),  # a WebSocket to no kernel
])
def test_a_request_under_a_foreign_name_is_refused_before_any_handler(probe, path, answer):
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} if "channels" in path else {}
    status, _, body = get(probe, path, host=f"rebind.evil.example:{probe}", headers=upgrade)
    assert status == 403 and "does not answer to that name" in body
    assert get(probe, path, host=f"localhost:{probe}", headers=upgrade)[0] == answer  # its own name: as ever
    assert get(probe, path, host=f"toolkit.example.lan:{probe}", headers=upgrade)[0] == answer  # a name it was given


@pytest.mark.browser
def test_the_coach_app_refuses_a_foreign_host_even_with_its_secret(served):
    token = (served["data"] / "coach-token").read_text().strip()
    port = served["coach_port"]
    status, _, body = get(port, f"/?token={token}", host=f"rebind.evil.example:{port}")
    assert status == 403 and "CoachApp" not in body
    status, _, _ = get(port, f"/?token={token}", host=f"localhost:{port}")
    assert status == 200


# ------------------------------------------------------------------ kernels left by a hard-killed `toolkit serve`


def start_serve(data: Path, port: int, coach_port: int, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "toolkit", "serve", "--data", str(data), "--port", str(port), "--coach-port",
             str(coach_port), "--host", "127.0.0.1", "--expect", "2"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_a_new_start_ends_the_kernels_a_killed_serve_left_and_only_those(tmp_path):
    import psutil

    from toolkit.serve import ENV_RUN

    data, port, coach_port = tmp_path / "data", free_port(), free_port()
    first = start_serve(data, port, coach_port, tmp_path / "first.log")
    # two look-alikes that are not of that run: a kernel of another program, and one marked with another run
    strangers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "ipykernel_launcher"],
                                  env={**os.environ, **extra}, start_new_session=True)
                 for extra in ({}, {ENV_RUN: "0123456789abcdef"})]
    second = None
    try:
        assert wait_for_port(port, 120) and wait_for_port(coach_port, 120), (tmp_path / "first.log").read_text()
        serve = psutil.Process(first.pid)
        assert wait_until(lambda: sum("ipykernel" in " ".join(p.cmdline()) for p in serve.children(True)) >= 2, 120)
        servers = serve.children()
        kernels = [p for p in serve.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        serve.kill()  # a hard kill (kill -9, a crash): its servers and their kernels go on, holding the ports
        first.wait(timeout=10)
        time.sleep(3)
        assert all(p.is_running() for p in servers + kernels) and len(servers) == 2

        second = start_serve(data, port, coach_port, tmp_path / "second.log")  # the same ports again
        assert wait_until(lambda: "Press Ctrl+C" in (tmp_path / "second.log").read_text(), 120), \
            (tmp_path / "second.log").read_text()
        said = (tmp_path / "second.log").read_text()
        assert f"Ended {len(kernels)} kernels and 2 servers left running by an earlier `toolkit serve`" in said
        assert not any(p.is_running() for p in servers + kernels)
        assert all(s.poll() is None for s in strangers)  # not of that run: left alone
    finally:  # each started in a process group of its own: whatever is left of a group goes with it
        for p in (first, second, *strangers):
            if p is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGINT if p in (first, second) else signal.SIGKILL)
        for p in (first, second, *strangers):
            if p is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=30)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)


def test_a_kernel_starts_only_while_memory_is_free_and_a_pool_replacement_waits_for_room():
    import asyncio

    from toolkit.voila_app import CappedKernelManager, RoomFull

    async def scenario():
        manager = CappedKernelManager()
        manager.kernel_cap, manager.min_free_mb = 30, 1134
        manager.free_mb = lambda: 900.0  # fewer than a kernel and the reserve
        assert manager.why_full() == "memory" and not manager.room_for_a_page("participant.ipynb")
        with pytest.raises(RoomFull):  # a page's own kernel: refused at once
            await manager.start_kernel(kernel_name="python3", env={"VOILA_PREHEAT": "False"})
        waiting = asyncio.ensure_future(manager.start_kernel(kernel_name="python3", env={"VOILA_PREHEAT": "True"}))
        await asyncio.sleep(1.5)
        assert not waiting.done() and manager.list_kernel_ids() == []  # the pool's replacement waits
        await manager.shutdown_all()  # … and gives up when the server stops
        with pytest.raises(RoomFull):
            await waiting
        manager.free_mb = lambda: 4000.0
        assert manager.why_full() is None

    asyncio.run(scenario())


def test_every_kernel_the_servers_start_gets_the_kernel_arguments(monkeypatch):
    """A kernel started from scratch (`--no-fork`, Windows, a fork that failed) gets forking.KERNEL_ARGS on its
    command line, as a forked kernel reads them in its template: no history, plain tracebacks."""
    import asyncio

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    from toolkit import forking
    from toolkit.voila_app import CappedKernelManager

    asked = []

    async def start_kernel(self, *args, **kwargs):
        asked.append(kwargs)
        return f"k{len(asked)}"

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", start_kernel)

    async def scenario():
        manager = CappedKernelManager()
        manager.handed_to_page = lambda kernel_id: None
        await manager.start_kernel(kernel_name="python3", env={"VOILA_PREHEAT": "True"})
        await manager.start_kernel(kernel_name="python3", env={}, extra_arguments=["--own"])

    asyncio.run(scenario())
    assert forking.KERNEL_ARGS == ["--HistoryManager.enabled=False", "--InteractiveShell.xmode=Plain"]
    assert [a["extra_arguments"] for a in asked] == [forking.KERNEL_ARGS, ["--own", *forking.KERNEL_ARGS]]


def test_the_activity_watch_records_state_and_activity_without_deserializing_every_message(monkeypatch):
    """Every IOPub message of every kernel passes the kernel manager's activity watch (culling reads it):
    jupyter_server's checks its signature and parses every date of it, twice for a status message, at 100
    phones 12 % of the participant server's CPU. The toolkit's reads the headers only."""
    from jupyter_client.session import Session

    from toolkit.voila_app import CappedKernelManager

    class Stream:
        socket = type("S", (), {"closed": False})()

        def on_recv(self, callback):
            self.callback = callback

        def close(self):
            self.socket.closed = True

    class Kernel:
        session = Session(key=b"secret")
        execution_state = "starting"
        last_activity = None

        def connect_iopub(self):
            self.stream = Stream()
            return self.stream

    monkeypatch.setattr(CappedKernelManager, "ACTIVITY_EVERY_S", 0.005)  # the sleeps below are 0.01 s
    manager = CappedKernelManager()
    kernel = manager._kernels["k"] = Kernel()
    manager.start_watching_activity("k")
    deliver = kernel.stream.callback
    session = kernel.session

    def status(state: str, parent_type: str) -> list[bytes]:
        parent = session.msg(parent_type, {})
        return session.serialize(session.msg("status", {"execution_state": state}, parent=parent))

    monkeypatch.setattr(Session, "deserialize", lambda *a, **k: pytest.fail("a message was deserialized in full"))
    deliver(status("idle", "kernel_info_request"))  # untracked parent: starting -> idle
    assert kernel.execution_state == "idle" and kernel.last_activity is not None
    seen = kernel.last_activity
    time.sleep(0.01)
    deliver(status("busy", "execute_request"))
    assert kernel.execution_state == "busy" and kernel.last_activity > seen
    stream = session.msg("stream", {"name": "stdout", "text": "x"}, parent=session.msg("execute_request", {}))
    busy_at = kernel.last_activity
    time.sleep(0.01)
    deliver(session.serialize(stream))
    assert kernel.last_activity > busy_at and manager.last_kernel_activity == kernel.last_activity
    deliver(status("idle", "execute_request"))
    assert kernel.execution_state == "idle"
    # the time is set at most once in ACTIVITY_EVERY_S (culling counts minutes); the state on every status
    monkeypatch.setattr(CappedKernelManager, "ACTIVITY_EVERY_S", 60.0)
    noted = kernel.last_activity
    time.sleep(0.01)
    deliver(status("busy", "execute_request"))
    deliver(session.serialize(stream))
    assert kernel.execution_state == "busy" and kernel.last_activity == noted
    manager.stop_watching_activity("k")  # jupyter_server's: closes the stream the watch opened
    assert kernel.stream.socket.closed and kernel._activity_stream is None


def test_the_voila_tornado_and_jupyter_server_internals_the_room_builds_on():
    """The cap, the hand-out and the host check lean on these; when a new release changes them, this says where."""
    import inspect

    import tornado.web
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.app import Voila
    from voila.configuration import VoilaConfiguration
    from voila.handler import VoilaHandler
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    from toolkit.voila_app import CappedKernelManager

    # Voila builds its pool manager on the configured class, and names pool kernels by VOILA_PREHEAT=True
    assert "multi_kernel_manager_class" in VoilaConfiguration.class_traits(config=True)
    assert "self.voila_configuration.multi_kernel_manager_class" in inspect.getsource(Voila.init_settings)
    pooled = voila_kernel_manager_factory(CappedKernelManager, True, 2)
    assert issubclass(pooled, CappedKernelManager)
    assert 'kernel_env[ENV_VARIABLE.VOILA_PREHEAT] = "True"' in inspect.getsource(pooled.fill_if_needed)
    assert "return render_task, renderer.rendered_cache, kernel_id" in inspect.getsource(pooled.get_rendered_notebook)
    # … hands the request headers named in http_header_envs to the kernel, and starts a page's own kernel here
    source = inspect.getsource(VoilaHandler.get_generator)
    assert "http_header_envs" in source and "self.kernel_manager.start_kernel(" in source
    assert 'kernel_env[ENV_VARIABLE.VOILA_PREHEAT] = "False"' in source
    # jupyter_server watches each kernel's activity through start_watching_activity, with these parts
    watch = inspect.getsource(AsyncMappingKernelManager.start_watching_activity)
    assert all(part in watch for part in ("kernel._activity_stream = kernel.connect_iopub()", "last_kernel_activity",
                                          "track_message_type", 'kernel.execution_state == "starting"'))
    assert "kernel._activity_stream" in inspect.getsource(AsyncMappingKernelManager.stop_watching_activity)
    # jupyter_server counts a kernel's WebSocket connections through notify_connect
    assert "notify_connect" in vars(AsyncMappingKernelManager.__mro__[1])
    # tornado routes every request, WebSockets and static files too, through Application.find_handler
    assert callable(tornado.web.Application.find_handler) and callable(tornado.web.Application.get_handler_delegate)
    assert "_headers_written" in inspect.getsource(tornado.web.RequestHandler.__init__)


def test_ctrl_c_stops_the_servers_even_when_started_as_a_background_job_that_ignores_it():
    """A script's background job starts with SIGINT ignored, and every server it starts would inherit that:
    Ctrl+C, and a test's SIGINT, would then stop nothing and leave the servers and their kernels running."""
    code = ("import time\n"
            "from toolkit.serve import stop_on_signals\n"
            "stop_on_signals()\n"
            "try:\n"  # ready is said inside the try: a SIGINT right after it is still caught
            "    print('ready', flush=True)\n"
            "    time.sleep(15)\n"
            "except KeyboardInterrupt:\n"
            "    print('stopping', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline().strip() == "stopping"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
