"""What reaches the phone's browser when a text box is bounded in the kernel: the cut text and its counter."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_browser import phone

from toolkit.store import Store

pytestmark = pytest.mark.browser


def test_a_name_typed_past_its_limit_is_cut_in_the_box_and_the_counter_says_so(served, browser):
    store = Store(served["db"])
    workshop = store.add_workshop("Bounds workshop")
    session = store.add_session(workshop["id"], "Day 1")
    page = phone(browser)
    page.goto(f"{served['participant']}?code={session['join_code']}")
    box = page.get_by_placeholder("Leave empty to stay anonymous")
    counter = page.locator(".tk-count").first  # the name's: the first box of the form
    expect(counter).to_have_text("0/100", timeout=60_000)
    box.fill("A" * 150)  # a paste: the whole text reaches the kernel at once
    expect(box).to_have_value("A" * 100, timeout=10_000)  # the kernel's cut came back to the box
    expect(counter).to_have_text("100/100")
    box.press("End")
    box.type("BC")  # typing on at the limit changes nothing
    expect(box).to_have_value("A" * 100)
    page.get_by_text("I understand and agree").click()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("Welcome")).to_be_visible(timeout=30_000)
    assert [p["display_name"] for p in store.session_participants(session["id"])] == ["A" * 100]
    store.close()
