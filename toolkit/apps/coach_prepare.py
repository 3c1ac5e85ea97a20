"""Prepare: choose or create a workshop, create a session, pick its activities, profile questions and time limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from ..bank import Bank, tr
from ..design import DEFAULT_DESIGN, DESIGNS, posttest_forms
from ..retention import retention_check
from ..store import PROFILE_FIELDS, StoreError
from .texts import panel

if TYPE_CHECKING:
    from .coach import CoachApp

NEW = "__new__"
DESIGN_CHOICES = {"crossover": "Crossover: half the room takes the pre-test's form first, half the post-test's",
                  "a-then-b": "Everyone takes the pre-test's form first, the post-test's after",
                  "same-form": "The pre-test's form before and after (same questions)"}
WIDE = w.Layout(width="100%")


def _labelled(widget: w.Widget, label: str) -> w.Widget:
    widget.description = label
    widget.style.description_width = "10em"
    widget.layout.width = "100%"
    return widget


class PreparePanel(w.VBox):
    """Everything the coach sets up before the room arrives."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.draw()

    def _banks(self, kind: str) -> list[Bank]:
        return sorted((b for b in self.app.banks if b.kind == kind), key=lambda b: (b.form or "", b.id))

    def draw(self) -> None:
        store = self.app.store
        workshops = store.list_workshops()
        open_sessions = [s for s in store.list_sessions() if s["state"] == "open"]
        titles = {x["id"]: x["title"] for x in workshops}
        self.session_picker = w.Dropdown(
            options=[(f"{s['title']} — {titles.get(s['workshop_id'], '?')} — code {s['join_code']}", s["id"])
                     for s in open_sessions], layout=WIDE)
        self.continue_button = w.Button(description="Continue this session", icon="play", disabled=not open_sessions)
        self.continue_button.add_class("tk-primary")
        self.continue_button.on_click(lambda _b: self.app.show_session(self.session_picker.value))

        self.workshop_picker = _labelled(w.Dropdown(options=[("New workshop…", NEW)] + [
            (f"{x['title']} ({x['place'] or 'no place'})", x["id"]) for x in workshops]), "Workshop")
        self.workshop_title = _labelled(w.Text(placeholder="e.g. Identifying and referring victims of trafficking"),
                                        "Title")
        self.place = _labelled(w.Text(placeholder="e.g. Quetta"), "Place")
        self.starts_on = _labelled(w.DatePicker(), "Starts")
        self.ends_on = _labelled(w.DatePicker(), "Ends")
        self.organiser = _labelled(w.Text(placeholder="e.g. the organising agency"), "Organiser")
        self.cohort = _labelled(w.Text(placeholder="e.g. Women officers, Islamabad 2026"), "Cohort")
        self.profile = {f: _labelled(w.ToggleButtons(options=["off", "optional", "required"],
                                                     value="off" if f == "province" else "optional"), f.capitalize())
                        for f in PROFILE_FIELDS}
        self.new_workshop = w.VBox([self.workshop_title, self.place, self.starts_on, self.ends_on, self.organiser,
                                    self.cohort, w.HTML("<b>Profile questions asked at join</b>"),
                                    *self.profile.values()])
        self.workshop_picker.observe(self._on_workshop, "value")

        self.session_title = _labelled(w.Text(value="Day 1"), "Session")
        tests = [("(none)", "")] + [(f"{tr(b.title)}", b.hash) for b in self._banks("test")]
        self.pretest = _labelled(w.Dropdown(options=tests, value=tests[1][1] if len(tests) > 1 else ""), "Pre-test")
        # the parallel form B when there is one, else the same form again
        self.posttest = _labelled(w.Dropdown(options=tests, value=tests[min(2, len(tests) - 1)][1]), "Post-test")
        self.design = _labelled(w.Dropdown(options=[(DESIGN_CHOICES[d], d) for d in DESIGNS], value=DEFAULT_DESIGN),
                                "Forms")
        self.test_minutes = _labelled(w.BoundedIntText(value=0, min=0, max=240), "Time limit (min, 0 = none)")
        self.confidence = w.Checkbox(value=bool(self._banks("confidence")), indent=False,
                                     description="Confidence self-assessment before the pre-test and after the post-test",
                                     disabled=not self._banks("confidence"), layout=WIDE)
        self.retention = w.Checkbox(value=False, indent=False, layout=WIDE, disabled=True,
                                    description="Retention check first: repeat questions of this workshop's last "
                                                "post-test (choose an existing workshop)")
        self.survey = w.Checkbox(value=bool(self._banks("survey")), indent=False, layout=WIDE,
                                 description="Reaction survey at the end", disabled=not self._banks("survey"))
        self.checks = {b.hash: w.Checkbox(value=False, indent=False, description=f"Quick check: {tr(b.title)}",
                                          layout=WIDE) for b in self._banks("check")}
        self.cases = {(b.hash, c.id): w.Checkbox(value=False, indent=False, layout=WIDE,
                                                 description=f"Case study: {tr(c.title)}")
                      for b in self._banks("case-studies") for c in b.case_studies}
        self.create_button = w.Button(description="Create session", icon="plus")
        self.create_button.add_class("tk-primary")
        self.create_button.on_click(lambda _b: self.create())
        self.children = [
            w.HTML("<h2>Continue a session</h2>"), self.session_picker, self.continue_button,
            w.HTML(panel("coach/bank_problems.html", problems=self.app.bank_problems[:10])), self.workshop_picker,
            self.new_workshop, self.session_title,
            w.HTML("<b>Activities, in this order</b>"), self.retention, self.confidence, self.pretest, self.test_minutes,
            *self.cases.values(), *self.checks.values(), self.posttest, self.design, self.survey, self.create_button,
        ]

    def _on_workshop(self, change) -> None:
        self.new_workshop.layout.display = None if change["new"] == NEW else "none"
        self.retention.disabled = self._last_posttest(change["new"]) is None
        self.retention.value = self.retention.value and not self.retention.disabled
        if change["new"] != NEW:
            n = len(self.app.store.list_sessions(change["new"]))
            self.session_title.value = f"Session {n + 1}"

    def _last_posttest(self, workshop_id: str) -> dict | None:
        """The newest post-test of the workshop's sessions (what a retention check repeats), or None."""
        if workshop_id == NEW:
            return None
        store = self.app.store
        posts = [a for s in store.list_sessions(workshop_id) for a in store.list_activities(s["id"])
                 if a["kind"] == "posttest"]
        return max(posts, key=lambda a: a["created_at"]) if posts else None

    def create(self) -> dict | None:
        """Create (or reuse) the workshop, the session and its activities in one transaction (store.prepare_session),
        and go to the join screen."""
        store = self.app.store
        by_hash = {b.hash: b for b in self.app.banks}
        limit = self.test_minutes.value * 60 or None
        try:
            if self.workshop_picker.value == NEW:
                if not self.workshop_title.value.strip():
                    raise StoreError("Give the workshop a title.")
                where = dict(new_workshop=dict(
                    title=self.workshop_title.value, place=self.place.value.strip() or None,
                    starts_on=self.starts_on.value, ends_on=self.ends_on.value,
                    organiser=self.organiser.value.strip() or None, cohort=self.cohort.value.strip() or None,
                    profile_fields={f: b.value for f, b in self.profile.items()}))
                earlier = None
            else:
                where = dict(workshop_id=self.workshop_picker.value)
                earlier = self._last_posttest(self.workshop_picker.value) if self.retention.value else None
            crossover = self.design.value == "crossover" and self.pretest.value and self.posttest.value \
                and self.pretest.value != self.posttest.value
            plan = []
            if earlier is not None:
                forms = [store.find_bank(h) for h in posttest_forms(store, earlier)]
                check = retention_check(forms[0], other_form=forms[1] if len(forms) > 1 else None)
                plan.append(dict(bank=check, kind="retention", title=f"Retention check: {tr(check.title)}"))
            confidence = self._banks("confidence")[0] if self.confidence.value else None
            if confidence:
                plan.append(dict(bank=confidence, kind="confidence", title="Confidence (before)"))
            if self.pretest.value:
                bank = by_hash[self.pretest.value]
                title = "Pre-test (half the room on each form)" if crossover else f"Pre-test: {tr(bank.title)}"
                plan.append(dict(bank=bank, kind="pretest", title=title, time_limit_s=limit))
            for (bank_hash, case_id), box in self.cases.items():
                if box.value:
                    case = by_hash[bank_hash].case_study(case_id)
                    plan.append(dict(bank=by_hash[bank_hash], kind="case_study", case_study_id=case_id,
                                     title=f"Case study: {tr(case.title)}"))
            for bank_hash, box in self.checks.items():
                if box.value:
                    plan.append(dict(bank=by_hash[bank_hash], kind="check"))
            post = self.pretest.value if self.design.value == "same-form" and self.pretest.value else self.posttest.value
            if post:
                bank = by_hash[post]
                title = "Post-test (each on the other form)" if crossover else f"Post-test: {tr(bank.title)}"
                plan.append(dict(bank=bank, kind="posttest", title=title, time_limit_s=limit))
            if confidence:
                plan.append(dict(bank=confidence, kind="confidence", title="Confidence (after)"))
            if self.survey.value:
                plan.append(dict(bank=self._banks("survey")[0], kind="survey"))
            session = store.prepare_session(self.session_title.value.strip() or "Session", plan,
                                            design=self.design.value, **where)
        except StoreError as e:
            self.app.say(str(e))
            return None
        self.app.say("")
        self.app.show_session(session["id"])
        return session
