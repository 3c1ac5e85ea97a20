"""Who joined and never answered, on the Run tab: the coach takes out names nobody in the room owns.

One page could once join people in a loop and vote with each of them; joins are bounded now (toolkit/limits.py),
and what still gets through shows here: people of this session with no answer, group answer or question.
Taking someone out also takes back their votes (Store.remove_from_session).

Someone who left a trace (an answer, a group answer, a question) keeps it: the store is asked only about people
not yet known to have one, when new ones join and when the console refreshes on purpose (a tab, an action); in
between, an answer in the activity the console is reading (its snapshot) takes the person off the list. Taking
out someone who answered meanwhile is refused by the store, and the coach is told.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from ..live import display_names
from ..store import StoreError
from .texts import panel

if TYPE_CHECKING:
    from .coach import CoachApp


class SilentPeople(w.VBox):
    """The session's people who never answered, each with "Take out", and "Take out all" after a confirmation."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.remove_buttons: dict[str, w.Button] = {}
        self.confirm = w.HBox()
        self.remove_all = w.Button(description="Take out all of them", icon="user-times")
        self.remove_all.add_class("tk-secondary")
        self.remove_all.on_click(lambda _b: self._ask_to_remove_all())
        self.status = w.HTML()
        self._shown: tuple | None = None
        self._traced: set[str] = set()  # people of the session known to have answered, written or asked
        self._checked: set[str] = set()  # people the store last said were silent

    def refresh(self) -> None:
        session_id = self.app.session["id"]
        people = self.app.store.session_participants(session_id)
        for snap in self.app.read_this_refresh():
            self._traced |= {a["participant_id"] for a in snap.attempts
                             if a["last_saved_at"] is not None or a["submitted_at"] is not None}
        candidates = [p for p in people if p["id"] not in self._traced]
        ask = [p["id"] for p in candidates if self.app.forced or p["id"] not in self._checked]
        if ask:
            quiet = {p["id"] for p in self.app.store.silent_participants(session_id, among=ask)}
            self._traced |= set(ask) - quiet
            self._checked = (self._checked | quiet) - self._traced
        silent = [p for p in candidates if p["id"] not in self._traced]
        names = display_names(self.app.store, session_id, self.app.pseudonyms) if silent else {}
        shown = tuple((p["id"], names.get(p["id"], "?")) for p in silent)
        if shown == self._shown:
            return
        self._shown = shown
        self.confirm.children = []
        self.remove_buttons = {}
        if not shown:
            self.children = [self.status]
            return
        rows = []
        for pid, name in shown:
            button = w.Button(description="Take out", icon="user-times", layout=w.Layout(width="auto"))
            button.add_class("tk-secondary")
            button.on_click(lambda _b, pid=pid: self.remove([pid]))
            self.remove_buttons[pid] = button
            rows.append(w.HBox([w.HTML(panel("coach/chip.html", text=name), layout=w.Layout(flex="1")),
                                button], layout=w.Layout(align_items="center")))
        self.children = [
            w.HTML(panel("coach/silent.html", n=len(shown))),
            w.VBox(rows), w.HBox([self.remove_all, self.confirm]), self.status]

    def _ask_to_remove_all(self) -> None:
        ids = [pid for pid, _name in self._shown or ()]
        yes = w.Button(description=f"Yes, take out {len(ids)}", icon="check")
        yes.add_class("tk-primary")
        no = w.Button(description="Not yet")
        no.add_class("tk-secondary")
        yes.on_click(lambda _b: self.remove(ids))
        no.on_click(lambda _b: setattr(self.confirm, "children", ()))
        self.remove_all_yes = yes
        self.confirm.children = [no, yes]

    def remove(self, participant_ids: list[str]) -> None:
        """Take these people out of the session; anyone who answered meanwhile stays, and the coach is told."""
        kept = 0
        for pid in participant_ids:
            try:
                self.app.store.remove_from_session(self.app.session["id"], pid)
            except StoreError:
                kept += 1
        self.status.value = (panel("line.html", css="tk-hint", text=f"{kept} of them answered meanwhile and stay.")
                             if kept else "")
        self._shown = None
        self.app.refresh(force=True)
