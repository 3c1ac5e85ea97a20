"""Results as they arrive, pre vs post, and the presenter view for the debrief."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from ..bank import tr
from ..design import describe_session
from ..live import activity_questions, attempt_scores, pre_post
from .charts import distribution, histogram, pre_post_rows
from .texts import esc

if TYPE_CHECKING:
    from .coach import CoachApp


def _percent(value: float | None) -> str:
    """A mean score, or "–" while nobody has one (the post-test started, nobody took the pre-test)."""
    return "–" if value is None else f"{value:.0f}%"


class ResultsPanel(w.VBox):
    """Per question, the answers as they arrive; the class's scores; pre vs post once both exist."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.summary = w.HTML()
        self.questions = w.HTML()
        self.scores = w.HTML()
        self.comparison = w.HTML()
        self.children = [self.summary, self.questions, self.scores, self.comparison]

    def refresh(self) -> None:
        store = self.app.store
        if not self.app.selected_activity:
            self.summary.value = "<div class='tk-hint'>Open an activity to see its answers arrive.</div>"
            self.questions.value = self.scores.value = self.comparison.value = ""
            return
        activity = store.get_activity(self.app.selected_activity)
        questions = activity_questions(store, activity)
        progress = store.activity_progress(activity["id"])
        revealed = activity["state"] == "revealed"
        rows = []
        for i, q in enumerate(questions, 1):
            n = progress["answered"].get(q.id, 0)
            rows.append(f"<tr><td>{i}</td><td class='tk-qtext'>{esc(tr(q.text))}</td>"
                        f"<td class='tk-answered' data-question='{esc(q.id)}'><b>{n}</b></td>"
                        f"<td class='tk-dist' data-question='{esc(q.id)}'>"
                        f"{distribution(q, progress['choices'].get(q.id, {}), n, revealed)}</td></tr>")
        self.summary.value = (
            f"<h2>{esc(activity['title'])} <span class='tk-state tk-state-{esc(activity['state'])}'>{esc(activity['state'])}"
            f"</span></h2><div class='tk-card'><span class='tk-stat'><span class='tk-big' id='tk-started'>"
            f"{progress['started']}</span> started</span><span class='tk-stat'><span class='tk-big' id='tk-submitted'>"
            f"{progress['submitted']}</span> submitted</span></div>")
        self.questions.value = ("<table class='tk-table'><tr><th>#</th><th>Question</th><th>Answered</th>"
                                "<th>Answers</th></tr>" + "".join(rows) + "</table>")
        scored = any(q.scored for q in questions)
        self.scores.value = (f"<h2>Class scores</h2>{histogram(list(attempt_scores(store, activity).values()))}"
                             if scored else "")
        self.comparison.value = self._comparison()

    def _comparison(self) -> str:
        """Pre vs post of this workshop, once post-test answers exist (possibly from another session)."""
        store = self.app.store
        activities = [a for s in store.list_sessions(self.app.session["workshop_id"])
                      for a in store.list_activities(s["id"])]
        pre = next((a for a in activities if a["kind"] == "pretest"), None)
        post = next((a for a in activities if a["kind"] == "posttest"), None)
        if pre is None or post is None or store.activity_progress(post["id"])["started"] == 0:
            return ""
        result = pre_post(store, pre, post)
        gain = "–" if result.gain is None else f"{result.gain:.2f}"
        design = describe_session(store, pre["session_id"])
        return (f"<h2>Pre vs post</h2><div class='tk-hint tk-design'>{esc(design)}</div><div class='tk-card'><span class='tk-stat'>Pre <span class='tk-big'>"
                f"{_percent(result.pre_mean)}</span> (n={result.n_pre})</span><span class='tk-stat'>Post "
                f"<span class='tk-big'>{_percent(result.post_mean)}</span> (n={result.n_post})</span>"
                f"<span class='tk-stat'>Class gain ⟨g⟩ <span class='tk-big' id='tk-gain'>{gain}</span></span></div>"
                f"<h3>By learning objective</h3>{pre_post_rows(result.by_objective)}"
                f"<h3>By question</h3>{pre_post_rows(result.by_question)}")


class PresenterPanel(w.VBox):
    """One question and its answers, full screen, stepped through for the debrief."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.add_class("tk-presenter")
        self.app = app
        self.index = 0
        self.view = w.HTML()
        self.back = w.Button(description="Previous", icon="arrow-left")
        self.next = w.Button(description="Next", icon="arrow-right")
        self.reveal = w.Button(description="Reveal answers", icon="eye")
        for b in (self.back, self.next, self.reveal):
            b.add_class("tk-secondary")
        self.back.on_click(lambda _b: self.go(self.index - 1))
        self.next.on_click(lambda _b: self.go(self.index + 1))
        self.reveal.on_click(lambda _b: self.app.set_state(self.app.selected_activity, "revealed"))
        self.children = [w.HBox([self.back, self.next, self.reveal]), self.view]

    def go(self, index: int) -> None:
        self.index = index
        self.refresh()

    def refresh(self) -> None:
        store = self.app.store
        if not self.app.selected_activity:
            self.view.value = "<div class='tk-hint'>Choose an activity to debrief (Run → Watch).</div>"
            return
        activity = store.get_activity(self.app.selected_activity)
        questions = activity_questions(store, activity)
        if not questions:
            return
        self.index = max(0, min(self.index, len(questions) - 1))
        q = questions[self.index]
        progress = store.activity_progress(activity["id"])
        revealed = activity["state"] == "revealed"
        n = progress["answered"].get(q.id, 0)
        feedback = ""
        if revealed:
            notes = "".join(f"<li><b>{esc(tr(o.text))}</b>: {esc(tr(o.feedback))}</li>" for o in q.options if o.feedback)
            feedback = (f"<div class='tk-card'>{esc(tr(q.feedback))}" + (f"<ul>{notes}</ul>" if notes else "")
                        + "</div>")
        self.back.disabled = self.index == 0
        self.next.disabled = self.index == len(questions) - 1
        self.reveal.disabled = revealed
        self.view.value = (
            f"<div class='tk-hint'>{esc(activity['title'])}: question {self.index + 1} of {len(questions)}, "
            f"{n} answered</div><div class='tk-present-q'>{esc(tr(q.text))}</div>"
            f"<div class='tk-present-dist'>{distribution(q, progress['choices'].get(q.id, {}), n, revealed)}</div>"
            f"{feedback}")
