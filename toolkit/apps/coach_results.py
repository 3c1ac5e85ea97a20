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
from .texts import fragment, panel

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
            self.summary.value = panel("line.html", css="tk-hint", text="Open an activity to see its answers arrive.")
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
            rows.append(fragment("coach/question_row.html", i=i, text=tr(q.text), question=q.id, n=n,
                                 chart=distribution(q, choices.get(q.id, {}), n, revealed, self._hidden(activity, q))))
        self.summary.value = panel("coach/summary.html", activity=activity, progress=progress)
        self.questions.value = panel("coach/questions.html", rows=rows)
        scored = any(q.scored for q in questions)
        self.scores.value = (panel("coach/scores.html", chart=histogram(list(scores(snap).values())))
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
        figure = {}
        if figures.n_matched:
            g = figures.value("class_g")
            figure = {"pre": figures.value("pre_mean"), "post": figures.value("post_mean"),
                      "gain": "–" if g != g else f"{g:.2f}"}
        design = describe_session(store, pre["session_id"])
        return panel("coach/comparison.html", design=design, matched=figures.n_matched, took=took, **figure,
                     by_objective=pre_post_rows(result.by_objective), by_question=pre_post_rows(result.by_question))

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
            self.view.value = panel("line.html", css="tk-hint", text="Choose an activity to debrief (Run → Watch).")
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
        feedback, notes = None, []
        if revealed:
            notes = [(tr(o.text), tr(o.feedback)) for o in q.options if o.feedback]
            feedback = tr(q.feedback)
        self.back.disabled = self.index == 0
        self.next.disabled = self.index == len(asked) - 1
        self.reveal.disabled = revealed
        self.view.value = panel(
            "coach/presenter.html", title=activity["title"], i=self.index + 1, asked=len(asked), n=n, text=tr(q.text),
            chart=distribution(q, choices.get(q.id, {}), n, revealed, hidden, projector=True), feedback=feedback,
            notes=notes)
