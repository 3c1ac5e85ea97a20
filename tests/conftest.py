"""Shared fixtures: a store on SQLite (and on PostgreSQL when TOOLKIT_TEST_POSTGRES names one), banks, a served app."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import POSTGRES_URL, ROOT, TEST_BANKS, free_port, stop_tree

from toolkit import config, schema
from toolkit.bank import load_bank
from toolkit.store import Store, normalise_url

# The notebooks run under nbval in kernels that inherit this environment: give them a store of their own.
_NOTEBOOK_DATA = tempfile.mkdtemp(prefix="toolkit-nbval-")
os.environ.setdefault("TOOLKIT_DB", f"sqlite:///{_NOTEBOOK_DATA}/toolkit.db")
# A PostgreSQL store keeps its matching key and certificate secret in the data folder: not in the checkout.
os.environ.setdefault("TOOLKIT_DATA", _NOTEBOOK_DATA)


@pytest.fixture(scope="session")
def case_bank():
    """The shipped case studies (English and Urdu), as groups work on them."""
    return load_bank(ROOT / "question_banks" / "case-studies.yaml")


@pytest.fixture
def all_types_bank():
    return load_bank(TEST_BANKS / "all-types.yaml")


@pytest.fixture(scope="session")
def postgres_url():
    """A schema of this test run's own in the PostgreSQL database, so that concurrent runs never meet."""
    if not POSTGRES_URL:
        pytest.skip("set TOOLKIT_TEST_POSTGRES=postgresql://… to run the store's tests on PostgreSQL")
    name = f"toolkit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(normalise_url(POSTGRES_URL))
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{name}"
    with engine.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """The same tests on both databases; PostgreSQL runs when TOOLKIT_TEST_POSTGRES is set (CI sets it)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path}/toolkit.db")
    else:
        url = request.getfixturevalue("postgres_url")
        engine = sa.create_engine(normalise_url(url))
        with engine.begin() as c:
            schema.metadata.drop_all(c)
        engine.dispose()
        s = Store(url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store(f"sqlite:///{tmp_path}/toolkit.db")
    yield s
    s.close()


@pytest.fixture
def session_with_pretest(store, all_types_bank):
    """A workshop whose session has the all-types pre-test open; returns (store, session, activity)."""
    workshop = store.add_workshop("Test workshop", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    activity = store.add_activity(session["id"], all_types_bank, "pretest")
    store.open_activity(activity["id"])
    return store, session, store.find_activity(activity["id"])


# ---------------------------------------------------------------- a real `toolkit serve` and a real browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`toolkit serve` on free ports, on a store seeded with the demo built from the test bank.

    Its output goes to serve.log in its data folder (a pipe nobody reads would stop the servers once full); a
    test that fails with it gets the server's account of that moment in its report (`served_account`)."""
    from toolkit.demo import seed_demo
    from toolkit.serve import wait_for_port

    data = tmp_path_factory.mktemp("served")
    store = Store(config.sqlite_url(data))
    session = seed_demo(store, TEST_BANKS)
    store.close()
    port, coach_port = free_port(), free_port()
    log = open(data / "serve.log", "wb")  # noqa: SIM115 - open for the servers' whole life, closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "serve", "--data", str(data), "--banks", str(TEST_BANKS),
         "--port", str(port), "--coach-port", str(coach_port), "--host", "127.0.0.1", "--expect", "3"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, 90) and wait_for_port(coach_port, 90), "toolkit serve did not start"
        token = (data / "coach-token").read_text().strip()
        yield {"participant": f"http://127.0.0.1:{port}/", "coach": f"http://127.0.0.1:{coach_port}/?token={token}",
               "coach_bare": f"http://127.0.0.1:{coach_port}/", "session": session, "db": config.sqlite_url(data),
               "port": port, "coach_port": coach_port, "data": data, "process": proc, "log": data / "serve.log"}
    finally:
        stop_tree(proc)
        log.close()


def served_account(served: dict, lines: int = 200) -> str:
    """What the served participant server is doing now: its state dump (pool, kernels, pages being sent, every
    task's await chain; toolkit.voila_app.StateDump), the stacks of its kernels (py-spy, where installed), and
    the end of the servers' log."""
    import psutil

    def cmdline(p: psutil.Process) -> str:
        try:
            return " ".join(p.cmdline())
        except psutil.Error:
            return ""

    out = []
    try:
        servers = psutil.Process(served["process"].pid).children()
    except psutil.Error:
        servers = []
    for server in (p for p in servers if "participant.ipynb" in cmdline(p)):
        with contextlib.suppress(psutil.Error):
            server.send_signal(signal.SIGUSR1)
        time.sleep(2)  # the dump is written from the server's event loop
        spy = shutil.which("py-spy")
        kernels = [k for k in server.children(recursive=True) if "ipykernel" in cmdline(k)]
        for pid in ([server.pid] + [k.pid for k in kernels]) if spy else []:
            run = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60)
            out.append(f"py-spy dump --pid {pid}:\n{run.stdout[-4000:]}{run.stderr[-500:]}")
    text = served["log"].read_text(errors="replace").splitlines() if served["log"].exists() else []
    return "\n".join(out + [f"--- the last {lines} lines of {served['log']}"] + text[-lines:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the served app reports what the server was doing when it failed."""
    outcome = yield
    report = outcome.get_result()
    served = getattr(item, "funcargs", {}).get("served")
    if served is not None and report.when == "call" and report.failed:
        try:
            report.sections.append(("toolkit serve when the test failed", served_account(served)))
        except Exception as e:  # noqa: BLE001 - the account must not hide the failure itself
            report.sections.append(("toolkit serve when the test failed", f"no account: {e!r}"))


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, driven by Playwright. In CI a missing Chromium fails: .ci/run installs it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError("/usr/bin/chromium is missing; the browser journeys must run in CI")
        pytest.skip("the browser journeys need /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


# ------------------------------------------------------------------ the demo series (facilitator's tools)


def open_series(tmp_path_factory) -> Store:
    """A copy of the demo series, seeded once per test run: every test module that needs it opens its own."""
    from toolkit.demo import series_database

    cache = tmp_path_factory.getbasetemp() / "demo-series-cache"
    return Store(series_database(cache, tmp_path_factory.mktemp("demo-series") / "toolkit.db"))


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    store = open_series(tmp_path_factory)
    yield store
    store.close()


@pytest.fixture(scope="module")
def results(series):
    from toolkit.results import load_results

    return load_results(series)
