"""Text boxes a phone fills in, bounded where the phone sees it.

ipywidgets' Text and Textarea have no `maxlength`: what the phone sends is clipped here, in the kernel, to the
length the store takes (limits.TEXT_LIMITS), and a counter under the box shows how much is left. The store
checks again (limits.clean_text); apps/messages.py tells the person what it refuses.
"""

from __future__ import annotations

import ipywidgets as w

from ..limits import TEXT_LIMITS
from .screens import lean
from .texts import panel


def clip(box: w.Text | w.Textarea, most: int) -> None:
    """Keep the box to `most` characters: a longer value from the phone is cut, and the phone shows the cut."""
    def cut(change) -> None:
        if change["new"] is not None and len(change["new"]) > most:
            box.value = change["new"][:most]
    box.observe(cut, "value")


def counted(box: w.Text | w.Textarea, field: str) -> w.HTML:
    """Clip the box to its field's limit and return the counter ("12/100") that follows it."""
    most = TEXT_LIMITS[field]
    counter = lean(w.HTML, layout={"align_self": "flex-end"}, _dom_classes=("tk-count",))  # under the box, at the end

    def show(_change=None) -> None:
        n = len(box.value or "")
        counter.value = panel("counter.html", n=min(n, most), most=most)

    clip(box, most)
    box.observe(show, "value")
    show()
    return counter
