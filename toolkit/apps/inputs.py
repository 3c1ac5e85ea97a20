"""The answer widgets a question type (toolkit.questions) gives the phone, sized for a thumb.

Each input holds the participant's answer in its `response` trait (JSON-ready, the shape that
`toolkit.scoring` reads). Setting `response` redraws the input; a tap sets `response` and counts in `given`
(also when it gives the same answer again: the app sends an answer still waiting to be saved once more).
Texts are passed as widget descriptions and option labels, which the browser shows as text.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as w
import traitlets
from ipywidgets.widgets.widget_bool import ToggleButtonStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, LabelStyle, TextStyle

from .. import languages, questions
from ..bank import Question, tr
from ..limits import TEXT_LIMITS
from ..texts import T, t
from .bounded import clip
from .screens import shared
from .texts import panel

# {code: text} in every language, from the catalogues (toolkit/texts.py)
TRUE_FALSE = {code: (t("true", code), t("false", code)) for code in languages.codes()}
CHOOSE, START_AGAIN, TAP_IN_ORDER, YOUR_ORDER = T["choose"], T["start_again"], T["tap_in_order"], T["your_order"]
TYPE_NUMBER, NOT_A_NUMBER, TYPE_ANSWER, TYPE_WORD, SAVE, CHARACTERS = (
    T["type_number"], T["not_a_number"], T["type_answer"], T["type_word"], T["save"], T["characters"])
NUMBER_LIMIT = 40  # characters of a typed number


def _label(text: dict, lang: str) -> str:
    return tr(text, lang)


def _html(hint: dict | None = None, lang: str = "en") -> w.HTML:
    """An HTML line of an input (empty, or the `hint` in a line), with the layout and style every such line shares
    (apps/screens.py shared)."""
    line = w.HTML(layout=shared(w.Layout), style=shared(HTMLStyle)) if hint is None else \
        w.HTML(panel("line.html", css="tk-hint", text=tr(hint, lang)), layout=shared(w.Layout), style=shared(HTMLStyle))
    return line


class _OpenedWhenMade(type(w.VBox)):
    """Opens an answer widget once its whole `__init__` has run (AnswerInput.open), so that it reaches the page
    with its children in its opening state."""

    def __call__(cls, *args, **kwargs):
        made = super().__call__(*args, **kwargs)
        made._open_later = False
        made.open()
        return made


class AnswerInput(w.VBox, metaclass=_OpenedWhenMade):
    """The base of every answer widget.

    It opens (sends its state to the page) when it is made whole: a question type's input sets its children after
    AnswerInput.__init__, which ipywidgets' Widget.__init__ would have opened it in, so that each question cost
    one update more (its children) after its opening."""

    _open_later = True  # until made (_OpenedWhenMade)

    def open(self) -> None:
        if not self._open_later:
            super().open()

    response = traitlets.Any(None, allow_none=True, help="The answer, in the shape the scorer reads.")
    given = traitlets.Int(0, help="How many times the person answered here (a tap, a save), the same answer again too.")

    def __init__(self, question: Question, lang: str = "en", **kwargs):
        kwargs.setdefault("layout", shared(w.Layout))
        kwargs["_dom_classes"] = ("tk-input", *kwargs.get("_dom_classes", ()))  # in its opening state (screens.py)
        super().__init__(**kwargs)
        self.question = question
        self.lang = lang
        self._redrawing = False

    @property
    def answered(self) -> bool:
        return is_answered(self.question, self.response)

    def give(self, response: Any) -> None:
        """The person answered: set the response and count it."""
        self.response = response
        self.given += 1


def is_answered(question: Question, response: Any) -> bool:
    """The question type's rule, which the coach's counts and the results share (toolkit.questions)."""
    return questions.answered(question, response)


def _choice_layout(compact: bool) -> w.Layout:
    return shared(w.Layout, width="3.2em" if compact else "100%", height="auto")


def make_shared() -> None:
    """Make the layout and style that most questions' choices share (apps/screens.py shared) before a question
    needs them: a page made ahead of its request (a pool kernel's) then sends them with its other widgets, not
    as two messages more when its first question shows."""
    _choice_layout(False)
    shared(ToggleButtonStyle)


class ChoiceInput(AnswerInput):
    """One large button per choice (value, label); `multiple`: several may be chosen; `compact`: a row of small
    buttons (a scale of 0-10)."""

    def __init__(self, question: Question, lang: str, choices: list[tuple[Any, str]], multiple: bool = False,
                 compact: bool = False, **kwargs):
        super().__init__(question, lang, **kwargs)
        self.multiple = multiple
        self._choices = list(choices)
        # the buttons share their layout and style (apps/screens.py shared): none changes its own
        layout, style = _choice_layout(compact), shared(ToggleButtonStyle)
        self.buttons = [w.ToggleButton(description=label, value=False, layout=layout, style=style,
                                       _dom_classes=("tk-choice",)) for _, label in self._choices]
        for b in self.buttons:
            b.observe(self._on_tap, "value")
        if compact:
            self.children = [w.HBox(self.buttons, layout=shared(w.Layout, flex_flow="row wrap"))]
        else:
            self.children = self.buttons
        self.observe(self._redraw, "response")

    def _on_tap(self, change) -> None:
        if self._redrawing:
            return
        index = self.buttons.index(change["owner"])
        value = self._choices[index][0]
        if self.multiple:
            chosen = [v for (v, _), b in zip(self._choices, self.buttons, strict=True) if b.value]
            self.give(chosen or None)
        elif change["new"]:
            self.give(value)
        elif self.response == value:
            # tapping the chosen option again keeps it chosen (an answer is never lost by a stray tap), and
            # gives it again: an answer still waiting to be saved is sent once more
            self._set_buttons()
            self.give(value)

    def _set_buttons(self) -> None:
        self._redrawing = True
        try:
            chosen = self.response if isinstance(self.response, list) else [self.response]
            for (v, _), b in zip(self._choices, self.buttons, strict=True):
                b.value = any(v == c and type(v) is type(c) for c in chosen)
        finally:
            self._redrawing = False

    def _redraw(self, _change=None) -> None:
        self._set_buttons()

    def choose(self, option_id: Any) -> None:
        """Tap the option with this id (as a participant would)."""
        index = [v for v, _ in self._choices].index(option_id)
        self.buttons[index].value = not self.buttons[index].value if self.multiple else True


class OrderingInput(AnswerInput):
    """Tap the items in order; the chosen order builds up underneath.

    One button per item and one line per place, made once: a tap hides the item's button and fills the next
    line (drawing new ones on every tap left the old ones open in the kernel, and a second quick tap on a
    button being replaced went nowhere)."""

    def __init__(self, question: Question, lang: str = "en", **kwargs):
        super().__init__(question, lang, **kwargs)
        self._labels = {o.id: _label(o.text, lang) for o in question.options}
        self.item_buttons: dict[str, w.Button] = {}
        for o in question.options:
            b = w.Button(description=self._labels[o.id], layout=w.Layout(width="100%", height="auto"),
                         style=shared(w.ButtonStyle), _dom_classes=("tk-choice",))
            b.on_click(lambda _b, oid=o.id: self.tap(oid))
            self.item_buttons[o.id] = b
        self.remaining = w.VBox(list(self.item_buttons.values()), layout=shared(w.Layout))
        self.placed = w.VBox(layout=shared(w.Layout))
        self.reset = w.Button(description=tr(START_AGAIN, lang), icon="undo", style=shared(w.ButtonStyle),
                              _dom_classes=("tk-secondary",))
        self.reset.on_click(lambda _b: self.give(None))
        self.children = [
            _html(TAP_IN_ORDER, lang),
            self.remaining,
            _html(YOUR_ORDER, lang),
            self.placed,
            self.reset,
        ]
        self.observe(self._redraw, "response")
        self._redraw()

    def _order(self) -> list[str]:
        return [str(x) for x in self.response] if isinstance(self.response, list) else []

    def tap(self, option_id: str) -> None:
        order = self._order()
        if option_id not in order:
            self.give([*order, option_id])

    def _redraw(self, _change=None) -> None:
        order = self._order()
        for oid, b in self.item_buttons.items():
            b.layout.display = "none" if oid in order else None
        lines = list(self.placed.children)
        if len(lines) < len(order):  # (a stored order longer than the items: every place still shows)
            lines += [w.Label(layout=w.Layout(width="100%"), style=shared(LabelStyle))
                      for _ in range(len(order) - len(lines))]
            self.placed.children = lines
        for i, line in enumerate(lines):
            if i < len(order):
                line.value = f"{i + 1}. {self._labels.get(order[i], order[i])}"
            line.layout.display = None if i < len(order) else "none"
        self.reset.layout.display = None if order else "none"


class MatchingInput(AnswerInput):
    """For each item, choose its match from a list."""

    def __init__(self, question: Question, lang: str = "en", **kwargs):
        super().__init__(question, lang, **kwargs)
        choices = [(tr(CHOOSE, lang), "")] + [(_label(o.text, lang), o.id) for o in question.options]
        self.dropdowns: dict[str, w.Dropdown] = {}
        rows = []
        for item in question.items:
            dd = w.Dropdown(options=choices, value="", layout=shared(w.Layout, width="100%"),
                            style=shared(DescriptionStyle))
            dd.observe(self._on_choose, "value")
            self.dropdowns[item.id] = dd
            label = w.Label(_label(item.text, lang), layout=shared(w.Layout), style=shared(LabelStyle))
            rows.append(w.VBox([label, dd], layout=shared(w.Layout, margin="0 0 12px 0")))
        self.children = rows
        self.observe(self._redraw, "response")

    def _on_choose(self, _change) -> None:
        if self._redrawing:
            return
        chosen = {item: dd.value for item, dd in self.dropdowns.items() if dd.value}
        self.give(chosen or None)

    def _redraw(self, _change=None) -> None:
        self._redrawing = True
        try:
            current = self.response if isinstance(self.response, dict) else {}
            for item, dd in self.dropdowns.items():
                dd.value = current.get(item, "") if current.get(item, "") in [v for _, v in dd.options] else ""
        finally:
            self._redrawing = False


class TextInput(AnswerInput):
    """A box to type in (a few paragraphs, or with `one_line` a word or a phrase), saved on Enter, on leaving the
    box, or with Save.

    The box shows how many characters it holds of the most it takes (`limits.TEXT_LIMITS[field]`); the page
    keeps the count live while typing and stops typing at the limit (COUNTER_JS), the store refuses beyond it.
    A one-line box is also clipped to its limit in the kernel (apps.bounded.clip), as the join form's boxes are.
    """

    counted = True

    def __init__(self, question: Question, lang: str = "en", field: str = "open_answer", one_line: bool = False,
                 **kwargs):
        super().__init__(question, lang, **kwargs)
        self.one_line = one_line
        self.limit = self._limit(field)
        self.count = _html() if self.counted else None  # (a widget made and never shown would stay open)
        self.box, self.field = self._make_box()
        self.save = w.Button(description=tr(SAVE, lang), icon="check", layout=shared(w.Layout),
                             style=shared(w.ButtonStyle), _dom_classes=("tk-secondary",))
        self.save.on_click(lambda _b: self._commit(self.box.value))
        self.problem = _html()
        self.box.observe(lambda ch: self._commit(ch["new"]), "value")
        self.children = [self.field] + ([self.count] if self.counted else []) + [self.save, self.problem]
        self.observe(self._redraw, "response")
        self._show_count()

    def _limit(self, field: str) -> int:
        return TEXT_LIMITS[field]

    def _make_box(self) -> tuple[w.Widget, w.Widget]:
        """(the box typed in, the widget shown for it)."""
        classes = ("tk-counted", f"tk-limit-{self.limit}")
        if self.one_line:
            box = w.Text(placeholder=tr(TYPE_ANSWER, self.lang), continuous_update=False,
                         layout=shared(w.Layout, width="100%"), style=shared(TextStyle), _dom_classes=classes)
            clip(box, self.limit)
        else:
            box = w.Textarea(placeholder=tr(TYPE_ANSWER, self.lang), continuous_update=False,
                             layout=shared(w.Layout, width="100%", height="8em"), style=shared(TextStyle),
                             _dom_classes=classes)
        return box, box

    def _show_count(self) -> None:
        if self.count is None:
            return
        n = len(self.box.value or "")
        before, _n, after = tr(CHARACTERS, self.lang).partition("{n}")  # the count itself is a span the page reads
        self.count.value = panel("inputs/count.html", over=n > self.limit, n=n, before=before.format(limit=self.limit),
                                 after=after.format(limit=self.limit))

    def _commit(self, text: str) -> None:
        if self._redrawing:
            return
        self._show_count()
        self.problem.value = ""
        self._give_text((text or "").strip())

    def _give_text(self, text: str) -> None:
        self.give(text or None)

    def _redraw(self, _change=None) -> None:
        self._redrawing = True
        try:
            self.box.value = "" if self.response is None else str(self.response)
        finally:
            self._redrawing = False
        self._show_count()


class NumberInput(TextInput):
    """A short box for a number (with its unit beside it); anything else is not saved and says so."""

    counted = False

    def _limit(self, field: str) -> int:
        return NUMBER_LIMIT

    def _make_box(self) -> tuple[w.Widget, w.Widget]:
        box = w.Text(placeholder=tr(TYPE_NUMBER, self.lang), continuous_update=False,
                     layout=shared(w.Layout, width="12em"), style=shared(TextStyle))
        unit = tr(self.question.unit, self.lang)
        label = [w.Label(unit, layout=shared(w.Layout), style=shared(LabelStyle))] if unit else []
        return box, w.HBox([box] + label, layout=shared(w.Layout))

    def _give_text(self, text: str) -> None:
        if not text:
            self.give(None)
            return
        try:
            value = float(text.replace(",", ".")) if len(text) <= self.limit else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problem.value = panel("line.html", css="tk-problem", text=tr(NOT_A_NUMBER, self.lang))
            return
        self.give(int(value) if value.is_integer() else value)


class WordsInput(AnswerInput):
    """Up to `most` words or short phrases, one box each (clipped to the field's limit), sent with Save, on Enter
    or on leaving a box; the answer is the list of the words given."""

    def __init__(self, question: Question, lang: str = "en", most: int = 3, field: str = "word", **kwargs):
        super().__init__(question, lang, **kwargs)
        self.limit = TEXT_LIMITS[field]
        self.boxes = [w.Text(placeholder=tr(TYPE_WORD, lang), continuous_update=False,
                             layout=shared(w.Layout, width="100%"), style=shared(TextStyle),
                             _dom_classes=("tk-counted", f"tk-limit-{self.limit}")) for _ in range(most)]
        for box in self.boxes:
            clip(box, self.limit)
            box.observe(lambda _ch: self._commit(), "value")
        self.save = w.Button(description=tr(SAVE, lang), icon="check", layout=shared(w.Layout),
                             style=shared(w.ButtonStyle), _dom_classes=("tk-secondary",))
        self.save.on_click(lambda _b: self._commit())
        self.children = [*self.boxes, self.save]
        self.observe(self._redraw, "response")

    def _commit(self) -> None:
        if self._redrawing:
            return
        given = [" ".join(b.value.split()) for b in self.boxes]
        self.give([x for x in given if x] or None)

    def _redraw(self, _change=None) -> None:
        self._redrawing = True
        try:
            words = [str(x) for x in self.response] if isinstance(self.response, list) else []
            for i, box in enumerate(self.boxes):
                box.value = words[i] if i < len(words) else ""
        finally:
            self._redrawing = False


# Installed once on the page: the count under an open box follows the typing, and the box takes no more than its
# limit (a class `tk-limit-N` on the box). The kernel sees the text only when it is saved.
COUNTER_JS = """
if (!window.tkCounting) {
  window.tkCounting = true;
  const limitOf = (box) => { const m = /tk-limit-(\\d+)/.exec(box.className); return m ? +m[1] : null; };
  document.addEventListener('focusin', (e) => {
    const box = e.target.closest && e.target.closest('.tk-counted');
    const limit = box && limitOf(box);
    if (limit && (e.target.tagName === 'TEXTAREA' || e.target.tagName === 'INPUT')) e.target.maxLength = limit;
  });
  document.addEventListener('input', (e) => {
    const box = e.target.closest && e.target.closest('.tk-counted');
    const input = box && box.closest('.tk-input');
    const n = input && input.querySelector('.tk-count-n');
    if (n) n.textContent = String([...e.target.value].length);
  });
}
"""


def make_input(question: Question, lang: str = "en", field: str = "open_answer") -> AnswerInput:
    """The answer widget of the question's type (`field`: the limit a typed answer has, limits.TEXT_LIMITS)."""
    return questions.kind(question.type).widget(question, lang, field)
