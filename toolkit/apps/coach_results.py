"""Results as they arrive, pre vs post, and the presenter view for the debrief."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from .. import questions
from ..bank import tr
from ..design import describe_session
from ..live import answer_counts, pre_post, scores
from ..projector import hidden_words, set_hidden
from .charts import distribution, histogram, pre_post_rows
from .texts import esc

if TYPE_CHECKING:
    from .coach import CoachApp


class ResultsPanel(w.VBox):
    """Per question, the answers as they arrive; the class's scores; pre vs post once both exist."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.summary = w.HTML()
        self.questions = w.HTML()
        self.scores = w.HTML()
        self.comparison = w.HTML()
        self._figures_key: tuple | None = None
        self._figures = None
        self.children = [self.summary, self.questions, self.scores, self.comparison]

    def refresh(self) -> None:
        store = self.app.store
        if not self.app.selected_activity:
            self.summary.value = "<div class='tk-hint'>Open an activity to see its answers arrive.</div>"
            self.questions.value = self.scores.value = self.comparison.value = ""
            return
        activity = store.find_activity(self.app.selected_activity)
        # one read of the answer log for this activity and the workshop's tests (the comparison below)
        snap = self.app.snapshots([activity, *self._tests()])[activity["id"]]
        questions = snap.asked
        progress = snap.progress
        answered, choices = answer_counts(questions, progress)
        revealed = activity["state"] == "revealed"
        rows = []
        for i, q in enumerate(questions, 1):
            n = answered.get(q.id, 0)
            rows.append(f"<tr><td>{i}</td><td class='tk-qtext'>{esc(tr(q.text))}</td>"
                        f"<td class='tk-answered' data-question='{esc(q.id)}'><b>{n}</b></td>"
                        f"<td class='tk-dist' data-question='{esc(q.id)}'>"
                        f"{distribution(q, choices.get(q.id, {}), n, revealed, self._hidden(activity, q))}</td></tr>")
        self.summary.value = (
            f"<h2>{esc(activity['title'])} <span class='tk-state tk-state-{esc(activity['state'])}'>{esc(activity['state'])}"
            f"</span></h2><div class='tk-card'><span class='tk-stat'><span class='tk-big' id='tk-started'>"
            f"{progress['started']}</span> started</span><span class='tk-stat'><span class='tk-big' id='tk-submitted'>"
            f"{progress['submitted']}</span> submitted</span></div>")
        self.questions.value = ("<table class='tk-table'><tr><th>#</th><th>Question</th><th>Answered</th>"
                                "<th>Answers</th></tr>" + "".join(rows) + "</table>")
        scored = any(q.scored for q in questions)
        self.scores.value = (f"<h2>Class scores</h2>{histogram(list(scores(snap).values()))}"
                             if scored else "")
        self.comparison.value = self._comparison()

    def _hidden(self, activity: dict, q) -> set[str]:
        return hidden_words(self.app.store, activity["id"], q.id) if questions.kind(q.type).cloud else set()

    TESTS = ("pretest", "posttest")

    def _tests(self) -> list[dict]:
        """The workshop's pre- and post-tests (of every session), in the order of its sessions."""
        store = self.app.store
        return [a for s in store.list_sessions(self.app.session["workshop_id"])
                for a in store.list_activities(s["id"]) if a["kind"] in self.TESTS]

    def _comparison(self) -> str:
        """Pre vs post of this workshop, once post-test answers exist (possibly from another session).

        The class figures are the report's (toolkit.analysis.class_figures over the people who took both tests);
        the rows by objective and by question are everyone's so far, and say so."""
        store = self.app.store
        tests = self._tests()
        pre = next((a for a in tests if a["kind"] == "pretest"), None)
        post = next((a for a in tests if a["kind"] == "posttest"), None)
        if pre is None or post is None:
            return ""
        snaps = self.app.snapshots(tests)
        if snaps[post["id"]].started == 0:
            return ""
        figures = self.class_figures(pre, post, snaps)
        result = pre_post(store, pre, post, snaps)
        took = f"{figures.n_pre} took the pre-test and {figures.n_post} the post-test"
        if figures.n_matched == 0:
            head = f"<div class='tk-card'>Nobody has taken both tests yet ({took}).</div>"
        else:
            g = figures.value("class_g")
            gain = "–" if g != g else f"{g:.2f}"
            head = (f"<div class='tk-card'><span class='tk-stat'>Pre <span class='tk-big' id='tk-pre'>"
                    f"{figures.value('pre_mean'):.0f}%</span></span><span class='tk-stat'>Post <span class='tk-big' "
                    f"id='tk-post'>{figures.value('post_mean'):.0f}%</span></span><span class='tk-stat'>Class gain ⟨g⟩ "
                    f"<span class='tk-big' id='tk-gain'>{gain}</span></span></div>"
                    f"<p class='tk-hint'>Over the <b id='tk-matched'>{figures.n_matched}</b> who took both tests, "
                    f"as in the report; {took}.</p>")
        design = describe_session(store, pre["session_id"])
        return (f"<h2>Pre vs post</h2><div class='tk-hint tk-design'>{esc(design)}</div>{head}"
                f"<h3>By learning objective</h3><p class='tk-hint'>Everyone who took each test so far, not only "
                f"those who took both.</p>{pre_post_rows(result.by_objective)}"
                f"<h3>By question</h3>{pre_post_rows(result.by_question)}")

    def class_figures(self, pre: dict, post: dict, snaps: dict | None = None):
        """The report's pre/post figures for this workshop, computed again only when the tests' attempts or
        answers have changed; from the refresh's snapshots of the workshop's tests (no read of the answer log)."""
        from ..analysis import class_figures
        from ..results import load_results, tested_answers

        store = self.app.store
        snaps = snaps or self.app.snapshots(self._tests())
        key = tuple(sorted(s.version for s in snaps.values()))
        if self._figures_key != key:
            results = load_results(store, workshop_ids=[self.app.session["workshop_id"]], kinds=self.TESTS,
                                   snapshots=snaps)
            self._figures = class_figures(tested_answers(results))
            self._figures_key = key
        return self._figures


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
        # a word cloud's words: the coach hides one from the projector, or shows it again
        self.word = w.Dropdown(description="Word", layout=w.Layout(width="24em"))
        self.hide = w.Button(description="Hide from projector", icon="eye-slash")
        self.unhide = w.Button(description="Show again", icon="eye")
        for b in (self.hide, self.unhide):
            b.add_class("tk-secondary")
        self.hide.on_click(lambda _b: self.hide_word(self.word.value, True))
        self.unhide.on_click(lambda _b: self.hide_word(self.word.value, False))
        self.words = w.HBox([self.word, self.hide, self.unhide])
        self.children = [w.HBox([self.back, self.next, self.reveal]), self.words, self.view]
        self._question = None

    def hide_word(self, word: str | None, hidden: bool) -> None:
        if word and self._question is not None:
            set_hidden(self.app.store, self.app.selected_activity, self._question.id, word, hidden)
            self.refresh()

    def go(self, index: int) -> None:
        self.index = index
        self.refresh()

    def refresh(self) -> None:
        store = self.app.store
        if not self.app.selected_activity:
            self.view.value = "<div class='tk-hint'>Choose an activity to debrief (Run → Watch).</div>"
            return
        activity = store.find_activity(self.app.selected_activity)
        snap = self.app.snapshot(activity)
        asked = snap.asked
        if not asked:
            return
        self.index = max(0, min(self.index, len(asked) - 1))
        q = asked[self.index]
        self._question = q
        answered, choices = answer_counts(asked, snap.progress)
        kind = questions.kind(q.type)
        hidden = hidden_words(store, activity["id"], q.id) if kind.cloud else set()
        self.words.layout.display = None if kind.cloud else "none"
        if kind.cloud:
            options = [(f"{word} ({choices[q.id][word]})" + (" – hidden" if word in hidden else ""), word)
                       for word, _label in kind.categories(q, choices.get(q.id, {}))]
            if [v for _l, v in self.word.options] != [v for _l, v in options] or \
                    [lab for lab, _v in self.word.options] != [lab for lab, _v in options]:
                keep = self.word.value
                self.word.options = options
                self.word.value = keep if keep in [v for _l, v in options] else (options[0][1] if options else None)
        revealed = activity["state"] == "revealed"
        n = answered.get(q.id, 0)
        feedback = ""
        if revealed:
            notes = "".join(f"<li><b>{esc(tr(o.text))}</b>: {esc(tr(o.feedback))}</li>" for o in q.options if o.feedback)
            feedback = (f"<div class='tk-card'>{esc(tr(q.feedback))}" + (f"<ul>{notes}</ul>" if notes else "")
                        + "</div>")
        self.back.disabled = self.index == 0
        self.next.disabled = self.index == len(asked) - 1
        self.reveal.disabled = revealed
        self.view.value = (
            f"<div class='tk-hint'>{esc(activity['title'])}: question {self.index + 1} of {len(asked)}, "
            f"{n} answered</div><div class='tk-present-q'>{esc(tr(q.text))}</div>"
            f"<div class='tk-present-dist'>{distribution(q, choices.get(q.id, {}), n, revealed, hidden, projector=True)}</div>"
            f"{feedback}")
