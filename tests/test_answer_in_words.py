"""A matching answer in words: the same text on the phone's review, on the coach's group board and in the
type's own `describe`, in English and in Urdu. (#15: "the matching answer's text is empty on the phone or on
the group board" must break a test.)"""

from __future__ import annotations

from helpers import page_text
from test_participant_app import answer_every_question_and_submit, join

from toolkit import questions
from toolkit.apps.coach_groups import answer_text

ANSWER = {"internal": "police", "smuggling": "fia"}
ENGLISH = "Internal trafficking → Provincial police; Migrant smuggling → FIA"
URDU = "اندرونی اسمگلنگ → صوبائی پولیس; تارکینِ وطن کی اسمگلنگ → FIA"


def _matching(bank):
    return next(q for q in bank.questions if q.id == "agencies")


def test_the_type_says_each_item_with_the_option_matched_to_it(all_types_bank):
    q = _matching(all_types_bank)
    assert questions.describe(q, ANSWER, "en") == ENGLISH
    assert questions.describe(q, ANSWER, "ur") == URDU


def test_the_group_board_shows_the_matching_answer_in_words(all_types_bank):
    assert answer_text(_matching(all_types_bank), ANSWER) == ENGLISH
    assert answer_text(_matching(all_types_bank), None) == "–"


def test_the_phones_review_after_reveal_shows_the_matching_answer_in_words(session_with_pretest, all_types_bank):
    store, session, activity = session_with_pretest
    app = join(store, session)
    answer_every_question_and_submit(app, all_types_bank)
    store.reveal_activity(activity["id"])
    app.refresh()
    assert ENGLISH in page_text(app.body.children[0].value)
