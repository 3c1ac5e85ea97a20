"""A page that does not show the app recovers by itself: after 20 s without progress (or 60 s at all) it reloads
once, at the same address (the participant's token stays), saying so in the participant's language; a second time it only says so.

The script is the template's own (toolkit/share/jupyter/voila/templates/toolkit/recover.js) with the texts the
server gives it (WorkshopVoila._page_resources); the pages around it are made up here and served to Chromium
by Playwright's routing, and Playwright's clock stands in for the 20 s."""

from __future__ import annotations

import json

import pytest

from toolkit import config, languages
from toolkit.apps.texts import T
from toolkit.voila_app import RECOVERY_TEXTS

pytestmark = pytest.mark.browser

SCRIPT = (config.PACKAGE_DIR / "share" / "jupyter" / "voila" / "templates" / "toolkit" / "recover.js").read_text()
SITE = "http://toolkit.test/"
HUNG = "<div id='loading'><h2>Running participant...</h2></div>"
APP = "<div class='tk-app tk-participant tk-lang-{lang}'>Join the session</div>"
GROWING = HUNG + "<script>setInterval(function () { document.body.appendChild(document.createElement('i')); }, 10000)</script>"


def page_html(body: str) -> str:
    texts = json.dumps({key: T[key] for key in RECOVERY_TEXTS})
    return (f"<!doctype html><html><head><script id='tk-recovery-texts' type='application/json'>{texts}</script>"
            f"<script id='tk-languages' type='application/json'>{json.dumps(languages.for_page())}</script>"
            f"<script>{SCRIPT}</script></head><body>{body}</body></html>")


class Site:
    """Answers each page request with the next body of `bodies` (the last one again when they run out)."""

    def __init__(self, context, *bodies: str):
        self.bodies, self.requests = list(bodies), []
        context.route(f"{SITE}**", self.answer)

    def answer(self, route):
        self.requests.append(route.request.url)
        body = self.bodies.pop(0) if len(self.bodies) > 1 else self.bodies[0]
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html(body))


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context
    context.close()


def hold_clock(page) -> None:
    """Playwright's clock, still until the test moves it: no timer fires on its own, however slowly this machine
    loads the page (with the clock running, a reload could come before the test looked)."""
    page.clock.install(time=1_000_000)
    page.clock.pause_at(1_001_000)


def recovery_lines(page) -> list[tuple[str, str]]:
    lines = page.eval_on_selector_all("#tk-recovery p", "ps => ps.map(p => [p.lang, p.textContent, p.dir])")
    assert [d for _lang, _text, d in lines] == [languages.direction(lang) for lang, _text, _d in lines]  # its own way
    return [(lang, text) for lang, text, _dir in lines]


def test_a_page_that_does_not_open_reloads_once_at_its_address_and_says_so_in_urdu(context):
    site = Site(context, HUNG, APP.format(lang="ur"))
    page = context.new_page()
    hold_clock(page)
    address = f"{SITE}?code=ABC123&token=t-42&lang=ur"
    page.goto(address)
    page.clock.run_for(19_000)
    assert len(site.requests) == 1 and recovery_lines(page) == []  # not yet: 20 s without progress
    page.clock.run_for(2_000)
    assert recovery_lines(page) == [("ur", T["page_reloading"]["ur"])]
    with page.expect_navigation():
        page.clock.run_for(2_000)
    page.locator(".tk-app").wait_for()
    page.clock.run_for(1_000)  # the script's next look
    assert site.requests == [address, address]  # the same address: the token stays
    assert page.evaluate("sessionStorage.getItem('toolkit.reloaded')") is None  # shown: the flag is cleared
    assert page.locator("#tk-recovery").count() == 0


def test_a_page_that_still_does_not_open_is_not_reloaded_again_and_says_so_in_every_language(context):
    site = Site(context, HUNG)
    page = context.new_page()
    hold_clock(page)
    page.goto(f"{SITE}?token=t-7")  # no language in the address, none remembered by this phone
    with page.expect_navigation():
        page.clock.run_for(23_000)
    page.wait_for_load_state()
    page.clock.run_for(1_000)
    assert recovery_lines(page) == [(lang, T["page_reloading"][lang]) for lang in languages.codes()]  # why it reopened
    page.clock.run_for(60_000)
    assert len(site.requests) == 2  # once only
    assert recovery_lines(page) == [(lang, T["page_still_closed"][lang]) for lang in languages.codes()]


def test_the_line_is_in_the_language_the_app_last_showed_on_this_phone(context):
    Site(context, APP.format(lang="ur"), HUNG)
    page = context.new_page()
    hold_clock(page)
    page.goto(f"{SITE}?code=ABC123")
    page.locator(".tk-app").wait_for()
    page.clock.run_for(1_000)
    page.goto(f"{SITE}?code=ABC123&token=t-9")  # the next page does not open
    page.clock.run_for(21_000)
    assert recovery_lines(page) == [("ur", T["page_reloading"]["ur"])]


def test_a_page_still_arriving_is_reloaded_only_after_a_minute(context):
    """Voila's heartbeat while a kernel of the page's own starts on a busy laptop is progress, not a hang; a page
    that keeps arriving for a minute without the app is reloaded all the same (the reload takes a warm kernel)."""
    site = Site(context, GROWING, APP.format(lang="en"))
    page = context.new_page()
    hold_clock(page)
    page.goto(f"{SITE}?code=ABC123&lang=en")
    page.clock.run_for(59_000)
    assert len(site.requests) == 1 and recovery_lines(page) == []
    page.clock.run_for(2_000)
    assert recovery_lines(page) == [("en", T["page_reloading"]["en"])]
    with page.expect_navigation():
        page.clock.run_for(2_000)
    page.locator(".tk-app").wait_for()
    assert len(site.requests) == 2


def test_a_page_the_server_ended_reloads_at_once_and_says_so(context):
    """The server ends a page it could not send in time (LimitedPageHandler, PAGE_LIMIT_S) with page_ended():
    the page reloads once at its address without waiting for its own 20 s."""
    from toolkit.voila_app import page_ended

    site = Site(context, HUNG + page_ended("ur", part=True), APP.format(lang="ur"))
    page = context.new_page()
    hold_clock(page)
    address = f"{SITE}?token=t-3&lang=ur"
    page.goto(address)
    assert recovery_lines(page) == [("ur", T["page_reloading"]["ur"])]
    with page.expect_navigation():
        page.clock.run_for(2_000)
    page.locator(".tk-app").wait_for()
    assert site.requests == [address, address]
