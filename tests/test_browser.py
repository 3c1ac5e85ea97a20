"""Real-browser journeys: Playwright drives the system Chromium against a real `toolkit serve`."""

from __future__ import annotations

import json
import re

import pytest
from helpers import ROOT, TEST_BANKS
from playwright.sync_api import expect

from toolkit.bank import load_bank
from toolkit.live import activity_questions, answer_counts
from toolkit.store import Store

pytestmark = pytest.mark.browser


def phone(browser):
    """A phone of its own: a separate browser context, so that no personal link is shared."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_navigation_timeout(120_000)  # a loaded laptop: the page waits for a kernel
    return context.new_page()


def join_as(page, address: str, name: str) -> None:
    page.goto(address)
    page.get_by_placeholder("Leave empty to stay anonymous").fill(name)
    page.get_by_text("I understand and agree").click()
    page.get_by_role("button", name="Join").click()


def new_session(served, *activities):
    """A workshop and session of the test's own on the served store, with (bank, kind, case_study_id) activities."""
    store = Store(served["db"])
    workshop = store.add_workshop("Browser workshop")
    session = store.add_session(workshop["id"], "Day 1")
    made = [store.add_activity(session["id"], bank, kind, case_study_id=case) for bank, kind, case in activities]
    return store, session, made


def test_a_phone_joins_and_answers_and_the_coach_sees_the_count_change(served, browser):
    code = served["session"]["join_code"]
    coach = browser.new_page(viewport={"width": 1280, "height": 720})
    coach.goto(served["coach"])
    coach.get_by_role("button", name="Continue this session").click()
    expect(coach.locator("#tk-joined")).to_have_text("0", timeout=60_000)
    coach.get_by_role("button", name="Results").click()
    expect(coach.locator("td.tk-answered[data-question=consent]")).to_have_text("0")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"{served['participant']}?code={code}")
    phone.get_by_placeholder("Leave empty to stay anonymous").fill("Ayesha")
    phone.get_by_text("I understand and agree").click()
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)
    assert "token=" in phone.url  # the address now brings this person back

    expect(coach.locator("#tk-started")).to_have_text("1", timeout=10_000)
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
    attempt = store.get_attempt(store.current_activity(served["session"]["id"])["id"], participant["id"])
    assert store.latest_answers(attempt["id"]) == {"consent": True, "kiln": "tip"}


def test_every_question_type_then_submit_in_urdu_and_nothing_secret_reaches_the_page(served, browser):
    bank = load_bank(TEST_BANKS / "all-types.yaml")
    store, session, (quiz,) = new_session(served, (bank, "pretest", None))
    store.open_activity(quiz["id"])
    page = phone(browser)
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
        payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))))
    join_as(page, f"{served['participant']}?code={session['join_code']}", "Zara")
    expect(page.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)

    shown = iter(range(2, 10))

    def saved_then_next():
        expect(page.get_by_text("✓ Saved")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text(f"Question {next(shown)} of 9")).to_be_visible()

    page.get_by_role("button", name="True", exact=True).click()
    saved_then_next()
    page.get_by_role("button", name="Trafficking in persons (TIP)").click()
    saved_then_next()
    page.get_by_role("button", name="Smuggling of migrants").click()
    saved_then_next()
    for label in ("Act", "Means", "Purpose"):
        page.get_by_role("button", name=label, exact=True).click()
    saved_then_next()
    for label in ("Identify", "Screen", "Refer", "Protect and assist"):
        page.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_text("4. Protect and assist")).to_be_visible()
    saved_then_next()
    page.locator("select").nth(0).select_option(label="Provincial police")
    page.locator("select").nth(1).select_option(label="FIA")
    saved_then_next()
    page.get_by_placeholder("Type a number").fill("18")
    page.get_by_placeholder("Type a number").press("Enter")
    saved_then_next()
    page.get_by_role("button", name="Fairly confident").click()
    saved_then_next()
    page.get_by_placeholder("Type your answer").fill("More on <script>alert(1)</script> interviews")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("✓ Saved")).to_be_visible()
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_text("You answered 9 of 9 questions.")).to_be_visible()

    page.get_by_role("button", name="اردو").click()  # switch to Urdu on the review screen
    expect(page.get_by_text("آپ نے 9 میں سے 9 سوالات کے جواب دیے۔")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.tk-rtl')).direction") == "rtl"
    page.wait_for_function("document.fonts.check('20px \"Noto Nastaliq Urdu\"', 'سوال')", timeout=10_000)
    page.get_by_role("button", name="میرے جوابات جمع کریں").click()
    page.get_by_role("button", name="ہاں، جمع کریں").click()
    expect(page.get_by_text("شکریہ۔ آپ کے جوابات جمع ہو گئے ہیں۔")).to_be_visible()

    attempt = store.get_attempt(quiz["id"], store.session_participants(session["id"])[0]["id"])
    assert attempt["submitted_at"] is not None
    assert store.latest_answers(attempt["id"]) == {
        "consent": True, "kiln": "tip", "border": "som", "elements": ["act", "means", "purpose"],
        "nrm": ["identify", "screen", "refer", "protect"], "agencies": {"internal": "police", "smuggling": "fia"},
        "age": 18, "confident": "4", "comment": "More on <script>alert(1)</script> interviews"}

    # Everything the page received before the reveal: no key, no feedback, no score.
    everything = page.content() + "".join(received)
    secrets = [text for q in bank.questions for text in q.feedback.values()]
    secrets += [text for q in bank.questions for o in q.options for text in o.feedback.values()]
    assert len(received) > 20 and secrets
    leaked = [text for text in secrets if text in everything or json.dumps(text)[1:-1] in everything]
    assert leaked == []
    assert '"key"' not in everything and "آپ کا اسکور" not in everything


def test_two_phones_edit_one_group_answer_and_see_each_other(served, browser):
    cases = load_bank(ROOT / "question_banks" / "case-studies.yaml")
    kiln = cases.case_studies[0]
    store, session, (exercise,) = new_session(served, (cases, "case_study", kiln.id))
    address = f"{served['participant']}?code={session['join_code']}"
    amna, bilal = phone(browser), phone(browser)
    join_as(amna, address, "Amna")
    join_as(bilal, address, "Bilal")
    expect(bilal.get_by_text("Nothing is open yet")).to_be_visible(timeout=30_000)
    people = {p["display_name"]: p["id"] for p in store.session_participants(session["id"])}
    store.add_group(exercise["id"], "Group 1", [people["Amna"], people["Bilal"]])
    store.open_activity(exercise["id"])
    expect(amna.get_by_text("Your group: Group 1")).to_be_visible(timeout=10_000)
    expect(bilal.get_by_text("Your group: Group 1")).to_be_visible(timeout=10_000)

    tip = kiln.prompts[0].option("tip").text["en"]
    amna.get_by_role("button", name=tip).first.click()
    expect(bilal.get_by_text("Saved by Amna")).to_be_visible(timeout=10_000)
    expect(bilal.get_by_role("button", name=tip).first).to_have_class(re.compile("mod-active"))
    bilal.get_by_placeholder("Type your answer").fill("The advance grows and the family cannot leave: debt bondage.")
    bilal.get_by_role("button", name="Save").click()
    expect(amna.get_by_text("Saved by Bilal")).to_be_visible(timeout=10_000)
    expect(amna.get_by_placeholder("Type your answer")).to_have_value(
        "The advance grows and the family cannot leave: debt bondage.", timeout=10_000)
    group = store.get_group(exercise["id"], people["Amna"])
    latest = store.group_answers(group["id"])
    assert latest["classification"]["response"] == "tip" and latest["classification"]["display_name"] == "Amna"
    assert latest["reasoning"]["display_name"] == "Bilal"


def test_a_question_to_the_coach_is_sent_and_voted_from_another_phone(served, browser):
    store, session, _ = new_session(served)
    address = f"{served['participant']}?code={session['join_code']}"
    asker, voter = phone(browser), phone(browser)
    join_as(asker, address, "Sana")
    join_as(voter, address, "Tariq")
    asker.get_by_role("button", name="Ask the coach").click()
    asker.get_by_placeholder("Type a question for the coach").fill("Does a cousin's free help count as smuggling?")
    asker.get_by_text("Ask without my name").click()
    asker.get_by_role("button", name="Send").click()
    expect(asker.get_by_text("Sent.")).to_be_visible(timeout=10_000)
    voter.get_by_role("button", name="Ask the coach").click()
    expect(voter.get_by_text("Does a cousin's free help count as smuggling?")).to_be_visible(timeout=10_000)
    expect(voter.get_by_text("Anonymous")).to_be_visible()
    voter.get_by_role("button", name="▲ 0").click()
    expect(asker.get_by_role("button", name="▲ 1")).to_be_visible(timeout=10_000)
    assert store.room_questions(session["id"])[0]["votes"] == 1


def open_session_on_coach(browser, served, session):
    """The coach page at 1280×720 following this session."""
    coach = browser.new_page(viewport={"width": 1280, "height": 720})
    coach.set_default_navigation_timeout(120_000)
    coach.goto(served["coach"])
    picker = coach.locator("select").first
    picker.wait_for(timeout=60_000)
    labels = picker.evaluate("s => Array.from(s.options).map(o => o.textContent)")
    picker.select_option(index=next(i for i, text in enumerate(labels) if session["join_code"] in text))
    coach.get_by_role("button", name="Continue this session").click()
    expect(coach.locator("h1")).to_contain_text(f"code {session['join_code']}", timeout=30_000)
    return coach


def test_ten_phones_answer_and_the_coach_counts_and_charts_match_the_store(served, browser):
    bank = load_bank(TEST_BANKS / "all-types.yaml")
    store, session, (quiz,) = new_session(served, (bank, "pretest", None))
    store.open_activity(quiz["id"])
    coach = open_session_on_coach(browser, served, session)
    coach.get_by_role("button", name="Results").click()
    address = f"{served['participant']}?code={session['join_code']}"
    choices = []
    for i in range(10):
        page = phone(browser)
        join_as(page, address, f"Officer {i + 1}")
        expect(page.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="True" if i % 3 else "False", exact=True).click()
        expect(page.get_by_text("✓ Saved")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Question 2 of 9")).to_be_visible()
        kiln = ["Trafficking in persons (TIP)", "Smuggling of migrants (SOM)", "Both"][i % 3]
        page.get_by_role("button", name=kiln).click()
        expect(page.get_by_text("✓ Saved")).to_be_visible()
        choices.append(kiln)

    expect(coach.locator("#tk-started")).to_have_text("10", timeout=15_000)
    expect(coach.locator("td.tk-answered[data-question=kiln]")).to_have_text("10", timeout=15_000)
    answered, choices = answer_counts(activity_questions(store, quiz), store.activity_progress(quiz["id"]))
    for question_id in ("consent", "kiln"):
        expect(coach.locator(f"td.tk-answered[data-question={question_id}]")).to_have_text(
            str(answered[question_id]))
        for option, count in choices[question_id].items():
            shown = coach.locator(f"td.tk-dist[data-question={question_id}] [data-option='{option}'] .tk-count")
            expect(shown).to_have_text(str(count))
    assert choices["kiln"] == {"tip": 4, "som": 3, "both": 3}
    assert choices["consent"] == {"True": 6, "False": 4}
    coach.screenshot(path=str(served["data"] / "coach-results.png"), full_page=True)


def test_an_officer_on_the_roster_scans_her_card_and_joins_as_herself_in_one_tap(served, browser, tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    bank = load_bank(TEST_BANKS / "all-types.yaml")
    store, session, (quiz,) = new_session(served, (bank, "pretest", None))
    store.open_activity(quiz["id"])
    nominations = tmp_path / "nominations.csv"
    nominations.write_text("Full Name,Gender,Organization,Designation\nAyesha Khan,F,FIA,Inspector\n"
                           "Bilal Ahmed,M,Punjab Police,ASI\n", encoding="utf-8")
    data = ["--data", str(served["data"])]
    result = CliRunner().invoke(main, ["roster", "import", str(nominations), "--workshop",
                                       session["workshop_id"], "--yes", *data])
    assert "Added 2 people." in result.output, result.output
    codes = tmp_path / "codes.csv"
    CliRunner().invoke(main, ["roster", "list", "--workshop", session["workshop_id"], "--out", str(codes),
                              "--join-url", served["participant"], *data])
    rows = [line.split(",") for line in codes.read_text(encoding="utf-8-sig").splitlines()]
    address = next(r[rows[0].index("card address")] for r in rows if r[0] == "Ayesha Khan")  # what her QR holds

    page = phone(browser)
    page.goto(address)
    expect(page.get_by_text("Is this you?")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Ayesha Khan")).to_be_visible()
    expect(page.get_by_text("Inspector · FIA")).to_be_visible()
    page.get_by_text("I understand and agree").click()
    page.get_by_role("button", name="Yes, this is me").click()
    expect(page.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)
    assert "token=" in page.url and "card=" not in page.url  # a reload comes back as her, as for anyone

    [ayesha] = store.session_participants(session["id"])
    assert (ayesha["display_name"], ayesha["sex"], ayesha["organisation"], ayesha["rank"]) == \
        ("Ayesha Khan", "female", "FIA", "Inspector")
    assert ayesha["consent_at"] is not None


def test_an_open_box_counts_its_characters_while_typing_and_takes_no_more_than_its_limit(served, browser):
    bank = load_bank(TEST_BANKS / "all-types.yaml")
    store, session, (quiz,) = new_session(served, (bank, "pretest", None))
    store.open_activity(quiz["id"])
    page = phone(browser)
    join_as(page, f"{served['participant']}?code={session['join_code']}", "Nadia")
    for i in range(2, 10):  # on to the open question, answering nothing on the way
        expect(page.get_by_text(f"Question {i - 1} of 9")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Question 9 of 9")).to_be_visible()
    box = page.get_by_placeholder("Type your answer")
    expect(page.locator(".tk-count")).to_have_text("0 of 2000 characters")
    box.click()
    box.press_sequentially("Debt bondage")  # counted on the phone, before the kernel sees any of it
    expect(page.locator(".tk-count")).to_have_text("12 of 2000 characters")
    assert box.evaluate("e => e.maxLength") == 2000
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("✓ Saved")).to_be_visible()
    participant = [p for p in store.session_participants(session["id"]) if p["display_name"] == "Nadia"][0]
    assert store.latest_answers(store.get_attempt(quiz["id"], participant["id"])["id"]) == {"comment": "Debt bondage"}


def test_a_tap_while_the_store_is_locked_shows_saving_and_is_saved_by_the_kernel_once_it_is_free(served, browser):
    import sqlite3

    import sqlalchemy as sa

    bank = load_bank(TEST_BANKS / "all-types.yaml")
    store, session, (quiz,) = new_session(served, (bank, "pretest", None))
    store.open_activity(quiz["id"])
    page = phone(browser)
    join_as(page, f"{served['participant']}?code={session['join_code']}", "Sana")
    expect(page.get_by_text("Question 1 of 9")).to_be_visible(timeout=30_000)
    other = sqlite3.connect(store.sqlite_path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process holds the store's write lock
    try:
        page.get_by_role("button", name="True", exact=True).click()
        # well before the store's 30 s busy timeout: the kernel tried briefly and the page is not frozen
        expect(page.get_by_text("Saving…")).to_be_visible(timeout=10_000)
        page.get_by_role("button", name="True", exact=True).click()  # the same tap again: still chosen
        expect(page.get_by_text("Saving…")).to_be_visible()
    finally:
        other.execute("ROLLBACK")
        other.close()
    expect(page.get_by_text("✓ Saved")).to_be_visible(timeout=20_000)  # sent again by the kernel's polling loop
    participant = [p for p in store.session_participants(session["id"]) if p["display_name"] == "Sana"][0]
    attempt = store.get_attempt(quiz["id"], participant["id"])
    with store.read() as c:
        from toolkit import schema as t

        stored = c.execute(sa.select(t.answers.c.response).where(t.answers.c.attempt_id == attempt["id"])).all()
    assert [r.response for r in stored] == [True]
