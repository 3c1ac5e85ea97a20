"""Group exercises: make groups (random, by organisation, by hand), watch every group's answer, score it, debrief."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import ipywidgets as w

from .. import questions
from ..bank import tr
from ..live import activity_questions, display_names
from ..scoring import score
from .texts import fragment, panel

if TYPE_CHECKING:
    from .coach import CoachApp


def split_into_groups(people: list[dict], count: int, method: str, seed: int | None = None) -> list[list[str]]:
    """Participant ids in `count` groups: shuffled at random, or mixing organisations across groups."""
    count = max(1, min(count, len(people) or 1))
    ordered = list(people)
    random.Random(seed).shuffle(ordered)
    if method == "organisation":
        # Deal people out organisation by organisation so that every group mixes agencies.
        ordered.sort(key=lambda p: (p.get("organisation") or "").strip().lower())
    groups: list[list[str]] = [[] for _ in range(count)]
    for i, p in enumerate(ordered):
        groups[i % count].append(p["id"])
    return groups


def answer_text(q, response) -> str:
    return "–" if response is None else questions.describe(q, response)


class GroupsPanel(w.VBox):
    """The case-study activities of the session, their groups and every group's answer side by side."""

    def __init__(self, app: CoachApp):
        super().__init__()
        self.app = app
        self.activity_picker = w.Dropdown(layout=w.Layout(width="100%"), description="Exercise")
        self.method = w.ToggleButtons(options=[("At random", "random"), ("Mix organisations", "organisation"),
                                               ("By hand", "hand")], value="random")
        self.count = w.BoundedIntText(value=4, min=1, max=30, description="Groups")
        self.make = w.Button(description="Make groups", icon="users")
        self.make.add_class("tk-primary")
        self.make.on_click(lambda _b: self.make_groups())
        self.by_hand = w.VBox()
        self.board = w.HTML()
        self.activity_picker.observe(lambda _c: self.refresh(force=True), "value")
        self.method.observe(lambda _c: self._draw_by_hand(), "value")
        self.children = [self.activity_picker, w.HBox([self.method, self.count, self.make]), self.by_hand, self.board]
        self._choices: tuple = ()

    def refresh(self, force: bool = False) -> None:
        store = self.app.store
        cases = [a for a in store.list_activities(self.app.session["id"]) if a["case_study_id"]]
        choices = tuple((a["title"], a["id"]) for a in cases)
        if choices != self._choices:
            self._choices = choices
            self.activity_picker.options = choices
        if not cases:
            self.board.value = panel("line.html", css="tk-hint",
                                     text="This session has no case study. Add one when preparing a session.")
            return
        if self.activity_picker.value:  # None for a moment while the options change
            self._draw_board()

    def _people(self) -> list[dict]:
        return self.app.store.session_participants(self.app.session["id"])

    def _draw_by_hand(self) -> None:
        if self.method.value != "hand" or not self.activity_picker.value:
            self.by_hand.children = []
            return
        current = {m: g["name"] for g in self.app.store.list_groups(self.activity_picker.value) for m in g["members"]}
        names = display_names(self.app.store, self.app.session["id"], self.app.pseudonyms)
        options = [f"Group {i}" for i in range(1, self.count.value + 1)]
        self.hand_picks = {}
        rows = []
        for p in self._people():
            pick = w.Dropdown(options=options, value=current.get(p["id"]) if current.get(p["id"]) in options
                              else options[0], description=names[p["id"]], style={"description_width": "14em"})
            self.hand_picks[p["id"]] = pick
            rows.append(pick)
        self.by_hand.children = rows

    def make_groups(self, seed: int | None = None) -> None:
        """Replace the exercise's groups with new ones (answers already saved stay with their group)."""
        activity_id = self.activity_picker.value
        if not activity_id:
            return
        store = self.app.store
        if self.method.value == "hand":
            if not getattr(self, "hand_picks", None):
                self._draw_by_hand()
            named: dict[str, list[str]] = {}
            for pid, pick in self.hand_picks.items():
                named.setdefault(pick.value, []).append(pid)
            wanted = sorted(named.items())
        else:
            split = split_into_groups(self._people(), self.count.value, self.method.value, seed)
            wanted = [(f"Group {i}", members) for i, members in enumerate(split, 1)]
        store.form_groups(activity_id, wanted)
        self.app.refresh(force=True)

    def _draw_board(self) -> None:
        store = self.app.store
        activity = store.find_activity(self.activity_picker.value)
        prompts = activity_questions(store, activity)
        revealed = activity["state"] == "revealed"
        names = display_names(store, self.app.session["id"], self.app.pseudonyms)
        cards = []
        for g in store.list_groups(activity["id"]):
            if not g["members"]:
                continue
            answers = store.group_answers(g["id"])
            scores = [s for s in (score(p, answers.get(p.id, {}).get("response")) for p in prompts) if s is not None]
            total = f"{sum(s.points for s in scores):.1f} of {sum(s.max_points for s in scores):.0f}"
            lines = []
            for p in prompts:
                a = answers.get(p.id)
                s = score(p, a["response"]) if a else None
                mark = "" if s is None else (" ✓" if s.correct else (" ½" if s.points else " ✗"))
                who = names.get(a["participant_id"], "?") if a else None
                lines.append(fragment("coach/group_line.html", prompt=p.id, mark=mark, who=who,
                                      answer=answer_text(p, a["response"] if a else None)))
            members = [names.get(m, "?") for m in g["members"]]
            cards.append(fragment("coach/group_card.html", group=g["name"], total=total, members=members, lines=lines))
        case = store.find_bank(activity["bank_hash"]).case_study(activity["case_study_id"])
        self.board.value = panel("coach/groups.html", title=tr(case.title), state_name=activity["state"], cards=cards,
                                 debrief=tr(case.debrief) if revealed else None)
