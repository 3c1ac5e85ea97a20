"""The language registry: the one place that names a language code."""

import pytest

from toolkit import languages


def test_urdu_is_written_right_to_left_in_naskh():
    ur = languages.find("ur")
    assert (ur.direction, ur.font, ur.name) == ("rtl", "naskh", "اردو")
    assert languages.direction("ur") == "rtl" and languages.direction("en") == "ltr"


def test_an_unknown_code_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="unknown language 'xx' \\(use en, ur"):
        languages.find("xx")
    assert languages.get("xx") is None and languages.direction("xx") == "ltr"


def test_english_comes_first_and_is_not_among_the_others():
    assert languages.codes()[0] == "en"
    assert "en" not in languages.others() and "ur" in languages.others()
