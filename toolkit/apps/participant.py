"""The participant app: join from a phone, answer one question per screen, never lose an answer.

The page receives question texts and options only; keys, scores and feedback stay in this kernel
until the coach reveals results. Everything a person typed is shown as text.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

import ipywidgets as w
from IPython.display import Javascript, display

from .. import config
from ..bank import Question, tr
from ..scoring import score, score_attempt
from ..store import Store, StoreError, UnknownJoinCode, UnknownParticipant
from .following import FollowsStore
from .groupwork import GroupExercise
from .inputs import TRUE_FALSE, AnswerInput, is_answered, make_input
from .join import JoinForm
from .request import page_query_string
from .room import RoomQuestions
from .style import STYLE
from .texts import esc, t

LANG_LABELS = (("English", "en"), ("اردو", "ur"))
TOKEN_KEY = "toolkit.participant"  # where the browser keeps the personal link, for the next session of the cohort
_NOTHING_SHOWN = object()  # differs from every activity signature, None ("nothing open") included


def query_params(query: str | None = None) -> dict[str, str]:
    """The page address's parameters (Voila passes the query string to the kernel)."""
    query = page_query_string() if query is None else query
    return {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}


class ParticipantApp(FollowsStore, w.VBox):
    """The whole participant page: join, wait, quiz, review, submit, results."""

    def __init__(self, store: Store | None = None, query: str | None = None, poll_seconds: float = 1.0,
                 start_polling: bool = True):
        super().__init__()
        self.add_class("tk-app")
        self.add_class("tk-participant")
        self.store = store or Store(config.db_url())
        self.params = query_params(query)
        self.poll_seconds = poll_seconds
        self.lang = self.params.get("lang", "en") if self.params.get("lang") in ("en", "ur") else "en"
        self.participant: dict | None = None
        self.session: dict | None = None
        self.activity: dict | None = None
        self.attempt: dict | None = None
        self.answers: dict[str, Any] = {}
        self.index = 0
        self.input: AnswerInput | None = None
        self._shown: object = _NOTHING_SHOWN
        self._task: asyncio.Task | None = None

        self.language = w.ToggleButtons(options=LANG_LABELS, value=self.lang)
        self.language.add_class("tk-language")
        self.language.observe(self._on_language, "value")
        self.tabs = w.ToggleButtons(options=self._tab_options(), value="activity",
                                    layout=w.Layout(display="none"))
        self.tabs.add_class("tk-tabs")
        self.tabs.observe(lambda _ch: self._show_tab(), "value")
        self.script = w.Output(layout=w.Layout(display="none"))
        self.body = w.VBox()
        self.body.add_class("tk-body")
        self.room_panel = w.VBox(layout=w.Layout(display="none"))
        self.room: RoomQuestions | None = None
        self.group_view: GroupExercise | None = None
        self.clock = w.HTML()
        self.message = w.HTML()
        self.join_form: JoinForm | None = None
        self.children = [w.HTML(STYLE), self.language, self.tabs, self.message, self.body, self.room_panel, self.script]
        self._apply_direction()
        self._resume_or_join()
        if start_polling:
            self.start()

    def _tab_options(self) -> list[tuple[str, str]]:
        return [(t("tab_activity", self.lang), "activity"), (t("tab_room", self.lang), "room")]

    def _show_tab(self) -> None:
        room = self.tabs.value == "room"
        self.body.layout.display = "none" if room else None
        self.room_panel.layout.display = None if room else "none"
        if room and self.participant is not None and self.session is not None:
            if self.room is None or self.room.lang != self.lang:
                self.room = RoomQuestions(self.store, self.session, self.participant, self.lang)
                self.room_panel.children = [self.room]
            else:
                self.room.refresh()

    def show_problem(self, text: str) -> None:
        self.message.value = f"<div class='tk-problem'>{esc(text)}</div>"

    def refresh(self) -> None:
        """Show what the coach has opened, if it changed since the last look; keep the clock and lists live."""
        if self.participant is None or self.session is None:
            return
        activity = self.store.current_activity(self.session["id"])
        signature = self._signature(activity)
        if signature != self._shown:
            self._show_activity(activity)
        elif self.group_view is not None:
            self.group_view.refresh()
        self._tick()
        if self.room is not None and self.tabs.value == "room":
            self.room.refresh()

    def _signature(self, activity: dict | None) -> tuple | None:
        if activity is None:
            return None
        group = None
        if activity["case_study_id"]:
            found = self.store.find_group(activity["id"], self.participant["id"])
            group = (found["id"], tuple(found["members"])) if found else None
        return (activity["id"], activity["state"], activity["time_limit_s"], group)

    def _deadline(self) -> float | None:
        a = self.activity
        if not a or not a.get("time_limit_s") or not a.get("opened_at"):
            return None
        opened = a["opened_at"] if a["opened_at"].tzinfo else a["opened_at"].replace(tzinfo=timezone.utc)
        return opened.timestamp() + a["time_limit_s"]

    def seconds_left(self) -> int | None:
        deadline = self._deadline()
        if deadline is None:
            return None
        return max(0, int(round(deadline - datetime.now(timezone.utc).timestamp())))

    def _tick(self) -> None:
        """The countdown, when the coach set a time limit."""
        left = self.seconds_left()
        if left is None or self.activity is None or self.activity["state"] != "open":
            self.clock.value = ""
            return
        if left > 0:
            self.clock.value = f"<div class='tk-clock'>{t('time_left', self.lang, time=f'{left // 60}:{left % 60:02d}')}</div>"
        else:
            self.clock.value = f"<div class='tk-problem'>{t('time_up', self.lang)}</div>"
            if self.input is not None and not getattr(self, "_locked_for_time", False):
                self._locked_for_time = True
                self.go(len(self._questions()))

    # ------------------------------------------------------------ join and resume

    def _resume_or_join(self) -> None:
        token = self.params.get("token")
        if token:
            try:
                self.participant = self.store.find_participant(token)
            except UnknownParticipant:
                self.message.value = f"<div class='tk-problem'>{t('unknown_link', self.lang)}</div>"
                self._forget_in_browser()
            else:
                if self._enter_session(self.params.get("code")):
                    return
                self.participant = None
        elif not self.params.get("card"):  # a card's address is someone's own: the phone's last person is not
            self._recall_from_browser()
        self.join_form = JoinForm(self.store, self.lang, self.params.get("code", ""), self._joined,
                                  card=self.params.get("card", ""))
        self.body.children = [self.join_form]

    def _joined(self, participant: dict, session: dict) -> None:
        self.participant, self.session = participant, session
        self.join_form = None
        self.message.value = ""
        self._remember_in_address()
        self.refresh()

    def _enter_session(self, code: str | None) -> bool:
        """A known participant: back into the session in the address, or the latest open one of their workshop.

        False when the address names a session of another workshop: they join that one afresh."""
        session = None
        if code:
            try:
                session = self.store.find_session(code)
            except UnknownJoinCode:
                session = None
            if session is not None and session["workshop_id"] != self.participant["workshop_id"]:
                self._forget_in_browser()
                return False
        if session is None:
            sessions = [s for s in self.store.list_sessions(self.participant["workshop_id"]) if s["state"] == "open"]
            session = sessions[0] if sessions else None
        self.lang = self.participant["language"]
        self._set_language_widget()
        if session is None:
            self.body.children = [w.HTML(f"<div class='tk-card'>{t('waiting', self.lang)}</div>")]
            return True
        self.session = session
        self.store.attend(session["id"], self.participant["id"])
        self._remember_in_address()
        self.refresh()
        return True

    def _run_js(self, code: str) -> None:
        with self.script:
            self.script.clear_output()
            display(Javascript(code))

    def _remember_in_address(self) -> None:
        """Put the token in the page address (a reload comes back here) and in the browser (the next session does)."""
        query = urlencode({"code": self.session["join_code"], "token": self.participant["token"]})
        self.params.update(code=self.session["join_code"], token=self.participant["token"])
        self.tabs.layout.display = None
        self._run_js(f"window.history.replaceState(null, '', '?' + {json.dumps(query)});"
                     f"try {{ localStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(self.participant['token'])}); }}"
                     " catch (e) {}")

    def _recall_from_browser(self) -> None:
        """A phone that joined an earlier session of the cohort comes back as the same participant."""
        self._run_js(
            f"try {{ const token = localStorage.getItem({json.dumps(TOKEN_KEY)});"
            " const here = new URLSearchParams(window.location.search);"
            " if (token && !here.has('token')) { here.set('token', token);"
            " window.location.replace(window.location.pathname + '?' + here.toString()); } } catch (e) {}")

    def _forget_in_browser(self) -> None:
        self._run_js(f"try {{ localStorage.removeItem({json.dumps(TOKEN_KEY)}); }} catch (e) {{}}")

    def join_as_someone_else(self) -> None:
        """A shared phone: forget this participant here and show the join form for the same session."""
        code = self.session["join_code"] if self.session else ""
        self._run_js(f"try {{ localStorage.removeItem({json.dumps(TOKEN_KEY)}); }} catch (e) {{}}"
                     f"window.history.replaceState(null, '', '?' + {json.dumps(urlencode({'code': code}))});")
        self.participant = self.session = self.activity = self.attempt = None
        self.params = {"code": code}
        self._shown = _NOTHING_SHOWN
        self.tabs.layout.display = "none"
        self.tabs.value = "activity"
        self.room = None
        self.group_view = None
        self.join_form = JoinForm(self.store, self.lang, code, self._joined)
        self.body.children = [self.join_form]

    # ------------------------------------------------------------ activities

    def _questions(self) -> tuple[Question, ...]:
        bank = self.store.get_bank(self.activity["bank_hash"])
        if self.activity["case_study_id"]:
            return bank.case_study(self.activity["case_study_id"]).prompts
        return bank.questions

    def _title(self) -> str:
        """The activity's name in the participant's language: its kind and its bank's title."""
        bank = self.store.get_bank(self.activity["bank_hash"])
        kind = t(f"kind_{self.activity['kind']}", self.lang)
        return f"{kind}: {tr(bank.title, self.lang)}" if self.lang != "en" else self.activity["title"]

    def _show_activity(self, activity: dict | None) -> None:
        self._shown = self._signature(activity)
        previous, self.activity = self.activity, activity
        self.input = None
        self.group_view = None
        self._locked_for_time = False
        if activity is None:
            self._show_waiting(previous)
            return
        if activity["case_study_id"]:
            self._show_group_exercise()
            return
        if activity["state"] == "open":
            self.attempt = self.store.start_attempt(activity["id"], self.participant["id"])
        else:
            self.attempt = self.store.find_attempt(activity["id"], self.participant["id"])
        self.answers = self.store.latest_answers(self.attempt["id"]) if self.attempt else {}
        if (self.attempt and self.attempt["submitted_at"] is not None) or activity["state"] == "revealed":
            self._show_results()
        elif activity["state"] != "open":
            self.body.children = [w.HTML(f"<div class='tk-card'>{t('closed', self.lang)}</div>")]
        else:
            n = len(self._questions())
            self.index = min(self.attempt["position"], n)
            self._show_question() if self.index < n else self._show_review()

    def _show_waiting(self, previous: dict | None) -> None:
        name = self.participant.get("display_name") or ""
        closed = ""
        if previous is not None and self.store.get_activity(previous["id"])["state"] == "closed":
            closed = f"<p><b>{t('closed', self.lang)}</b></p>"
        upcoming = [a for a in self.store.list_activities(self.session["id"]) if a["state"] == "draft"]
        next_up = ""
        if upcoming:
            bank = self.store.get_bank(upcoming[0]["bank_hash"])
            title = f"{t('kind_' + upcoming[0]['kind'], self.lang)}: {tr(bank.title, self.lang)}"
            next_up = f"<p class='tk-hint'>{esc(t('next_up', self.lang, title=title))}</p>"
        card = w.HTML(f"<div class='tk-card'><h2>{t('welcome', self.lang)} {esc(name)}</h2>{closed}"
                      f"<p>{t('waiting', self.lang)}</p>{next_up}</div>")
        card.add_class("tk-waiting")
        other = w.Button(description=t("not_you", self.lang, name=name or "?"), layout=w.Layout(width="auto"))
        other.add_class("tk-link")
        other.on_click(lambda _b: self.join_as_someone_else())
        self.not_you = other
        self.body.children = [card, other] if name else [card]

    def _show_group_exercise(self) -> None:
        activity = self.activity
        group = self.store.find_group(activity["id"], self.participant["id"])
        case = self.store.get_bank(activity["bank_hash"]).case_study(activity["case_study_id"])
        if group is None:
            self.body.children = [w.HTML(
                f"<div class='tk-card'><div class='tk-activity'>{t('kind_case_study', self.lang)}</div>"
                f"<h2>{esc(tr(case.title, self.lang))}</h2><p>{t('no_group', self.lang)}</p></div>")]
            return
        self.group_view = GroupExercise(self.store, activity, case, group, self.participant, self.lang)
        self.body.children = [self.group_view]

    def _header(self) -> w.Widget:
        questions = self._questions()
        n = len(questions)
        shown = min(self.index + 1, n)
        progress = w.IntProgress(value=shown, min=0, max=n, layout=w.Layout(width="100%"))
        progress.add_class("tk-progress")
        counter = w.HTML(f"<div class='tk-activity'>{esc(self._title())}</div><div class='tk-counter'>"
                         f"{t('question_of', self.lang, i=shown, n=n)}</div>")
        self._tick()
        return w.VBox([counter, self.clock, progress])

    def _show_question(self) -> None:
        questions = self._questions()
        q = questions[self.index]
        self.input = make_input(q, self.lang)
        if q.id in self.answers:
            self.input.response = self.answers[q.id]
        self.status = w.HTML(self._status_text(q))
        self.input.observe(lambda ch, q=q: self._save(q, ch["new"]), "response")
        forward, backward = ("arrow-left", "arrow-right") if self.lang == "ur" else ("arrow-right", "arrow-left")
        self.back = w.Button(description=t("back", self.lang), icon=backward, disabled=self.index == 0)
        self.back.add_class("tk-secondary")
        last = self.index == len(questions) - 1
        self.next = w.Button(description=t("review" if last else "next", self.lang), icon=forward)
        self.next.add_class("tk-primary")
        self.back.on_click(lambda _b: self.go(self.index - 1))
        self.next.on_click(lambda _b: self.go(self.index + 1))
        text = w.HTML(f"<div class='tk-question'>{esc(tr(q.text, self.lang))}</div>")
        self.body.children = [self._header(), text, self.input, self.status,
                              w.HBox([self.back, self.next], layout=w.Layout(justify_content="space-between"))]

    def _status_text(self, q: Question) -> str:
        if is_answered(q, self.answers.get(q.id)):
            return f"<div class='tk-saved'>{t('saved', self.lang)}</div>"
        return f"<div class='tk-hint'>{t('not_answered', self.lang)}</div>"

    def _save(self, q: Question, response: Any) -> None:
        try:
            self.store.save_answer(self.attempt["id"], q.id, response, uid=str(uuid.uuid4()))
        except StoreError as e:
            self.status.value = f"<div class='tk-problem'>{t('not_saved', self.lang, msg=esc(str(e)))}</div>"
            self.refresh()
            return
        self.answers[q.id] = response
        self.status.value = self._status_text(q)

    def go(self, index: int) -> None:
        """Move to question `index` (the review screen after the last one)."""
        n = len(self._questions())
        self.index = max(0, min(index, n))
        self.store.set_position(self.attempt["id"], self.index)
        self._show_question() if self.index < n else self._show_review()

    def _show_review(self) -> None:
        questions = self._questions()
        missing = [(i, q) for i, q in enumerate(questions) if not is_answered(q, self.answers.get(q.id))]
        lang = self.lang
        rows: list[w.Widget] = [w.HTML(f"<div class='tk-activity'>{esc(self._title())}</div>"
                                       f"<h2>{t('answered_n', lang, a=len(questions) - len(missing), n=len(questions))}</h2>")]
        if missing:
            rows.append(w.HTML(f"<div class='tk-hint'>{t('unanswered', lang)}</div>"))
            jumps = []
            for i, q in missing:
                b = w.Button(description=t("go_to", lang, i=i + 1), tooltip=tr(q.text, lang)[:80])
                b.add_class("tk-secondary")
                b.on_click(lambda _b, i=i: self.go(i))
                jumps.append(b)
            rows.append(w.HBox(jumps, layout=w.Layout(flex_flow="row wrap")))
        back = w.Button(description=t("back", lang), icon="arrow-left")
        back.add_class("tk-secondary")
        back.on_click(lambda _b: self.go(len(questions) - 1))
        self.submit_button = w.Button(description=t("submit", lang), icon="paper-plane")
        self.submit_button.add_class("tk-primary")
        self.confirm = w.VBox()
        self.submit_button.on_click(lambda _b: self._ask_to_submit())
        rows += [w.HBox([back, self.submit_button], layout=w.Layout(justify_content="space-between")), self.confirm]
        self.body.children = rows

    def _ask_to_submit(self) -> None:
        yes = w.Button(description=t("yes_submit", self.lang))
        yes.add_class("tk-primary")
        no = w.Button(description=t("not_yet", self.lang))
        no.add_class("tk-secondary")
        yes.on_click(lambda _b: self.submit())
        no.on_click(lambda _b: setattr(self.confirm, "children", ()))
        self.confirm_yes = yes
        self.confirm.children = [w.HTML(f"<div class='tk-notice'>{t('submit_sure', self.lang)}</div>"),
                                 w.HBox([no, yes])]

    def submit(self) -> None:
        self.attempt = self.store.submit_attempt(self.attempt["id"])
        self._show_results()

    # ------------------------------------------------------------ results

    def _show_results(self) -> None:
        lang = self.lang
        if self.activity["state"] != "revealed":
            self.body.children = [w.HTML(f"<div class='tk-card tk-done'><h2>{t('submitted', lang)}</h2>"
                                         f"<p>{t('wait_reveal', lang)}</p></div>")]
            return
        questions = self._questions()
        total = score_attempt(questions, self.answers)
        parts = []
        if total.max_points:
            pct = round(100 * total.fraction)
            parts.append(f"<h2>{t('your_score', lang, p=_num(total.points), m=_num(total.max_points), pct=pct)}</h2>")
        for i, q in enumerate(questions, 1):
            parts.append(self._feedback_html(i, q))
        self.body.children = [w.HTML("<div class='tk-results'>" + "".join(parts) + "</div>")]

    def _feedback_html(self, i: int, q: Question) -> str:
        lang = self.lang
        response = self.answers.get(q.id)
        s = score(q, response)
        verdict = ""
        if s is not None:
            key = "right" if s.correct else ("partly" if s.points > 0 else "wrong")
            verdict = f"<span class='tk-verdict tk-{key}'>{t(key, lang)}</span>"
        chosen = _describe(q, response, lang) or t("no_answer", lang)
        notes = []
        ids = response if isinstance(response, list) else [response]
        for o in q.options:
            if o.id in ids and o.feedback and q.type not in ("ordering", "likert"):
                notes.append(f"<li>{esc(tr(o.text, lang))}: {esc(tr(o.feedback, lang))}</li>")
        fb = esc(tr(q.feedback, lang))
        return (f"<div class='tk-card'><div class='tk-counter'>{i}. {verdict}</div>"
                f"<div class='tk-question'>{esc(tr(q.text, lang))}</div>"
                f"<div>{t('your_answer', lang)}: <b>{esc(chosen)}</b></div>"
                + (f"<ul>{''.join(notes)}</ul>" if notes else "") + (f"<p>{fb}</p>" if fb else "") + "</div>")

    # ------------------------------------------------------------ language

    def _set_language_widget(self) -> None:
        self.language.unobserve(self._on_language, "value")
        self.language.value = self.lang
        self.language.observe(self._on_language, "value")
        self._apply_direction()

    def _apply_direction(self) -> None:
        if self.lang == "ur":
            self.add_class("tk-rtl")
        else:
            self.remove_class("tk-rtl")
        for _label, code in LANG_LABELS:  # the page notes it: its recovery line (recover.js) is in this language
            (self.add_class if code == self.lang else self.remove_class)(f"tk-lang-{code}")

    def _on_language(self, change) -> None:
        self.lang = change["new"]
        self._apply_direction()
        self.tabs.unobserve_all("value")
        self.tabs.options = self._tab_options()
        self.tabs.observe(lambda _ch: self._show_tab(), "value")
        if self.participant is not None:
            self.store.set_language(self.participant["id"], self.lang)
            if self.activity is not None and not self.activity["case_study_id"] and self.activity["state"] == "open" \
                    and self.attempt and self.attempt["submitted_at"] is None:
                self.go(self.index)
            else:
                self._show_activity(self.activity)
            self._show_tab()
        elif self.join_form is not None:
            self.join_form.set_language(self.lang)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def _describe(q: Question, response: Any, lang: str) -> str:
    """A participant's answer in words."""
    if response is None:
        return ""
    labels = {o.id: tr(o.text, lang) for o in q.options}
    if q.type == "truefalse":
        return TRUE_FALSE.get(lang, TRUE_FALSE["en"])[0 if response else 1]
    if q.type in ("single", "classification", "likert"):
        return labels.get(str(response), str(response))
    if q.type == "multiple":
        return ", ".join(labels.get(str(r), str(r)) for r in response)
    if q.type == "ordering":
        return " → ".join(labels.get(str(r), str(r)) for r in response)
    if q.type == "matching":
        items = {i.id: tr(i.text, lang) for i in q.items}
        return "; ".join(f"{items.get(k, k)} → {labels.get(v, v)}" for k, v in response.items())
    return str(response)

