"""The languages the toolkit knows: one registry, the only place that names a language code.

A language is its code (ISO 639, as in a bank's `text_<code>` keys and a page's `lang=`), its name in
itself (what the join screen offers), its name in English (what a message to a trainer says), its
direction, and the font family its script needs (the bundled fonts in `toolkit/share/fonts/`).

Adding a language is one entry here and one catalogue of interface texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself
    english: str  # its name in English
    direction: str = "ltr"  # "ltr" or "rtl"
    font: str = "serif"  # "serif" (Latin script) or "naskh" (Arabic script)
    draft: bool = False  # the interface texts await review by a native-speaking trainer
    page_font: str = ""  # the font family a page shows it in (bundled in the Voila template), if not the script's
    tags: tuple[str, ...] = ()  # other tags other tools write for it (ISO 639-2/3, BCP 47 with a region), lower case

    @property
    def page_fonts(self) -> tuple[str, ...]:
        """The families a page asks for, best first: its own, then its script's bundled one."""
        script = {"naskh": ("Noto Naskh Arabic",), "serif": ()}[self.font]
        return tuple(dict.fromkeys(((self.page_font,) if self.page_font else ()) + script))

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"


ENGLISH = "en"
# The letters of each script that needs a font of its own (Latin, "serif", is the rest).
SCRIPTS = {"naskh": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")}

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "English", tags=("eng",)),
        Language("ur", "اردو", "Urdu", "rtl", "naskh", page_font="Noto Nastaliq Urdu", tags=("urd",)),
        # Pashto's ISO 639-2 code and its three varieties (Southern, Northern, Central) in ISO 639-3
        Language("ps", "پښتو", "Pashto", "rtl", "naskh", draft=True, tags=("pus", "pbt", "pbu", "pst")),
        # Dari is Persian as Afghanistan writes it: fa-AF in BCP 47 (as Google, Microsoft and many forms write it)
        Language("prs", "دری", "Dari", "rtl", "naskh", draft=True, tags=("fa-af", "fas-af", "per-af")),
    )
}


# Arabic letters an Arabic keyboard types for their Urdu look-alikes (yeh, alef maksura, kaf, heh, teh marbuta):
# a roster's headings match however they were typed.
KEYBOARD_LOOKALIKES = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ه": "ہ", "ة": "ہ"})


def get(code: str | None) -> Language | None:
    """The registered language with this code, or None."""
    return LANGUAGES.get(code or "")


def from_tag(tag: str | None) -> str | None:
    """The registered code a tool's language tag stands for: 'ps', 'PS', 'ps-AF', 'ps_AF' (Moodle), 'pus' and
    'pbt' are Pashto; 'fa-AF' is Dari (while 'fa' is Persian, which the registry does not hold). None otherwise."""
    tag = (tag or "").strip().lower().replace("_", "-")
    if not tag:
        return None
    for whole in (tag, tag.split("-")[0]):
        for lang in LANGUAGES.values():
            if whole == lang.code or whole in lang.tags:
                return lang.code
    return None


def find(code: str) -> Language:
    """The registered language with this code; KeyError naming the known ones otherwise."""
    lang = LANGUAGES.get(code)
    if lang is None:
        raise KeyError(f"unknown language '{code}' (use {', '.join(LANGUAGES)})")
    return lang


def codes() -> tuple[str, ...]:
    """Every registered code, English first."""
    return tuple(LANGUAGES)


def others() -> tuple[str, ...]:
    """Every registered code but English (the languages a bank may add)."""
    return tuple(code for code in LANGUAGES if code != ENGLISH)


def is_rtl(code: str | None) -> bool:
    lang = get(code)
    return bool(lang and lang.rtl)


def direction(code: str | None) -> str:
    return "rtl" if is_rtl(code) else "ltr"


def english_name(code: str) -> str:
    lang = get(code)
    return lang.english if lang else code


def font_for(text: str) -> str:
    """The font family a text needs by its letters ("naskh" for the Arabic script), "serif" otherwise."""
    return next((font for font, letters in SCRIPTS.items() if letters.search(text or "")), "serif")


def written_in(text: str) -> str:
    """The first registered language whose script writes this text (English for Latin letters)."""
    font = font_for(text)
    return next(code for code, lang in LANGUAGES.items() if lang.font == font)


def for_page() -> dict[str, dict]:
    """What the page's scripts need of each language (the Voila template's direction.js and recover.js)."""
    return {code: {"dir": lang.direction, "fonts": list(lang.page_fonts)} for code, lang in LANGUAGES.items()}
