"""The bounds on what the network may send: text lengths and characters, and tries in a window."""

import pytest

from toolkit.errors import InvalidText
from toolkit.limits import TEXT_LIMITS, SlidingWindow, clean_text


def test_a_name_is_stripped_and_folded_to_one_line():
    assert clean_text("  Ayesha \n\t Khan ", "display_name") == "Ayesha Khan"
    assert clean_text("   ", "display_name") is None
    assert clean_text(None, "display_name") is None


def test_an_open_answer_keeps_its_lines():
    assert clean_text("first line\nsecond\tline ", "open_answer") == "first line\nsecond\tline"


@pytest.mark.parametrize("bad", ["Ali\x00", "Ali\x07Khan", "\ud800"])
def test_characters_no_database_stores_are_refused(bad):
    with pytest.raises(InvalidText) as e:
        clean_text(bad, "display_name")
    assert (e.value.field, e.value.reason) == ("display_name", "characters")


def test_a_text_over_its_limit_is_refused_with_the_limit():
    limit = TEXT_LIMITS["rank"]
    assert clean_text("x" * limit, "rank") == "x" * limit
    with pytest.raises(InvalidText) as e:
        clean_text("x" * (limit + 1), "rank")
    assert (e.value.reason, e.value.limit) == ("too_long", limit)
    assert str(limit) in str(e.value)


def test_urdu_is_counted_in_characters_after_normalising():
    # "آ" typed as alef + madda (two code points) is one character once composed
    assert clean_text("\u0627\u0653", "display_name") == "\u0622"


def test_a_window_allows_its_most_and_then_says_how_long_to_wait():
    now = [100.0]
    window = SlidingWindow(3, seconds=60, clock=lambda: now[0])
    assert [window.allow("a") for _ in range(4)] == [True, True, True, False]
    assert window.allow("b")  # another key has its own window
    now[0] += 20
    assert window.retry_after("a") == pytest.approx(40)
    now[0] += 40
    assert window.retry_after("a") == 0
    assert window.allow("a")


@pytest.mark.parametrize("address, laptop", [("127.0.0.1", True), ("127.0.0.9", True), ("::1", True),
                                             ("::ffff:127.0.0.1", True), ("192.168.1.23", False),
                                             ("10.0.0.5", False), ("", False), (None, False), ("?", False)])
def test_only_the_laptop_itself_is_left_out_of_the_per_address_bounds(address, laptop):
    from toolkit.limits import is_this_laptop

    assert is_this_laptop(address) is laptop
