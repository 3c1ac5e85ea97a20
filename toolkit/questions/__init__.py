"""Question types: one module per type, registered by name. The rest of the toolkit asks `kind(q.type)`.

A type is an instance of a `QuestionKind` subclass in `toolkit/questions/<name>.py`, passed to `register`;
MODULES lists the modules in the order a bank's error message names the types. The modules are imported on
the first question asked (they import toolkit.bank, which asks them). What a type owns:

- its bank fields: `fields` (beyond the common id, type, text, objectives, difficulty, points, feedback, key),
  `parse` (reads and checks them, reporting `FILE:LINE:` problems through the bank's checker), `key_field`
  (the field that holds the right answer, `key` unless the type says otherwise) and `check_key`;
- `scored` and `fraction` (the share of the question's points an answer earns);
- `answered`: the one rule of when an answer counts as given, for the phone, the coach's counts and the results;
- `describe`: the answer in words, in the person's language;
- the coach's chart: `tally` (the bars one answer counts for), `categories` (the bars, given the counts so far:
  a type whose answers are typed groups them), `right_categories`;
- what the analysis may do with its answers: `option_answers` (an answer is an option id or a list of them,
  so the item analysis can count who chose each), `distractors` (one right option: the report's distractor
  table), `rating` (a point on a scale: the survey tables), `free_text` (a text to read: the open answers);
- `option_feedback`: whether the feedback of the options chosen is shown after reveal;
- `cloud`: its chart is a word cloud (the `categories` are words), and the coach may hide a word from the
  projector (toolkit.projector);
- `exported_to`: the export formats (toolkit.formats) that write it; its questions are left out of any other
  format's export, and the export says so;
- `moodle_type` and `to_moodle`: the Moodle question (toolkit.formats.moodle) that GIFT and Moodle XML write,
  `moodle_reads_as` the type Moodle's question is read as unless a toolkit comment names this one, `to_gift` its
  answer block in GIFT;
- `reads_moodle` and `from_moodle`: the Moodle questions (GIFT, Moodle XML) it reads, and its bank fields from one
  (`PASS` leaves the question to the next type that reads Moodle's type: `moodle_readers`);
- `to_xlsform`: the rows of an XLSForm (for KoboToolbox and ODK) that ask it; `reads_xlsform` and `from_xlsform`:
  the rows of a form (which holds no key) it reads, `scores_xlsform` and `key_hint`: the rows it would score once
  a person adds what `key_hint` says (`xlsform_reader`, `xlsform_scorer`);
- `from_aiken`: its bank fields from an Aiken question, given its right options, if it holds one (`aiken_reader`);
- `csv_key`, `csv_cell` and `csv_loses`: its key in the `key` column of a CSV bank (toolkit.formats.csvfmt), read,
  written, and what the cell cannot hold (a CSV row names its type);
- `widget`: the phone's answer widget (toolkit.apps.inputs, imported only when a phone asks for one);
- `guess` and `simulate`: how the demo's made-up participants answer.

Adding a type is one module here and its name in MODULES. The readers ask the types in the order of MODULES
(numeric before short takes Moodle's short answer that is one number; ordering before matching takes the
matching to positions that GIFT writes for an ordering question).
"""

from __future__ import annotations

import importlib
import random
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..apps.inputs import AnswerInput
    from ..bank import Checker, Question
    from ..formats.gift import Gift
    from ..formats.moodle import MQuestion, Reading
    from ..formats.xlsform import Form

MODULES = ("single", "multiple", "truefalse", "classification", "ordering", "matching", "likert", "numeric",
           "open", "short", "wordcloud")
EXPORT_FORMATS = frozenset({"gift", "moodle-xml", "xlsform", "csv"})
COMMON_FIELDS = frozenset({"id", "type", "text", "objectives", "difficulty", "points", "feedback", "key"})

_KINDS: dict[str, QuestionKind] = {}
_loaded = False


class _Pass:
    def __repr__(self) -> str:
        return "PASS"


PASS: Any = _Pass()  # what `from_moodle` returns for a question another type reads (moodle_readers)


_HARAKAT = re.compile("[\u064b-\u065f\u0670]")
_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})  # yeh, alef maksura, kaf


def normalise(text: str) -> str:
    """The form two typed answers are compared in: NFKC, Arabic-script diacritics (harakat) removed, the Arabic
    yeh and kaf as the Urdu letters, case folded, spaces collapsed."""
    text = _HARAKAT.sub("", unicodedata.normalize("NFKC", text)).translate(_LETTERS)
    return " ".join(text.casefold().split())


def blank(response: Any) -> bool:
    """No answer at all: nothing, an empty text, an empty list or mapping."""
    return response is None or response == "" or response == [] or response == {}


class QuestionKind:
    """Everything about one question type. The defaults suit a type whose answer is one value."""

    name: str = ""
    scored: bool = True
    fields: frozenset[str] = frozenset()
    key_field: str = "key"
    exported_to: frozenset[str] = EXPORT_FORMATS
    option_feedback: bool = False
    cloud: bool = False
    option_answers: bool = False
    distractors: bool = False
    rating: bool = False
    free_text: bool = False
    moodle_type: str = ""  # Moodle's type that holds it (GIFT and Moodle XML): "" for none
    moodle_reads_as: str = ""  # the type a Moodle question of it is read as but for the toolkit comment naming it
    reads_moodle: tuple[str, ...] = ()  # Moodle's types whose questions it reads (from_moodle)
    reads_xlsform: tuple[str, ...] = ()  # the XLSForm rows it reads (toolkit.formats.xlsform's kinds: select_one, …)
    scores_xlsform: tuple[str, ...] = ()  # the XLSForm rows that become it once given a key
    key_hint: str = ""  # what a person adds to score a question made this type ("add objectives and a key")

    # ---- the bank
    def parse(self, c: Checker, q: dict, what: str) -> dict[str, Any]:
        """Read and check this type's own fields of question `q`: the Question fields they give (options, items, …)."""
        return {}

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        """The key as scoring reads it (None when it is wrong, after reporting why at `line`)."""
        return None

    # ---- answers
    def fraction(self, q: Question, response: Any) -> float:
        """The share of the points `response` earns (0 for a malformed answer); never called on a blank one."""
        return 0.0

    def answered(self, q: Question, response: Any) -> bool:
        """Whether the person has answered: the phone says "Saved", the coach counts it, the results mark it."""
        return not blank(response)

    def describe(self, q: Question, response: Any, lang: str) -> str:
        """The answer in words ("" for none)."""
        return "" if response is None else str(response)

    # ---- the coach's chart
    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        """(category, label) of each bar, given how many answers each category has (`tally`); none: the chart
        is a count of answers."""
        return []

    def tally(self, q: Question, response: Any) -> list[str]:
        """The categories one (answered) response counts for."""
        return []

    def right_categories(self, q: Question) -> set[str]:
        """The categories marked right once the answers are revealed."""
        return set()

    # ---- the formats
    def csv_key(self, cell: str, problems: list[str]) -> Any:
        """The key written in a CSV bank's `key` cell (a problem appended to `problems` when it is not one)."""
        return cell.strip()

    def csv_cell(self, key: Any) -> str:
        """The `key` cell of a CSV bank for this key (never None)."""
        return str(key)

    def csv_loses(self, q: Question) -> str:
        """What the `key` cell cannot hold of `q`'s key, in words for the export's report ("" for nothing)."""
        return ""

    def to_moodle(self, q: Question, raw: dict, mq: MQuestion, say: Callable[..., None], what: str) -> bool:
        """Fill `mq` (toolkit.formats.moodle.MQuestion, of type `moodle_type`: Moodle's question model, which
        GIFT and Moodle XML write) for `q`; False when the question cannot go (after `say`ing why, SKIPPED)."""
        from ..formats.common import SKIPPED

        say(f"not exported: {what} has no {self.name} question", SKIPPED)
        return False

    def to_gift(self, q: Question, mq: MQuestion, gift: Gift) -> list[str] | None:
        """The GIFT lines of `q`'s answer block (toolkit.formats.gift.Gift; `mq` from `to_moodle`); None when it
        cannot go (after `gift.say`ing why, SKIPPED)."""
        raise NotImplementedError(f"{self.name} questions are not exported to GIFT")

    def to_xlsform(self, q: Question, raw: dict, form: Form) -> None:
        """Add `q`'s rows to an XLSForm (toolkit.formats.xlsform.Form); only for a type `exported_to` "xlsform"."""
        raise NotImplementedError(f"{self.name} questions are not exported to XLSForm")

    def from_moodle(self, mq: MQuestion, read: Reading) -> dict[str, Any] | None:
        """The bank fields (options, key, …) of Moodle's question `mq`, of one of the types in `reads_moodle`
        (toolkit.formats.moodle.Reading: `say` what the bank cannot hold, `extra` feedback for the question's);
        None when it cannot be imported (after `read.say`ing why, ERROR); PASS for one another type reads."""
        return PASS

    def from_xlsform(self, kind: str, text: dict, options: list[tuple[str, dict, str]]) -> tuple[dict[str, Any], str]:
        """The bank fields (text, options, …) of an XLSForm row of `kind` (one of `reads_xlsform`; `options`:
        (name, label, cell) of its list's choices), and what to tell the person about it ("" for nothing)."""
        raise NotImplementedError(f"{self.name} questions are not read from XLSForm")

    def from_aiken(self, options: list[dict], right: list[str]) -> dict[str, Any] | None:
        """The bank fields of an Aiken question of these options whose right ones are `right`; None when this
        type does not hold it."""
        return None

    # ---- the phone
    def widget(self, q: Question, lang: str, field: str) -> AnswerInput:
        """The phone's answer widget; `field`: the text limit a typed answer has (limits.TEXT_LIMITS)."""
        raise NotImplementedError(self.name)

    # ---- the demo
    def guess(self, q: Question) -> float:
        """The chance of a right answer by guessing."""
        return 0.0

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        """A made-up answer, right or wrong (`lure`: how strongly each wrong option draws)."""
        return None


def answered(q: Question, response: Any) -> bool:
    """Whether `response` answers `q` (the type's one rule)."""
    return kind(q.type).answered(q, response)


def describe(q: Question, response: Any, lang: str = "en") -> str:
    """The answer in words ("" for none)."""
    return "" if response is None else kind(q.type).describe(q, response, lang)


def register(kind: QuestionKind) -> QuestionKind:
    """Add a type to the registry under its name."""
    if not kind.name or kind.name in _KINDS:
        raise ValueError(f"a question type needs a name of its own, not {kind.name!r}")
    _KINDS[kind.name] = kind
    return kind


def _load() -> None:
    global _loaded
    if not _loaded:  # (a module imported on its own has registered only itself)
        _loaded = True
        for name in MODULES:
            importlib.import_module(f"{__name__}.{name}")


def kind(name: str) -> QuestionKind:
    """The type of this name (KeyError for a name no module registered)."""
    _load()
    return _KINDS[name]


def known(name: Any) -> bool:
    _load()
    return isinstance(name, str) and name in _KINDS


def _kinds() -> list[QuestionKind]:
    """Every type, in the order of MODULES (whichever module was imported first)."""
    _load()
    order = {name: i for i, name in enumerate(MODULES)}
    return sorted(_KINDS.values(), key=lambda k: order.get(k.name, len(order)))


def names() -> tuple[str, ...]:
    """Every type's name, in the order of MODULES."""
    return tuple(k.name for k in _kinds())


def having(attribute: str) -> tuple[str, ...]:
    """The names of the types for which `attribute` (e.g. "distractors", "scored") is true."""
    return tuple(k.name for k in _kinds() if getattr(k, attribute))


def moodle_readers(moodle_type: str) -> tuple[QuestionKind, ...]:
    """The types that read Moodle's `moodle_type` questions, in the order of MODULES: the first whose
    `from_moodle` does not PASS reads the question."""
    return tuple(k for k in _kinds() if moodle_type in k.reads_moodle)


def xlsform_reader(row: str) -> QuestionKind | None:
    """The type an XLSForm row of this kind (select_one, text, …) is read as; None: no type reads it."""
    return next((k for k in _kinds() if row in k.reads_xlsform), None)


def xlsform_scorer(row: str) -> QuestionKind | None:
    """The type that would score an XLSForm row of this kind once it has a key; None for none."""
    return next((k for k in _kinds() if row in k.scores_xlsform), None)


def aiken_reader(options: list[dict], right: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(type, its bank fields) of an Aiken question: the first type (in the order of MODULES) that holds it."""
    for k in _kinds():
        fields = k.from_aiken(options, right)
        if fields is not None:
            return k.name, fields
    return None


def owners(field: str) -> tuple[str, ...]:
    """The types that take this bank field."""
    return tuple(k.name for k in _kinds() if field in k.fields)


def all_fields() -> frozenset[str]:
    """Every field a question may have, of any type."""
    return COMMON_FIELDS.union(*(k.fields for k in _kinds()))
