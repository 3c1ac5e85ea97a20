"""The participant app: join from a phone, answer one question per screen, never lose an answer.

The page receives question texts and options only; keys, scores and feedback stay in this kernel
until the coach reveals results. Everything a person typed is shown as text.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode

import ipywidgets as w
from IPython.display import Javascript, display

from .. import config
from ..bank import Question, tr
from ..scoring import score, score_attempt
from ..store import Store, StoreError, UnknownJoinCode, UnknownParticipant
from .inputs import TRUE_FALSE, AnswerInput, is_answered, make_input
from .style import STYLE

# Every text a participant reads, in English and Urdu.
T = {
    "join_title": {"en": "Join the session", "ur": "سیشن میں شامل ہوں"},
    "code": {"en": "Join code", "ur": "جوائن کوڈ"},
    "code_help": {"en": "The code on the coach's screen, e.g. K7QM4P", "ur": "کوچ کی اسکرین پر لکھا کوڈ، مثلاً K7QM4P"},
    "continue": {"en": "Continue", "ur": "آگے"},
    "name": {"en": "Your name (optional)", "ur": "آپ کا نام (اختیاری)"},
    "name_help": {"en": "Leave empty to stay anonymous", "ur": "گمنام رہنے کے لیے خالی چھوڑ دیں"},
    "sex": {"en": "Sex", "ur": "جنس"},
    "organisation": {"en": "Organisation", "ur": "ادارہ"},
    "rank": {"en": "Rank or position", "ur": "عہدہ"},
    "province": {"en": "Province", "ur": "صوبہ"},
    "optional": {"en": "(optional)", "ur": "(اختیاری)"},
    "required": {"en": "(required)", "ur": "(لازمی)"},
    "female": {"en": "Female", "ur": "خاتون"},
    "male": {"en": "Male", "ur": "مرد"},
    "no_say": {"en": "Prefer not to say", "ur": "بتانا نہیں چاہتے"},
    "consent": {
        "en": "What is stored: your answers, the name you give (or none) and the profile answers you choose "
              "to give. Who sees them: the coaches of this workshop. Reports show group figures only. "
              "Everything stays on the coach's laptop.",
        "ur": "کیا محفوظ ہوتا ہے: آپ کے جوابات، آپ کا دیا ہوا نام (یا کوئی نہیں) اور پروفائل کے وہ جوابات جو آپ دینا "
              "چاہیں۔ کون دیکھتا ہے: اس ورکشاپ کے کوچ۔ رپورٹوں میں صرف مجموعی اعداد ہوتے ہیں۔ سب کچھ کوچ کے لیپ ٹاپ پر رہتا ہے۔",
    },
    "agree": {"en": "I understand and agree", "ur": "میں سمجھ گیا/گئی اور متفق ہوں"},
    "join": {"en": "Join", "ur": "شامل ہوں"},
    "must_agree": {"en": "Please tick “I understand and agree” to join.", "ur": "شامل ہونے کے لیے “میں متفق ہوں” پر نشان لگائیں۔"},
    "welcome": {"en": "Welcome", "ur": "خوش آمدید"},
    "waiting": {"en": "Nothing is open yet. This page moves on by itself when the coach opens an activity.",
                "ur": "ابھی کچھ شروع نہیں ہوا۔ کوچ کے سرگرمی شروع کرتے ہی یہ صفحہ خود آگے بڑھ جائے گا۔"},
    "question_of": {"en": "Question {i} of {n}", "ur": "سوال {i} از {n}"},
    "back": {"en": "Back", "ur": "پیچھے"},
    "next": {"en": "Next", "ur": "اگلا"},
    "review": {"en": "Review", "ur": "جائزہ"},
    "saved": {"en": "✓ Saved", "ur": "✓ محفوظ ہو گیا"},
    "not_answered": {"en": "Not answered yet", "ur": "ابھی جواب نہیں دیا"},
    "not_saved": {"en": "Not saved: {msg}", "ur": "محفوظ نہیں ہوا: {msg}"},
    "answered_n": {"en": "You answered {a} of {n} questions.", "ur": "آپ نے {n} میں سے {a} سوالات کے جواب دیے۔"},
    "unanswered": {"en": "Not answered yet:", "ur": "جن کا جواب ابھی نہیں دیا:"},
    "go_to": {"en": "Question {i}", "ur": "سوال {i}"},
    "submit": {"en": "Submit my answers", "ur": "میرے جوابات جمع کریں"},
    "submit_sure": {"en": "After submitting you cannot change your answers. Submit now?",
                    "ur": "جمع کرنے کے بعد آپ جوابات تبدیل نہیں کر سکیں گے۔ ابھی جمع کریں؟"},
    "yes_submit": {"en": "Yes, submit", "ur": "ہاں، جمع کریں"},
    "not_yet": {"en": "Not yet", "ur": "ابھی نہیں"},
    "submitted": {"en": "Thank you. Your answers are submitted.", "ur": "شکریہ۔ آپ کے جوابات جمع ہو گئے ہیں۔"},
    "wait_reveal": {"en": "Your results appear here when the coach reveals them.",
                    "ur": "کوچ کے نتائج ظاہر کرنے پر آپ کے نتائج یہاں نظر آئیں گے۔"},
    "your_score": {"en": "Your score: {p} of {m} ({pct}%)", "ur": "آپ کا اسکور: {m} میں سے {p} ({pct}%)"},
    "right": {"en": "Right", "ur": "درست"},
    "wrong": {"en": "Not right", "ur": "درست نہیں"},
    "partly": {"en": "Partly right", "ur": "جزوی طور پر درست"},
    "your_answer": {"en": "Your answer", "ur": "آپ کا جواب"},
    "no_answer": {"en": "(no answer)", "ur": "(کوئی جواب نہیں)"},
    "closed": {"en": "The coach has closed this activity. Your saved answers are kept.",
               "ur": "کوچ نے یہ سرگرمی بند کر دی ہے۔ آپ کے محفوظ جوابات برقرار ہیں۔"},
    "unknown_link": {"en": "This link is not known here. Join with the code on the coach's screen.",
                     "ur": "یہ لنک یہاں معلوم نہیں۔ کوچ کی اسکرین پر دیے گئے کوڈ سے شامل ہوں۔"},
}

LANG_LABELS = (("English", "en"), ("اردو", "ur"))
_NOTHING_SHOWN = object()  # differs from every activity signature, None ("nothing open") included


def t(key: str, lang: str, **kw: Any) -> str:
    text = tr(T[key], lang)
    return text.format(**kw) if kw else text


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def query_params(query: str | None = None) -> dict[str, str]:
    """The page address's parameters (Voila passes the query string to the kernel)."""
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    return {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}


class ParticipantApp(w.VBox):
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
        self.script = w.Output(layout=w.Layout(display="none"))
        self.body = w.VBox()
        self.body.add_class("tk-body")
        self.message = w.HTML()
        self.children = [w.HTML(STYLE), self.language, self.message, self.body, self.script]
        self._resume_or_join()
        if start_polling:
            self.start()

    # ------------------------------------------------------------ polling

    def start(self) -> None:
        """Follow the coach: move on by itself when an activity opens, closes or is revealed."""
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
            except Exception as e:  # the poller must survive a locked or restarting store
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"

    def refresh(self) -> None:
        """Show what the coach has opened, if it changed since the last look."""
        if self.participant is None or self.session is None:
            return
        activity = self.store.current_activity(self.session["id"])
        signature = (activity["id"], activity["state"]) if activity else None
        if signature != self._shown:
            self._show_activity(activity)

    # ------------------------------------------------------------ join and resume

    def _resume_or_join(self) -> None:
        token = self.params.get("token")
        if token:
            try:
                self.participant = self.store.find_participant(token)
            except UnknownParticipant:
                self.message.value = f"<div class='tk-problem'>{t('unknown_link', self.lang)}</div>"
            else:
                self.lang = self.participant["language"]
                self._set_language_widget()
                self._enter_session(self.params.get("code"))
                return
        code = self.params.get("code", "")
        if code:
            try:
                self.session = self.store.find_session(code)
            except UnknownJoinCode as e:
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
                self._show_code_step(code)
                return
            self._show_profile_step()
        else:
            self._show_code_step("")

    def _enter_session(self, code: str | None) -> None:
        """A known participant: back into the session in the address, or the latest of their workshop."""
        session = None
        if code:
            try:
                session = self.store.find_session(code)
            except UnknownJoinCode:
                session = None
        if session is None or session["workshop_id"] != self.participant["workshop_id"]:
            sessions = [s for s in self.store.list_sessions(self.participant["workshop_id"]) if s["state"] == "open"]
            session = sessions[0] if sessions else None
        if session is None:
            self.body.children = [w.HTML(f"<div class='tk-card'>{t('waiting', self.lang)}</div>")]
            return
        self.session = session
        self.store.attend(session["id"], self.participant["id"])
        self._remember_in_address()
        self.refresh()

    def _show_code_step(self, code: str) -> None:
        self.code_box = w.Text(value=code, placeholder=t("code_help", self.lang), layout=w.Layout(width="100%"))
        self.code_box.add_class("tk-code")
        go = w.Button(description=t("continue", self.lang), icon="arrow-right")
        go.add_class("tk-primary")

        def on_go(_b=None):
            try:
                self.session = self.store.find_session(self.code_box.value)
            except UnknownJoinCode as e:
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
                return
            self.message.value = ""
            self._show_profile_step()

        go.on_click(on_go)
        self.continue_button = go
        self.body.children = [
            w.HTML(f"<h2>{t('join_title', self.lang)}</h2><label>{t('code', self.lang)}</label>"),
            self.code_box,
            go,
        ]

    def _show_profile_step(self) -> None:
        workshop = self.store.get_workshop(self.session["workshop_id"])
        rules = workshop["profile_fields"]
        lang = self.lang
        self.name_box = w.Text(placeholder=t("name_help", lang), layout=w.Layout(width="100%"))
        self.profile_boxes: dict[str, w.Widget] = {}
        rows: list[w.Widget] = [
            w.HTML(f"<h2>{esc(workshop['title'])}</h2><div class='tk-hint'>{esc(self.session['title'])}</div>"),
            w.HTML(f"<label>{t('name', lang)}</label>"),
            self.name_box,
        ]
        for field in ("sex", "organisation", "rank", "province"):
            rule = rules.get(field, "off")
            if rule == "off":
                continue
            if field == "sex":
                box = w.Dropdown(options=[("—", ""), (t("female", lang), "female"), (t("male", lang), "male"),
                                          (t("no_say", lang), "undisclosed")], value="", layout=w.Layout(width="100%"))
            else:
                box = w.Text(layout=w.Layout(width="100%"))
            self.profile_boxes[field] = box
            rows += [w.HTML(f"<label>{t(field, lang)} {t(rule, lang)}</label>"), box]
        self.consent_box = w.Checkbox(value=False, description=t("agree", lang), indent=False)
        self.join_button = w.Button(description=t("join", lang), icon="check")
        self.join_button.add_class("tk-primary")
        self.join_button.on_click(self._on_join)
        rows += [w.HTML(f"<div class='tk-notice'>{t('consent', lang)}</div>"), self.consent_box, self.join_button]
        self.body.children = rows

    def _on_join(self, _b=None) -> None:
        if not self.consent_box.value:
            self.message.value = f"<div class='tk-problem'>{t('must_agree', self.lang)}</div>"
            return
        profile = {k: (b.value or None) for k, b in self.profile_boxes.items()}
        try:
            self.participant = self.store.join(self.session["join_code"], self.name_box.value, language=self.lang,
                                               consent=True, **profile)
        except StoreError as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return
        self.message.value = ""
        self._remember_in_address()
        self.refresh()

    def _remember_in_address(self) -> None:
        """Put the token in the page address, so that a reload or a new tab comes back here."""
        query = urlencode({"code": self.session["join_code"], "token": self.participant["token"]})
        self.params.update(code=self.session["join_code"], token=self.participant["token"])
        with self.script:
            self.script.clear_output()
            display(Javascript(f"window.history.replaceState(null, '', '?' + {json.dumps(query)});"))

    # ------------------------------------------------------------ activities

    def _questions(self) -> tuple[Question, ...]:
        bank = self.store.get_bank(self.activity["bank_hash"])
        if self.activity["case_study_id"]:
            return bank.case_study(self.activity["case_study_id"]).prompts
        return bank.questions

    def _show_activity(self, activity: dict | None) -> None:
        self._shown = (activity["id"], activity["state"]) if activity else None
        previous, self.activity = self.activity, activity
        if activity is None:
            name = self.participant.get("display_name") or ""
            closed = ""
            if previous is not None and self.store.get_activity(previous["id"])["state"] == "closed":
                closed = f"<p><b>{t('closed', self.lang)}</b></p>"
            self.body.children = [w.HTML(
                f"<div class='tk-card'><h2>{t('welcome', self.lang)} {esc(name)}</h2>{closed}"
                f"<p>{t('waiting', self.lang)}</p></div>")]
            self.body.children[0].add_class("tk-waiting")
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

    def _header(self) -> w.Widget:
        questions = self._questions()
        n = len(questions)
        shown = min(self.index + 1, n)
        progress = w.IntProgress(value=shown, min=0, max=n, layout=w.Layout(width="100%"))
        progress.add_class("tk-progress")
        title = esc(self.activity["title"])
        case = ""
        if self.activity["case_study_id"]:
            cs = self.store.get_bank(self.activity["bank_hash"]).case_study(self.activity["case_study_id"])
            case = f"<div class='tk-scenario'><b>{esc(tr(cs.title, self.lang))}</b><p>{esc(tr(cs.scenario, self.lang))}</p></div>"
        counter = w.HTML(f"<div class='tk-activity'>{title}</div><div class='tk-counter'>"
                         f"{t('question_of', self.lang, i=shown, n=n)}</div>{case}")
        return w.VBox([counter, progress])

    def _show_question(self) -> None:
        questions = self._questions()
        q = questions[self.index]
        self.input = make_input(q, self.lang)
        if q.id in self.answers:
            self.input.response = self.answers[q.id]
        self.status = w.HTML(self._status_text(q))
        self.input.observe(lambda ch, q=q: self._save(q, ch["new"]), "response")
        self.back = w.Button(description=t("back", self.lang), icon="arrow-left", disabled=self.index == 0)
        self.back.add_class("tk-secondary")
        last = self.index == len(questions) - 1
        self.next = w.Button(description=t("review" if last else "next", self.lang), icon="arrow-right")
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
        rows: list[w.Widget] = [w.HTML(f"<div class='tk-activity'>{esc(self.activity['title'])}</div>"
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

    def _on_language(self, change) -> None:
        self.lang = change["new"]
        self._apply_direction()
        if self.participant is not None:
            self.store.set_language(self.participant["id"], self.lang)
            if self.activity is not None and self.activity["state"] == "open" and self.attempt \
                    and self.attempt["submitted_at"] is None:
                self.go(self.index)
            else:
                self._show_activity(self.activity)
        elif self.session is not None:
            self._show_profile_step()
        else:
            self._show_code_step(getattr(self, "code_box", w.Text()).value)


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

