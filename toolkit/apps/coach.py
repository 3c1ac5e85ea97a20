"""The coach console: prepare, show the join code, run activities, watch results arrive, debrief.

What the room sees on the projector: large type, names switchable to pseudonyms, and everything a
participant typed shown as text. Live figures follow the store with a cheap "what changed" query.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import ipywidgets as w

from .. import config
from ..bank import Bank, load_banks
from ..live import display_names
from ..room_status import room_line, room_status
from ..store import Store, StoreError, StoreUnavailable
from .coach_groups import GroupsPanel
from .coach_prepare import PreparePanel
from .coach_results import PresenterPanel, ResultsPanel
from .coach_room import RoomPanel
from .coach_run import RunPanel
from .following import FollowsStore
from .style import STYLE
from .texts import Markup, panel

TABS = (("Join", "join"), ("Run", "run"), ("Results", "results"), ("Groups", "groups"),
        ("Questions", "room"), ("Presenter", "presenter"))


def qr_svg(url: str, scale: int = 8) -> str:
    """The join address as a QR code, drawn inline (no request leaves the laptop)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=scale, dark="#1d2330", light="#ffffff")


def join_address(join_url: str | None, code: str) -> str:
    base = (join_url or os.environ.get(config.ENV_JOIN_URL) or "http://localhost:8866/").rstrip("/")
    return f"{base}/?code={code}"


class CoachApp(FollowsStore, w.VBox):
    """The whole coach page."""

    def __init__(self, store: Store | None = None, banks_dir: str | Path | None = None, join_url: str | None = None,
                 poll_seconds: float = 0.5, start_polling: bool = True):
        super().__init__()
        self.add_class("tk-app")
        self.add_class("tk-coach")
        self.store = store or Store(config.db_url())
        self.join_url = join_url
        self.poll_seconds = poll_seconds
        self.banks: list[Bank] = []
        self.bank_problems: list[str] = []
        self.session: dict | None = None
        self.selected_activity: str | None = None
        self.pseudonyms = False
        self._pulse: tuple | None = None
        self._task: asyncio.Task | None = None
        self.banks, self.bank_problems = load_banks([banks_dir or config.banks_dir()])

        self.title = w.HTML("<h1>Coach console</h1>")
        self.message = w.HTML()
        self.room = w.HTML()  # "The room is full", from the participant servers (toolkit.room_status)
        self._room_read_at = 0.0
        self.nav = w.ToggleButtons(options=TABS, value="join")
        self.nav.add_class("tk-nav")
        self.nav.observe(lambda _c: self._show_tab(), "value")
        self.names_toggle = w.ToggleButtons(options=[("Names", False), ("Pseudonyms", True)], value=False,
                                            tooltips=["Show names on the projector", "Hide names on the projector"])
        self.names_toggle.observe(self._on_names, "value")
        self.sessions_button = w.Button(description="Sessions", icon="list")
        self.sessions_button.add_class("tk-secondary")
        self.sessions_button.on_click(lambda _b: self.show_prepare())
        self.toolbar = w.HBox([self.nav, self.names_toggle, self.sessions_button],
                              layout=w.Layout(flex_flow="row wrap", align_items="center", display="none"))
        self.join_panel = w.HTML()
        self.joined = w.HTML()
        self.prepare = PreparePanel(self)
        self.panels: dict[str, w.Widget] = {}
        self.body = w.VBox([self.prepare])
        self.children = [w.HTML(STYLE), self.title, self.toolbar, self.message, self.room, self.body]
        if start_polling:
            self.start()

    def refresh(self, force: bool = False) -> None:
        """Update the visible panel in place when something changed in the store (and the clocks every tick)."""
        self._update_room()
        if self.session is None:
            return
        pulse = self.store.pulse(self.session["id"])
        changed = force or pulse != self._pulse
        self._pulse = pulse
        tab = self.nav.value
        if changed:
            self._update_joined()
            if tab in self.panels:
                self.panels[tab].refresh()
        elif tab == "run":
            self.panels["run"]._update_clocks(self.store.list_activities(self.session["id"]))

    ROOM_EVERY_S = 2.0

    def _update_room(self) -> None:
        """Whether a participant server is turning phones away (read every ROOM_EVERY_S, not every tick)."""
        now = time.monotonic()
        if now - self._room_read_at < self.ROOM_EVERY_S:
            return
        self._room_read_at = now
        line = room_line(room_status(self.store))
        self.room.value = panel("coach/room_full.html", lines=line.splitlines())

    def show_problem(self, text: str) -> None:
        self.say(text)

    def say(self, text: str) -> None:
        self.message.value = panel("line.html", css="tk-problem", text=text) if text else ""

    # ------------------------------------------------------------ sessions

    @property
    def create_button(self) -> w.Button:
        return self.prepare.create_button

    def show_prepare(self) -> None:
        self.session = None
        self.toolbar.layout.display = "none"
        self.title.value = "<h1>Coach console</h1>"
        self.prepare.draw()
        self.body.children = [self.prepare]

    def show_session(self, session_id: str) -> None:
        self.session = self.store.find_session(session_id)
        workshop = self.store.find_workshop(self.session["workshop_id"])
        self.title.value = panel("coach/title.html", workshop=workshop["title"], session=self.session["title"],
                                 code=self.session["join_code"])
        address = join_address(self.join_url, self.session["join_code"])
        self.join_panel.value = panel("coach/join.html", qr=Markup(qr_svg(address)), address=address,  # segno's SVG
                                      code=self.session["join_code"])
        self.panels = {"join": _JoinPanel([self.join_panel, self.joined]), "run": RunPanel(self),
                       "results": ResultsPanel(self), "groups": GroupsPanel(self), "room": RoomPanel(self),
                       "presenter": PresenterPanel(self)}
        activities = self.store.list_activities(session_id)
        current = self.store.current_activity(session_id)
        self.selected_activity = current["id"] if current else (activities[0]["id"] if activities else None)
        self.toolbar.layout.display = None
        self._show_tab()

    def _show_tab(self) -> None:
        if self.session is None:
            return
        self.body.children = [self.panels[self.nav.value]]
        self.refresh(force=True)

    def _on_names(self, change) -> None:
        self.pseudonyms = change["new"]
        self.refresh(force=True)

    def _update_joined(self) -> None:
        names = display_names(self.store, self.session["id"], self.pseudonyms)
        self.joined.value = panel("coach/joined.html", names=list(names.values()))

    # ------------------------------------------------------------ actions shared by the panels

    def set_state(self, activity_id: str, state: str) -> None:
        """Open, close or reveal an activity, and follow it on the results; the coach sees what went wrong."""
        verb = {"open": "opened", "closed": "closed", "revealed": "revealed"}.get(state, state)
        button = {"open": "Open", "closed": "Close", "revealed": "Reveal"}.get(state, state)
        try:
            self.store.set_activity_state(activity_id, state)
        except StoreUnavailable as e:
            self.say(f"The activity was not {verb}: {e} If the laptop's disk is full, free some space (empty the "
                     f"recycle bin, delete large files), then press {button} again. The answers saved so far are "
                     "safe.")
            return
        except StoreError as e:
            self.say(f"The activity was not {verb}: {e}")
            return
        self.selected_activity = activity_id
        if self.store.backup_problem:
            self.say(f"The activity is {verb}, but no backup copy of the store was made: {self.store.backup_problem} "
                     "If the disk is full, free some space, then run `toolkit backup` to make one. The answers are "
                     "safe in the store.")
        else:
            self.say("")
        self.refresh(force=True)

    def select(self, activity_id: str) -> None:
        self.selected_activity = activity_id
        self.nav.value = "results"
        self.refresh(force=True)


class _JoinPanel(w.VBox):
    """The QR code, address and code for the projector, and who joined (kept live by the console)."""

    def refresh(self) -> None:
        pass
