"""Real-browser journeys: Playwright drives the system Chromium against a real `toolkit serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_BANKS

from toolkit import config
from toolkit.demo import seed_demo
from toolkit.serve import wait_for_port
from toolkit.store import Store

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():  # in CI this is a failure, never a skip: .ci/run installs Chromium
    if os.environ.get("CI"):
        raise RuntimeError("/usr/bin/chromium is missing; the browser journeys must run in CI")
    pytest.skip("the browser journeys need /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`toolkit serve` on free ports, on a store seeded with the demo built from the test bank."""
    data = tmp_path_factory.mktemp("served")
    store = Store(config.sqlite_url(data))
    session = seed_demo(store, TEST_BANKS)
    store.close()
    port, coach_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "serve", "--data", str(data), "--banks", str(TEST_BANKS),
         "--port", str(port), "--coach-port", str(coach_port), "--host", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for_port(port, 90) and wait_for_port(coach_port, 90), "toolkit serve did not start"
        yield {"participant": f"http://127.0.0.1:{port}/", "coach": f"http://127.0.0.1:{coach_port}/",
               "session": session, "db": config.sqlite_url(data)}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def test_a_phone_joins_and_answers_and_the_coach_sees_the_count_change(served, browser):
    code = served["session"]["join_code"]
    coach = browser.new_page(viewport={"width": 1280, "height": 720})
    coach.goto(served["coach"])
    coach.get_by_role("button", name="Continue this session").click()
    expect(coach.locator("#tk-joined")).to_have_text("0", timeout=60_000)
    expect(coach.locator("td.tk-answered[data-question=consent]")).to_have_text("0")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"{served['participant']}?code={code}")
    phone.get_by_placeholder("Leave empty to stay anonymous").fill("Ayesha")
    phone.get_by_text("I understand and agree").click()
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)
    assert "token=" in phone.url  # the address now brings this person back

    expect(coach.locator("#tk-joined")).to_have_text("1", timeout=10_000)
    phone.get_by_role("button", name="True", exact=True).click()
    expect(phone.get_by_text("✓ Saved")).to_be_visible()
    expect(coach.locator("td.tk-answered[data-question=consent]")).to_have_text("1", timeout=10_000)

    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("button", name="Trafficking in persons (TIP)").click()
    expect(phone.get_by_text("✓ Saved")).to_be_visible()
    expect(coach.locator("td.tk-answered[data-question=kiln]")).to_have_text("1", timeout=10_000)

    phone.reload()  # a reload resumes at the same question with the answer in place
    expect(phone.get_by_text("Question 2 of 9")).to_be_visible(timeout=30_000)
    expect(phone.get_by_text("✓ Saved")).to_be_visible()

    store = Store(served["db"])
    participant = store.session_participants(served["session"]["id"])[0]
    attempt = store.find_attempt(store.current_activity(served["session"]["id"])["id"], participant["id"])
    assert store.latest_answers(attempt["id"]) == {"consent": True, "kiln": "tip"}
