"""Moodle XML, the question bank export of Moodle (question/format/xml), read and written.

Reading: `<quiz>` with `<question type="…">`: multichoice (`<single>`, answer `fraction` in percent), truefalse,
matching (`<subquestion>`), numerical (`<tolerance>`, `<units>`), shortanswer, essay, ordering, description, and
category (each becomes a learning objective; Moodle's "Default for …" categories do not). Texts in any format
(html, moodle_auto_format, markdown, plain_text, CDATA or escaped) become plain text; the core multilang filter's
`<span lang="ps" class="multilang">` and filter_multilang2's `{mlang ps}…{mlang}` (any case, `{mlang ps,prs}` for
several, `{mlang other}`) give the text in each registered language, its tag read by `languages.from_tag`
(`ps_af`, `fa_af` for Dari); text in other languages is reported and left out; embedded images and files too.
`<idnumber>` (else the slug of `<name>`) is the id; `<defaultgrade>` gives points. Other types (cloze, calculated,
drag and drop, …) are reported per question. Broken XML is reported with its line and nothing is imported.

Writing: every type but likert (reported); every language as multilang spans; ordering as Moodle's ordering type
(absolute position); points as `<defaultgrade>`. An XML comment `<!-- toolkit: {…} -->` in each question keeps
what Moodle has no place for (option ids, objectives, difficulty, units' Urdu), so bank → XML → bank is lossless
for every type but likert, and for matching options' feedback (reported).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.parsers import expat

from ..bank import Bank
from .common import (
    BANK_META,
    ERROR,
    META,
    Draft,
    Export,
    FormatError,
    Report,
    decode,
    meta_dumps,
    meta_loads,
    num,
    read_bytes,
)
from .moodle import Answer, Converter, MQuestion, from_bank, multilang_said
from .text import LOOKS_LIKE_HTML, MLANG_OPENS, convert, to_html

FORMATS = {"html": "html", "moodle_auto_format": "moodle", "markdown": "markdown", "plain_text": "plain"}
POSITIONS = frozenset({"ordering"})  # Moodle's types (qtype_ordering) whose answer's fraction is its position


class Node:
    __slots__ = ("tag", "attrs", "children", "chars", "line", "comments")

    def __init__(self, tag: str, attrs: dict, line: int):
        self.tag, self.attrs, self.line = tag, attrs, line
        self.children: list[Node] = []
        self.chars: list[str] = []
        self.comments: list[tuple[int, str]] = []

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def find(self, path: str) -> Node | None:
        node: Node | None = self
        for tag in path.split("/"):
            node = next((c for c in node.children if c.tag == tag), None) if node else None
        return node

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, path: str, default: str = "") -> str:
        node = self.find(path)
        return node.text.strip() if node is not None else default


def parse(raw: bytes, source: str) -> Node:
    """The element tree of an XML file, with lines; broken XML, DTDs and entities are refused with their line."""
    head = raw[:200].decode("ascii", errors="replace")
    declared = re.search(r"encoding=[\"']([A-Za-z0-9_.-]+)", head)
    if not declared or declared.group(1).lower().replace("_", "-") in ("utf-8", "utf8"):
        decode(raw, source)  # a file that is not UTF-8 gets the line and a hint rather than 'invalid token'
    parser = expat.ParserCreate()
    parser.buffer_text = True
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrs: dict) -> None:
        node = Node(tag, attrs, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def refuse(*_args) -> None:
        raise ValueError("a DTD or entity declaration; Moodle XML has none")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = lambda s: stack[-1].chars.append(s) if stack else None
    parser.CommentHandler = lambda s: stack[-1].comments.append((parser.CurrentLineNumber, s)) if stack else None
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as e:
        raise FormatError([Report(source, e.lineno, f"not well-formed XML: {expat.ErrorString(e.code)} "
                                                    f"(column {e.offset + 1}); nothing was imported", level=ERROR)]) from None
    except ValueError as e:
        raise FormatError([Report(source, parser.CurrentLineNumber, f"not imported: {e}", level=ERROR)]) from None
    if not roots:
        raise FormatError([Report(source, 1, "the file is empty", level=ERROR)])
    return roots[0]


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read a Moodle XML file into `draft`, reporting every question it cannot hold."""
    raw = read_bytes(path, draft.source)
    if not raw.strip():
        raise FormatError([Report(draft.source, 1, "the file is empty", level=ERROR)])
    if encoding:
        raw = decode(raw, draft.source, encoding).encode("utf-8")
        raw = re.sub(rb"^<\?xml[^>]*\?>", b'<?xml version="1.0" encoding="UTF-8"?>', raw)
    root = parse(raw, draft.source)
    if root.tag != "quiz":
        raise FormatError([Report(draft.source, root.line, f"the root element is <{root.tag}>, not <quiz>: is this a "
                                                           "Moodle XML question export?", level=ERROR)])
    for n, c in root.comments:
        if c.strip().startswith(BANK_META):
            head = meta_loads(c.strip()[len(BANK_META):])
            if head is None:
                draft.report(n, "a toolkit-bank comment that is not valid JSON was ignored")
            else:
                draft.set_header(head, n)
    convert_ = Converter(draft, "Moodle XML")
    questions = root.all("question")
    if not questions:
        raise FormatError([Report(draft.source, root.line, "no <question> in <quiz>", level=ERROR)])
    for q in questions:
        convert_.add(_question(q, draft))


def _text(node: Node | None, mq: MQuestion, default: str = "html") -> dict:
    if node is None:
        return {}
    fmt = FORMATS.get(node.attrs.get("format", default), "html")
    for f in node.all("file"):
        mq.notes.append(f"the embedded file '{f.attrs.get('name', '?')}' was left out")
    text_node = node.find("text")
    text, notes = convert(text_node.text if text_node is not None else node.text, fmt)
    mq.notes.extend(notes)
    return text


def _number(s: str, default: float = 0.0) -> float:
    try:
        return float(s.strip().replace(",", "."))
    except (ValueError, AttributeError):
        return default


def _question(q: Node, draft: Draft) -> MQuestion:
    qtype = q.attrs.get("type", "")
    mq = MQuestion(qtype, q.line, name=q.value("name/text"), idnumber=q.value("idnumber"))
    for n, c in q.comments:
        if c.strip().startswith(META):
            meta = meta_loads(c.strip()[len(META):])
            if meta is None:
                draft.report(n, "a toolkit comment that is not valid JSON was ignored", mq.name)
            mq.meta = meta or {}
    if qtype == "category":
        mq.category = q.value("category/text") or q.value("category")
        return mq
    mq.text = _text(q.find("questiontext"), mq)
    mq.general_feedback = _text(q.find("generalfeedback"), mq)
    grade = q.find("defaultgrade")
    mq.grade = _number(grade.text, 1.0) if grade is not None else None
    single = q.value("single", "true").lower()
    mq.single = single not in ("false", "0")
    for a in q.all("answer"):
        fraction = _number(a.attrs.get("fraction", "0"))
        answer_fmt = a.attrs.get("format", "plain_text" if qtype == "numerical" else "html")
        value = a.value("text")
        # Moodle compares a typed answer with a short answer's accepted ones as plain text, whatever their format
        text = {"en": value.strip()} if qtype == "shortanswer" and value.strip() else _text(a, mq, answer_fmt)
        mq.answers.append(Answer(text, fraction if qtype in POSITIONS else fraction / 100,
                                 _text(a.find("feedback"), mq), _number(a.value("tolerance", "0")), value))
    for s in q.all("subquestion"):
        answer = s.find("answer")
        mq.pairs.append((_text(s, mq), _text(answer, mq, "moodle_auto_format") if answer is not None else {}))
    units = q.find("units")
    for u in units.all("unit") if units is not None else []:
        mq.units.append((u.value("unit_name"), _number(u.value("multiplier", "1"), 1.0)))
    mq.settings = {k: q.value(k) for k in ("gradingtype", "selecttype", "usecase")}
    return mq


# ---------------------------------------------------------------- writing


def _cdata(s: str) -> str:
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _plain_or_html(text: dict) -> str:
    """Matching answers are plain text in Moodle; HTML only where plain text would be misread (or for Urdu)."""
    en = text.get("en", "")
    return to_html(text) if set(text) - {"en"} or LOOKS_LIKE_HTML.search(en) or MLANG_OPENS.search(en) else en


def _html(tag: str, text: dict, indent: str) -> list[str]:
    return [f'{indent}<{tag} format="html">', f"{indent}  <text>{_cdata(to_html(text))}</text>", f"{indent}</{tag}>"]


def write(bank: Bank, path: Path) -> list[Report]:
    """Write `bank` as Moodle XML; returns what Moodle could not hold."""
    export = Export(bank)
    export.bank_level("Moodle XML", every_language=True)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>",
           f"  <!-- {BANK_META} {meta_dumps(export.header())} -->"]
    written = 0
    for q, raw, line in export.items():
        mq = from_bank(q, raw, line, export, "Moodle XML")
        if mq is not None:
            out += _question_xml(mq, q.type)
            written += 1
    out.append("</quiz>")
    multilang_said(bank, export)
    export.write(path, "\n".join(out) + "\n", written)
    return export.reports


def _question_xml(mq: MQuestion, qtype: str) -> list[str]:
    i = "    "
    out = ["", f'  <question type="{mq.qtype}">']
    if mq.meta:
        out.append(f"{i}<!-- {META} {meta_dumps(mq.meta)} -->")
    out += [f"{i}<name><text>{_esc(mq.name)}</text></name>", *_html("questiontext", mq.text, i),
            *_html("generalfeedback", mq.general_feedback, i),
            f"{i}<defaultgrade>{num(mq.grade or 1)}</defaultgrade>", f"{i}<hidden>0</hidden>",
            f"{i}<idnumber>{_esc(mq.idnumber)}</idnumber>"]
    if mq.qtype == "multichoice":
        out += [f"{i}<single>{'true' if mq.single else 'false'}</single>", f"{i}<shuffleanswers>0</shuffleanswers>",
                f"{i}<answernumbering>abc</answernumbering>"]
    if mq.qtype == "ordering":
        out += [f"{i}<layouttype>VERTICAL</layouttype>", f"{i}<selecttype>ALL</selecttype>",
                f"{i}<selectcount>0</selectcount>", f"{i}<gradingtype>ABSOLUTE_POSITION</gradingtype>",
                f"{i}<showgrading>SHOW</showgrading>", f"{i}<numberingstyle>none</numberingstyle>"]
    if mq.qtype == "matching":
        out.append(f"{i}<shuffleanswers>true</shuffleanswers>")
        for item, match in mq.pairs:
            out += [f'{i}<subquestion format="html">', f"{i}  <text>{_cdata(to_html(item))}</text>",
                    f"{i}  <answer><text>{_esc(_plain_or_html(match))}</text></answer>",
                    f"{i}</subquestion>"]
    if mq.qtype == "shortanswer":
        out.append(f"{i}<usecase>0</usecase>")
    if mq.qtype == "essay":
        out += [f"{i}<responseformat>editor</responseformat>", f"{i}<responserequired>1</responserequired>",
                f"{i}<responsefieldlines>10</responsefieldlines>", f"{i}<attachments>0</attachments>"]
    for a in mq.answers:
        fraction = str(int(a.fraction)) if mq.qtype == "ordering" else str(num(round(a.fraction * 100, 5)))
        if mq.qtype in ("truefalse", "numerical", "shortanswer"):
            out.append(f'{i}<answer fraction="{fraction}" format="moodle_auto_format">')
            out.append(f"{i}  <text>{_esc(a.value or a.text.get('en', ''))}</text>")
        else:
            out += [f'{i}<answer fraction="{fraction}" format="html">', f"{i}  <text>{_cdata(to_html(a.text))}</text>"]
        out += [f"  {x}" for x in _html("feedback", a.feedback, i)]
        if mq.qtype == "numerical":
            out.append(f"{i}  <tolerance>{num(a.tolerance)}</tolerance>")
        out.append(f"{i}</answer>")
    if mq.qtype == "numerical":
        out += [f"{i}<unitgradingtype>0</unitgradingtype>", f"{i}<unitpenalty>0</unitpenalty>",
                f"{i}<showunits>3</showunits>", f"{i}<unitsleft>0</unitsleft>"]
        if mq.units:
            out += [f"{i}<units>", f"{i}  <unit><multiplier>1</multiplier><unit_name>{_esc(mq.units[0][0])}"
                                   "</unit_name></unit>", f"{i}</units>"]
    out.append("  </question>")
    return out
