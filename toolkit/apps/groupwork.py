"""A case-study group exercise, participant side: one shared answer per group that any member can edit."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import ipywidgets as w

from ..bank import CaseStudy, tr
from ..deadline import time_is_up, utc_now
from ..limits import SlidingWindow
from ..scoring import score
from ..store import ActivityNotOpen, NotAllowed, Store, StoreError
from .inputs import AnswerInput, make_input
from .messages import refusal_text
from .saving import SAVING, Outbox, save_window
from .texts import panel, t


class GroupExercise(w.VBox):
    """The case, the group's shared answer to every prompt, who saved each part, and the debrief once revealed."""

    def __init__(self, store: Store, activity: dict, case: CaseStudy, group: dict, participant: dict,
                 lang: str = "en", outbox: Outbox | None = None, now: Callable[[], datetime] = utc_now,
                 save_timeout: float | None = 1.0):
        super().__init__()
        self.add_class("tk-group")
        self.store, self.activity, self.case, self.group, self.participant, self.lang = (
            store, activity, case, group, participant, lang)
        self.now = now
        # the member's edits that wait for the store: the app keeps this outbox when the view is redrawn
        self.outbox = outbox or group_outbox(store, group["id"], participant["id"], save_window(), save_timeout)
        self._locked = False
        names = {p["id"]: p["display_name"] or t("anonymous_asker", lang)
                 for p in store.session_participants(activity["session_id"])}
        members = [names.get(m, "?") for m in group["members"]]
        self.inputs: dict[str, AnswerInput] = {}
        self.saved_lines: dict[str, w.HTML] = {}
        self._applying = False
        self._latest: dict[str, Any] = {}
        revealed = activity["state"] == "revealed"
        rows: list[w.Widget] = [w.HTML(panel("groupwork/case.html", lang, title=tr(case.title, lang),
                                             scenario=tr(case.scenario, lang), group=group["name"], members=members))]
        for i, prompt in enumerate(case.prompts, 1):
            box = make_input(prompt, lang, field="group_answer")
            box.observe(lambda _ch, pid=prompt.id, box=box: self._save(pid, box.response), "given")
            self.inputs[prompt.id] = box
            self.saved_lines[prompt.id] = w.HTML()
            rows += [w.HTML(panel("line.html", css="tk-question", text=f"{i}. {tr(prompt.text, lang)}")), box,
                     self.saved_lines[prompt.id]]
        self.status = w.HTML()
        self.debrief = w.HTML()
        rows += [self.status, self.debrief]
        self.children = rows
        self.refresh()
        if revealed:
            self._show_debrief()
        if activity["state"] != "open":
            self._lock()

    def _lock(self) -> None:
        self._locked = True
        for box in self.inputs.values():
            for child in _descendants(box):
                if hasattr(child, "disabled"):
                    child.disabled = True

    def _save(self, prompt_id: str, response: Any) -> None:
        if self._applying or self._locked:
            return
        if time_is_up(self.activity, self.now()):
            self._time_up()
            return
        try:
            outcome = self.outbox.give(prompt_id, response)
        except StoreError as e:
            self._refused(e, response)
            return
        self.status.value = ""
        if outcome == SAVING:
            self.saved_lines[prompt_id].value = panel("line.html", css="tk-saving", text=t("saving", self.lang))
        else:
            self.refresh()

    def _refused(self, error: StoreError, typed: Any = None) -> None:
        self.status.value = panel("line.html", css="tk-problem", text=refusal_text(error, self.lang, typed))
        if isinstance(error, (ActivityNotOpen, NotAllowed)):  # closed, time up, or moved to another group
            self._lock()

    def _time_up(self) -> None:
        self._lock()
        self.status.value = panel("line.html", css="tk-problem", text=t("time_up_group", self.lang))

    def refresh(self) -> None:
        """Send edits that wait for the store; show what the other members saved since the last look, and who
        saved each part (a member's own edit that waits stays on their screen)."""
        refused = [e for e in self.outbox.flush().values() if isinstance(e, StoreError)]
        latest = self.store.group_answers(self.group["id"])
        for prompt_id, answer in latest.items():
            if prompt_id not in self.inputs:
                continue
            self.outbox.saved[prompt_id] = answer["response"]
            if self.outbox.is_waiting(prompt_id):
                continue
            if self._latest.get(prompt_id) != (answer["response"], answer["saved_at"]):
                self._latest[prompt_id] = (answer["response"], answer["saved_at"])
                self._show_value(prompt_id, answer["response"])
                name = answer["display_name"] or t("anonymous_asker", self.lang)
                if answer["participant_id"] == self.participant["id"]:
                    name = t("you", self.lang)
                when = answer["saved_at"].strftime("%H:%M") if hasattr(answer["saved_at"], "strftime") else ""
                self.saved_lines[prompt_id].value = panel("line.html", css="tk-saved",
                                                          text=t("saved_by", self.lang, name=name, time=when))
        for prompt_id, waiting in self.outbox.pending.items():
            if prompt_id in self.inputs:  # this member's edit, still on its way (also on a view drawn afresh)
                self._show_value(prompt_id, waiting.value)
                self.saved_lines[prompt_id].value = panel("line.html", css="tk-saving", text=t("saving", self.lang))
        if refused:
            self._refused(refused[-1])
        elif not self._locked and time_is_up(self.activity, self.now()):
            self._time_up()

    def _show_value(self, prompt_id: str, response: Any) -> None:
        box = self.inputs[prompt_id]
        if box.response != response:
            self._applying = True
            try:
                box.response = response
            finally:
                self._applying = False

    def _show_debrief(self) -> None:
        latest = {k: v["response"] for k, v in self.store.group_answers(self.group["id"]).items()}
        scores = [s for s in (score(p, latest.get(p.id)) for p in self.case.prompts) if s is not None]
        points, maximum = sum(s.points for s in scores), sum(s.max_points for s in scores)
        shown = {"p": f"{points:.1f}".rstrip("0").rstrip("."), "m": int(maximum)} if maximum else None
        feedback = [(tr(p.text, self.lang), tr(p.feedback, self.lang)) for p in self.case.prompts
                    if tr(p.feedback, self.lang)]
        self.debrief.value = panel("groupwork/debrief.html", self.lang, score=shown, feedback=feedback,
                                   debrief=tr(self.case.debrief, self.lang))


def group_outbox(store: Store, group_id: str, participant_id: str, window: SlidingWindow, timeout: float | None,
                 clock: Callable[[], float] = time.monotonic) -> Outbox:
    """The outbox of one member's edits of one group's answers."""
    def send(prompt_id: str, response: Any, uid: str) -> None:
        store.save_group_answer(group_id, participant_id, prompt_id, response, uid=uid, timeout=timeout)

    return Outbox(send, window, clock=clock)


def _descendants(widget: w.Widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)
