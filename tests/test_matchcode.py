"""Self-generated codes: only hashes are stored, and one differing element can still be matched."""

import re

import pytest

from toolkit.matchcode import MatchCodeError, differ_in_at_most_one, match_code_hash, same_code

AYESHA = {"mother": "Rukhsana", "birthday": "14", "district": "Quetta", "siblings": "2"}


def test_the_stored_form_holds_no_answer_and_fits_the_column():
    stored = match_code_hash(AYESHA)
    assert len(stored) == 64
    assert re.fullmatch(r"([0-9a-f]{12}\.){4}[0-9a-f]{12}", stored)  # five digests, no answer in clear


def test_the_same_answers_written_differently_give_the_same_code():
    assert same_code(match_code_hash(AYESHA),
                     match_code_hash({"mother": " r", "birthday": "14 ", "district": "q", "siblings": "02"}))


def test_one_differing_element_matches_tolerantly_two_do_not():
    one_off = match_code_hash({**AYESHA, "siblings": "3"})
    two_off = match_code_hash({**AYESHA, "siblings": "3", "birthday": "15"})
    base = match_code_hash(AYESHA)
    assert not same_code(base, one_off)
    assert differ_in_at_most_one(base, one_off)
    assert not differ_in_at_most_one(base, two_off)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("birthday", "32", "between 1 and 31"), ("birthday", "fourteen", "give a number"),
    ("mother", " ", "one letter"), ("siblings", "-1", "between 0 and 40"),
])
def test_answers_that_cannot_be_a_code_say_what_to_fix(field, value, message):
    with pytest.raises(MatchCodeError, match=message):
        match_code_hash({**AYESHA, field: value})
