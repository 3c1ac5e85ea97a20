"""Run: open, close and reveal each activity, change its timer, and see where everyone is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from ..deadline import seconds_left, seconds_open
from ..live import status_board
from ..store import StoreError
from .coach_people import SilentPeople
from .texts import panel

if TYPE_CHECKING:
    from .coach import CoachApp

KIND_LABELS = {"pretest": "Pre-test", "posttest": "Post-test", "check": "Quick check", "survey": "Survey",
               "confidence": "Confidence", "case_study": "Case study", "retention": "Retention check"}


class RunPanel(w.VBox):
    """The activities of the session with their controls, and the status board of the selected one."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.rows = w.VBox()
        self.board = w.HTML()
        self.board_actions = w.VBox()
        self.end_button = w.Button(description="End this session", icon="power-off")
        self.end_button.add_class("tk-secondary")
        self.end_button.on_click(lambda _b: self._ask_to_end())
        self.end_confirm = w.HBox()
        self.silent = SilentPeople(app)
        self.children = [w.HTML("<h2>Activities</h2>"), self.rows, self.board, self.board_actions, self.silent,
                         w.HBox([self.end_button, self.end_confirm])]
        self.buttons: dict[str, dict[str, w.Button]] = {}
        self._drawn: tuple | None = None
        self.activities: list[dict] = []  # as read at the last refresh: the clocks tick from them in between

    def refresh(self) -> None:
        activities = self.activities = self.app.store.list_activities(self.app.session["id"])
        drawn = tuple((a["id"], a["state"], a["time_limit_s"]) for a in activities)
        if drawn != self._drawn:
            self._drawn = drawn
            self._draw_rows(activities)
        self._update_clocks(activities)
        self._draw_board()
        self.silent.refresh()

    def _draw_rows(self, activities: list[dict]) -> None:
        rows = []
        self.buttons = {}
        self.clocks: dict[str, w.HTML] = {}
        for a in activities:
            buttons = {}
            for action, label, icon in (("open", "Open", "play"), ("closed", "Close", "stop"),
                                        ("revealed", "Reveal", "eye")):
                b = w.Button(description=label, icon=icon, disabled=a["state"] == action, layout=w.Layout(width="auto"))
                b.add_class("tk-secondary")
                b.on_click(lambda _b, aid=a["id"], s=action: self.app.set_state(aid, s))
                buttons[action] = b
            for action, label, icon in (("extend", "+5 min", "clock-o"), ("stop_timer", "No time limit", "ban")):
                b = w.Button(description=label, icon=icon, layout=w.Layout(width="auto"),
                             disabled=a["state"] != "open" or (action == "stop_timer" and not a["time_limit_s"]))
                b.add_class("tk-secondary")
                b.on_click(lambda _b, act=a, s=action: self.change_timer(act, s))
                buttons[action] = b
            self.buttons[a["id"]] = buttons
            self.clocks[a["id"]] = w.HTML()
            label = w.HTML(panel("coach/activity_row.html", selected=a["id"] == self.app.selected_activity,
                                 title=a["title"], kind=KIND_LABELS.get(a["kind"], a["kind"]), state_name=a["state"]),
                           layout=w.Layout(flex="1"))
            pick = w.Button(description="Watch", icon="bar-chart", layout=w.Layout(width="auto"))
            pick.add_class("tk-secondary")
            pick.on_click(lambda _b, aid=a["id"]: self.app.select(aid))
            rows.append(w.HBox([label, self.clocks[a["id"]], *buttons.values(), pick],
                               layout=w.Layout(align_items="center", flex_flow="row wrap")))
        self.rows.children = rows or [w.HTML(panel("line.html", css="tk-hint", text="No activities in this session."))]

    def _update_clocks(self, activities: list[dict]) -> None:
        for a in activities:
            left = seconds_left(a)
            clock = self.clocks.get(a["id"])
            if clock is not None:
                clock.value = "" if left is None else panel("coach/clock.html", left=left)

    def change_timer(self, activity: dict, action: str) -> None:
        """Give five more minutes (five from now if there was no limit), or take the time limit away."""
        current = self.app.store.find_activity(activity["id"])
        if action == "stop_timer":
            limit = None
        elif current["time_limit_s"]:
            limit = current["time_limit_s"] + 300
        else:
            limit = seconds_open(current) + 300
        self.app.store.set_time_limit(activity["id"], limit)
        self.app.refresh(force=True)

    def _draw_board(self) -> None:
        activity_id = self.app.selected_activity
        if not activity_id:
            self.board.value = ""
            self.board_actions.children = []
            return
        activity = self.app.store.find_activity(activity_id)
        if activity["case_study_id"]:
            self.board.value = panel("line.html", css="tk-hint", text="Group exercise: see the Groups tab.")
            self.board_actions.children = []
            return
        snap = self.app.snapshot(activity)
        statuses = status_board(self.app.store, self.app.session["id"], activity, pseudonyms=self.app.pseudonyms,
                                snap=snap)
        counts = {s: sum(1 for x in statuses if x.state == s) for s in ("not started", "answering", "idle", "submitted")}
        self.board.value = panel("coach/board.html", title=activity["title"], counts=counts, statuses=statuses)
        # Move a late or stuck participant along: submit what they have saved so far.
        waiting = [x for x in statuses if x.state in ("answering", "idle")]
        self.move_along = w.Dropdown(options=[(x.name, x.participant_id) for x in waiting],
                                     layout=w.Layout(width="20em"))
        button = w.Button(description="Submit their saved answers", icon="forward", disabled=not waiting)
        button.add_class("tk-secondary")
        button.on_click(lambda _b: self.submit_for(activity_id, self.move_along.value))
        self.board_actions.children = [w.HBox([self.move_along, button])] if waiting else []

    def _ask_to_end(self) -> None:
        yes = w.Button(description="Yes, end it: nobody can join or answer any more", icon="check")
        yes.add_class("tk-primary")
        no = w.Button(description="Not yet")
        no.add_class("tk-secondary")
        yes.on_click(lambda _b: self.end_session())
        no.on_click(lambda _b: setattr(self.end_confirm, "children", ()))
        self.end_yes = yes
        self.end_confirm.children = [no, yes]

    def end_session(self) -> None:
        """Close the session: its join code is freed, answers stay, and the coach goes back to the sessions."""
        try:
            self.app.store.close_session(self.app.session["id"])
        except StoreError as e:  # e.g. the disk is full: the session stays open, and the coach is told
            self.app.say(f"The session was not ended: {e} If the laptop's disk is full, free some space, then "
                         "end it again.")
            return
        self.app.show_prepare()

    def submit_for(self, activity_id: str, participant_id: str | None) -> None:
        if not participant_id:
            return
        attempt = self.app.store.get_attempt(activity_id, participant_id)
        if attempt is not None:
            self.app.store.submit_attempt(attempt["id"])
        self.app.refresh(force=True)
