"""The coach console: prepare a session, show the join code, open activities, watch answers arrive."""

from __future__ import annotations

import asyncio
import html
import os
from pathlib import Path

import ipywidgets as w

from .. import config
from ..bank import Bank, load_banks, tr
from ..store import Store, StoreError
from .style import STYLE

KIND_FOR_BANK = {"test": "pretest", "check": "check", "survey": "survey", "confidence": "confidence"}
KIND_LABELS = {"pretest": "Pre-test", "posttest": "Post-test", "check": "Quick check", "survey": "Survey",
               "confidence": "Confidence", "case_study": "Case study"}


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def qr_svg(url: str, scale: int = 6) -> str:
    """The join address as a QR code, drawn inline (no request leaves the laptop)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=scale, dark="#1d2330", light="#ffffff")


def join_address(join_url: str | None, code: str) -> str:
    base = (join_url or os.environ.get(config.ENV_JOIN_URL) or "http://localhost:8866/").rstrip("/")
    return f"{base}/?code={code}"


class CoachApp(w.VBox):
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
        self._pulse: tuple | None = None
        self._task: asyncio.Task | None = None
        self.message = w.HTML()
        self.body = w.VBox()
        self.children = [w.HTML(STYLE), w.HTML("<h1>Coach console</h1>"), self.message, self.body]
        self.load_banks(banks_dir or config.banks_dir())
        self.show_prepare()
        if start_polling:
            self.start()

    # ------------------------------------------------------------ polling

    def start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._task = loop.create_task(self._poll())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                self.refresh()
            except Exception as e:  # keep following the room through a locked or restarting store
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"

    def refresh(self, force: bool = False) -> None:
        """Update the live figures in place when something changed in the store."""
        if self.session is None:
            return
        pulse = self.store.pulse(self.session["id"])
        if force or pulse != self._pulse:
            self._pulse = pulse
            self._update_live()

    # ------------------------------------------------------------ prepare

    def load_banks(self, banks_dir: str | Path) -> None:
        self.banks, self.bank_problems = load_banks([banks_dir])
        if self.bank_problems:
            self.message.value = ("<div class='tk-problem'>Some banks could not be loaded:<br>"
                                  + "<br>".join(esc(p) for p in self.bank_problems[:10]) + "</div>")

    def _bank_options(self, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(f"{tr(b.title)} ({b.id})", b.hash) for b in self.banks if b.kind in kinds]

    def show_prepare(self) -> None:
        self.session = None
        open_sessions = [s for s in self.store.list_sessions() if s["state"] == "open"]
        workshops = {x["id"]: x for x in self.store.list_workshops()}
        self.session_picker = w.Dropdown(
            options=[(f"{s['title']} — {workshops[s['workshop_id']]['title']} — {s['join_code']}", s["id"])
                     for s in open_sessions],
            layout=w.Layout(width="100%"))
        self.continue_button = w.Button(description="Continue this session", icon="play",
                                        disabled=not open_sessions)
        self.continue_button.add_class("tk-primary")
        self.continue_button.on_click(lambda _b: self.show_session(self.session_picker.value))

        self.workshop_title = w.Text(placeholder="e.g. Identifying and referring victims of trafficking",
                                     description="Workshop", layout=w.Layout(width="100%"))
        self.place = w.Text(placeholder="e.g. Quetta", description="Place", layout=w.Layout(width="100%"))
        self.session_title = w.Text(value="Day 1", description="Session", layout=w.Layout(width="100%"))
        tests = self._bank_options(("test",))
        self.pretest_bank = w.Dropdown(options=[("(none)", "")] + tests, value=tests[0][1] if tests else "",
                                       description="Pre-test", layout=w.Layout(width="100%"))
        self.posttest_bank = w.Dropdown(options=[("(none)", "")] + tests,
                                        value=tests[1][1] if len(tests) > 1 else "",
                                        description="Post-test", layout=w.Layout(width="100%"))
        self.create_button = w.Button(description="Create session", icon="plus")
        self.create_button.add_class("tk-primary")
        self.create_button.on_click(lambda _b: self.create_session())
        for box in (self.workshop_title, self.place, self.session_title, self.pretest_bank, self.posttest_bank):
            box.style.description_width = "8em"
        self.body.children = [
            w.HTML("<h2>Continue a session</h2>"),
            self.session_picker, self.continue_button,
            w.HTML("<h2>New session</h2>"),
            self.workshop_title, self.place, self.session_title, self.pretest_bank, self.posttest_bank,
            self.create_button,
        ]

    def create_session(self) -> dict | None:
        """Create a workshop and a session with the chosen pre- and post-test, and show it."""
        title = self.workshop_title.value.strip()
        if not title:
            self.message.value = "<div class='tk-problem'>Give the workshop a title.</div>"
            return None
        try:
            workshop = self.store.add_workshop(title, place=self.place.value.strip() or None)
            session = self.store.add_session(workshop["id"], self.session_title.value.strip() or "Session")
            by_hash = {b.hash: b for b in self.banks}
            if self.pretest_bank.value:
                self.store.add_activity(session["id"], by_hash[self.pretest_bank.value], "pretest",
                                        title=f"Pre-test: {tr(by_hash[self.pretest_bank.value].title)}")
            if self.posttest_bank.value:
                self.store.add_activity(session["id"], by_hash[self.posttest_bank.value], "posttest",
                                        title=f"Post-test: {tr(by_hash[self.posttest_bank.value].title)}")
        except StoreError as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return None
        self.message.value = ""
        self.show_session(session["id"])
        return session

    # ------------------------------------------------------------ run

    def show_session(self, session_id: str) -> None:
        self.session = self.store.get_session(session_id)
        workshop = self.store.get_workshop(self.session["workshop_id"])
        address = join_address(self.join_url, self.session["join_code"])
        self.join_panel = w.HTML(
            "<div class='tk-card' style='display:flex;gap:24px;align-items:center;flex-wrap:wrap'>"
            f"<div>{qr_svg(address)}</div><div><div class='tk-hint'>Join at</div>"
            f"<div class='tk-address'>{esc(address)}</div><div class='tk-hint'>or type the code</div>"
            f"<div class='tk-joincode'>{esc(self.session['join_code'])}</div></div></div>")
        self.joined = w.HTML()
        self.activity_rows = w.VBox()
        self.live = w.HTML()
        back = w.Button(description="All sessions", icon="arrow-left")
        back.add_class("tk-secondary")
        back.on_click(lambda _b: self.show_prepare())
        self.body.children = [
            w.HTML(f"<h2>{esc(workshop['title'])} — {esc(self.session['title'])}</h2>"),
            self.join_panel, self.joined, w.HTML("<h2>Activities</h2>"), self.activity_rows, self.live, back,
        ]
        current = self.store.current_activity(session_id)
        activities = self.store.list_activities(session_id)
        self.selected_activity = current["id"] if current else (activities[0]["id"] if activities else None)
        self._draw_activities()
        self.refresh(force=True)

    def _draw_activities(self) -> None:
        rows = []
        self.activity_buttons: dict[str, dict[str, w.Button]] = {}
        for a in self.store.list_activities(self.session["id"]):
            buttons = {}
            for action, label, icon in (("open", "Open", "play"), ("closed", "Close", "stop"),
                                        ("revealed", "Reveal", "eye")):
                b = w.Button(description=label, icon=icon, disabled=a["state"] == action,
                             layout=w.Layout(width="auto"))
                b.add_class("tk-secondary")
                b.on_click(lambda _b, aid=a["id"], s=action: self.set_state(aid, s))
                buttons[action] = b
            show = w.Button(description="Results", icon="bar-chart", layout=w.Layout(width="auto"))
            show.add_class("tk-secondary")
            show.on_click(lambda _b, aid=a["id"]: self.select(aid))
            self.activity_buttons[a["id"]] = buttons
            label = w.HTML(f"<b>{esc(a['title'])}</b> <span class='tk-hint'>{KIND_LABELS.get(a['kind'], a['kind'])}"
                           f"</span> <span class='tk-state tk-state-{a['state']}'>{a['state']}</span>",
                           layout=w.Layout(flex="1"))
            rows.append(w.HBox([label, *buttons.values(), show], layout=w.Layout(align_items="center")))
        self.activity_rows.children = rows or [w.HTML("<div class='tk-hint'>No activities in this session.</div>")]

    def set_state(self, activity_id: str, state: str) -> None:
        """Open, close or reveal an activity."""
        self.store.set_activity_state(activity_id, state)
        self.selected_activity = activity_id
        self._draw_activities()
        self.refresh(force=True)

    def select(self, activity_id: str) -> None:
        self.selected_activity = activity_id
        self.refresh(force=True)

    # ------------------------------------------------------------ live figures

    def _update_live(self) -> None:
        people = self.store.session_participants(self.session["id"])
        names = ", ".join(esc(p["display_name"] or "(anonymous)") for p in people)
        self.joined.value = (f"<div class='tk-card'><span class='tk-stat'><span class='tk-big' id='tk-joined'>"
                             f"{len(people)}</span> joined</span><div class='tk-hint'>{names}</div></div>")
        if not self.selected_activity:
            self.live.value = ""
            return
        activity = self.store.get_activity(self.selected_activity)
        bank = self.store.get_bank(activity["bank_hash"])
        questions = bank.case_study(activity["case_study_id"]).prompts if activity["case_study_id"] else bank.questions
        progress = self.store.activity_progress(activity["id"])
        revealed = activity["state"] == "revealed"
        rows = []
        for i, q in enumerate(questions, 1):
            n = progress["answered"].get(q.id, 0)
            choices = progress["choices"].get(q.id, {})
            bars = ""
            if q.type in ("single", "classification", "multiple", "likert", "truefalse"):
                options = [("True", "True"), ("False", "False")] if q.type == "truefalse" else \
                    [(o.id, tr(o.text)) for o in q.options]
                key = {str(q.key)} if q.type == "truefalse" else \
                    (set(q.key) if isinstance(q.key, tuple) else {q.key})
                most = max(choices.values(), default=0) or 1
                for oid, label in options:
                    count = choices.get(oid, 0)
                    mark = " tk-key" if revealed and oid in key else ""
                    tick = " ✓" if revealed and oid in key else ""
                    bars += (f"<div><span class='tk-bar{mark}' style='width:{int(240 * count / most)}px'></span> "
                             f"<b>{count}</b> {esc(label)}{tick}</div>")
            rows.append(f"<tr><td>{i}</td><td>{esc(tr(q.text))}</td>"
                        f"<td class='tk-answered' data-question='{esc(q.id)}'><b>{n}</b></td><td>{bars}</td></tr>")
        self.live.value = (
            f"<h2>{esc(activity['title'])} <span class='tk-state tk-state-{activity['state']}'>{activity['state']}"
            f"</span></h2><div class='tk-card'><span class='tk-stat'><span class='tk-big' id='tk-started'>"
            f"{progress['started']}</span> started</span><span class='tk-stat'><span class='tk-big' id='tk-submitted'>"
            f"{progress['submitted']}</span> submitted</span></div>"
            "<table class='tk-table'><tr><th>#</th><th>Question</th><th>Answered</th><th>Answers</th></tr>"
            + "".join(rows) + "</table>")
