"""Beyond one machine: two participant servers and the coach's on one PostgreSQL store, nginx in front
(`toolkit nginx-config`), 40 simulated phones through nginx; and the phone's address taken from a trusted
proxy only (toolkit.proxy)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import POSTGRES_URL, TEST_BANKS, free_port

from toolkit.live import activity_questions, answered_by_attempt
from toolkit.proxy import TrustedProxies, nginx_config

NGINX = Path("/usr/sbin/nginx")
PHONES = 40


# ------------------------------------------------------------------ the phone's address, from a trusted proxy only


def test_the_phones_address_comes_from_a_trusted_proxy_only():
    proxies = TrustedProxies(["10.0.0.5", "192.168.7.0/24"])
    header = {"X-Real-IP": "10.1.2.3", "X-Forwarded-For": "6.6.6.6, 10.1.2.3"}
    assert proxies.client("127.0.0.1", header) == "10.1.2.3"  # nginx on this machine
    assert proxies.client("10.0.0.5", header) == "10.1.2.3"
    assert proxies.client("192.168.7.20", {"X-Forwarded-For": "6.6.6.6, 10.1.2.4"}) == "10.1.2.4"  # the one it added
    assert proxies.client("::ffff:127.0.0.1", header) == "10.1.2.3"
    # a phone talking to a server directly cannot choose its address
    assert proxies.client("10.1.2.9", header) == "10.1.2.9"
    # a header that holds no address (or an overlong one) is not taken
    assert proxies.client("127.0.0.1", {"X-Real-IP": "phone; DROP", "X-Forwarded-For": "1" * 500}) == "127.0.0.1"
    assert proxies.client("127.0.0.1", {}) == "127.0.0.1"
    with pytest.raises(ValueError, match="--trusted-proxy 'nginx-box' is not an address"):
        TrustedProxies(["nginx-box"])


def test_the_nginx_configuration_keeps_a_page_and_its_websockets_together():
    text = nginx_config(["127.0.0.1:8866", "10.0.0.6:8866"], "8080", ["quiz.office.local"], "/tmp/a.log")
    assert "hash $remote_addr consistent;" in text
    assert "server 127.0.0.1:8866 " in text and "server 10.0.0.6:8866 " in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "proxy_set_header Connection $toolkit_connection;" in text
    assert "proxy_set_header X-Real-IP $remote_addr;" in text and "proxy_read_timeout 1h;" in text
    assert "client_max_body_size 1m;" in text and "server_name quiz.office.local;" in text
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        nginx_config(["127.0.0.1"])


def test_the_commands_say_what_to_fix(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["nginx-config", "--participant-servers", "3", "--port", "9000",
                               "--server-name", "quiz.office.local"])
    assert out.exit_code == 0, out.output
    assert [line.split()[1] for line in out.output.splitlines() if line.strip().startswith("server 127")] == \
        ["127.0.0.1:9000", "127.0.0.1:9001", "127.0.0.1:9002"]
    out = runner.invoke(main, ["nginx-config", "--server", "10.0.0.6"])
    assert out.exit_code != 0 and "participant server '10.0.0.6': expected HOST:PORT" in out.output
    data = ["--data", str(tmp_path)]
    out = runner.invoke(main, ["serve", *data, "--participant-servers", "3", "--coach-port", "8867"])
    assert out.exit_code != 0 and "--coach-port 8867 is one of the participant servers' ports 8866-8868" in out.output
    out = runner.invoke(main, ["serve", *data, "--participant-servers", "0", "--no-coach"])
    assert out.exit_code != 0 and "No server to run" in out.output
    out = runner.invoke(main, ["serve", *data, "--trusted-proxy", "nginx-box"])
    assert out.exit_code != 0 and "--trusted-proxy 'nginx-box' is not an address" in out.output
    assert not list(tmp_path.iterdir())  # refused before anything started or was written


# ------------------------------------------------------------------ the whole path: nginx, two servers, PostgreSQL


def _needed() -> None:
    missing = [what for what, there in (("nginx (/usr/sbin/nginx)", NGINX.exists()),
                                        ("TOOLKIT_TEST_POSTGRES", bool(POSTGRES_URL))) if not there]
    if missing:
        if os.environ.get("CI"):
            raise RuntimeError(f"{' and '.join(missing)} missing: .ci/run installs nginx and sets TOOLKIT_TEST_POSTGRES")
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install nginx; TOOLKIT_TEST_POSTGRES=postgresql://…)")


def _two_free_ports() -> int:
    """A port whose next port is free too (the second participant server's)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    from toolkit.serve import wait_for_port

    if not wait_for_port(port, seconds) or proc.poll() is not None:
        raise AssertionError(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen, sig=signal.SIGINT) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def office(tmp_path_factory, request):
    """PostgreSQL (a schema of its own), `toolkit serve --participant-servers 2` and the coach on it, nginx in front."""
    _needed()
    url = request.getfixturevalue("postgres_url")
    from toolkit import schema
    from toolkit.demo import seed_demo
    from toolkit.store import Store, normalise_url

    tmp_path = tmp_path_factory.mktemp("office")
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as c:
        schema.metadata.drop_all(c)  # the schema is this test run's: whatever an earlier test left goes
    engine.dispose()
    store = Store(url)
    session = seed_demo(store, TEST_BANKS)
    port, coach_port, nginx_port = _two_free_ports(), free_port(), free_port()
    data = tmp_path / "data"
    serve_log = tmp_path / "serve.log"
    with open(serve_log, "wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "serve", "--db", url, "--data", str(data), "--banks", str(TEST_BANKS),
             "--participant-servers", "2", "--port", str(port), "--coach-port", str(coach_port), "--host", "127.0.0.1",
             "--expect", str(PHONES), "--public-url", f"http://127.0.0.1:{nginx_port}/"],
            stdout=out, stderr=subprocess.STDOUT)
    nginx = None
    try:
        for p in (port, port + 1, coach_port):
            _wait_for_port(p, serve, serve_log)
        # the phones come once both servers' warm kernels are ready, as a room joins once the coach sees it can
        deadline = time.monotonic() + 600
        while serve_log.read_text().count("the room can join") < 2:
            assert time.monotonic() < deadline and serve.poll() is None, serve_log.read_text()[-3000:]
            time.sleep(1)
        conf = subprocess.run([sys.executable, "-m", "toolkit", "nginx-config", "--participant-servers", "2",
                               "--port", str(port), "--listen", f"127.0.0.1:{nginx_port}",
                               "--access-log", str(tmp_path / "access.log")],
                              check=True, capture_output=True, text=True).stdout
        (tmp_path / "toolkit.conf").write_text(conf)
        # nginx's own main configuration, as /etc/nginx/nginx.conf would be, with everything in tmp_path
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers write their temporary files in tmp_path
        (tmp_path / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            + "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                               "uwsgi", "scgi"))
            + f"  include {tmp_path}/toolkit.conf;\n}}\n")
        nginx_log = tmp_path / "nginx.out"
        with open(nginx_log, "wb") as out:
            nginx = subprocess.Popen([str(NGINX), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
        _wait_for_port(nginx_port, nginx, nginx_log, 20)
        yield {"store": store, "session": session, "url": f"http://127.0.0.1:{nginx_port}/", "ports": (port, port + 1),
               "access_log": tmp_path / "access.log", "serve_log": serve_log}
    finally:
        if nginx is not None:
            _stop(nginx, signal.SIGQUIT)  # nginx's graceful stop
        _stop(serve)
        store.close()
        shutil.rmtree(data, ignore_errors=True)


def _play(url: str, code: str) -> list:
    from tornado.httpclient import AsyncHTTPClient

    from toolkit.rehearse import play_participant

    async def everyone():
        AsyncHTTPClient.configure(None, max_clients=PHONES)
        # each phone from its own loopback address: nginx picks its server by it, for its page and its WebSocket
        return await asyncio.gather(*(play_participant(url, code, i + 1, timeout=300,
                                                       source_address=f"127.0.0.{i + 2}") for i in range(PHONES)))

    return asyncio.run(everyone())


def test_forty_phones_through_nginx_on_two_servers_and_one_postgresql(office):
    store, session = office["store"], office["session"]
    started = time.monotonic()
    outcomes = _play(office["url"], session["join_code"])
    wall = time.monotonic() - started
    errors = [o.error for o in outcomes if o.error]
    assert not errors, "\n".join(errors) + "\n" + office["serve_log"].read_text()[-3000:]
    assert all(o.submitted for o in outcomes)
    first = sorted(o.first_question_s for o in outcomes)
    print(f"\n{PHONES} phones through nginx: time to question 1 median {first[len(first) // 2]:.2f} s, "
          f"p95 {first[int(0.95 * (len(first) - 1))]:.2f} s; all submitted in {wall:.1f} s; load {os.getloadavg()}")

    # the store holds every answer exactly once
    activity = next(a for a in store.list_activities(session["id"]) if a["state"] == "open")
    attempts = store.list_attempts(activity["id"])
    assert len(attempts) == PHONES and all(a["submitted_at"] is not None for a in attempts)
    (answered,) = {o.answered for o in outcomes}  # every phone answered every question
    per_attempt = answered_by_attempt(activity_questions(store, activity), store.activity_progress(activity["id"]))
    assert answered > 0 and {per_attempt.get(a["id"], 0) for a in attempts} == {answered}
    # every save once: each phone tapped the same (an ordering question saves at each item tapped), so every
    # attempt's history holds the same saves, none lost and none stored twice
    saves = [Counter(h["question_id"] for h in store.answer_history(a["id"])) for a in attempts]
    assert len(saves[0]) == answered and all(s == saves[0] for s in saves), saves
    assert all(len(store.latest_answers(a["id"])) == answered for a in attempts)

    # the coach's console counts all of them
    from toolkit.apps.coach import CoachApp

    coach = CoachApp(store=store, banks_dir=TEST_BANKS, join_url=office["url"], start_polling=False)
    coach.prepare.continue_button.click()
    assert coach.session["id"] == session["id"]
    coach.nav.value = "run"
    coach.refresh()
    board = coach.panels["run"].board.value
    assert int(re.search(r"id='tk-status-submitted'>(\d+)<", board).group(1)) == PHONES

    # both participant servers served pages: the proxy spread the phones
    served = Counter(m.group(1) for m in re.finditer(r'"GET /\?code=\S+ HTTP/1.1" 200 \d+ upstream=127\.0\.0\.1:(\d+)',
                                                     office["access_log"].read_text()))
    assert set(served) == {str(p) for p in office["ports"]} and sum(served.values()) == PHONES, served


def test_behind_the_proxy_the_kernel_counts_a_wrong_code_against_the_phones_address(office):
    """The proxy's X-Real-IP (trusted from loopback) is the address the page's kernel counts a wrong code
    against in the store, which every participant server shares (toolkit.store.throttle)."""
    from tornado.httpclient import AsyncHTTPClient

    from toolkit import schema

    store, code = office["store"], office["session"]["join_code"]
    wrong = next(c + code[1:] for c in "ABCDEFGHJK" if c != code[0])

    async def page():  # what nginx sends for a phone at 10.9.8.7
        response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{office['ports'][1]}/?code={wrong}",
                                                 headers={"X-Real-IP": "10.9.8.7"}, request_timeout=120)
        return response.code

    assert asyncio.run(page()) == 200
    deadline = time.monotonic() + 60
    keys: list = []
    while time.monotonic() < deadline and "10.9.8.7" not in keys:
        with store.engine.connect() as c:
            keys = [r.key for r in c.execute(sa.select(schema.throttle_events.c.key).where(
                schema.throttle_events.c.kind == "wrong_code"))]
        time.sleep(0.5)
    assert keys == ["10.9.8.7"]
