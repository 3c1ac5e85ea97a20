"""The interface texts as the apps use them: `t(key, lang, **fmt)` from the catalogues (toolkit/texts.py), and
`esc` for what a person typed."""

from __future__ import annotations

import html

from ..texts import ENGLISH, T, every_language, t

__all__ = ["ENGLISH", "T", "esc", "every_language", "t"]


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)
