"""Serving a room within what the laptop holds: each phone's kernel knows the phone's address, kernels are
capped, a kernel whose page never connected is freed, only the server's own names are answered, and kernels
left by a hard-killed `toolkit serve` are ended on the next start.

Most tests run `python -m toolkit.voila_app` (as `toolkit serve` does, with the configuration
`serve.voila_config` writes) on a small probe notebook: its kernels are cheap, and the page shows what the
kernel saw."""

from __future__ import annotations

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
from conftest import free_port

from toolkit.serve import voila_config, voila_environment, wait_for_port

PROBE = """import os
from toolkit.apps.request import page_query_string

page_query_string()
print("CLIENT=" + os.environ.get("HTTP_X_TOOLKIT_CLIENT", "none") + "=")
"""


def start_probe(folder: Path, settings: dict, port: int) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "probe.ipynb")
    (folder / "voila.json").write_text(json.dumps(settings))
    with open(folder / "voila.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "toolkit.voila_app", "probe.ipynb"], cwd=folder,
                                env=voila_environment(dict(os.environ)), stdout=log, stderr=log,
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
    proc = start_probe(tmp_path_factory.mktemp("probe"), voila_config(port, "127.0.0.1", pool=1), port)
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
