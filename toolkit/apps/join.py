"""Joining a session from a phone: the code, a name or none, the workshop's profile questions,
an optional self-generated matching code, and the consent notice.

A participant on the trainer's roster (`toolkit roster import`) has a card with a personal code instead: its
address (`?card=CODE`) or the code typed in the join code's box shows who they are, and one tap joins."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import ipywidgets as w

from ..matchcode import ELEMENTS, MatchCodeError, match_code_hash
from ..store import PERSONAL_CODE_LENGTH, Store, StoreError, UnknownJoinCode, normalise_join_code
from .texts import esc, t


class JoinForm(w.VBox):
    """Two steps: the join code (skipped when the address carries it), then who you are.

    With a card (its code in the address, or typed): one step, "Is this you?"."""

    def __init__(self, store: Store, lang: str, code: str, on_joined: Callable[[dict, dict], None],
                 card: str = ""):
        super().__init__()
        self.store, self.lang, self.on_joined = store, lang, on_joined
        self.uid = uuid.uuid4().hex  # a double tap or a retry joins once
        self.session: dict | None = None
        self.card: dict | None = None
        self.message = w.HTML()
        self.step = w.VBox()
        self.children = [self.message, self.step]
        self.code_box = w.Text(value=code, layout=w.Layout(width="100%"))
        if card:
            self._find_card(card)
        elif code:
            try:
                self.session = store.find_session(code)
            except UnknownJoinCode as e:
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
        self.draw()

    def draw(self) -> None:
        if self.card:
            self.show_card_step()
        else:
            self.show_profile_step() if self.session else self.show_code_step()

    def _find_card(self, code: str) -> bool:
        try:
            self.card = self.store.find_card(code)
        except StoreError as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return False
        self.message.value = ""
        return True

    def show_card_step(self) -> None:
        lang, person = self.lang, self.card
        detail = " · ".join(esc(v) for v in (person.get("rank"), person.get("organisation")) if v)
        workshop = self.store.get_workshop(person["workshop_id"])
        self.consent_box = w.Checkbox(value=person.get("consent_at") is not None, description=t("agree", lang),
                                      indent=False)
        yes = w.Button(description=t("card_yes", lang), icon="check")
        yes.add_class("tk-primary")
        yes.on_click(lambda _b: self.claim_card())
        no = w.Button(description=t("card_no", lang))
        no.on_click(lambda _b: self.not_me())
        self.card_buttons = (yes, no)
        self.step.children = [
            w.HTML(f"<h2>{t('card_title', lang)}</h2><div class='tk-card'><b>{esc(person['display_name'] or '')}"
                   f"</b><br>{detail}<br><span class='tk-hint'>{esc(workshop['title'])}</span></div>"
                   f"<div class='tk-hint'>{t('card_hint', lang)}</div>"),
            w.HTML(f"<div class='tk-notice'>{t('consent', lang)}</div>"), self.consent_box, yes, no]

    def claim_card(self) -> None:
        if not self.consent_box.value:
            self.message.value = f"<div class='tk-problem'>{t('must_agree', self.lang)}</div>"
            return
        try:
            participant, session = self.store.claim_card(self.card["personal_code"], language=self.lang)
        except StoreError as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return
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
        self.code_box.add_class("tk-code")
        self.continue_button = w.Button(description=t("continue", lang), icon="arrow-right")
        self.continue_button.add_class("tk-primary")
        self.continue_button.on_click(lambda _b: self.check_code())
        self.step.children = [w.HTML(f"<h2>{t('join_title', lang)}</h2><label>{t('code_or_card', lang)}</label>"),
                              self.code_box, self.continue_button]

    def check_code(self) -> None:
        if len(normalise_join_code(self.code_box.value)) == PERSONAL_CODE_LENGTH:  # longer than a join code: a card
            self.use_card(self.code_box.value)
            return
        try:
            self.session = self.store.find_session(self.code_box.value)
        except UnknownJoinCode as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return
        self.message.value = ""
        self.show_profile_step()

    def show_profile_step(self) -> None:
        workshop = self.store.get_workshop(self.session["workshop_id"])
        rules = workshop["profile_fields"]
        lang = self.lang
        keep = {k: b.value for k, b in getattr(self, "profile_boxes", {}).items()}
        self.name_box = w.Text(value=getattr(self, "name_box", w.Text()).value, placeholder=t("name_help", lang),
                               layout=w.Layout(width="100%"))
        self.profile_boxes: dict[str, w.Widget] = {}
        rows: list[w.Widget] = [
            w.HTML(f"<h2>{esc(workshop['title'])}</h2><div class='tk-hint'>{esc(self.session['title'])}</div>"),
            w.HTML(f"<label>{t('name', lang)}</label>"), self.name_box,
        ]
        if self.store.has_roster(self.session["workshop_id"]):  # the trainer gave out cards: a way to use one
            self.card_box = w.Text(placeholder=t("card_code", lang), layout=w.Layout(width="100%"))
            self.card_box.add_class("tk-code")
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
                box = w.Dropdown(options=[("—", ""), (t("female", lang), "female"), (t("male", lang), "male"),
                                          (t("no_say", lang), "undisclosed")], layout=w.Layout(width="100%"))
            else:
                box = w.Text(layout=w.Layout(width="100%"))
            box.value = keep.get(field, box.value)
            self.profile_boxes[field] = box
            rows += [w.HTML(f"<label>{t(field, lang)} {t(rule, lang)}</label>"), box]
        # The matching code's boxes are made when the panel is first opened: most people never open it, and
        # each widget is one more message to every joining phone while the whole room joins at once.
        self.code_boxes = {}
        self.code_panel = w.Accordion(children=[w.VBox()], titles=(t("code_title", lang),), selected_index=None)
        self.code_panel.observe(lambda _change: self._fill_code_panel(), "selected_index")
        self.consent_box = w.Checkbox(value=False, description=t("agree", lang), indent=False)
        self.join_button = w.Button(description=t("join", lang), icon="check")
        self.join_button.add_class("tk-primary")
        self.join_button.on_click(lambda _b: self.join())
        rows += [self.code_panel, w.HTML(f"<div class='tk-notice'>{t('consent', lang)}</div>"), self.consent_box,
                 self.join_button]
        self.step.children = rows

    def _fill_code_panel(self) -> None:
        if self.code_boxes or self.code_panel.selected_index is None:
            return
        lang = self.lang
        rows: list[w.Widget] = [w.HTML(f"<div class='tk-hint'>{t('code_explain', lang)}</div>")]
        for field, en, ur, kind in ELEMENTS:
            box = w.Text(layout=w.Layout(width="6em" if kind != "letter" else "4em"))
            self.code_boxes[field] = box
            rows.append(w.HBox([w.Label(ur if lang == "ur" else en, layout=w.Layout(flex="1")), box]))
        self.code_panel.children[0].children = rows

    def join(self) -> None:
        if not self.consent_box.value:
            self.message.value = f"<div class='tk-problem'>{t('must_agree', self.lang)}</div>"
            return
        profile = {k: (b.value or None) for k, b in self.profile_boxes.items()}
        given = {k: b.value for k, b in self.code_boxes.items() if b.value.strip()}
        if given:
            if len(given) < len(ELEMENTS):
                self.message.value = f"<div class='tk-problem'>{esc(t('code_title', self.lang))}: " \
                                     f"{esc(_missing(self.lang))}</div>"
                return
            try:
                profile["match_code_hash"] = match_code_hash(given)
            except MatchCodeError as e:
                self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
                return
        try:
            participant = self.store.join(self.session["join_code"], self.name_box.value, language=self.lang,
                                          consent=True, uid=self.uid, **profile)
        except StoreError as e:
            self.message.value = f"<div class='tk-problem'>{esc(str(e))}</div>"
            return
        self.message.value = ""
        self.on_joined(participant, self.session)


def _missing(lang: str) -> str:
    return "براہِ کرم چاروں جواب دیں یا سب خالی چھوڑ دیں۔" if lang == "ur" else \
        "please answer all four, or leave all four empty."
