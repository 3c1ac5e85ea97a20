"""Text boxes a phone fills in, bounded where the phone sees it, and the store's refusals in the person's language.

ipywidgets' Text and Textarea have no `maxlength`: what the phone sends is clipped here, in the kernel, to the
length the store takes (limits.TEXT_LIMITS), and a counter under the box shows how much is left. The store
checks again (limits.clean_text); `problem` turns what it refuses into a message by the error's fields.
"""

from __future__ import annotations

import math

import ipywidgets as w

from ..errors import InvalidText, StoreError, TooManyJoins, TooManyWrongCodes
from ..limits import JOINS_PER_PAGE, TEXT_LIMITS
from .texts import T, esc, t


def clip(box: w.Text | w.Textarea, most: int) -> None:
    """Keep the box to `most` characters: a longer value from the phone is cut, and the phone shows the cut."""
    def cut(change) -> None:
        if change["new"] is not None and len(change["new"]) > most:
            box.value = change["new"][:most]
    box.observe(cut, "value")


def counted(box: w.Text | w.Textarea, field: str) -> w.HTML:
    """Clip the box to its field's limit and return the counter ("12/100") that follows it."""
    most = TEXT_LIMITS[field]
    counter = w.HTML(layout=w.Layout(align_self="flex-end"))  # under the box, at the end of the line
    counter.add_class("tk-count")

    def show(_change=None) -> None:
        n = len(box.value or "")
        counter.value = f"<div class='tk-hint' dir='ltr'>{min(n, most)}/{most}</div>"

    clip(box, most)
    box.observe(show, "value")
    show()
    return counter


def field_words(field: str, lang: str) -> str:
    key = f"field_{field}"
    return t(key, lang) if key in T else field


def problem(e: StoreError, lang: str) -> str:
    """The store's refusal as a message in the person's language (HTML, escaped)."""
    if isinstance(e, InvalidText):
        what = field_words(e.field, lang)
        key = {"too_long": "text_too_long", "characters": "text_characters", "missing": "text_missing"}.get(e.reason)
        text = t(key, lang, what=what, limit=e.limit) if key else str(e)
    elif isinstance(e, TooManyWrongCodes):
        text = t("codes_wait", lang, s=max(1, math.ceil(e.retry_after)))
    elif isinstance(e, TooManyJoins):
        text = t("joins_wait", lang, m=max(1, math.ceil(e.retry_after / 60)))
    else:
        text = str(e)
    return f"<div class='tk-problem'>{esc(text)}</div>"


def page_full(lang: str) -> str:
    return f"<div class='tk-problem'>{esc(t('page_full', lang, n=JOINS_PER_PAGE))}</div>"
