"""The word-cloud type (toolkit/questions/wordcloud.py): three words from each phone, a live cloud for the coach,
words hidden from the projector, the top words in the report."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from helpers import ROOT
from test_coach_app import coach, phone

from toolkit import questions
from toolkit.bank import load_bank
from toolkit.limits import TEXT_LIMITS
from toolkit.report import analyse, render_report
from toolkit.results import load_results

BANK = ROOT / "question_banks" / "opening-words.yaml"


@pytest.fixture
def opening(store):
    bank = load_bank(BANK)
    workshop = store.add_workshop("Identification, Quetta", place="Quetta")
    session = store.add_session(workshop["id"], "Day 1")
    activity = store.add_activity(session["id"], bank, "check")
    store.open_activity(activity["id"])
    return store, session, store.find_activity(activity["id"]), bank


def _send(p, *words):
    for box, word in zip(p.input.boxes, words, strict=False):
        box.value = word


def _words(html: str) -> dict[str, int]:
    return {w: int(n) for w, n in re.findall(r"data-word='([^']*)' data-count='(\d+)'", html)}


class _TopWords(HTMLParser):
    """The report's lists of top words (ol.words): each item's text, and the word's own direction (dir)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[list[str]] = []
        self._in_list = False
        self._dir: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "ol" and "words" in (a.get("class") or "").split():
            self._in_list = True
        elif tag == "li" and self._in_list:
            self.items.append(["", ""])
        elif tag == "span" and self._in_list:
            self.items[-1][1] = a.get("dir") or ""

    def handle_endtag(self, tag):
        if tag == "ol":
            self._in_list = False

    def handle_data(self, data):
        if self._in_list and self.items:
            self.items[-1][0] += data


def top_words_shown(page: str) -> list[tuple[str, str]]:
    parser = _TopWords()
    parser.feed(page)
    return [(text, direction) for text, direction in parser.items]


def test_the_phone_sends_up_to_three_bounded_words(opening):
    store, session, _activity, _bank = opening
    p = phone(store, session, "Ayesha")
    assert len(p.input.boxes) == 3
    assert "Not answered yet" in p.status.value
    p.input.boxes[0].value = "x" * (TEXT_LIMITS["word"] + 9)
    assert p.input.boxes[0].value == "x" * TEXT_LIMITS["word"]
    _send(p, "Safety", "  a   safe place ", "")
    assert "Saved" in p.status.value
    assert store.latest_answers(p.attempt["id"]) == {"victim-needs-first": ["Safety", "a safe place"]}


def test_the_coach_sees_a_live_cloud_and_hides_a_word_from_the_projector(opening):
    store, session, activity, _bank = opening
    app = coach(store)
    app.prepare.continue_button.click()
    results, presenter = app.panels["results"], app.panels["presenter"]
    _send(phone(store, session, "Ayesha"), "Safety", "Trust")
    results.refresh()
    assert _words(results.questions.value) == {"safety": 1, "trust": 1}
    _send(phone(store, session, "Bilal"), "safety ", "تحفظ")
    _send(phone(store, session, "Chand"), "SAFETY", "تَحفظ", "idiot")  # the same Urdu word with a zabar
    results.refresh()
    cloud = results.questions.value
    assert _words(cloud) == {"safety": 3, "تحفظ": 2, "trust": 1, "idiot": 1}
    assert "class='tk-cloud' dir='auto'" in cloud and "dir='auto' data-word='تحفظ'" in cloud
    sizes = dict(re.findall(r"data-word='([^']*)' data-count='\d+' style='font-size:([\d.]+)em'", cloud))
    assert float(sizes["safety"]) > float(sizes["تحفظ"]) > float(sizes["trust"])

    presenter.refresh()
    assert presenter.words.layout.display is None
    presenter.word.value = "idiot"
    presenter.hide.click()
    assert "idiot" not in _words(presenter.view.value) and _words(presenter.view.value)["safety"] == 3
    results.refresh()
    assert "tk-word tk-hidden-word' dir='auto' data-word='idiot'" in results.questions.value  # the coach still sees it
    again = coach(store)  # a reload of the coach's page keeps it hidden
    again.prepare.continue_button.click()
    again.panels["presenter"].refresh()
    assert "idiot" not in _words(again.panels["presenter"].view.value)
    presenter.word.value = "idiot"
    presenter.unhide.click()
    assert _words(presenter.view.value)["idiot"] == 1


def test_the_report_shows_the_top_words(opening):
    store, session, _activity, _bank = opening
    for name, words in (("A", ("Safety", "Trust")), ("B", ("safety", "Medical care")), ("C", ("Safety ",))):
        _send(phone(store, session, name), *words)
    results = load_results(store)
    top = analyse(results, n_resamples=200)["top_words"]
    assert list(top.itertuples(index=False, name=None)) == [
        ("victim-needs-first", "Safety", 3), ("victim-needs-first", "Medical care", 1),
        ("victim-needs-first", "Trust", 1)]
    page = render_report(results)
    assert "what does a victim of trafficking need first?" in page
    # each word with how many people sent it; a word set in its own direction (an Urdu word in English text)
    assert top_words_shown(page) == [("Safety (3)", "auto"), ("Medical care (1)", "auto"), ("Trust (1)", "auto")]


def test_a_word_cloud_is_not_scored_and_counts_as_answered_with_one_word():
    q = load_bank(BANK).question("victim-needs-first")
    assert not q.scored and questions.kind(q.type).cloud
    assert questions.answered(q, ["safety"]) and not questions.answered(q, ["", "  "])
    assert questions.describe(q, ["Safety", "safety", "Trust"]) == "Safety, Trust"
