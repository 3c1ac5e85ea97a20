"""A case-study group exercise, participant side: one shared answer per group that any member can edit."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..bank import CaseStudy, tr
from ..scoring import score
from ..store import Store, StoreError
from .inputs import AnswerInput, make_input
from .texts import esc, t


class GroupExercise(w.VBox):
    """The case, the group's shared answer to every prompt, who saved each part, and the debrief once revealed."""

    def __init__(self, store: Store, activity: dict, case: CaseStudy, group: dict, participant: dict,
                 lang: str = "en"):
        super().__init__()
        self.add_class("tk-group")
        self.store, self.activity, self.case, self.group, self.participant, self.lang = (
            store, activity, case, group, participant, lang)
        names = {p["id"]: p["display_name"] or t("anonymous_asker", lang)
                 for p in store.session_participants(activity["session_id"])}
        members = ", ".join(esc(names.get(m, "?")) for m in group["members"])
        self.inputs: dict[str, AnswerInput] = {}
        self.saved_lines: dict[str, w.HTML] = {}
        self._applying = False
        self._latest: dict[str, Any] = {}
        revealed = activity["state"] == "revealed"
        rows: list[w.Widget] = [w.HTML(
            f"<div class='tk-activity'>{t('kind_case_study', lang)}</div><h2>{esc(tr(case.title, lang))}</h2>"
            f"<div class='tk-scenario'>{esc(tr(case.scenario, lang))}</div>"
            f"<div class='tk-counter'>{t('your_group', lang, name=esc(group['name']))}</div>"
            f"<div class='tk-hint'>{t('members', lang, names=members)}</div>"
            f"<div class='tk-notice'>{t('group_hint', lang)}</div>")]
        for i, prompt in enumerate(case.prompts, 1):
            box = make_input(prompt, lang)
            box.observe(lambda ch, pid=prompt.id: self._save(pid, ch["new"]), "response")
            self.inputs[prompt.id] = box
            self.saved_lines[prompt.id] = w.HTML()
            rows += [w.HTML(f"<div class='tk-question'>{i}. {esc(tr(prompt.text, lang))}</div>"), box,
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
        for box in self.inputs.values():
            for child in _descendants(box):
                if hasattr(child, "disabled"):
                    child.disabled = True

    def _save(self, prompt_id: str, response: Any) -> None:
        if self._applying:
            return
        try:
            self.store.save_group_answer(self.group["id"], self.participant["id"], prompt_id, response)
        except StoreError as e:
            self.status.value = f"<div class='tk-problem'>{t('not_saved', self.lang, msg=esc(str(e)))}</div>"
            return
        self.status.value = ""
        self.refresh()

    def refresh(self) -> None:
        """Show what the other members saved since the last look, and who saved each part."""
        latest = self.store.group_answers(self.group["id"])
        for prompt_id, answer in latest.items():
            if prompt_id not in self.inputs:
                continue
            if self._latest.get(prompt_id) != (answer["response"], answer["saved_at"]):
                self._latest[prompt_id] = (answer["response"], answer["saved_at"])
                box = self.inputs[prompt_id]
                if box.response != answer["response"]:
                    self._applying = True
                    try:
                        box.response = answer["response"]
                    finally:
                        self._applying = False
                name = answer["display_name"] or t("anonymous_asker", self.lang)
                if answer["participant_id"] == self.participant["id"]:
                    name = t("you", self.lang)
                when = answer["saved_at"].strftime("%H:%M") if hasattr(answer["saved_at"], "strftime") else ""
                self.saved_lines[prompt_id].value = (
                    f"<div class='tk-saved'>{t('saved_by', self.lang, name=esc(name), time=when)}</div>")

    def _show_debrief(self) -> None:
        latest = {k: v["response"] for k, v in self.store.group_answers(self.group["id"]).items()}
        scores = [s for s in (score(p, latest.get(p.id)) for p in self.case.prompts) if s is not None]
        points, maximum = sum(s.points for s in scores), sum(s.max_points for s in scores)
        parts = [f"<h2>{t('debrief', self.lang)}</h2>"]
        if maximum:
            shown = f"{points:.1f}".rstrip("0").rstrip(".")
            parts.append(f"<div class='tk-counter'>{t('group_score', self.lang, p=shown, m=int(maximum))}</div>")
        parts.append(f"<p>{esc(tr(self.case.debrief, self.lang))}</p>")
        for p in self.case.prompts:
            fb = tr(p.feedback, self.lang)
            if fb:
                parts.append(f"<p><b>{esc(tr(p.text, self.lang))}</b><br>{esc(fb)}</p>")
        self.debrief.value = "<div class='tk-card'>" + "".join(parts) + "</div>"


def _descendants(widget: w.Widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)
