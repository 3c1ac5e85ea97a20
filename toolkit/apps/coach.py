"""The coach console: prepare, show the join code, run activities, watch results arrive, debrief.

What the room sees on the projector: large type, names switchable to pseudonyms, and everything a
participant typed shown as text. Live figures follow the store: each tick asks the store's change watch whether
anything was written (one cheap statement, or none: Store.watch_changes); only then does the visible panel
refresh, from one snapshot of the activities it shows (one read of the answer log: toolkit.live.snapshots).
A look being that cheap, the console looks four times a second, so that an answer is on the chart within about
a quarter of a second and the refresh's own time.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import ipywidgets as w

from .. import config, live
from ..bank import Bank, load_banks
from ..live import display_names
from ..room_status import FRESH_S, room_line, room_status
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
                 poll_seconds: float = 0.25, start_polling: bool = True):
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
        self._watch = None  # the store's change watch for the session shown (Store.watch_changes)
        self._snapshots: dict | None = None  # the activities read during this refresh (see `snapshots`)
        self._kept: dict = {}  # the latest snapshot of each activity, kept while its version holds
        self._room_records: list[dict] = []
        self._room_due = True
        self.forced = False  # whether the refresh under way was asked for (a tab, an action), not a tick's
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
        """Update the visible panel in place when something changed in the store (and the clocks every tick).

        A tick when nothing changed costs the change watch's look alone (one cheap statement, or none); a tick
        after a change reads the answer log once, for every figure the panel shows."""
        if self.session is None:
            self._update_room()
            return
        if self._watch is None:
            self._watch = self.store.watch_changes(self.session["id"])
        changed = self._watch.changed() or force  # asked first: a write after this look is seen next tick
        self.forced = force
        self._update_room(changed)
        tab = self.nav.value
        if not changed:
            if tab == "run":
                self.panels["run"]._update_clocks(self.panels["run"].activities)
            return
        self._snapshots = {}
        try:
            self._update_joined()
            if tab in self.panels:
                self.panels[tab].refresh()
        finally:
            self._snapshots = None

    def snapshots(self, activities: list[dict]) -> dict[str, live.Snapshot]:
        """The snapshots of these activities (toolkit.live.Snapshot); during a refresh, read once for all the
        panel asks for (the first call reads every activity it names, with one read of the answer log)."""
        if self._snapshots is None:
            return live.snapshots(self.store, activities)
        missing = list({a["id"]: a for a in activities if a["id"] not in self._snapshots}.values())
        if missing:
            for aid, snap in live.snapshots(self.store, missing).items():
                kept = self._kept.get(aid)  # the last refresh's, with its figures, when nothing in it changed
                same = (kept is not None and kept.version == snap.version and kept.activity == snap.activity
                        and kept.attempts == snap.attempts)
                self._snapshots[aid] = self._kept[aid] = kept if same else snap
        return {a["id"]: self._snapshots[a["id"]] for a in activities}

    def snapshot(self, activity: dict) -> live.Snapshot:
        return self.snapshots([activity])[activity["id"]]

    def read_this_refresh(self) -> list[live.Snapshot]:
        """The snapshots read so far in this refresh (none outside one)."""
        return list((self._snapshots or {}).values())

    ROOM_EVERY_S = 2.0

    def _update_room(self, changed: bool = True) -> None:
        """Whether a participant server is turning phones away: read again after a write (at most every
        ROOM_EVERY_S); in between, a record that stopped being renewed is dropped when it gets old."""
        now = time.monotonic()
        self._room_due = self._room_due or changed
        if self._room_due and now - self._room_read_at >= self.ROOM_EVERY_S:
            self._room_read_at = now
            self._room_due = False
            self._room_records = room_status(self.store)
        wall = time.time()
        fresh = [r for r in self._room_records if wall - float(r.get("at", 0)) <= FRESH_S]
        line = room_line(fresh)
        self.room.value = panel("coach/room_full.html", lines=line.splitlines())

    def show_problem(self, text: str) -> None:
        self.say(text)

    def say(self, text: str) -> None:
        self.message.value = panel("line.html", css="tk-problem", text=text) if text else ""

    # ------------------------------------------------------------ sessions

    @property
    def create_button(self) -> w.Button:
        return self.prepare.create_button

    def _stop_watching(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def show_prepare(self) -> None:
        self._stop_watching()
        self.session = None
        self.toolbar.layout.display = "none"
        self.title.value = "<h1>Coach console</h1>"
        self.prepare.draw()
        self.body.children = [self.prepare]

    def show_session(self, session_id: str) -> None:
        self._stop_watching()
        self._kept = {}
        self.session = self.store.find_session(session_id)
        self._watch = self.store.watch_changes(session_id)
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
