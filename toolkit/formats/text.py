"""Texts from other tools to the plain text a bank holds (HTML, Moodle's multilang, Markdown), and back to HTML."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from .. import languages
from .common import Text

BLOCKS = {"p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
          "section", "article", "header", "footer", "dl", "dt", "dd", "hr", "figure", "figcaption"}
SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!][^>]*>|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
LANGS = languages.codes()  # the languages a multilang span may carry into a bank
# filter_multilang2's blocks, as that filter reads them: any case, spaces inside the braces, one or several
# languages ('{mlang ps,prs}' is the same text for both), 'other' for every language no block names
MLANG = re.compile(r"\{\s*mlang\s+([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)\s*\}(.*?)\{\s*mlang\s*\}",
                   re.IGNORECASE | re.DOTALL)
MLANG_OPENS = re.compile(r"\{(?=\s*mlang\b)", re.IGNORECASE)  # where a text would open such a block


class _Reader(HTMLParser):
    """Collects the text of an HTML fragment per language (Moodle's multilang spans), dropping all markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str | None, str]] = []
        self.stack: list[tuple[str, str | None]] = []  # (tag, language it opens)
        self.skip = 0
        self.notes: list[str] = []
        self.links: list[tuple[str | None, int]] = []  # the href of each open link, and where its text starts
        self.space_due = False  # after a link's address: a space before the next word

    @property
    def lang(self) -> str | None:
        return next((lang for _t, lang in reversed(self.stack) if lang), None)

    def out(self, s: str) -> None:
        self.parts.append((self.lang, s))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "br":
            self.out("\n")
            return
        elif tag == "img":
            alt = a.get("alt", "").strip()
            self.notes.append(f"an image{f' ({alt!r})' if alt else ''} was left out")
            return
        elif tag == "li":
            self.out("\n\n- ")
        elif tag in BLOCKS:
            self.out("\n\n")
        elif tag in ("td", "th"):
            self.out(" | ")
        elif tag == "a":
            self.links.append((a.get("href"), len(self.parts)))
        if tag in ("input", "meta", "link", "hr", "wbr", "col", "source"):
            return
        opens = a.get("lang") if (tag == "lang" or "multilang" in a.get("class", "").split()) else None
        self.stack.append((tag, (languages.from_tag(opens) or opens.strip().lower()) if opens else None))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        if tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(part for _lang, part in self.parts[start:]).strip()
            if href and re.match(r"https?://", href) and not _same_address(shown, href):
                self.out(f" ({href})")
                self.space_due = True
        if tag in BLOCKS:
            self.out("\n\n")
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            if self.space_due and re.match(r"[^\s.,;:!?)\]'\"’”]", data):
                data = " " + data  # '<a href=…>page</a>and' is 'page (…) and', not 'page (…)and'
            self.space_due = False
            self.out(re.sub(r"\s+", " ", data))


def _same_address(shown: str, href: str) -> bool:
    """Whether a link's text is its address (written with or without http://, www. or a final /)."""
    def bare(u: str) -> str:
        return re.sub(r"^(https?://)?(www\.)?", "", u.strip().casefold()).rstrip("/")
    return bool(shown) and bare(shown) == bare(href)


def _markdown_link(m: re.Match) -> str:
    text, href, after = m.group(1), m.group(2), m.group(3)
    out = text if _same_address(text, href) else f"{text} ({href})"
    return out + (" " if after and re.match(r"[^\s.,;:!?)\]'\"’”]", after) else "")


def _tidy(s: str) -> str:
    s = re.sub(r"[ \t\u00a0]*\n[ \t\u00a0]*", "\n", s)
    s = re.sub(r"[ \t]{2,}", " ", s)
    s = re.sub(r"\n{3,}", "\n\n", s)
    return s.strip()


def html_to_text(fragment: str, *, newlines_are_breaks: bool = False) -> tuple[Text, list[str]]:
    """Plain text per language from HTML; `notes` says what was left out (images). Markup never survives."""
    fragment = MLANG.sub(_spans, fragment)
    if newlines_are_breaks:
        fragment = fragment.replace("\n", "<br>")
    reader = _Reader()
    reader.feed(fragment)
    reader.close()
    langs = [lang for lang in dict.fromkeys(lang for lang, _ in reader.parts if lang)]
    if not langs:
        return _only({"en": _tidy("".join(s for _, s in reader.parts))}), reader.notes
    result: Text = {}
    for lang in langs:
        result[lang] = _tidy("".join(s for part_lang, s in reader.parts if part_lang in (None, lang)))
    if languages.ENGLISH not in result and "other" in result:
        result[languages.ENGLISH] = result.pop("other")
    dropped = [lang for lang in result if lang not in LANGS]
    if dropped:
        held = ", ".join(languages.english_name(c) for c in LANGS)
        reader.notes.append(f"text in {', '.join(dropped)} was left out (the bank holds {held})")
    return _only({k: v for k, v in result.items() if k in LANGS}), reader.notes


def _spans(block: re.Match) -> str:
    """A filter_multilang2 block as the multilang spans of its languages."""
    return "".join(f'<span lang="{code.strip()}" class="multilang">{block.group(2)}</span>'
                   for code in block.group(1).split(","))


def _only(text: Text) -> Text:
    return {k: v for k, v in text.items() if v}


def markdown_to_text(s: str) -> tuple[Text, list[str]]:
    """Plain text from Markdown: emphasis, code marks, headings and link syntax go; words and URLs stay."""
    notes: list[str] = []
    if LOOKS_LIKE_HTML.search(s):
        text, notes = html_to_text(s, newlines_are_breaks=True)
        s = text.get("en", "")
    for alt in re.findall(r"!\[([^\]]*)\]\([^)]*\)", s):
        notes.append(f"an image{f' ({alt!r})' if alt else ''} was left out")
    s = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", s)
    s = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)[^)]*\)(?=(.?))", _markdown_link, s)
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", s)
    s = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)", r"\1", s)
    s = re.sub(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])", r"\1", s)
    s = re.sub(r"`([^`]*)`", r"\1", s)
    s = re.sub(r"(?m)^\s{0,3}#{1,6}\s+", "", s)
    s = re.sub(r"(?m)^\s{0,3}>\s?", "", s)
    s = re.sub(r"(?m)^\s*[*+]\s+", "- ", s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", s)
    return _only({"en": _tidy(s)}), notes


def convert(s: str, fmt: str) -> tuple[Text, list[str]]:
    """Plain text from a text in one of Moodle's formats: html, moodle (auto-format), markdown, plain."""
    if fmt == "plain":
        return _only({"en": s.strip()}), []
    if fmt == "markdown":
        return markdown_to_text(s)
    if fmt == "html" or LOOKS_LIKE_HTML.search(s) or MLANG_OPENS.search(s):
        return html_to_text(s, newlines_are_breaks=fmt == "moodle")
    return _only({"en": s.strip()}), []


def to_html(text: Text) -> str:
    """HTML for a text: escaped, line breaks as <br>, and both languages as Moodle multilang spans."""

    def one(s: str) -> str:
        return MLANG_OPENS.sub("&#123;", html.escape(s, quote=False)).replace("\n", "<br>")

    text = _only(text)
    if set(text) <= {languages.ENGLISH}:
        return one(text.get("en", ""))
    return "".join(f'<span lang="{lang}" class="multilang">{one(s)}</span>' for lang, s in text.items())
