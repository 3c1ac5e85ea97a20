"""Screens that give way: the widgets of a screen the participant has left are closed (issue #18).

A widget lives in its kernel (and in the page) until it is closed: ipywidgets keeps every open one in its registry
of instances, with its comm, its layout and its style (each one more widget). A participant kernel that never
closed a question's widgets held every screen it had shown, about 1,100 widgets after a quiz of 26 questions,
each with its callbacks and the question it showed. `replace_children` puts a box's new children in place and
then closes every widget of the old ones that is no longer reachable from the views still in use; the page
removes them as it receives the close (after it has drawn the new children, the messages arrive in order).

A widget kept aside to be shown again (a clock that appears on some screens only) is named in `keep`; what is
closed must never be shown again, so every screen is made of new widgets or of widgets reachable from `keep`.
"""

from __future__ import annotations

from collections.abc import Iterable

import ipywidgets as w


# The traits through which one widget holds others in the toolkit's views (a box's or an accordion's children, and
# every widget's layout and style). Reading only these keeps a walk over a screen well under a millisecond.
HOLDING = ("children", "layout", "style")


def widgets_under(roots: Iterable[w.Widget]) -> dict[int, w.Widget]:
    """Every widget reachable from `roots` through their children, layouts and styles, by id."""
    seen: dict[int, w.Widget] = {}
    todo = [r for r in roots if isinstance(r, w.Widget)]
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen[id(widget)] = widget
        for name in HOLDING:
            value = getattr(widget, name, None)
            if isinstance(value, w.Widget):
                todo.append(value)
            elif isinstance(value, tuple):
                todo.extend(v for v in value if isinstance(v, w.Widget))
    return seen


def close_left(old: Iterable[w.Widget], keep: Iterable[w.Widget]) -> int:
    """Close the widgets under `old` that are not under `keep`; returns how many were closed."""
    kept = widgets_under(keep)
    closed = 0
    for key, widget in widgets_under(old).items():
        if key not in kept and widget.comm is not None:
            widget.close()
            closed += 1
    return closed


def replace_children(box: w.Box, children: Iterable[w.Widget], keep: Iterable[w.Widget] = ()) -> None:
    """Show `children` in `box`, then close what the old children held that neither `box` nor `keep` still
    reaches (`keep`: the whole view a component draws into, and the widgets it keeps aside to show again)."""
    old = box.children
    box.children = tuple(children)
    close_left(old, [box, *keep])
