"""GIFT, Moodle's text format for questions, read and written as Moodle does (question/format/gift).

Reading: questions are separated by blank lines; `//` starts a comment line; `::name::` names a question (its
slug becomes the id, unless Moodle's `// [id:…]` comment gives one); `$CATEGORY: path` starts a category (each
becomes a learning objective); `[html]`, `[moodle]`, `[markdown]`, `[plain]` give a text's format (HTML and
Markdown become plain text, markup never survives); `\\~ \\= \\# \\{ \\} \\: \\\\` are escaped characters and `\\n`
a line break. Types: `{=right ~wrong}` single choice, `{~%50%a ~%50%b ~%-100%c}` multiple answers with weights,
`{T}`/`{FALSE}` true/false, `{=a -> 1 =b -> 2}` matching, `{#1822:2}`, `{#1..5}`, `{#=1822:0 =%50%1822:2}`
numerical, `{=no one =nobody}` short answer, `{}` essay, no braces a description; an answer block in the middle of
the text is the missing-word format ("… _____ …"); `#` after an answer gives its feedback, `####` the question's.
What the bank cannot hold is reported per question (see toolkit.formats.moodle).

Writing: every type but likert and word cloud (reported); a short answer as `{=a =%50%b}`; an ordering question is written as matching its items to positions
1, 2, …; a question with texts in other languages than English is written in the `[html]` format with every
language as Moodle's multilang spans (as Moodle's own GIFT export writes such a question; reading takes them back,
and filter_multilang2's `\\{mlang ps\\}` blocks), a matching answer too. A `// [id:…]` line keeps the id in Moodle, and a
`// toolkit: {…}` line keeps what GIFT has no place for (option ids, objectives, difficulty, points, unit), so
that bank → GIFT → bank gives the same bank. A `// toolkit-bank: {…}` line at the top keeps the bank's header.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from .. import questions
from ..bank import Bank
from ..languages import ENGLISH
from .common import (
    BANK_META,
    CHANGED,
    ERROR,
    META,
    Draft,
    Export,
    FormatError,
    Report,
    meta_dumps,
    meta_loads,
    num,
    read_text,
)
from .moodle import Answer, Converter, MQuestion, from_bank, multilang_said
from .text import LOOKS_LIKE_HTML, MLANG_OPENS, convert, to_html

# Escaped characters stand in as private-use characters while the structure is parsed.
ESCAPES = {"\\": "\ue05c", ":": "\ue03a", "#": "\ue023", "=": "\ue03d", "{": "\ue07b", "}": "\ue07d", "~": "\ue07e",
           "n": "\ue00a"}
UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in ESCAPES.items()}
FORMATS = {"html": "html", "moodle": "moodle", "markdown": "markdown", "plain": "plain"}
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
# Moodle's spellings of an ordering question's grading type in GIFT, and what each stands for.
GRADINGS = {"ALL_OR_NOTHING": "ALL_OR_NOTHING", "ABSOLUTE_POSITION": "ABSOLUTE_POSITION", "ABSOLUTE":
            "ABSOLUTE_POSITION", "ABS": "ABSOLUTE_POSITION", "RELATIVE": "RELATIVE_NEXT_EXCLUDE_LAST",
            "RELATIVE_NEXT_EXCLUDE_LAST": "RELATIVE_NEXT_EXCLUDE_LAST", "RELATIVE_NEXT_INCLUDE_LAST":
            "RELATIVE_NEXT_INCLUDE_LAST", "RELATIVE_ONE_PREVIOUS_AND_NEXT": "RELATIVE_ONE_PREVIOUS_AND_NEXT",
            "RELATIVE_ALL_PREVIOUS_AND_NEXT": "RELATIVE_ALL_PREVIOUS_AND_NEXT", "RELATIVE_TO_CORRECT":
            "RELATIVE_TO_CORRECT", "LONGEST_ORDERED_SUBSET": "LONGEST_ORDERED_SUBSET",
            "LONGEST_CONTIGUOUS_SUBSET": "LONGEST_CONTIGUOUS_SUBSET"}
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def unescape(s: str) -> str:
    return "".join(UNESCAPE.get(c, c) for c in s)


class _Chunk:
    """One question's lines: its text with comment lines blanked (so offsets still give lines), and its comments."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.first = 0
        self.comments: list[tuple[int, str]] = []

    def line_of(self, text: str, pos: int) -> int:
        return self.first + text.count("\n", 0, max(pos, 0))


def _chunks(text: str) -> list[_Chunk]:
    chunks, current = [], _Chunk()
    for n, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if not s:
            if current.lines or current.comments:
                chunks.append(current)
            current = _Chunk()
        elif s.startswith("//"):
            current.comments.append((n, s[2:].strip()))
            if current.lines:
                current.lines.append("")
        else:
            if not current.lines:
                current.first = n
            current.lines.append(s)
    if current.lines or current.comments:
        chunks.append(current)
    return chunks


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read a GIFT file into `draft`, reporting every question it cannot hold."""
    text = read_text(path, draft.source, encoding)
    convert_ = Converter(draft, "GIFT")
    found = 0
    for chunk in _chunks(text):
        meta: dict = {}
        idnumber = ""
        for n, c in chunk.comments:
            if c.startswith(BANK_META):
                head = meta_loads(c[len(BANK_META):])
                if head is None:
                    draft.report(n, "a toolkit-bank comment that is not valid JSON was ignored")
                else:
                    draft.set_header(head, n)
            elif c.startswith(META):
                meta = meta_loads(c[len(META):]) or {}
                if not meta:
                    draft.report(n, "a toolkit comment that is not valid JSON was ignored")
            else:
                m = re.search(r"\[id:((?:\\\]|[^\]])*)\]", c)
                if m:
                    idnumber = m.group(1).replace("\\]", "]").strip()
        if not chunk.lines:
            continue
        if chunk.lines[0].startswith("$CATEGORY:") and len(chunk.lines) > 1:
            # Moodle would read the question below as part of the category's name and lose it.
            convert_.add(MQuestion("category", chunk.first, category=unescape(chunk.lines[0][10:]).strip()))
            draft.report(chunk.first + 1, "no blank line after $CATEGORY: the next line is read as a new question")
            rest = _Chunk()
            rest.first, rest.lines = chunk.first + 1, chunk.lines[1:]
            chunk = rest
        found += 1
        mq = _question(chunk, draft)
        if mq is None:
            continue
        mq.meta, mq.idnumber = meta, idnumber
        convert_.add(mq)
    if not found:
        raise FormatError([Report(draft.source, 1, "no questions in this file (is it GIFT?)", level=ERROR)])


def _question(chunk: _Chunk, draft: Draft) -> MQuestion | None:
    raw = "\n".join(chunk.lines)
    text = re.sub(r"\\([\\:#=~{}n])", lambda m: ESCAPES[m.group(1)], raw).rstrip()
    line = chunk.first
    if text.startswith("$CATEGORY:"):
        return MQuestion("category", line, category=unescape(text[len("$CATEGORY:"):]).strip())
    name = ""
    body_at = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            name, body_at = unescape(text[2:end]).strip(), end + 2
    start, finish = text.find("{", body_at), text.find("}", body_at)
    label = name or " ".join(unescape(text[body_at:start if start >= 0 else None]).split()[:8])

    def error(pos: int, message: str) -> None:
        draft.report(chunk.line_of(text, pos), f"not imported: {message}", label, ERROR)

    if start < 0 and finish < 0:
        qtext, fmt = _format(text[body_at:].strip(), "moodle")
        mq = MQuestion("description", line, name=name)
        mq.text, mq.notes = convert(unescape(qtext), fmt)
        return mq
    if finish < 0:
        error(start, "'{' is never closed: the answers must end with '}' before the next blank line")
        return None
    if start < 0 or finish < start:
        error(finish, "'}' without an opening '{' (write \\} for a '}' in the text)")
        return None
    inner, second, stray = text.find("{", start + 1, finish), text.find("{", finish + 1), text.find("}", finish + 1)
    if inner >= 0:
        error(inner, "'{' inside the answers (write \\{ for a '{' in a text)")
        return None
    if second >= 0:
        error(second, "a second answer block '{…}': is a blank line missing between two questions?")
        return None
    if stray >= 0:
        error(stray, "'}' without an opening '{' (write \\} for a '}' in the text)")
        return None
    answers = text[start + 1:finish].strip()
    after = text[finish + 1:].strip()
    qtext = (text[body_at:start] + ("_____" + text[finish + 1:] if after else "")).strip()
    qtext, fmt = _format(qtext, "moodle")
    feedback = ""
    gf = answers.rfind("####")
    if gf >= 0:
        answers, feedback = answers[:gf].strip(), answers[gf + 4:]
    mq = MQuestion("", line, name=name)
    mq.text, notes = convert(unescape(qtext), fmt)
    mq.notes.extend(notes)
    mq.general_feedback = _text(feedback, fmt, mq)
    if not answers:
        mq.qtype = "essay"
    elif answers[0] == ">":
        if not _ordering(answers[1:], fmt, mq):
            error(start, "an ordering question is written {>N settings, then one item a line in their right order}, "
                         "with at least two items")
            return None
    elif answers[0] == "#":
        mq.qtype = "numerical"
        if not _numerical(answers[1:], fmt, mq):
            error(start, "a numerical answer must be a number, N:tolerance or min..max, e.g. {#1822:2}")
            return None
    elif "~" in answers:
        mq.qtype = "multichoice"
        mq.single = "=" in answers
        parts = [p.strip() for p in answers.replace("=", "~=").split("~")]
        parts = parts[1:] if not parts[0] else parts
        for p in parts:
            if p.startswith("="):
                fraction, p = 1.0, p[1:]
            else:
                m = WEIGHT.match(p)
                fraction, p = (float(m.group(1)) / 100, p[m.end():]) if m else (0.0, p)
            a_text, a_fb = (p.split("#", 1) + [""])[:2]
            mq.answers.append(Answer(_text(a_text, fmt, mq), fraction, _text(a_fb, fmt, mq)))
    elif "=" in answers and "->" in answers:
        mq.qtype = "matching"
        parts = [p.strip() for p in answers.split("=")]
        for p in parts[1:] if not parts[0] else parts:
            if "->" not in p:
                error(start, f"matching answer '{unescape(p)}' has no '->'")
                return None
            item, match = p.split("->", 1)
            answer = unescape(match).strip()  # plain text in Moodle, unless it holds multilang spans
            mq.pairs.append((_text(item, fmt, mq), (_text(match, "html", mq) if "multilang" in answer else
                                                    {"en": answer}) if answer else {}))
    else:
        check = answers.split("#", 1)[0].strip() if "#" in answers[1:] else answers
        if check in ("T", "TRUE", "F", "FALSE"):
            mq.qtype = "truefalse"
            bits = (answers.split("#", 2) + ["", ""])[:3]
            right = bits[0].strip() in ("T", "TRUE")
            wrong_fb, right_fb = _text(bits[1], fmt, mq), _text(bits[2], fmt, mq)
            mq.answers = [Answer({"en": "true"}, float(right), right_fb if right else wrong_fb),
                          Answer({"en": "false"}, float(not right), wrong_fb if right else right_fb)]
        else:
            mq.qtype = "shortanswer"
            parts = [p.strip() for p in answers.split("=")]
            for p in parts[1:] if not parts[0] else parts:
                m = WEIGHT.match(p)
                fraction, p = (float(m.group(1)) / 100, p[m.end():]) if m else (1.0, p)
                a_text, a_fb = (p.split("#", 1) + [""])[:2]
                mq.answers.append(Answer(_text(a_text, "plain", mq), fraction, _text(a_fb, fmt, mq)))
    if mq.qtype == "multichoice" and len(mq.answers) < 2:
        error(start, "a multiple-choice question needs at least two answers")
        return None
    return mq


def _ordering(answers: str, fmt: str, mq: MQuestion) -> bool:
    """Moodle's ordering question in GIFT (question/type/ordering, import_from_gift): `{>N [select] [layout]
    [grading] [show]` on the first line, then the items one a line, in their right order."""
    first, _, rest = answers.partition("\n")
    words = first.split()
    count = words.pop(0) if words and words[0].isdigit() else ""
    settings = {w.upper() for w in words}
    items = [line.strip() for line in rest.split("\n") if line.strip()]
    if len(items) < 2:
        return False
    grading = next((GRADINGS[w] for w in settings if w in GRADINGS), "RELATIVE_NEXT_EXCLUDE_LAST")
    select = next((w for w in settings if w in ("ALL", "EXACT", "RANDOM", "REL", "CONTIGUOUS", "CONTIG")), "RANDOM")
    shown = int(count) if count and 2 < int(count) <= len(items) else min(6, len(items))  # as Moodle counts
    mq.qtype = "ordering"
    mq.settings = {"gradingtype": grading, "selecttype": "ALL" if select in ("ALL", "EXACT") or shown >= len(items)
                   else select}
    mq.answers = [Answer(_text(item, fmt, mq), float(position)) for position, item in enumerate(items, 1)]
    return True


def _format(s: str, default: str) -> tuple[str, str]:
    m = re.match(r"^\[([a-z]+)\]", s)
    if m and m.group(1) in FORMATS:
        return s[m.end():], FORMATS[m.group(1)]
    return s, default


def _text(s: str, default: str, mq: MQuestion) -> dict:
    s, fmt = _format(s.strip(), default)
    text, notes = convert(unescape(s).strip(), fmt)
    mq.notes.extend(notes)
    return text


def _numerical(answers: str, fmt: str, mq: MQuestion) -> bool:
    other = ""
    if "~" in answers:
        answers, other = answers[:answers.index("~")], answers[answers.index("~") + 1:]
    parts = [p.strip() for p in answers.split("=")]
    for p in parts[1:] if not parts[0] else parts:
        m = WEIGHT.match(p)
        fraction, p = (float(m.group(1)) / 100, p[m.end():]) if m else (1.0, p)
        value, fb = (p.split("#", 1) + [""])[:2]
        value = unescape(value).strip()
        if ".." in value[1:]:
            low, high = (x.strip() for x in value.split("..", 1))
            if not (NUMBER.match(low) and NUMBER.match(high)):
                return False
            mid = (Decimal(low) + Decimal(high)) / 2
            answer = Answer({"en": str(mid)}, fraction, _text(fb, fmt, mq), float(Decimal(high) - mid), str(mid))
        else:
            number, _, tol = value.partition(":")
            number, tol = number.strip(), (tol.strip() or "0")
            if not ((NUMBER.match(number) or number == "*") and NUMBER.match(tol)):
                return False
            answer = Answer({"en": number}, fraction, _text(fb, fmt, mq), float(tol), number)
        mq.answers.append(answer)
    if other:
        mq.answers.append(Answer({"en": "*"}, 0.0, _text(other.split("#", 1)[-1] if "#" in other else "", fmt, mq),
                                 0.0, "*"))
    return bool([a for a in mq.answers if a.value != "*"])


# ---------------------------------------------------------------- writing


def escape(s: str) -> str:
    s = s.replace("\\", "\\\\")
    for c in "~=#{}:":
        s = s.replace(c, "\\" + c)
    return s.replace("\n", "\\n")


def _needs_plain(s: str) -> bool:
    return bool(LOOKS_LIKE_HTML.search(s) or MLANG_OPENS.search(s))


def write(bank: Bank, path: Path) -> list[Report]:
    """Write `bank` as GIFT; returns what GIFT could not hold."""
    export = Export(bank)
    export.bank_level("GIFT", every_language=True)
    out = ["// Exported by toolkit bank export. Import into Moodle: Question bank > Import > GIFT format.",
           f"// {BANK_META} {meta_dumps(export.header())}", ""]
    written = 0
    for q, raw, line in export.items():
        mq = from_bank(q, raw, line, export, "GIFT")
        if mq is None:
            continue
        gift = Gift(mq, lambda msg, level=CHANGED, line=line, qid=q.id: export.report(line, msg, qid, level))
        block = questions.kind(q.type).to_gift(q, mq, gift)
        if block is None:
            continue
        written += 1
        if q.unit:
            export.report(line, f"GIFT has no units: the unit '{q.unit.get('en', '')}' is kept in a toolkit comment "
                                "only", q.id)
        if q.points != 1:
            export.report(line, f"GIFT has no points: {num(q.points)} points are kept in a toolkit comment only", q.id)
        out += [*gift.comments(), *block, ""]
    multilang_said(bank, export)
    export.write(path, "\n".join(out) + "\n", written)
    return export.reports


class Gift:
    """A question on its way into GIFT: its comment lines, its head (`::name::text`), its general feedback and the
    format of its texts; each type's module writes its answer block (QuestionKind.to_gift) with these."""

    def __init__(self, mq: MQuestion, say):
        self.mq, self.say = mq, say
        every = [mq.text, mq.general_feedback, *(t for a in mq.answers for t in (a.text, a.feedback)),
                 *(t for pair in mq.pairs for t in pair)]
        texts = [t.get("en", "") for t in every]
        if any(set(t) - {ENGLISH} for t in every):
            self.fmt = "html"  # every language as Moodle's multilang spans, as Moodle's own GIFT export writes them
        else:
            self.fmt = "plain" if any(_needs_plain(t) for t in texts) else "moodle"
        qtext = _shown(mq.text, self.fmt)
        self.head = f"::{escape(mq.name)}::" + (f"[{self.fmt}]" if self.fmt != "moodle" or qtext.startswith("[")
                                                else "") + escape(qtext)
        self.general = f"####{_body(mq.general_feedback, self.fmt)}" if mq.general_feedback.get("en") else ""

    def comments(self) -> list[str]:
        """The `// [id:…]` line, and the toolkit comment when there is something GIFT has no place for."""
        mq = self.mq
        lines = [f"// [id:{mq.idnumber.replace(']', chr(92) + ']')}]"]
        return lines + ([f"// {META} {meta_dumps(mq.meta)}"] if mq.meta else [])

    def body(self, text: dict) -> str:
        return _body(text, self.fmt)

    def block(self, answers: list[str]) -> list[str]:
        """`::name::text{`, one answer a line, the general feedback, `}`."""
        return [self.head + "{", *(f"\t{a}" for a in answers), *([f"\t{self.general}"] if self.general else []), "}"]

    def one_line(self, answer: str) -> list[str]:
        """`::name::text{answer####feedback}`."""
        return [self.head + "{" + answer + self.general + "}"]

    def choices(self) -> list[str]:
        """Multiple choice: `=right ~wrong` for one right answer, `~%50%a` weights for several."""
        mq, lines = self.mq, []
        for a in mq.answers:
            mark = ("=" if a.fraction == 1 else "~") if mq.single else f"~%{num(round(a.fraction * 100, 5))}%"
            body = self.body(a.text)
            if mark == "~" and WEIGHT.match(body):
                mark = "~%0%"
            lines.append(f"{mark}{body}" + (f"#{self.body(a.feedback)}" if a.feedback.get("en") else ""))
        return self.block(lines)

    def pairs(self, pairs: list[tuple[dict, dict]]) -> list[str]:
        """Matching: `=item -> answer` (an item with `->` in it as HTML, where Moodle does not look for one)."""
        lines = []
        for item, match in pairs:
            item_text = item.get("en", "")
            body = "[html]" + escape(to_html({"en": item_text})) if "->" in item_text and self.fmt != "html" \
                else self.body(item)
            answer = to_html(match) if set(match) - {ENGLISH} else match.get("en", "")  # as Moodle XML writes it
            lines.append(f"={body} -> {escape(answer)}")
        return self.block(lines)


def _shown(text: dict, fmt: str) -> str:
    """A text as the block's format writes it: HTML with a multilang span per language, else the English."""
    return to_html(text) if fmt == "html" else text.get("en", "")


def _body(text: dict, fmt: str) -> str:
    s = _shown(text, fmt)
    return (f"[{fmt}]" if s.startswith("[") else "") + escape(s)
