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

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import comm
import ipywidgets as w

from .texts import panel

# The traits through which one widget holds others in the toolkit's views (a box's or an accordion's children, and
# every widget's layout and style). Reading only these keeps a walk over a screen well under a millisecond.
HOLDING = ("children", "layout", "style")


# Layouts and styles that many widgets show and none changes (a choice's full-width layout, its style), one of each
# per kernel (`shared`): every widget made without one makes its own, one widget more to open and to close.
_SHARED: dict[tuple, w.Widget] = {}


def shared(cls: type[w.Widget], **traits: Any) -> w.Widget:
    """The kernel's one `cls` (a Layout, a style) with these traits, for widgets that never change it: code that
    sets a trait of a widget's layout or style (`.layout.display`) gives that widget one of its own. Never closed
    by `close_left`; made again if something else closed it."""
    key = (cls, tuple(sorted(traits.items())))
    found = _SHARED.get(key)
    if found is None or found.comm is None:
        found = _SHARED[key] = cls(**traits)
    return found


def lean(cls: type[w.Widget], *args: Any, layout: dict[str, Any] | None = None, **traits: Any) -> w.Widget:
    """A `cls` widget whose layout (`layout`: its traits) and style are the kernel's shared ones (`shared`): for
    widgets whose layout and style no code changes. A page then opens one widget where it opened two or three
    (the widget, its own layout, its own style), and closes one when the screen is left."""
    style = cls.class_traits().get("style")
    if style is not None and "style" not in traits:
        traits["style"] = shared(style.klass)
    return cls(*args, layout=shared(w.Layout, **(layout or {})), **traits)


def shared_widgets() -> list[w.Widget]:
    """The layouts and styles `shared` has made in this kernel (open while the kernel lives)."""
    return [x for x in _SHARED.values() if x.comm is not None]


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


def close_quietly(widget: w.Widget) -> None:
    """Close `widget` in the kernel without telling the page (a widget whose views the page no longer shows):
    `Widget.close`, with its comm marked closed first so that it sends no comm_close, and taken out of the comm
    manager (which the comm's own close does only when it sends). Relies on the comm's `_closed` flag
    (tests/test_participant_app.py fails if it changes)."""
    channel = widget.comm
    if channel is None:
        return
    channel._closed = True  # its close() would send a comm_close; now it returns at once
    with contextlib.suppress(KeyError):  # (a comm that never opened is in no manager)
        comm.get_comm_manager().unregister_comm(channel)
    widget.close()  # out of ipywidgets' registry, its comm let go


def close_left(old: Iterable[w.Widget], keep: Iterable[w.Widget], quiet: bool = True) -> int:
    """Close the widgets under `old` that are not under `keep` (`quiet`: in the kernel only, the page has taken them
    off the screen; else the page is told too, and frees them); returns how many were closed."""
    kept = widgets_under(keep)
    kept.update((id(x), x) for x in _SHARED.values())
    closed = 0
    for key, widget in widgets_under(old).items():
        if key not in kept and widget.comm is not None:
            close_quietly(widget) if quiet else widget.close()
            closed += 1
    return closed


def replace_children(box: w.Box, children: Iterable[w.Widget], keep: Iterable[w.Widget] = (),
                     quiet: bool = True) -> None:
    """Show `children` in `box`, then close what the old children held that neither `box` nor `keep` still
    reaches (`keep`: the whole view a component draws into, and the widgets it keeps aside to show again; `quiet`:
    see close_left)."""
    old = box.children
    box.children = tuple(children)
    close_left(old, [box, *keep], quiet=quiet)


class QuestionFrame:
    """What every question screen shows around its input: the header (the counter, the clock, the progress bar),
    the question's text, the status line and the Back and Next buttons. Made once and kept from one question to
    the next, with only their values changed (the participant app shows a new input on each): a question then
    costs its kernel the input's widgets and a few updates, not some twenty widgets opened and closed.

    The buttons come in two pairs that take turns: the pair of the question left is taken off the screen, and a
    click still on its way to it does nothing, as one on a closed button did (a double tap on Next moves on by
    one question, not two). The same question drawn again keeps its pair, so that a tap sent before counts. The app closes the frame, both pairs too, when another screen shows."""

    def __init__(self, clock: w.Widget, status: w.HTML, go: Callable[[int], None], view: dict[str, Any],
                 filled: bool = True):
        """`filled`: made with the view of the question it shows first (else with a blank one, ahead of time:
        its first `show` then sets everything)."""
        self.go, self.index = go, view["index"]
        self.counter = lean(w.HTML, _counter(view))
        self.progress = lean(w.IntProgress, value=view["shown"], min=0, max=view["n"], layout={"width": "100%"},
                             _dom_classes=("tk-progress",))
        self.header = lean(w.VBox, [self.counter, clock, self.progress])
        self.text = lean(w.HTML, _question(view))
        self.status = status
        self.pairs = [self._pair(view)]
        self.back, self.next = self.pairs[0]
        self.buttons = lean(w.HBox, self.pairs[0], layout={"justify_content": "space-between"})
        self._made = filled  # shows its first question as made

    def _pair(self, view: dict[str, Any]) -> tuple[w.Button, w.Button]:
        back = lean(w.Button, description=view["back"], icon=view["back_icon"], disabled=view["index"] == 0,
                    _dom_classes=("tk-secondary",))
        forward = lean(w.Button, description=view["next"], icon=view["next_icon"], _dom_classes=("tk-primary",))
        # a click counts on the pair on screen only (self.back and self.next when the click arrives)
        back.on_click(lambda b: b is self.back and self.go(self.index - 1))
        forward.on_click(lambda b: b is self.next and self.go(self.index + 1))
        return back, forward

    def screen(self, input_widget: w.Widget) -> list[w.Widget]:
        """The children of a question screen showing `input_widget`."""
        return [self.header, self.text, input_widget, self.status, self.buttons]

    def show(self, view: dict[str, Any], clock: Callable[[], None]) -> None:
        """Show the values of the question in `view` (after its input and its status are on screen; the counter
        last, so that a page that sees the new count sees the rest of the question too). `clock` brings the clock
        up to date."""
        moved, self.index = view["index"] != self.index, view["index"]
        self.text.value = _question(view)
        if self._made:
            self._made = False
        elif not moved:  # the same question drawn again (a language, a refusal): a click on its way still counts
            self.back.description, self.back.icon = view["back"], view["back_icon"]
            self.next.description, self.next.icon = view["next"], view["next_icon"]
        else:
            if len(self.pairs) < 2:
                self.pairs.append(self._pair(view))
            back, forward = self.pairs[1] if self.next is self.pairs[0][1] else self.pairs[0]
            back.description, back.icon, back.disabled = view["back"], view["back_icon"], view["index"] == 0
            forward.description, forward.icon = view["next"], view["next_icon"]
            self.back, self.next = back, forward
            self.buttons.children = (back, forward)
        clock()
        self.progress.max, self.progress.value = view["n"], view["shown"]
        self.counter.value = _counter(view)

    def spare(self) -> list[w.Widget]:
        """The pair of buttons off the screen, kept aside for the next question."""
        return [b for pair in self.pairs if pair[1] is not self.next for b in pair]

    def widgets(self) -> list[w.Widget]:
        """Every widget of the frame (the clock is the app's)."""
        return [self.header, self.text, self.status, self.buttons, *(b for pair in self.pairs for b in pair)]


def blank_view(lang: str) -> dict[str, Any]:
    """The view of a frame made before its first question is known (QuestionFrame(…, filled=False))."""
    from ..texts import t

    return {"index": 0, "n": 1, "shown": 0, "lang": lang, "title": "", "question": "", "back": t("back", lang),
            "back_icon": "arrow-left", "next": t("next", lang), "next_icon": "arrow-right"}


def _counter(view: dict[str, Any]) -> str:
    return panel("participant/counter.html", view["lang"], title=view["title"], shown=view["shown"], n=view["n"])


def _question(view: dict[str, Any]) -> str:
    return panel("line.html", css="tk-question", text=view["question"])
