"""Self-generated codes: only digests are stored, one differing element can still be matched, and nobody holding
the store or a bundle without the workshop's key reads the answers back."""

import hashlib
import re
import string
from itertools import product

import pytest
from helpers import KEY, QUICK_CODES, TEST_BANKS

from toolkit.analysis import EXACT_CODE, TOLERANT_CODE, match_by_code
from toolkit.apps.participant import ParticipantApp
from toolkit.bank import load_bank
from toolkit.bundle import export_bundle, import_bundle
from toolkit.matchcode import (
    KEY_FILE,
    MatchCodeError,
    differ_in_at_most_one,
    digests,
    key_id,
    match_code_hash,
    normalise,
    read_key,
    workshop_key,
)
from toolkit.results import load_results
from toolkit.store import Store

AYESHA = {"mother": "Rukhsana", "birthday": "14", "district": "Quetta", "siblings": "2"}


def quick(answers, key=KEY):
    return match_code_hash(answers, key, cost=QUICK_CODES)


def test_the_stored_form_holds_no_answer_and_fits_the_column():
    stored = match_code_hash(AYESHA, KEY)  # at the real cost
    assert len(stored) <= 64
    assert re.fullmatch(r"[0-9a-f]{8}(\.[0-9a-f]{10}){5}", stored)  # the key's id and five digests, no answer
    assert stored.split(".")[0] == key_id(KEY)


def test_the_same_answers_written_differently_give_the_same_code():
    assert digests(quick(AYESHA))[0] == digests(
        quick({"mother": " r", "birthday": "14 ", "district": "q", "siblings": "02"}))[0]


def test_one_differing_element_matches_tolerantly_two_do_not():
    base, one_off = quick(AYESHA), quick({**AYESHA, "siblings": "3"})
    two_off = quick({**AYESHA, "siblings": "3", "birthday": "15"})
    assert digests(base)[0] != digests(one_off)[0]
    assert differ_in_at_most_one(base, one_off)
    assert not differ_in_at_most_one(base, two_off)


def test_codes_of_another_key_and_codes_stored_before_keys_never_match_a_code_of_this_key():
    other = bytes(32)
    assert not differ_in_at_most_one(quick(AYESHA), quick(AYESHA, other))
    legacy = ".".join(["0123456789ab"] * 5)  # the form codes had before the key (five 12-hex digests)
    assert digests(legacy) == ["legacy:0123456789ab"] * 5
    assert not differ_in_at_most_one(legacy, quick(AYESHA)) and differ_in_at_most_one(legacy, legacy)
    assert digests("not a code") is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("birthday", "32", "between 1 and 31"), ("birthday", "fourteen", "give a number"),
    ("mother", " ", "one letter"), ("siblings", "-1", "between 0 and 40"),
])
def test_answers_that_cannot_be_a_code_say_what_to_fix(field, value, message):
    with pytest.raises(MatchCodeError, match=message):
        quick({**AYESHA, field: value})


# ------------------------------------------------------------------ reading a code back


LETTERS = string.ascii_lowercase
ANSWER_SPACE = (LETTERS, [str(d) for d in range(1, 32)], LETTERS, [str(n) for n in range(41)])


def _legacy_code(parts):
    """How codes were made before the key (the salt was in the source), as an attacker would compute them."""
    def digest(p):
        return hashlib.sha256("|".join(["toolkit-match-code-v1", *p]).encode()).hexdigest()[:12]
    return ".".join([digest(parts)] + [digest([x if j != i else "*" for j, x in enumerate(parts)])
                                       for i in range(4)])


def _attack(stored: str, candidate_digests, budget: int) -> tuple | None:
    """Try every answer of the whole space (normalised, as the phone stores them) against the whole code's digest,
    with every way of computing it that the attacker knows; at most `budget` tries."""
    target = digests(stored)[0].split(":", 1)[1]
    tries = 0
    for parts in product(*ANSWER_SPACE):
        for compute in candidate_digests:
            tries += 1
            if tries > budget:
                return None
            if compute(list(parts)) == target:
                return parts
    return None


def test_the_old_codes_were_read_back_by_trying_the_whole_answer_space():
    """The test can succeed: a code made before the key gives its answers up well within the budget."""
    parts = [normalise(f, v) for f, v in AYESHA.items()]
    old = _legacy_code(parts)
    sha = lambda p: _legacy_code(p).split(".")[0]  # noqa: E731
    assert _attack(old, [sha], budget=len(LETTERS) ** 2 * 31 * 41) == tuple(parts)


def test_without_the_key_the_whole_answer_space_finds_nothing(tmp_path):
    """Someone holding the store or a bundle has the digests, the key's id and this source, not the key file."""
    key = workshop_key(tmp_path)
    stored = quick(AYESHA, key)
    parts = [normalise(f, v) for f, v in AYESHA.items()]
    id_ = stored.split(".")[0]
    guesses = [lambda p: _legacy_code(p).split(".")[0],  # the old salt
               lambda p: hashlib.sha256("|".join(p).encode()).hexdigest()[:10],  # no salt at all
               lambda p: hashlib.sha256(("|".join([id_, *p])).encode()).hexdigest()[:10]]  # the key's id as salt
    space = len(LETTERS) ** 2 * 31 * 41
    assert _attack(stored, guesses, budget=3 * space) is None
    # the key's id is not the key: scrypt salted with the id, or with no key, gives another digest
    for wrong in (id_.encode(), b"", bytes(32)):
        assert quick(AYESHA, wrong).split(".")[1] != stored.split(".")[1]
    assert quick(dict(zip(AYESHA, parts, strict=True)), key) == stored  # (the right key does find it)


# ------------------------------------------------------------------ the key, across laptops


def test_the_key_is_made_once_and_kept(tmp_path):
    key = workshop_key(tmp_path)
    assert workshop_key(tmp_path) == key and len(key) == 32
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0  # only the laptop's user reads it
    (tmp_path / KEY_FILE).write_text("not a key")
    with pytest.raises(MatchCodeError, match="is not a matching key: copy the workshop's match-key file"):
        read_key(tmp_path / KEY_FILE)


def _join_with_code(store, session, name: str | None, answers: dict) -> dict:
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    form = app.join_form
    form.name_box.value = name or ""
    form.code_panel.selected_index = 0
    for field, value in answers.items():
        form.code_boxes[field].value = value
    form.consent_box.value = True
    form.join_button.click()
    return app.participant


def test_with_the_key_copied_the_same_person_matches_across_two_laptops(tmp_path):
    bank = load_bank(TEST_BANKS / "all-types.yaml")
    first = Store(f"sqlite:///{tmp_path}/first/toolkit.db")
    workshop = first.add_workshop("Coaching, Islamabad")
    day1 = first.add_session(workshop["id"], "Day 1")
    pre = first.add_activity(day1["id"], bank, "pretest")
    first.open_activity(pre["id"])
    sana = _join_with_code(first, day1, "Sana", AYESHA)
    other = _join_with_code(first, day1, "Dua", {**AYESHA, "mother": "Z", "birthday": "3"})
    for p in (sana, other):
        first.save_answer(first.start_attempt(pre["id"], p["id"])["id"], "kiln", "tip")
    export_bundle(first, day1["id"], tmp_path / "day1.gz")

    (tmp_path / "second").mkdir()
    (tmp_path / "second" / KEY_FILE).write_bytes((tmp_path / "first" / KEY_FILE).read_bytes())  # copied
    second = Store(f"sqlite:///{tmp_path}/second/toolkit.db")
    import_bundle(second, tmp_path / "day1.gz")  # the workshop comes to the second laptop
    day2 = second.add_session(workshop["id"], "Day 2")
    post = second.add_activity(day2["id"], bank, "posttest")
    second.open_activity(post["id"])
    again = _join_with_code(second, day2, None, {**AYESHA, "siblings": "02"})  # a new phone, no name this time
    second.save_answer(second.start_attempt(post["id"], again["id"])["id"], "kiln", "tip")
    assert again["id"] != sana["id"] and again["match_code_hash"] == sana["match_code_hash"]

    results = load_results(second)
    pairs = match_by_code(results.answers, results.participants)
    assert set(zip(pairs["pre_participant_id"], pairs["post_participant_id"], pairs["rule"], strict=True)) == {
        (sana["id"], again["id"], EXACT_CODE)}

    # a laptop that was not given the key makes its own: the same answers there do not match
    third = Store(f"sqlite:///{tmp_path}/third/toolkit.db")
    import_bundle(third, tmp_path / "day1.gz")
    day3 = third.add_session(workshop["id"], "Day 3")
    third.add_activity(day3["id"], bank, "posttest")
    elsewhere = _join_with_code(third, day3, None, AYESHA)
    assert not differ_in_at_most_one(elsewhere["match_code_hash"], sana["match_code_hash"])
    assert TOLERANT_CODE not in set(match_by_code(load_results(third).answers, load_results(third).participants)["rule"])
    for s in (first, second, third):
        s.close()
