"""Questions from the room, coach side: most votes first; mark answered, or hide one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from ..live import display_names
from .texts import panel

if TYPE_CHECKING:
    from .coach import CoachApp


class RoomPanel(w.VBox):
    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self._shown: list | None = None
        self.buttons: dict[str, dict[str, w.Button]] = {}

    def refresh(self) -> None:
        store = self.app.store
        questions = store.room_questions(self.app.session["id"])
        shown = [(q["id"], q["votes"], q["state"]) for q in questions] + [self.app.pseudonyms]
        if shown == self._shown:
            return
        self._shown = shown
        names = display_names(store, self.app.session["id"], self.app.pseudonyms)
        rows = []
        self.buttons = {}
        for q in questions:
            asker = "Anonymous" if q["anonymous"] else names.get(q["participant_id"], "?")
            answered = w.Button(description="Answered", icon="check", disabled=q["state"] == "answered",
                                layout=w.Layout(width="auto"))
            hide = w.Button(description="Hide", icon="eye-slash", layout=w.Layout(width="auto"))
            for b in (answered, hide):
                b.add_class("tk-secondary")
            answered.on_click(lambda _b, qid=q["id"]: self._set(qid, "answered"))
            hide.on_click(lambda _b, qid=q["id"]: self._set(qid, "hidden"))
            self.buttons[q["id"]] = {"answered": answered, "hide": hide}
            text = w.HTML(panel("coach/room_row.html", answered=q["state"] == "answered", votes=q["votes"],
                                text=q["text"], asker=asker), layout=w.Layout(flex="1"))
            rows.append(w.HBox([text, answered, hide], layout=w.Layout(align_items="center")))
        self.children = [w.HTML("<h2>Questions from the room</h2>")] + (
            rows or [w.HTML(panel("line.html", css="tk-hint", text="No questions yet."))])

    def _set(self, question_id: str, state: str) -> None:
        self.app.store.set_question_state(question_id, state)
        self.refresh()
