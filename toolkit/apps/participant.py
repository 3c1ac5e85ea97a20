"""The participant app: join from a phone, answer one question per screen, never lose an answer.

The page receives question texts and options only; keys, scores and feedback stay in this kernel
until the coach reveals results. Everything a person typed is shown as text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import ipywidgets as w
from IPython.display import Javascript, display

from .. import config, languages, questions
from ..bank import Question, tr
from ..deadline import seconds_left, time_is_up, utc_now
from ..design import attempt_bank
from ..limits import PageTries
from ..scoring import score, score_attempt
from ..store import (
    ActivityNotOpen,
    AlreadySubmitted,
    Store,
    StoreError,
    StoreUnavailable,
    TimeUp,
    TooFast,
    UnknownJoinCode,
    UnknownParticipant,
)
from .following import FollowsStore
from .groupwork import GroupExercise, group_outbox
from .inputs import COUNTER_JS, AnswerInput, is_answered, make_input, make_shared
from .join import JoinForm, language_options, session_languages
from .messages import refusal_text
from .request import client_address, page_query_string
from .room import RoomQuestions
from .saving import Outbox, save_window
from .screens import QuestionFrame, blank_view, close_left, lean, replace_children, shared_widgets
from .style import STYLE
from .texts import panel, t

TOKEN_KEY = "toolkit.participant"  # where the browser keeps the personal link, for the next session of the cohort
_NOTHING_SHOWN = object()  # differs from every activity signature, None ("nothing open") included
# A save tries this long for a locked store, then the answer waits in the kernel and is sent again: the page
# never freezes for the store's whole busy timeout.
SAVE_TIMEOUT_S = 1.0
ATTENDANCE_EVERY = 10  # looks at the store (about seconds) between two checks that the coach has not taken us out

log = logging.getLogger(__name__)


def query_params(query: str | None = None, while_waiting: Callable[[], None] | None = None) -> dict[str, str]:
    """The page address's parameters (Voila passes the query string to the kernel; a pool kernel waits for it,
    calling `while_waiting` now and then: toolkit.apps.request.page_query_string)."""
    query = page_query_string(while_waiting=while_waiting) if query is None else query
    return {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}


class ParticipantApp(FollowsStore, w.VBox):
    """The whole participant page: join, wait, quiz, review, submit, results."""

    def __init__(self, store: Store | None = None, query: str | None = None, poll_seconds: float = 1.0,
                 start_polling: bool = True, save_timeout: float = SAVE_TIMEOUT_S,
                 now: Callable[[], datetime] = utc_now, monotonic: Callable[[], float] = time.monotonic):
        # its classes in its opening state (an add_class after it is made is one message more); the language's
        # classes change below only for a page in another language
        super().__init__(_dom_classes=("tk-app", "tk-participant", f"tk-lang-{languages.ENGLISH}"))
        self.store = store or Store(config.db_url())
        # The page's frame first: in a pool kernel this runs before the page request (query_params waits for it),
        # while the room is quiet, so a phone's request costs its kernel only what depends on who is asking.
        self.lang = languages.ENGLISH
        self.counter_script = lean(w.Output, layout={"display": "none"})
        with self.counter_script:
            display(Javascript(COUNTER_JS))
        self.language = w.ToggleButtons(options=language_options(languages.codes()), value=self.lang,
                                        _dom_classes=("tk-language",))
        self.tabs = w.ToggleButtons(options=self._tab_options(), value="activity",
                                    layout=w.Layout(display="none"), _dom_classes=("tk-tabs",))
        self.script = lean(w.Output, layout={"display": "none"})
        self._scripts = 0  # run in the page so far (_run_js)
        self.body = w.VBox(_dom_classes=("tk-body",))
        self.room_panel = w.VBox(layout=w.Layout(display="none"))
        self.clock = lean(w.HTML)
        self.message = lean(w.HTML)
        self.children = [lean(w.HTML, STYLE), self.language, self.tabs, self.message, self.body, self.room_panel, self.script,
                         self.counter_script]
        # The first question's frame too (its header, text, status line and buttons: a dozen widgets), filled when
        # the first question shows: made now, they reach the page in its first message with the rest of the page's
        # widgets, not one message each as the participant waits for question 1.
        self._first_frame: QuestionFrame | None = QuestionFrame(self.clock, lean(w.HTML), self.go,
                                                                blank_view(self.lang), filled=False)
        make_shared()  # and what most questions' choices share
        self._read_ahead()

        self.params = query_params(query, while_waiting=self._read_ahead)
        self.client = client_address()  # known once the page request has arrived (query_params waits for it)
        self.tries = PageTries()  # one page is one person: wrong codes and joins of this page, across its join forms
        self._looks = 0
        self.poll_seconds = poll_seconds
        self.participant: dict | None = None
        self.session: dict | None = None
        self.activity: dict | None = None
        self.attempt: dict | None = None
        self.answers: dict[str, Any] = {}
        self.index = 0
        self.input: AnswerInput | None = None
        self._shown: object = _NOTHING_SHOWN
        self._task: asyncio.Task | None = None
        # saving: `now` is the clock of deadlines, `monotonic` that of retries and of the bound on taps
        self.save_timeout, self.now, self._monotonic = save_timeout, now, monotonic
        self.save_window = save_window(monotonic)
        self.outbox: Outbox | None = None
        self._outboxes: dict[str, Outbox] = {}  # per attempt or group: answers waiting survive a redraw
        self._position_due: tuple[str, int] | None = None
        self.review_note: w.HTML | None = None
        self.room: RoomQuestions | None = None
        self.group_view: GroupExercise | None = None
        self.join_form: JoinForm | None = None
        self.question_frame: QuestionFrame | None = None

        asked = self.params.get("lang")
        if languages.get(asked) and asked != self.lang:  # the page's language, from its address
            self.lang = self.language.value = asked
            self.tabs.options = self._tab_options()
        self.language.observe(self._on_language, "value")
        self.tabs.observe(lambda _ch: self._show_tab(), "value")
        self._apply_direction()
        self._resume_or_join()
        if start_polling:
            self.start()

    def _read_ahead(self) -> None:
        """Rebuild the banks participants may be shown now (Store.banks_shown_now) before the page request: in a
        pool kernel the join then costs only the reads that depend on who is asking. A store that cannot be read
        now is read at the join, as it would have been without this."""
        try:
            for bank_hash in self.store.banks_shown_now():
                self.store.find_bank(bank_hash)
        except Exception as e:  # a locked or restarting store: the join reads it again
            log.warning("Reading ahead the banks shown now failed: %s", e)

    def _tab_options(self) -> list[tuple[str, str]]:
        return [(t("tab_activity", self.lang), "activity"), (t("tab_room", self.lang), "room")]

    def _show_tab(self) -> None:
        room = self.tabs.value == "room"
        self.body.layout.display = "none" if room else None
        self.room_panel.layout.display = None if room else "none"
        if room and self.participant is not None and self.session is not None:
            if self.room is None or self.room.lang != self.lang:
                self.room = RoomQuestions(self.store, self.session, self.participant, self.lang)
                replace_children(self.room_panel, [self.room], keep=(self, self.clock))
            else:
                self.room.refresh()

    def _screen(self, children: list[w.Widget], frame: QuestionFrame | None = None) -> None:
        """Show `children` as the page's body; the widgets of the screen left are closed (apps/screens.py), but
        for the clock, which the next question shows again, and the question frame when `children` show it."""
        left, self.question_frame = self.question_frame, frame
        replace_children(self.body, children, keep=(self, self.clock))
        if left is not None and left is not frame:
            close_left(left.widgets(), keep=(self, self.clock))

    def kept_aside(self) -> tuple[w.Widget, ...]:
        """The widgets this page keeps open off the screen, to show them again: the clock, and on a question
        screen the pair of buttons the next question shows; until the first question, the frame made for it; and
        the layouts and styles the kernel's widgets share
        (apps/screens.py shared)."""
        return (self.clock, *(self.question_frame.spare() if self.question_frame is not None else ()),
                *(self._first_frame.widgets() if self._first_frame is not None else ()), *shared_widgets())

    def show_problem(self, text: str) -> None:
        self.message.value = panel("line.html", css="tk-problem", text=text)

    def refresh_failed(self, error: Exception) -> None:
        self.show_problem(t("read_failed", self.lang))  # the error's own words are for the coach's log, not here

    def refresh(self) -> None:
        """Show what the coach has opened, if it changed since the last look; keep the clock and lists live."""
        refused = self._send_waiting()  # also answers the last person on a shared phone gave before leaving
        if self.participant is None or self.session is None:
            return
        if isinstance(refused, (ActivityNotOpen, AlreadySubmitted)):
            self._shown = _NOTHING_SHOWN  # show the activity as it now is, then say why the answer was not saved
        activity = self.store.current_activity(self.session["id"])
        signature = self._signature(activity)
        self._looks += 1
        # Taken out by the coach? Asked when the page is about to change, and every ATTENDANCE_EVERY looks in
        # between (one cheap query, not one a second per phone), so that someone answering hears it too.
        if (signature != self._shown or self._looks % ATTENDANCE_EVERY == 0) and \
                not self.store.attends(self.session["id"], self.participant["id"]):
            self._taken_out()
            return
        if signature != self._shown:
            self._show_activity(activity)
        elif self.group_view is not None:
            self.group_view.refresh()
        self._tick()
        if refused is not None:
            self._refused(refused, redraw=False)
        if self.room is not None and self.tabs.value == "room":
            self.room.refresh()

    def _signature(self, activity: dict | None) -> tuple | None:
        if activity is None:
            return None
        group = None
        if activity["case_study_id"]:
            found = self.store.get_group(activity["id"], self.participant["id"])
            group = (found["id"], tuple(found["members"])) if found else None
        return (activity["id"], activity["state"], activity["time_limit_s"], group)

    def seconds_left(self) -> int | None:
        return None if self.activity is None else seconds_left(self.activity, self.now())

    def _time_up(self) -> bool:
        """The phone stops taking answers at the deadline (the store allows a few seconds for one on its way)."""
        return self.activity is not None and time_is_up(self.activity, self.now())

    def _tick(self) -> None:
        """The countdown, when the coach set a time limit; at the end, the review (answers can no longer change)."""
        left = self.seconds_left()
        if left is None:
            self.clock.value = ""
            return
        if left > 0:
            self.clock.value = panel("line.html", css="tk-clock",
                                     text=t("time_left", self.lang, time=f"{left // 60}:{left % 60:02d}"))
        else:
            self.clock.value = panel("line.html", css="tk-problem", text=t("time_up", self.lang))
            if self.input is not None and self.attempt is not None and not self.activity["case_study_id"]:
                self.go(len(self._questions()))

    # ------------------------------------------------------------ join and resume

    def _resume_or_join(self) -> None:
        token = self.params.get("token")
        if token:
            try:
                self.participant = self.store.find_participant(token)
            except UnknownParticipant:
                self.message.value = panel("line.html", css="tk-problem", text=t("unknown_link", self.lang))
                self._forget_in_browser()
            else:
                if self._enter_session(self.params.get("code")):
                    return
                self.participant = None
        elif not self.params.get("card"):  # a card's address is someone's own: the phone's last person is not
            self._recall_from_browser()
        self.join_form = JoinForm(self.store, self.lang, self.params.get("code", ""), self._joined,
                                  card=self.params.get("card", ""), tries=self.tries, client=self.client,
                                  on_session=self._offer_languages)
        self._screen([self.join_form])

    def _joined(self, participant: dict, session: dict) -> None:
        self.participant, self.session = participant, session
        form, self.join_form = self.join_form, None
        self.message.value = ""
        self._remember_in_address()
        self.refresh()
        if form is not None:  # the form's code box, which its last step did not show
            close_left(form.widgets(), keep=(self, self.clock))

    def _enter_session(self, code: str | None) -> bool:
        """A known participant: back into the session in the address, or the latest open one of their workshop.

        False when the address names a session of another workshop: they join that one afresh."""
        session = None
        if code:
            try:
                session = self.store.find_session_by_code(code, client=self.client)
            except (UnknownJoinCode, TooFast):  # a wrong code in a known person's address is counted, too
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
            self._screen([w.HTML(panel("line.html", css="tk-card", text=t("waiting", self.lang)))])
            return True
        self.session = session
        self._offer_languages(session)
        self.store.attend(session["id"], self.participant["id"])
        self._remember_in_address()
        self.refresh()
        return True

    def _run_js(self, code: str) -> None:
        """Run `code` in the page, as the one output of the hidden script widget: one update to the phone, where
        capturing a display (`with self.script:`) sent four (the capture's start and end, a clear, the display).
        Each script is told apart by a count, so that the same code twice runs twice."""
        self._scripts += 1
        self.script.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"application/javascript": f"{code}\n// {self._scripts}",
                                         "text/plain": "<IPython.core.display.Javascript object>"}},)

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

    def _taken_out(self) -> None:
        """The coach took this participant out of the session (they had not answered): a join form again."""
        self.join_as_someone_else()
        self.message.value = panel("line.html", css="tk-problem", text=t("removed", self.lang))

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
        self.join_form = JoinForm(self.store, self.lang, code, self._joined, tries=self.tries, client=self.client,
                                  on_session=self._offer_languages)
        self._screen([self.join_form])

    # ------------------------------------------------------------ activities

    def _bank_hash(self) -> str:
        """The form this participant takes: in a crossover it may be another than the activity's (toolkit.design)."""
        return attempt_bank(self.attempt if self.attempt and self.attempt["activity_id"] == self.activity["id"]
                            else None, self.activity)

    def _questions(self) -> tuple[Question, ...]:
        bank = self.store.find_bank(self._bank_hash())
        if self.activity["case_study_id"]:
            return bank.case_study(self.activity["case_study_id"]).prompts
        return bank.questions

    def _title(self) -> str:
        """The activity's name in the participant's language: its kind and its bank's title."""
        bank = self.store.find_bank(self._bank_hash())
        kind = t(f"kind_{self.activity['kind']}", self.lang)
        own = bank.hash == self.activity["bank_hash"]  # a crossover's other form: the coach's title may name the form
        return self.activity["title"] if self.lang == languages.ENGLISH and own else f"{kind}: {tr(bank.title, self.lang)}"

    def _show_activity(self, activity: dict | None) -> None:
        self._shown = self._signature(activity)
        previous, self.activity = self.activity, activity
        self.input = None
        self.group_view = None
        if (previous or {}).get("id") != (activity or {}).get("id"):
            self.message.value = ""  # a refusal shown for the last activity is old news
        if activity is None:
            self._show_waiting(previous)
            return
        if activity["case_study_id"]:
            self._show_group_exercise()
            return
        if activity["state"] == "open":
            self.attempt = self.store.start_attempt(activity["id"], self.participant["id"])
        else:
            self.attempt = self.store.get_attempt(activity["id"], self.participant["id"])
        self.answers = self.store.latest_answers(self.attempt["id"]) if self.attempt else {}
        self.outbox = self._outbox_for_attempt() if self.attempt else None
        if (self.attempt and self.attempt["submitted_at"] is not None) or activity["state"] == "revealed":
            self._show_results()
        elif activity["state"] != "open":
            self._screen([w.HTML(panel("line.html", css="tk-card", text=t("closed", self.lang)))])
        else:
            n = len(self._questions())
            self.index = n if self._time_up() else min(self.attempt["position"], n)
            self._show_question() if self.index < n else self._show_review()

    def _outbox_for_attempt(self) -> Outbox:
        """The attempt's answers waiting to be saved: the same outbox however often the activity is redrawn."""
        attempt_id = self.attempt["id"]
        outbox = self._outboxes.get(attempt_id)
        if outbox is None:
            def send(question_id: str, response: Any, uid: str) -> None:
                self.store.save_answer(attempt_id, question_id, response, uid=uid, timeout=self.save_timeout)

            outbox = self._outboxes[attempt_id] = Outbox(send, self.save_window, clock=self._monotonic)
        outbox.saved = self.answers
        return outbox

    def _send_waiting(self) -> StoreError | None:
        """From the polling loop: send again the answers that wait for the store, and the position.

        Returns the refusal of this page's answer, if the store refused one (closed, time up, ...)."""
        refused = None
        for key, outbox in list(self._outboxes.items()):
            if key.startswith("group:"):
                continue  # the group exercise sends its own, and shows what became of them
            outcomes = outbox.flush()
            if outbox is self.outbox:
                refused = next((e for e in reversed(outcomes.values()) if isinstance(e, StoreError)), None)
                if outcomes:
                    self._update_status()
            elif not outbox.pending:
                del self._outboxes[key]
        if self._position_due is not None:
            attempt_id, index = self._position_due
            try:
                self.store.set_position(attempt_id, index, timeout=self.save_timeout)
                self._position_due = None
            except StoreUnavailable:
                pass
        return refused

    def _show_waiting(self, previous: dict | None) -> None:
        name = self.participant.get("display_name") or ""
        closed = previous is not None and self.store.find_activity(previous["id"])["state"] == "closed"
        upcoming = [a for a in self.store.list_activities(self.session["id"]) if a["state"] == "draft"]
        next_up = ""
        if upcoming:
            bank = self.store.find_bank(upcoming[0]["bank_hash"])
            next_up = f"{t('kind_' + upcoming[0]['kind'], self.lang)}: {tr(bank.title, self.lang)}"
        card = w.HTML(panel("participant/waiting.html", self.lang, person=name, closed=closed, next_up=next_up),
                      _dom_classes=("tk-waiting",))
        other = w.Button(description=t("not_you", self.lang, name=name or "?"), layout=w.Layout(width="auto"),
                         _dom_classes=("tk-link",))
        other.on_click(lambda _b: self.join_as_someone_else())
        self.not_you = other
        self._screen([card, other] if name else [card])

    def _show_group_exercise(self) -> None:
        activity = self.activity
        group = self.store.get_group(activity["id"], self.participant["id"])
        case = self.store.find_bank(activity["bank_hash"]).case_study(activity["case_study_id"])
        if group is None:
            title = tr(case.title, self.lang)
            self._screen([w.HTML(panel("participant/no_group.html", self.lang, title=title))])
            return
        key = f"group:{group['id']}"
        if key not in self._outboxes:
            self._outboxes[key] = group_outbox(self.store, group["id"], self.participant["id"], self.save_window,
                                               self.save_timeout, self._monotonic)
        self.group_view = GroupExercise(self.store, activity, case, group, self.participant, self.lang,
                                        outbox=self._outboxes[key], now=self.now)
        self._screen([self.group_view])

    def _show_question(self) -> None:
        """The question at `self.index`: a new input in the question frame, which stays from one question to
        the next (apps/screens.py QuestionFrame; made anew after another screen, which closed it)."""
        questions = self._questions()
        q = questions[self.index]
        self.input = make_input(q, self.lang)
        if self.outbox.is_waiting(q.id) or q.id in self.answers:
            self.input.response = self.outbox.value(q.id)
        self.input.observe(lambda _ch, q=q, box=self.input: self._give(q, box.response), "given")
        n = len(questions)
        shown = min(self.index + 1, n)
        forward, backward = ("arrow-left", "arrow-right") if languages.is_rtl(self.lang) else ("arrow-right", "arrow-left")
        view = {"index": self.index, "n": n, "shown": shown, "lang": self.lang, "title": self._title(),
                "question": tr(q.text, self.lang),
                "back": t("back", self.lang), "back_icon": backward, "next_icon": forward,
                "next": t("review" if self.index == n - 1 else "next", self.lang)}
        frame = self.question_frame
        if frame is None:
            self._tick()
            frame, self._first_frame = self._first_frame, None
            if frame is None:
                frame = QuestionFrame(self.clock, lean(w.HTML, self._status_text(q)), self.go, view)
        self.status = frame.status
        self._screen(frame.screen(self.input), frame=frame)
        self.status.value = self._status_text(q)
        frame.show(view, self._tick)
        self.back, self.next = frame.back, frame.next

    def _status_text(self, q: Question) -> str:
        if self.outbox is not None and self.outbox.is_waiting(q.id):
            return panel("line.html", css="tk-saving", text=t("saving", self.lang))
        if is_answered(q, self.answers.get(q.id)):
            return panel("line.html", css="tk-saved", text=t("saved", self.lang))
        return panel("line.html", css="tk-hint", text=t("not_answered", self.lang))

    def _update_status(self) -> None:
        """What the current screen says of saving: the question's line, or the review's count of answers waiting."""
        questions = self._questions() if self.activity is not None and self.attempt is not None else ()
        if self.input is not None and self.index < len(questions):
            self.status.value = self._status_text(questions[self.index])
        elif self.review_note is not None and self.outbox is not None:
            self.review_note.value = self._review_note_text()

    def _give(self, q: Question, response: Any) -> None:
        """The person answered: save it now, or keep it and show "Saving…" while the store is busy."""
        if self._time_up():
            self._refused(TimeUp("time is up"))
            return
        try:
            self.outbox.give(q.id, response)
        except StoreError as e:
            self._refused(e, typed=response)
            return
        self.status.value = self._status_text(q)

    def _refused(self, error: StoreError, typed: Any = None, redraw: bool = True) -> None:
        """An answer the store will not take: say why, in the person's language, where it matters."""
        text = panel("line.html", css="tk-problem", text=refusal_text(error, self.lang, typed))
        if isinstance(error, (ActivityNotOpen, AlreadySubmitted)):
            # closed, submitted (perhaps by the coach) or time up: show the activity as it now is, then why
            if isinstance(error, TimeUp):
                if self.input is not None:
                    self.go(len(self._questions()))
            elif redraw:
                self._shown = _NOTHING_SHOWN
                self.refresh()
            self.message.value = text
        elif self.input is not None:
            self.status.value = text
        else:
            self.message.value = text

    def go(self, index: int) -> None:
        """Move to question `index` (the review screen after the last one; only the review once time is up)."""
        n = len(self._questions())
        self.index = n if self._time_up() else max(0, min(index, n))
        self._position_due = None
        try:
            self.store.set_position(self.attempt["id"], self.index, timeout=self.save_timeout)
        except StoreUnavailable:
            self._position_due = (self.attempt["id"], self.index)  # sent again from the polling loop
        self._show_question() if self.index < n else self._show_review()

    def _review_note_text(self) -> str:
        waiting = len(self.outbox.pending)
        return panel("line.html", css="tk-saving", text=t("saving_n", self.lang, n=waiting)) if waiting else ""

    def _show_review(self) -> None:
        questions = self._questions()
        self.input = None
        missing = [(i, q) for i, q in enumerate(questions) if not is_answered(q, self.outbox.value(q.id))]
        lang = self.lang
        time_up = self._time_up()
        rows: list[w.Widget] = [w.HTML(panel("participant/review.html", lang, title=self._title(),
                                             answered=len(questions) - len(missing), n=len(questions)))]
        if time_up:  # answers can no longer change: no way back to the questions
            self._tick()
            rows.append(self.clock)
        elif missing:
            rows.append(w.HTML(panel("line.html", css="tk-hint", text=t("unanswered", lang))))
            jumps = []
            for i, q in missing:
                b = w.Button(description=t("go_to", lang, i=i + 1), tooltip=tr(q.text, lang)[:80],
                             _dom_classes=("tk-secondary",))
                b.on_click(lambda _b, i=i: self.go(i))
                jumps.append(b)
            rows.append(w.HBox(jumps, layout=w.Layout(flex_flow="row wrap")))
        self.review_note = w.HTML(self._review_note_text())
        back = w.Button(description=t("back", lang), icon="arrow-right" if languages.is_rtl(lang) else "arrow-left",
                        _dom_classes=("tk-secondary",))
        back.on_click(lambda _b: self.go(len(questions) - 1))
        self.submit_button = w.Button(description=t("submit", lang), icon="paper-plane", _dom_classes=("tk-primary",))
        self.confirm = w.VBox()
        self.submit_button.on_click(lambda _b: self._ask_to_submit())
        buttons = [self.submit_button] if time_up else [back, self.submit_button]
        rows += [self.review_note, w.HBox(buttons, layout=w.Layout(justify_content="space-between")), self.confirm]
        self._screen(rows)

    def _ask_to_submit(self) -> None:
        yes = w.Button(description=t("yes_submit", self.lang), _dom_classes=("tk-primary",))
        no = w.Button(description=t("not_yet", self.lang), _dom_classes=("tk-secondary",))
        yes.on_click(lambda _b: self.submit())
        no.on_click(lambda _b: replace_children(self.confirm, (), keep=(self, self.clock)))
        self.confirm_yes = yes
        replace_children(self.confirm, [w.HTML(panel("line.html", css="tk-notice", text=t("submit_sure", self.lang))),
                                        w.HBox([no, yes])], keep=(self, self.clock))

    def submit(self) -> None:
        """Hand the answers in, once every answer given is saved: one still waiting is sent now, or the person
        is asked to wait (nothing they gave is left behind)."""
        refused = [e for e in self.outbox.flush(force=True).values() if isinstance(e, StoreError)]
        if refused:
            self._refused(refused[-1])
            return
        problem = None
        if self.outbox.pending:
            problem = t("still_saving", self.lang)
        else:
            try:
                self.attempt = self.store.submit_attempt(self.attempt["id"], timeout=self.save_timeout)
            except StoreUnavailable:
                problem = t("not_submitted", self.lang)
        if problem is not None:
            self.review_note.value = self._review_note_text()
            replace_children(self.confirm, [w.HTML(panel("line.html", css="tk-problem", text=problem))],
                             keep=(self, self.clock))
            return
        self._show_results()

    # ------------------------------------------------------------ results

    def _show_results(self) -> None:
        lang = self.lang
        if self.activity["state"] != "revealed":
            self._screen([w.HTML(panel("participant/submitted.html", lang))])
            return
        questions = self._questions()
        total = score_attempt(questions, self.answers)
        points = None
        if total.max_points:
            points = {"p": _num(total.points), "m": _num(total.max_points), "pct": round(100 * total.fraction)}
        cards = [self._feedback(i, q) for i, q in enumerate(questions, 1)]
        self._screen([w.HTML(panel("participant/results.html", lang, score=points, cards=cards))])

    def _feedback(self, i: int, q: Question) -> dict[str, Any]:
        """What the results show of question `i`: its verdict (a text key, or "" when it is not scored), the
        answer in words, and the feedback on the options chosen and on the question."""
        lang = self.lang
        response = self.answers.get(q.id)
        s = score(q, response)
        verdict = "" if s is None else ("right" if s.correct else ("partly" if s.points > 0 else "wrong"))
        ids = response if isinstance(response, list) else [response]
        notes = [(tr(o.text, lang), tr(o.feedback, lang))
                 for o in (q.options if questions.kind(q.type).option_feedback else ()) if o.id in ids and o.feedback]
        return {"i": i, "verdict": verdict, "text": tr(q.text, lang),
                "chosen": questions.describe(q, response, lang) or t("no_answer", lang), "notes": notes,
                "feedback": tr(q.feedback, lang)}

    # ------------------------------------------------------------ language

    def _set_language_widget(self) -> None:
        shown = {code for _name, code in self.language.options} | {self.lang}
        self._set_language_options([code for code in languages.codes() if code in shown])
        self._apply_direction()

    def _set_language_options(self, codes: list[str]) -> None:
        self.language.unobserve(self._on_language, "value")
        self.language.options = language_options(tuple(codes))
        self.language.value = self.lang
        self.language.observe(self._on_language, "value")

    def _apply_direction(self) -> None:
        """The classes the page reads (the template's direction.js sets <html lang dir> from them; recover.js
        notes the language for its recovery line)."""
        (self.add_class if languages.is_rtl(self.lang) else self.remove_class)("tk-rtl")
        for code in languages.codes():
            (self.add_class if code == self.lang else self.remove_class)(f"tk-lang-{code}")

    def _offer_languages(self, session: dict) -> None:
        """The switch offers the languages of the session's banks, and the one the page is in."""
        offered = session_languages(self.store, session)
        self._set_language_options([c for c in languages.codes() if c in offered or c == self.lang])

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
