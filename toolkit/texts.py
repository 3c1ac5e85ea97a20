"""Every text the toolkit shows a participant, in English here and in one gettext catalogue per language.

The English texts are the source: `ENGLISH` maps a key (what the code asks for) to its text. Each other language
has `toolkit/locale/<code>/LC_MESSAGES/toolkit.po`, where an entry's `msgctxt` is the key and its `msgid` the
English text, so a translator reads the English and the toolkit finds the text by its key. The compiled `.mo`
files are shipped beside the `.po` files (no build step; tests/test_catalogues.py fails when one is out of date).
Adding a text or a language: the README's Development section.
"""

from __future__ import annotations

import ast
import gettext
import string
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from . import languages

DOMAIN = "toolkit"
LOCALE_DIR = Path(__file__).parent / "locale"

ENGLISH: dict[str, str] = {
    # joining from a phone (apps/join.py); {name}, {code}, {title}: what the page fills in, kept as they are
    "join_title": "Join the session",
    "code": "Join code",
    "code_help": "The code on the coach's screen, e.g. K7QM4P",
    "continue": "Continue",
    "code_or_card": "Join code, or the code on your card",
    "have_card": "I have a card with my own code",
    "card_code": "The code on your card, e.g. K7QM-4PXA",
    "use_card": "Use my card",
    "card_title": "Is this you?",
    "card_yes": "Yes, this is me",
    "card_no": "This is not me",
    "card_hint": "Your trainer listed you before the workshop. Your answers are kept under this name.",
    "name": "Your name (optional)",
    "name_help": "Leave empty to stay anonymous",
    "sex": "Sex",
    "organisation": "Organisation",
    "rank": "Rank or position",
    "province": "Province",
    "optional": "(optional)",
    "required": "(required)",
    "female": "Female",
    "male": "Male",
    "no_say": "Prefer not to say",
    "consent": ("What is stored: your answers, the name you give (or none) and the profile answers you choose to give. "
                "Who sees them: the coaches of this workshop. Reports show group figures only. Everything stays on the "
                "coach's laptop."),
    "agree": "I understand and agree",
    "join": "Join",
    "must_agree": "Please tick “I understand and agree” to join.",
    # answering (apps/participant.py): {i} a question's number, {n} and {a} counts, {p} of {m} points
    "welcome": "Welcome",
    "waiting": "Nothing is open yet. This page moves on by itself when the coach opens an activity.",
    "question_of": "Question {i} of {n}",
    "back": "Back",
    "next": "Next",
    "review": "Review",
    "saved": "✓ Saved",
    "not_answered": "Not answered yet",
    "answered_n": "You answered {a} of {n} questions.",
    "unanswered": "Not answered yet:",
    "go_to": "Question {i}",
    "submit": "Submit my answers",
    "submit_sure": "After submitting you cannot change your answers. Submit now?",
    "yes_submit": "Yes, submit",
    "not_yet": "Not yet",
    "submitted": "Thank you. Your answers are submitted.",
    "wait_reveal": "Your results appear here when the coach reveals them.",
    "your_score": "Your score: {p} of {m} ({pct}%)",
    "right": "Right",
    "wrong": "Not right",
    "partly": "Partly right",
    "your_answer": "Your answer",
    "no_answer": "(no answer)",
    "closed": "The coach has closed this activity. Your saved answers are kept.",
    "unknown_link": "This link is not known here. Join with the code on the coach's screen.",
    # the kinds of activity, and the room's questions to the coach (apps/room.py)
    "kind_pretest": "Pre-test",
    "kind_posttest": "Post-test",
    "kind_check": "Quick check",
    "kind_retention": "Retention check",
    "kind_survey": "Feedback survey",
    "kind_confidence": "Confidence",
    "kind_case_study": "Group exercise",
    "next_up": "Next: {title}",
    "not_you": "Not {name}? Join as someone else",
    "time_left": "⏱ {time} left",
    "time_up": "Time is up. Your saved answers are kept; please submit.",
    "tab_activity": "Activity",
    "tab_room": "Ask the coach",
    "ask_placeholder": "Type a question for the coach",
    "anonymous": "Ask without my name",
    "send": "Send",
    "sent": "✓ Sent. Others can now vote for it.",
    "no_room_questions": "No questions yet. Be the first to ask.",
    "room_hint": "Tap ▲ on the questions you also want answered.",
    "answered_by_coach": "answered",
    "anonymous_asker": "Anonymous",
    "you": "you",
    # group work on a case study (apps/groupwork.py)
    "your_group": "Your group: {name}",
    "members": "Members: {names}",
    "no_group": "The coach will put you in a group in a moment.",
    "group_hint": "This is your group's shared answer: anyone in the group can change it.",
    "saved_by": "Saved by {name} at {time}",
    "debrief": "Debrief",
    "group_score": "Your group's score: {p} of {m}",
    "code_title": "Your private matching code (optional)",
    "code_explain": ("These answers let the trainers match your first and last test without your name. Only a "
                     "scrambled form is stored; nobody can read your answers back."),
    # saving an answer: a locked store, the deadline, bounded typed answers (apps/saving.py)
    "saving": "Saving…",
    "saving_n": "{n} of your answers are still being saved…",
    "still_saving": "Some answers are still being saved. Please wait a moment, then submit again.",
    "not_submitted": "Not submitted yet: the laptop is busy. Please try again in a moment.",
    "time_up_not_saved": "Time is up: this answer was not saved. Your earlier answers are kept; please submit.",
    "time_up_group": "Time is up. Your group's saved answers are kept.",
    "closed_not_saved": "Not saved: the coach has closed this activity. Your earlier answers are kept.",
    "submitted_not_saved": "Not saved: your answers were already submitted.",
    "not_in_group": "Not saved: you are no longer in this group.",
    "answer_too_long": ("Please keep your answer to {limit} characters (it has {n}). It is not saved yet: shorten it "
                        "and save again."),
    "answer_characters": ("Your answer has a character that cannot be stored. It is not saved yet: please type it "
                          "again."),
    # joining: what a phone is told when a text, a code or a join is refused (apps/bounded.py)
    "field_display_name": "your name",
    "field_sex": "sex",
    "field_organisation": "the organisation",
    "field_rank": "the rank or position",
    "field_province": "the province",
    "field_room_question": "your question",
    "text_too_long": "Please keep {what} to {limit} characters.",
    "text_characters": "There is a character in {what} that cannot be stored. Please type it again.",
    "text_missing": "Please fill in {what}.",
    "unknown_code": "No open session has the code {code}. Check the code on the screen.",
    "card_no_session": "No session of {title} is open yet. Wait for the coach to start it, then try again.",
    "unknown_card": ("This card's code is not known here. Check the letters on the card, or join with the code on the "
                     "screen."),
    "codes_wait": "Too many wrong codes were tried. Please wait {s} seconds, then try again.",
    "joins_wait": ("Many people have joined from this network in a short while. Please wait {m} minutes, then try "
                   "again, or ask the coach."),
    "page_full": "{n} people have already joined from this page. To join someone else, open the join address again.",
    "removed": ("The coach has taken you out of this session. To take part, join again with the code on the coach's "
                "screen."),
    # the page a phone gets when it loaded the page too often in a short while (toolkit/voila_app.py)
    "too_many_title": "Please wait a minute",
    "too_many_body": "This phone opened the page many times in a short while. Wait a minute, then reload the page.",
    # the page a phone gets when the laptop holds as many phones as it can (toolkit/voila_app.py)
    "room_full_title": "The room is full: ask the coach",
    "room_full_body": ("This laptop already holds as many phones as it can. Ask the coach; this page tries again by "
                       "itself every half minute."),
    # the page reloads itself once when the app does not show (the template's recover.js)
    "page_reloading": "The page did not open. Opening it again…",
    "page_still_closed": "The page still did not open. Reload it, or ask the coach for help.",
    # answer widgets (apps/inputs.py)
    "true": "True",
    "false": "False",
    "choose": "Choose…",
    "start_again": "Start again",
    "tap_in_order": "Tap the items in the right order, first to last.",
    "your_order": "Your order:",
    "type_number": "Type a number",
    "not_a_number": "Please type a number, e.g. 18.",
    "type_answer": "Type your answer",
    "type_word": "A word or a short phrase",
    "save": "Save",
    "characters": "{n} of {limit} characters",
    # the self-generated matching code on the join form (toolkit/matchcode.py)
    "match_mother": "First letter of your mother's first name",
    "match_birthday": "Day of the month you were born (1–31)",
    "match_district": "First letter of the district where you were born",
    "match_siblings": "How many older brothers and sisters you have",
    "match_all_four": "Please answer all four, or leave all four empty.",
    "match_letter": "Please give one letter.",
    "match_number": "Please give a number.",
    "match_day": "The day of the month is between 1 and 31.",
    "match_range": "Please give a number between 0 and 40.",
    "match_key": "The laptop could not make your matching code. Leave these boxes empty, or ask the coach.",
    # the store's refusals that have no text above (apps/messages.py maps every named error of toolkit/errors.py)
    "store_busy": "The laptop is busy just now. Please try again in a moment.",
    "store_too_new": "The laptop's data was made by a newer version of the toolkit. Please ask the coach.",
    "not_found": "This is not open here (yet). Wait for the coach, then try again.",
    "not_allowed": "You are no longer in this session. Join again with the code on the coach's screen.",
    "too_fast": "Too many tries in a short while. Please wait {s} seconds, then try again.",
    "already_submitted": "Your answers were already submitted.",
    "refused": "The laptop could not do this. Please try again, or ask the coach.",
    "transition_not_allowed": "This activity cannot go back to that step. Ask the coach.",
    "ambiguous_session": "Several sessions have had this code. Ask the coach which session to use.",
    "read_failed": "The laptop did not answer just now. This page tries again by itself.",
    "answer_refused": "Not saved: this answer cannot be stored. Please change it, then save again.",
    # the options and scales a bank names by preset (toolkit/bank.py): a bank using them has them in every language
    "preset_tip": "Trafficking in persons (TIP)",
    "preset_som": "Smuggling of migrants (SOM)",
    "preset_both": "Both",
    "preset_neither": "Neither",
    "agree5_1": "Strongly disagree",
    "agree5_2": "Disagree",
    "agree5_3": "Neither agree nor disagree",
    "agree5_4": "Agree",
    "agree5_5": "Strongly agree",
    "confidence5_1": "Not at all confident",
    "confidence5_2": "Slightly confident",
    "confidence5_3": "Somewhat confident",
    "confidence5_4": "Fairly confident",
    "confidence5_5": "Very confident",
    # a certificate's title under the English one, in the holder's language (toolkit/certificates.py)
    "certificate_title": "Certificate of completion",
    # a true/false answer's feedback from Moodle or GIFT, joined to the question's (toolkit/questions/truefalse.py)
    "if_you_answered": "If you answered {answer}: {feedback}",
}


class _Missing(gettext.NullTranslations):
    """The end of a catalogue's fallbacks: None says "not translated" (English is the caller's choice)."""

    def pgettext(self, context: str, message: str) -> None:  # type: ignore[override]
        return None


@cache
def catalogue(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language; an empty one when it has none (its texts are then English)."""
    try:
        found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
    except FileNotFoundError:
        return _Missing()
    found.add_fallback(_Missing())
    return found


def translated(key: str, lang: str) -> str | None:
    """The text in `lang` if its catalogue has it, else None."""
    english = ENGLISH[key]
    if lang == languages.ENGLISH:
        return english
    return catalogue(lang).pgettext(key, english) or None


def t(key: str, lang: str | None, **fmt: Any) -> str:
    """The text in the person's language (English when the catalogue lacks it), with `{name}` filled from `fmt`."""
    text = translated(key, lang or languages.ENGLISH) or ENGLISH[key]
    return text.format(**fmt) if fmt else text


def every_language(key: str) -> dict[str, str]:
    """The text in every registered language that has it: {code: text}, English first."""
    found = ((code, translated(key, code)) for code in languages.codes())
    return {code: text for code, text in found if text}


class _ByKey(Mapping):
    """`T[key]` is {code: text} in every language: for a page that holds a text in all of them (recover.js)."""

    def __getitem__(self, key: str) -> dict[str, str]:
        return every_language(key)

    def __iter__(self) -> Iterator[str]:
        return iter(ENGLISH)

    def __len__(self) -> int:
        return len(ENGLISH)


T: Mapping[str, dict[str, str]] = _ByKey()


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a text."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel's extraction method for this module (babel.cfg): every entry of `ENGLISH`, its key as context and
    the comment line above its group as the translator's note."""
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "ENGLISH":
            note: list[str] = []
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                above = lines[key.lineno - 2].strip()
                if above.startswith("#"):
                    note = [above.lstrip("# ")]
                yield key.lineno, "pgettext", (key.value, value.value), note
