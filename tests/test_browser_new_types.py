"""Real-browser journey of the two types added as one module each (#14): a word cloud that grows on the coach's
screen as three phones answer, then a short answer typed on a phone and scored once the coach reveals it."""

from __future__ import annotations

import pytest
from helpers import ROOT
from playwright.sync_api import expect
from test_browser import join_as, new_session, open_session_on_coach, phone

from toolkit.bank import load_bank

pytestmark = pytest.mark.browser


def test_a_word_cloud_grows_on_the_coach_screen_and_a_short_answer_is_scored_after_reveal(served, browser):
    words_bank = load_bank(ROOT / "question_banks" / "opening-words.yaml")
    short_bank = load_bank(ROOT / "tests" / "fixtures" / "banks" / "short-answer.yaml")
    store, session, (opening, short) = new_session(served, (words_bank, "check", None), (short_bank, "check", None))
    store.open_activity(opening["id"])
    coach = open_session_on_coach(browser, served, session)
    coach.get_by_role("button", name="Results").click()
    address = f"{served['participant']}?code={session['join_code']}"
    cloud = coach.locator("td.tk-dist[data-question='victim-needs-first'] .tk-cloud")

    phones = []
    for i, (words, safety) in enumerate(((["Safety"], 1), (["safety ", "تحفظ"], 2), (["Shelter", "SAFETY"], 3))):
        page = phone(browser)
        join_as(page, address, f"Officer {i + 1}")
        boxes = page.get_by_placeholder("A word or a short phrase")
        expect(boxes.first).to_be_visible(timeout=30_000)
        for j, word in enumerate(words):
            boxes.nth(j).fill(word)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("✓ Saved")).to_be_visible()
        expect(cloud.locator("[data-word='safety']")).to_have_attribute("data-count", str(safety), timeout=15_000)
        phones.append(page)
    expect(cloud.locator("[data-word='تحفظ']")).to_have_text("تحفظ")
    assert cloud.locator("[data-word='تحفظ']").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert cloud.evaluate("e => Array.from(e.querySelectorAll('.tk-word')).map(w => w.dataset.word)") == [
        "safety", "shelter", "تحفظ"]

    store.open_activity(short["id"])  # the coach moves on: every phone follows
    page = phones[0]
    box = page.get_by_placeholder("Type your answer")
    expect(box).to_be_visible(timeout=30_000)
    box.fill("  F.I.A  ")
    box.fill("fia")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("✓ Saved")).to_be_visible()
    assert box.evaluate("e => e.maxLength") == 40
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("button", name="Yes, submit").click()
    expect(page.get_by_text("Thank you. Your answers are submitted.")).to_be_visible()
    assert "Your score" not in page.content()
    store.reveal_activity(short["id"])
    expect(page.get_by_text("Your score: 1 of 1 (100%)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("internal trafficking is for the provincial police", exact=False)).to_be_visible()
    participant = next(p for p in store.session_participants(session["id"]) if p["display_name"] == "Officer 1")
    assert store.latest_answers(store.get_attempt(short["id"], participant["id"])["id"]) == {"agency": "fia"}
