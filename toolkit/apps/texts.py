"""The interface texts as the apps use them: `t(key, lang, **fmt)` from the catalogues (toolkit/texts.py), and
`panel`, a template of toolkit/templates/apps/ filled with them (every value escaped by the template)."""

from __future__ import annotations

from typing import Any

from .. import languages
from ..templating import Markup, render
from ..texts import ENGLISH, T, every_language, t

__all__ = ["ENGLISH", "Markup", "T", "every_language", "fragment", "panel", "t"]


def panel(template: str, /, lang: str = languages.ENGLISH, **values: Any) -> str:
    """Template `apps/<template>` with `values`, as a widget's HTML; in it, `t(key, **fmt)` is the text in `lang`."""
    return str(fragment(template, lang, **values))


def fragment(template: str, /, lang: str = languages.ENGLISH, **values: Any) -> Markup:
    """The same as Markup, to be put into another template as it is (not escaped twice)."""
    return render(f"apps/{template}", t=lambda key, **fmt: t(key, lang, **fmt), lang=lang, **values)

