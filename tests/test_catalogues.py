"""The interface texts' gettext catalogues (toolkit/locale/): complete, current, compiled, and drawable."""

from __future__ import annotations

import io
import unicodedata

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from helpers import ROOT

from toolkit import languages, texts

TRANSLATED = languages.others()
NASKH_FONTS = [ROOT / "toolkit/share/fonts/NotoNaskhArabic-Regular.ttf",  # certificates and cards
               ROOT / "toolkit/share/fonts/NotoNaskhArabic-Bold.ttf",
               ROOT / "toolkit/share/jupyter/voila/templates/toolkit/static/fonts/NotoNaskhArabic-Regular.woff2"]  # page


def po(code: str):
    with open(texts.LOCALE_DIR / code / "LC_MESSAGES" / "toolkit.po", "rb") as f:
        return read_po(f)


def entries(catalog) -> dict[str, object]:
    return {m.context: m for m in catalog if m.id}


def test_every_language_of_the_registry_has_a_catalogue_and_every_catalogue_a_language():
    shipped = {p.parent.parent.name for p in texts.LOCALE_DIR.glob("*/LC_MESSAGES/toolkit.po")}
    assert shipped == set(TRANSLATED)


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_catalogue_has_every_text_translated_and_none_stale_or_fuzzy(code):
    found = entries(po(code))
    assert sorted(set(texts.ENGLISH) - set(found)) == [], "texts the catalogue lacks (pybabel update, then translate)"
    assert sorted(set(found) - set(texts.ENGLISH)) == [], "texts the code no longer has (pybabel update drops them)"
    stale = [key for key, m in found.items() if m.id != texts.ENGLISH[key]]
    assert stale == [], "English changed since the translation: translate again"
    assert [key for key, m in found.items() if m.fuzzy] == []
    assert [key for key, m in found.items() if not m.string.strip()] == []
    assert not po(code).obsolete


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_translation_has_the_placeholders_of_its_english(code):
    differ = {key: (sorted(texts.placeholders(texts.ENGLISH[key])), sorted(texts.placeholders(m.string)))
              for key, m in entries(po(code)).items()
              if texts.placeholders(texts.ENGLISH[key]) != texts.placeholders(m.string)}
    assert differ == {}


def test_a_text_with_a_placeholder_that_the_english_lacks_is_found():
    assert texts.placeholders("سوال {i} از {m}") != texts.placeholders(texts.ENGLISH["question_of"])


def test_the_template_is_what_babel_extracts_from_the_code():
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    extracted = {(context, message) for _file, _line, message, _notes, context
                 in extract_from_dir(str(ROOT), method_map, options_map)}
    with open(texts.LOCALE_DIR / "toolkit.pot", "rb") as f:
        template = {(m.context, m.id) for m in read_po(f) if m.id}
    assert extracted == {(key, english) for key, english in texts.ENGLISH.items()}
    assert template == extracted, "run pybabel extract (README, Development)"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_shipped_compiled_catalogue_is_the_compiled_po(code):
    compiled = io.BytesIO()
    write_mo(compiled, po(code))
    compiled.seek(0)
    with open(texts.LOCALE_DIR / code / "LC_MESSAGES" / "toolkit.mo", "rb") as f:
        shipped = read_mo(f)
    assert {(m.context, m.id): m.string for m in shipped if m.id} == \
        {(m.context, m.id): m.string for m in read_mo(compiled) if m.id}, "run pybabel compile (README, Development)"


def test_a_text_is_found_by_its_key_in_the_persons_language_and_english_stands_in_for_a_missing_one():
    assert texts.t("question_of", "ps", i=2, n=9) == "پوښتنه 2 له 9"
    assert texts.t("question_of", "prs", i=2, n=9) == "سؤال 2 از 9"
    assert texts.t("question_of", "en", i=2, n=9) == "Question 2 of 9"
    assert texts.t("question_of", "xx", i=2, n=9) == "Question 2 of 9"  # no catalogue: English
    assert texts.T["join"] == {"en": "Join", "ur": "شامل ہوں", "ps": "ګډون", "prs": "پیوستن"}


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_draft_catalogue_says_so_in_its_header_and_a_reviewed_one_does_not(code):
    header = po(code).header_comment
    assert ("DRAFT" in header) == languages.find(code).draft


@pytest.mark.parametrize("font", NASKH_FONTS, ids=lambda p: p.name)
@pytest.mark.parametrize("code", [c for c in TRANSLATED if languages.find(c).font == "naskh"])
def test_the_bundled_naskh_font_has_every_letter_the_catalogue_uses(code, font):
    cmap = TTFont(font).getBestCmap()
    letters = {c for m in po(code) if m.id for c in m.string
               if not c.isascii() and (unicodedata.category(c)[0] in "LMN" or c == "\u200c")}
    assert sorted(c for c in letters if ord(c) not in cmap) == []


def test_the_naskh_font_draws_the_letters_of_pashto_and_dari():
    pashto, dari = "ټډړږښګڼۍېځڅ", "پچژگیک"
    for font in NASKH_FONTS:
        cmap = TTFont(font).getBestCmap()
        assert [c for c in pashto + dari if ord(c) not in cmap] == [], font.name
