"""Questions from the room, participant side: ask (with or without one's name), see the others, vote."""

from __future__ import annotations

import uuid

import ipywidgets as w

from ..store import NotAllowed, Store, StoreError
from .bounded import counted
from .messages import problem
from .screens import replace_children
from .texts import panel, t


class RoomQuestions(w.VBox):
    """Ask the coach a question; vote for the questions you also want answered."""

    def __init__(self, store: Store, session: dict, participant: dict, lang: str = "en"):
        super().__init__()
        self.add_class("tk-room")
        self.store, self.session, self.participant, self.lang = store, session, participant, lang
        self.uid = uuid.uuid4().hex  # the question being typed: sent twice, stored once
        self.box = w.Textarea(placeholder=t("ask_placeholder", lang), layout=w.Layout(width="100%", height="6em"))
        self.counter = counted(self.box, "room_question")
        self.anonymous = w.Checkbox(value=False, description=t("anonymous", lang), indent=False)
        self.send = w.Button(description=t("send", lang), icon="paper-plane")
        self.send.add_class("tk-primary")
        self.send.on_click(lambda _b: self.ask())
        self.status = w.HTML()
        self.listing = w.VBox()
        self.vote_buttons: dict[str, w.ToggleButton] = {}
        self._shown: list | None = None
        self.children = [self.box, self.counter, self.anonymous, self.send, self.status,
                         w.HTML(panel("line.html", css="tk-hint", text=t("room_hint", lang))), self.listing]
        self.refresh()

    def ask(self) -> None:
        try:
            self.store.ask(self.session["id"], self.participant["id"], self.box.value, anonymous=self.anonymous.value,
                           uid=self.uid)
        except NotAllowed:  # the coach took this participant out of the session
            self.status.value = panel("line.html", css="tk-problem", text=t("removed", self.lang))
            return
        except StoreError as e:
            self.status.value = problem(e, self.lang)
            return
        self.box.value = ""
        self.uid = uuid.uuid4().hex
        self.status.value = panel("line.html", css="tk-saved", text=t("sent", self.lang))
        self.refresh()

    def refresh(self) -> None:
        """Redraw the list when a question, a vote or a state changed."""
        questions = self.store.room_questions(self.session["id"], participant_id=self.participant["id"])
        shown = [(q["id"], q["votes"], q["voted"], q["state"]) for q in questions]
        if shown == self._shown:
            return
        self._shown = shown
        rows = []
        self.vote_buttons = {}
        for q in questions:
            asker = t("you", self.lang) if q["mine"] else (q["asker"] or t("anonymous_asker", self.lang))
            vote = w.ToggleButton(value=q["voted"], description=f"▲ {q['votes']}", layout=w.Layout(width="5em"))
            vote.add_class("tk-vote")
            vote.observe(lambda ch, qid=q["id"]: self._vote(qid, ch["new"]), "value")
            self.vote_buttons[q["id"]] = vote
            text = w.HTML(panel("room/question.html", self.lang, text=q["text"], asker=asker,
                                answered=q["state"] == "answered"), layout=w.Layout(flex="1"))
            rows.append(w.HBox([vote, text], layout=w.Layout(align_items="center")))
        none = panel("line.html", css="tk-hint", text=t("no_room_questions", self.lang))
        # the old rows are closed, and the page told: it redraws on every vote of anyone (apps/screens.py)
        replace_children(self.listing, rows or [w.HTML(none)], keep=[self], quiet=False)

    def _vote(self, question_id: str, up: bool) -> None:
        try:
            self.store.vote(question_id, self.participant["id"], up=up)
        except NotAllowed:
            self.status.value = panel("line.html", css="tk-problem", text=t("removed", self.lang))
            self._shown = None  # redraw: the button goes back to what the store holds
        except StoreError as e:
            self.status.value = problem(e, self.lang)
            self._shown = None
        self.refresh()
