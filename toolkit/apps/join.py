"""Joining a session from a phone: the code, a name or none, the workshop's profile questions,
an optional self-generated matching code, and the consent notice.

A participant on the trainer's roster (`toolkit roster import`) has a card with a personal code instead: its
address (`?card=CODE`) or the code typed in the join code's box shows who they are, and one tap joins."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import ipywidgets as w

from .. import languages
from ..limits import PageTries
from ..matchcode import ELEMENTS, MatchCodeError, match_code_hash, store_key
from ..store import (
    PERSONAL_CODE_LENGTH,
    NotFound,
    Store,
    StoreError,
    TooManyWrongCodes,
    UnknownJoinCode,
    UnknownParticipant,
    id_from_uid,
    normalise_join_code,
)
from .bounded import clip, counted
from .messages import match_code_text, page_full, problem
from .screens import lean, replace_children
from .texts import panel, t

CODE_BOX_MOST = 20  # a card's code with its dash and a few spaces; nothing longer is a code


class JoinForm(w.VBox):
    """Two steps: the join code (skipped when the address carries it), then who you are.

    With a card (its code in the address, or typed): one step, "Is this you?".

    `tries` is the page's own count of wrong codes and people joined (one per page, kept by the app across
    "join as someone else"); `client` the phone's address, for the store's count across pages. `on_session` is
    told the session once its code is found (the page then offers that session's languages)."""

    def __init__(self, store: Store, lang: str, code: str, on_joined: Callable[[dict, dict], None],
                 card: str = "", tries: PageTries | None = None, client: str | None = None,
                 on_session: Callable[[dict], None] | None = None):
        super().__init__()
        self.store, self.lang, self.on_joined = store, lang, on_joined
        self.on_session = on_session or (lambda _session: None)
        self.tries = tries or PageTries()
        self.client = client
        self.uid = uuid.uuid4().hex  # a double tap or a retry joins once
        self.session: dict | None = None
        self.card: dict | None = None
        self.message = lean(w.HTML)
        self.step = lean(w.VBox)
        self.children = [self.message, self.step]
        self.code_box = lean(w.Text, value=code[:CODE_BOX_MOST], layout={"width": "100%"}, _dom_classes=("tk-code",))
        clip(self.code_box, CODE_BOX_MOST)
        if card:
            self._find_card(card)
        elif code:
            self._find_session(code)
        self.draw()

    def _step(self, children: list[w.Widget]) -> None:
        """Show a step of the form; the widgets of the step it replaces are closed, but for the code box, which
        the code step shows again (apps/screens.py)."""
        replace_children(self.step, children, keep=(self, self.code_box))

    def widgets(self) -> list[w.Widget]:
        """What the form holds open: what the app closes once the person has joined."""
        return [self, self.code_box]

    def _page_waits(self) -> bool:
        """Say so when this page must wait after its wrong codes (before asking the store anything)."""
        wait = self.tries.wait()
        if wait > 0:
            self.message.value = problem(TooManyWrongCodes("", retry_after=wait), self.lang)
            return True
        return False

    def _find_session(self, code: str) -> bool:
        if self._page_waits():
            return False
        try:
            self.session = self.store.find_session_by_code(code, client=self.client)
        except UnknownJoinCode as e:
            self.tries.wrong_code()
            typed = normalise_join_code(code)
            shown = typed if typed.isascii() and typed.isalnum() and len(typed) <= CODE_BOX_MOST else "(…)"
            self.message.value = problem(e, self.lang, code=shown)
            return False
        except StoreError as e:
            self.message.value = problem(e, self.lang)
            return False
        self.message.value = ""
        self.on_session(self.session)
        return True

    def draw(self) -> None:
        if self.card:
            self.show_card_step()
        else:
            self.show_profile_step() if self.session else self.show_code_step()

    def _find_card(self, code: str) -> bool:
        if self._page_waits():
            return False
        try:
            self.card = self.store.find_card(code, client=self.client)
        except UnknownParticipant:
            self.tries.wrong_code()
            self.message.value = panel("line.html", css="tk-problem", text=t("unknown_card", self.lang))
            return False
        except StoreError as e:
            self.message.value = problem(e, self.lang)
            return False
        self.message.value = ""
        return True

    def show_card_step(self) -> None:
        lang, person = self.lang, self.card
        detail = [v for v in (person.get("rank"), person.get("organisation")) if v]
        workshop = self.store.find_workshop(person["workshop_id"])
        self.consent_box = lean(w.Checkbox, value=person.get("consent_at") is not None,
                                description=t("agree", lang), indent=False)
        yes = lean(w.Button, description=t("card_yes", lang), icon="check", _dom_classes=("tk-primary",))
        yes.on_click(lambda _b: self.claim_card())
        no = lean(w.Button, description=t("card_no", lang))
        no.on_click(lambda _b: self.not_me())
        self.card_buttons = (yes, no)
        self._step([
            lean(w.HTML, panel("join/card.html", lang, person=person["display_name"] or "", detail=detail,
                               workshop=workshop["title"])),
            lean(w.HTML, panel("line.html", css="tk-notice", text=t("consent", lang))), self.consent_box, yes, no])

    def claim_card(self) -> None:
        if not self.consent_box.value:
            self.message.value = panel("line.html", css="tk-problem", text=t("must_agree", self.lang))
            return
        if not self.tries.may_join(self.card["id"]):
            self.message.value = page_full(self.lang)
            return
        try:
            participant, session = self.store.claim_card(self.card["personal_code"], language=self.lang,
                                                         client=self.client)
        except NotFound:  # the card is known, its workshop has no open session
            title = self.store.find_workshop(self.card["workshop_id"])["title"]
            self.message.value = panel("line.html", css="tk-problem", text=t("card_no_session", self.lang, title=title))
            return
        except StoreError as e:
            self.message.value = problem(e, self.lang)
            return
        self.tries.joined_one(participant["id"])
        self.message.value = ""
        self.on_joined(participant, session)

    def not_me(self) -> None:
        self.card = None
        self.code_box.value = ""
        self.message.value = ""
        self.draw()

    def use_card(self, code: str) -> None:
        if self._find_card(code):
            self.draw()

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.draw()

    def show_code_step(self) -> None:
        lang = self.lang
        self.code_box.placeholder = t("code_help", lang)
        forward = "arrow-left" if languages.is_rtl(lang) else "arrow-right"  # onward, in the reading direction
        self.continue_button = lean(w.Button, description=t("continue", lang), icon=forward,
                                    _dom_classes=("tk-primary",))
        self.continue_button.on_click(lambda _b: self.check_code())
        self._step([lean(w.HTML, panel("join/code.html", lang)), self.code_box, self.continue_button])

    def check_code(self) -> None:
        if len(normalise_join_code(self.code_box.value)) == PERSONAL_CODE_LENGTH:  # longer than a join code: a card
            self.use_card(self.code_box.value)
            return
        if self._find_session(self.code_box.value):
            self.show_profile_step()

    def show_profile_step(self) -> None:
        workshop = self.store.find_workshop(self.session["workshop_id"])
        rules = workshop["profile_fields"]
        lang = self.lang
        keep = {k: b.value for k, b in getattr(self, "profile_boxes", {}).items()}
        typed = self.name_box.value if hasattr(self, "name_box") else ""  # kept when the step is drawn again
        self.name_box = lean(w.Text, value=typed, placeholder=t("name_help", lang), layout={"width": "100%"})
        self.counters = {"display_name": counted(self.name_box, "display_name")}
        self.profile_boxes: dict[str, w.Widget] = {}
        rows: list[w.Widget] = [
            lean(w.HTML, panel("join/workshop.html", workshop=workshop["title"], session=self.session["title"])),
            lean(w.HTML, panel("label.html", text=t("name", lang))), self.name_box, self.counters["display_name"],
        ]
        if self.store.has_roster(self.session["workshop_id"]):  # the trainer gave out cards: a way to use one
            self.card_box = w.Text(placeholder=t("card_code", lang), layout=w.Layout(width="100%"),
                                   _dom_classes=("tk-code",))
            clip(self.card_box, CODE_BOX_MOST)
            use = w.Button(description=t("use_card", lang), icon="id-card")
            use.on_click(lambda _b: self.use_card(self.card_box.value))
            self.card_panel = w.Accordion(children=[w.VBox([self.card_box, use])], titles=(t("have_card", lang),),
                                          selected_index=None)
            rows.insert(1, self.card_panel)
        for field in ("sex", "organisation", "rank", "province"):
            rule = rules.get(field, "off")
            if rule == "off":
                continue
            if field == "sex":
                box = lean(w.Dropdown, options=[("—", ""), (t("female", lang), "female"), (t("male", lang), "male"),
                                                (t("no_say", lang), "undisclosed")], layout={"width": "100%"})
            else:
                box = lean(w.Text, layout={"width": "100%"})
            box.value = keep.get(field, box.value)
            self.profile_boxes[field] = box
            rows += [lean(w.HTML, panel("label.html", text=f"{t(field, lang)} {t(rule, lang)}")), box]
            if isinstance(box, w.Text):
                self.counters[field] = counted(box, field)
                rows.append(self.counters[field])
        # The matching code's boxes are made when the panel is first opened: most people never open it, and
        # each widget is one more message to every joining phone while the whole room joins at once.
        self.code_boxes = {}
        self.code_panel = w.Accordion(children=[w.VBox()], titles=(t("code_title", lang),), selected_index=None)
        self.code_panel.observe(lambda _change: self._fill_code_panel(), "selected_index")
        self.consent_box = lean(w.Checkbox, value=False, description=t("agree", lang), indent=False)
        self.join_button = lean(w.Button, description=t("join", lang), icon="check", _dom_classes=("tk-primary",))
        self.join_button.on_click(lambda _b: self.join())
        rows += [self.code_panel, lean(w.HTML, panel("line.html", css="tk-notice", text=t("consent", lang))),
                 self.consent_box, self.join_button]
        self._step(rows)

    def _fill_code_panel(self) -> None:
        if self.code_boxes or self.code_panel.selected_index is None:
            return
        lang = self.lang
        rows: list[w.Widget] = [w.HTML(panel("line.html", css="tk-hint", text=t("code_explain", lang)))]
        for field, kind in ELEMENTS:
            box = w.Text(layout=w.Layout(width="6em" if kind != "letter" else "4em"))
            clip(box, 10)  # one letter or a number up to 40
            self.code_boxes[field] = box
            rows.append(w.HBox([w.Label(t(f"match_{field}", lang), layout=w.Layout(flex="1")), box]))
        self.code_panel.children[0].children = rows

    def join(self) -> None:
        if not self.consent_box.value:
            self.message.value = panel("line.html", css="tk-problem", text=t("must_agree", self.lang))
            return
        profile = {k: (b.value or None) for k, b in self.profile_boxes.items()}
        given = {k: b.value for k, b in self.code_boxes.items() if b.value.strip()}
        if given:
            if len(given) < len(ELEMENTS):
                self.message.value = panel("line.html", css="tk-problem",
                                           text=f"{t('code_title', self.lang)}: {t('match_all_four', self.lang)}")
                return
            try:
                profile["match_code_hash"] = match_code_hash(given, store_key(self.store))
            except MatchCodeError as e:
                self.message.value = panel("line.html", css="tk-problem", text=match_code_text(e, self.lang))
                return
        if not self.tries.may_join(id_from_uid("join", self.uid)):  # a retry of this form's join is not one more
            self.message.value = page_full(self.lang)
            return
        try:
            participant = self.store.join(self.session["join_code"], self.name_box.value, language=self.lang,
                                          consent=True, uid=self.uid, client=self.client, **profile)
        except StoreError as e:
            self.message.value = problem(e, self.lang)
            return
        self.tries.joined_one(participant["id"])
        self.message.value = ""
        self.on_joined(participant, self.session)


def session_languages(store: Store, session: dict) -> tuple[str, ...]:
    """The languages the session's banks have (each bank's `languages:`), in the registry's order; every
    registered language while the session has no activity yet."""
    have = store.bank_languages(a["bank_hash"] for a in store.list_activities(session["id"]))
    return tuple(code for code in languages.codes() if code in have) or languages.codes()


def language_options(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    """The language switch's buttons: each language by its name in itself."""
    return [(languages.find(code).name, code) for code in codes]
