"""The participant page in a real browser in each direction: <html lang dir> follow the participant's language,
the bundled Naskh font draws Pashto and Dari, and nothing runs past the edge of a 360 or 390 px phone."""

from __future__ import annotations

import pytest
from helpers import TEST_BANKS
from playwright.sync_api import expect

from toolkit import languages
from toolkit.bank import load_bank
from toolkit.store import Store
from toolkit.texts import t

pytestmark = pytest.mark.browser

EVERY_PROFILE_FIELD = {"sex": "optional", "organisation": "optional", "rank": "optional", "province": "optional"}
# Every box, switch and button of the page must lie within the app's content box (the app clips what runs past
# it: a text box's border was cut off) and so within the phone's screen.
OUTSIDE = """() => {
  const app = document.querySelector('.tk-app'), style = getComputedStyle(app), box = app.getBoundingClientRect();
  const left = Math.max(0, box.left + parseFloat(style.paddingLeft));
  const right = Math.min(document.documentElement.clientWidth, box.right - parseFloat(style.paddingRight));
  return [...app.querySelectorAll('input, textarea, select, button')]
    .filter(e => e.offsetParent !== null)
    .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
    .filter(([_html, r]) => r.right > right + 0.5 || r.left < left - 0.5)
    .map(([html, r]) => `${html}: ${Math.round(r.left)}..${Math.round(r.right)} (room ${left}..${right})`);
}"""


def phone(browser, width: int = 390):
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_navigation_timeout(120_000)  # a loaded laptop: the page waits for a kernel
    return context.new_page()


@pytest.fixture(scope="module")
def open_session(served):
    """A workshop that asks every profile question, with the all-types bank (English and Urdu) open."""
    store = Store(served["db"])
    workshop = store.add_workshop("Languages workshop", profile_fields=EVERY_PROFILE_FIELD)
    session = store.add_session(workshop["id"], "Day 1")
    quiz = store.add_activity(session["id"], load_bank(TEST_BANKS / "all-types.yaml"), "pretest")
    store.open_activity(quiz["id"])
    return session


def test_a_pashto_page_on_a_phone_is_right_to_left_in_pashto_and_follows_a_switch_to_english(served, browser,
                                                                                               open_session):
    page = phone(browser)
    page.goto(f"{served['participant']}?code={open_session['join_code']}&lang=ps")
    expect(page.get_by_placeholder(t("name_help", "ps"))).to_be_visible(timeout=60_000)
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ps", "rtl"]
    page.wait_for_function("document.fonts.check('20px \"Noto Naskh Arabic\"', 'پښتو')", timeout=10_000)
    assert page.evaluate("getComputedStyle(document.querySelector('.tk-app .widget-html-content')).fontFamily") \
        .startswith('"Noto Naskh Arabic"')
    # the switch offers the languages of the session's bank (and the page's own), each by its name in itself
    names = page.locator(".tk-language button").all_inner_texts()
    assert names == [languages.find(c).name for c in ("en", "ur", "ps")]
    page.get_by_role("button", name="English").click()
    expect(page.get_by_placeholder(t("name_help", "en"))).to_be_visible()
    page.wait_for_function("document.documentElement.dir === 'ltr'", timeout=10_000)
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("button", name="اردو").click()
    page.wait_for_function("document.documentElement.lang === 'ur' && document.documentElement.dir === 'rtl'",
                           timeout=10_000)
    page.context.close()


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("lang", ["en", "ps"])
def test_no_box_or_button_runs_past_the_edge_of_a_phone(served, browser, open_session, width, lang):
    page = phone(browser, width)
    page.goto(f"{served['participant']}?code={open_session['join_code']}&lang={lang}")
    name_box = page.get_by_placeholder(t("name_help", lang))
    expect(name_box).to_be_visible(timeout=60_000)
    page.get_by_text(t("code_title", lang)).click()  # the matching code's boxes, too
    expect(page.get_by_text(t("match_siblings", lang))).to_be_visible()
    assert page.evaluate(OUTSIDE) == [], "the join form"
    name_box.fill("Gul")
    page.get_by_text(t("agree", lang)).click()
    page.get_by_role("button", name=t("join", lang)).click()
    expect(page.get_by_text(t("question_of", lang, i=1, n=9))).to_be_visible(timeout=30_000)
    assert page.evaluate(OUTSIDE) == [], "a question with choices"
    for i in range(2, 10):  # on to the last question: an open answer's text box
        page.get_by_role("button", name=t("next", lang)).click()
        expect(page.get_by_text(t("question_of", lang, i=i, n=9))).to_be_visible()
        if i in (6, 7, 9):  # matching (drop-downs), numeric (a box), open (a text area)
            assert page.evaluate(OUTSIDE) == [], f"question {i}"
    page.get_by_role("button", name=t("review", lang)).click()
    expect(page.get_by_text(t("answered_n", lang, a=0, n=9))).to_be_visible()
    assert page.evaluate(OUTSIDE) == [], "the review"
    page.get_by_role("button", name=t("tab_room", lang)).click()
    expect(page.get_by_placeholder(t("ask_placeholder", lang))).to_be_visible()
    assert page.evaluate(OUTSIDE) == [], "asking the coach"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.context.close()
