"""The icon font of the toolkit's pages: Font Awesome's solid font cut to the icons the toolkit's buttons show.

Voila's page styles (voila-style.js) draw every `icon=` of an ipywidgets button with Font Awesome 5 Free, whose
solid font (a 78 kB WOFF2 with 1,000 icons) every phone downloads on its first page. The toolkit's template
serves, under the same file name, that font with only the icons named in the toolkit's code and those the
widgets draw themselves (ICONS_OF_WIDGETS): 4 kB. The file name is the one in Voila's styles, so after an
upgrade of Voila that ships another font the name no longer matches and the page takes Voila's whole font
again (never a missing icon); tests/test_page_assets.py says so, and this module makes the file again:

    python -m toolkit.page_assets

It needs the `brotli` package (WOFF2) besides fontTools. The font is under the SIL Open Font License 1.1
(Font Awesome Free, https://fontawesome.com/license/free), as the template's fonts/LICENSE.txt says.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from tinycss2.ast import AtRule, Comment, Declaration, QualifiedRule

PACKAGE = Path(__file__).resolve().parent
TEMPLATE_STATIC = PACKAGE / "share" / "jupyter" / "voila" / "templates" / "toolkit" / "static"
ICONS_OF_WIDGETS = ("caret-down", "caret-right", "check", "times", "play", "pause", "stop", "retweet")  # ipywidgets'

_GLYPH = re.compile(r'\.fa-([a-z0-9-]+):before\{content:"\\\\(f[0-9a-f]{3,4})"\}')  # FA 5 and its v4 names (shims)
_REGULAR = re.compile(r'\.fa\.fa-([a-z0-9-]+)\{font-family:"Font Awesome 5 Free";font-weight:400\}')


def voila_static() -> Path:
    """The folder of Voila's page scripts and styles (its base template's static files)."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("voila", "templates", "base", "static"):
        if (Path(folder) / "voila-style.js").exists():
            return Path(folder)
    raise FileNotFoundError("Voila's voila-style.js was not found in any Jupyter data folder: is Voila installed?")


def icon_glyphs(styles: str) -> dict[str, set[int]]:
    """Font Awesome's icon names in Voila's styles -> the code points each is drawn with (its Font Awesome 5
    rule and, for a Font Awesome 4 name, the rule of the shims that follows it: both are kept)."""
    glyphs: dict[str, set[int]] = {}
    for name, code in _GLYPH.findall(styles):
        glyphs.setdefault(name, set()).add(int(code, 16))
    return glyphs


def regular_icons(styles: str) -> set[str]:
    """The (Font Awesome 4) names drawn from the regular font, not the solid one."""
    return set(_REGULAR.findall(styles))


def solid_font(static: Path) -> Path:
    """Font Awesome's solid WOFF2 among Voila's static files (its name is a content hash)."""
    from fontTools.ttLib import TTFont

    for path in sorted(static.glob("*.woff2")):
        font = TTFont(str(path), lazy=True)
        if (font["name"].getDebugName(1) or "").startswith("Font Awesome 5 Free") and font["OS/2"].usWeightClass == 900:
            return path
    raise FileNotFoundError(f"Font Awesome's solid font (WOFF2) was not found in {static}")


def icons_in_code(known: set[str], root: Path = PACKAGE) -> set[str]:
    """Every string in the toolkit's Python code that names a Font Awesome icon (an `icon=` given directly, or
    through a variable or a table): a word like "file" that is not an icon counts too, which costs a glyph."""
    found = set()
    for path in root.rglob("*.py"):
        if path.resolve() == Path(__file__).resolve():  # this module's strings name CSS tokens ("comment"), not icons
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
                found.add(node.value)
    return found


def wanted_icons(styles: str) -> set[str]:
    return icons_in_code(set(icon_glyphs(styles))) | set(ICONS_OF_WIDGETS)


def unicode_ranges(font_path: Path) -> str:
    """The characters a font draws, as a CSS unicode-range: with it in the font's @font-face the browser
    downloads the font only for text it can draw (the Latin words of an Urdu page fetch no Naskh)."""
    from fontTools.ttLib import TTFont

    codes = sorted(TTFont(str(font_path)).getBestCmap())
    spans, start, previous = [], codes[0], codes[0]
    for code in codes[1:]:
        if code != previous + 1:
            spans.append((start, previous))
            start = code
        previous = code
    spans.append((start, previous))
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in spans)


def build(out_dir: Path = TEMPLATE_STATIC) -> Path:
    """Write the cut solid font under its name in Voila's styles into `out_dir`; its path."""
    from fontTools import subset

    static = voila_static()
    styles = (static / "voila-style.js").read_text(encoding="utf-8")
    glyphs = icon_glyphs(styles)
    regular = regular_icons(styles)
    codes = sorted({code for name in wanted_icons(styles) if name not in regular for code in glyphs[name]})
    source = solid_font(static)
    name = source.name
    if name not in styles:
        raise ValueError(f"{name} is not loaded by Voila's styles (voila-style.js)")
    out = out_dir / name
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # the copyright and licence names stay in the font
    font = subset.load_font(str(source), options)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=codes)
    cutter.subset(font)
    for old in out_dir.glob("*.woff2"):  # a cut of an earlier Voila's font
        if old.name != name and re.fullmatch(r"[0-9a-f]{20}\.woff2", old.name):
            old.unlink()
    subset.save_font(font, str(out), options)
    return out


if __name__ == "__main__":
    path = build()
    print(f"{path} ({path.stat().st_size:,} bytes)", file=sys.stderr)


# ------------------------------------------------------------------ the page's styles, lighter
#
# Voila's page carries JupyterLab's styles twice: in voila-style.js (63 style modules that its script injects)
# and in nbconvert's lab index.css, linked after them. Both define the icons of JupyterLab's *deprecated* CSS
# background icons (`--jp-icon-add: url(data:image/svg+xml,…)` for 99 icons and a `.jp-AddIcon` class for each):
# 29 kB of the compressed index.css and 23 kB of voila-style.js, for classes no element of a Voila page has.
# Font Awesome's styles have a rule for each of its 1,600 icon names, where the toolkit's cut font draws a few.
# At its start the server makes, from the installed files, the same files without those (and voila-style.js
# without the rules that index.css repeats later, which therefore never decide anything), and serves them under
# the installed files' names (toolkit.voila_app._kept). Each cut checks that the file still has the shape it
# expects and raises ShapeChanged otherwise: the server then serves the installed file as it is, and
# tests/test_page_assets.py fails until the cut is brought up to date.

STYLES_VERSION = 2  # in the cache key: a change of the cuts below makes the files again
ICON_CLASS = re.compile(r"\.jp-[A-Za-z0-9]+Icon")  # JupyterLab's deprecated CSS-background icon classes
ICON_VARIABLE = re.compile(r"--jp-icon-[a-z0-9-]+")
_FA_ICON_SELECTOR = re.compile(r"\.fa(?:\.fa)?-(?P<name>[a-z0-9-]+)(?::before)?|\.fa\.fa-(?P<shim>[a-z0-9-]+)(?::before)?")
_ICON_CLASS_TEXT = re.compile(  # an icon class's rule in the text of a style sheet or of a script's string
    r"\.jp-[A-Za-z0-9]+Icon(?:\\n|\s)*\{(?:\\n|\s)*background-image:(?:\\n|\s)*var\(--jp-icon-[a-z0-9-]+\);?(?:\\n|\s)*\}")
_KEPT_COMMENT = re.compile(r"copyright|licen[cs]e", re.IGNORECASE)


class ShapeChanged(ValueError):
    """An installed file no longer has the shape a cut expects (another Voila or JupyterLab)."""


def styles_cache_dir() -> Path:
    """Where the lighter styles are kept (TOOLKIT_STYLES_CACHE, else the user's cache folder)."""
    import os

    given = os.environ.get("TOOLKIT_STYLES_CACHE")
    if given:
        return Path(given)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolkit" / "styles"


def lab_index_css() -> Path:
    """nbconvert's lab index.css, the styles Voila's lab template links."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("nbconvert", "templates", "lab", "static"):
        if (Path(folder) / "index.css").exists():
            return Path(folder) / "index.css"
    raise FileNotFoundError("nbconvert's lab index.css was not found in any Jupyter data folder")


def _parse(css: str) -> list:
    import tinycss2

    return tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=True)


def _selectors(rule) -> list[str]:
    import tinycss2

    return [s.strip() for s in _split_top_level(tinycss2.serialize(rule.prelude))]


def _split_top_level(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside :is(…), :not(…) or [attr="a,b"])."""
    parts, depth, quote, start = [], 0, "", 0
    for i, c in enumerate(prelude):
        if quote:
            quote = "" if c == quote and prelude[i - 1] != "\\" else quote
        elif c in "\"'":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return parts


def _declarations(rule) -> list:
    import tinycss2

    return [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            if isinstance(d, Declaration)]


def _is_icon_class_rule(rule) -> bool:
    """`.jp-AddIcon { background-image: var(--jp-icon-add); }` (every selector an icon class, nothing else)."""
    import tinycss2

    if not isinstance(rule, QualifiedRule) or not all(ICON_CLASS.fullmatch(s) for s in _selectors(rule)):
        return False
    declarations = _declarations(rule)
    return bool(declarations) and all(d.lower_name == "background-image" and
                                      ICON_VARIABLE.search(tinycss2.serialize(d.value)) for d in declarations)


def _root_icon_urls(rule) -> list:
    """The `--jp-icon-…: url(…)` declarations of a `:root` rule."""
    import tinycss2

    if not isinstance(rule, QualifiedRule) or tinycss2.serialize(rule.prelude).strip() != ":root":
        return []
    return [d for d in _declarations(rule) if _is_icon_url(d)]


def _is_icon_url(declaration) -> bool:
    import tinycss2

    return bool(ICON_VARIABLE.fullmatch(declaration.name)) and "url(" in tinycss2.serialize(declaration.value).lower()


def _serialize(rules) -> str:
    import tinycss2

    out = []
    for rule in rules:
        if isinstance(rule, Comment):
            if _KEPT_COMMENT.search(rule.value):
                out.append(f"/*{rule.value}*/")
        else:
            out.append(tinycss2.serialize([rule]))
    return "\n".join(out) + "\n"


def _root_without(rule, dropped: set[str]) -> str | None:
    """A `:root` rule's text without the declarations of the dropped variables (None: nothing left)."""
    import tinycss2

    kept = [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            if isinstance(d, Declaration) and d.name not in dropped]
    if not kept:
        return None
    body = "".join(f"\n  {d.name}: {tinycss2.serialize(d.value).strip()}{' !important' if d.important else ''};"
                   for d in kept)
    return f":root {{{body}\n}}"


def without_icons(sheets: list[str], used_elsewhere: str = "") -> tuple[list[str], set[str]]:
    """The style sheets without JupyterLab's deprecated CSS-background icon classes (ICON_CLASS rules) and the
    `--jp-icon-…` image variables no rule left uses as var(…) (neither in these sheets nor in `used_elsewhere`, the
    text of the page's other styles and scripts); the variables dropped. Raises ShapeChanged when no sheet defines an
    icon variable or has an icon class."""
    import tinycss2

    parsed = [_parse(css) for css in sheets]
    if not any(_root_icon_urls(r) for rules in parsed for r in rules):
        raise ShapeChanged("no `:root { --jp-icon-…: url(…) }` rule in the styles")
    if not any(_is_icon_class_rule(r) for rules in parsed for r in rules):
        raise ShapeChanged("no `.jp-…Icon { background-image: var(--jp-icon-…) }` rule in the styles")
    kept = [[r for r in rules if not _is_icon_class_rule(r)] for rules in parsed]
    defined = {d.name for rules in kept for r in rules for d in _root_icon_urls(r)}
    rest = []
    for rules in kept:
        for rule in rules:
            if _root_icon_urls(rule):  # the rule's other declarations may use an icon variable
                rest += [tinycss2.serialize(d.value) for d in _declarations(rule) if not _is_icon_url(d)]
            elif not isinstance(rule, Comment):
                rest.append(tinycss2.serialize([rule]))
    rest_text = "".join(rest)
    # elsewhere, an icon class's own rule (in a chunk the page may load, that brings its own variables) is no use
    elsewhere = _ICON_CLASS_TEXT.sub("", used_elsewhere)
    used = set(re.findall(r"var\(\s*(--jp-icon-[a-z0-9-]+)", rest_text + elsewhere))
    dropped = defined - used
    out = []
    for rules in kept:
        parts = []
        for rule in rules:
            if _root_icon_urls(rule) and dropped & {d.name for d in _root_icon_urls(rule)}:
                text = _root_without(rule, dropped)
                if text is not None:
                    parts.append(text)
            elif isinstance(rule, Comment):
                if _KEPT_COMMENT.search(rule.value):
                    parts.append(f"/*{rule.value}*/")
            else:
                parts.append(tinycss2.serialize([rule]))
        out.append("\n".join(parts) + "\n")
    return out, dropped


def _normal(nodes) -> str:
    """Tokens with every run of whitespace between them as one space (strings and the rest as they are): the
    same text for the same tokens however they were formatted."""
    out: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "whitespace":
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if kind == "comment":
            continue
        if kind == "function":
            out.append(f"{node.name}({_normal(node.arguments)})")
        elif kind in ("() block", "[] block", "{} block"):
            out.append(f"{kind[0]}{_normal(node.content)}{kind[1]}")
        else:
            out.append(node.serialize())
    return "".join(out).strip(" ")


def rule_key(rule) -> str:
    """A rule's text for comparing rules: selectors and values with their whitespace as one space, the
    declarations without the spaces around `:` and `;` (which mean nothing); "" for a comment."""
    import tinycss2

    def block(content, rules: bool) -> str:
        if rules:
            return "".join(rule_key(r) for r in tinycss2.parse_rule_list(content, skip_comments=True,
                                                                         skip_whitespace=True))
        return ";".join(f"{d.lower_name}:{_normal(d.value)}{'!important' if d.important else ''}"
                        for d in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
                        if isinstance(d, Declaration))

    if isinstance(rule, QualifiedRule):
        return f"{_normal(rule.prelude)}{{{block(rule.content, False)}}}"
    if isinstance(rule, AtRule):
        head = f"@{rule.lower_at_keyword} {_normal(rule.prelude)}"
        if rule.content is None:
            return head + ";"
        nested = rule.lower_at_keyword in ("media", "supports", "keyframes", "layer", "container", "document")
        return f"{head}{{{block(rule.content, nested)}}}"
    return ""


# JupyterLab's parts a Voila page never has: its page is Voila's shell with the outputs of the notebook's code
# cells (no input, no editor, no markdown) and the widgets. A selector that needs a class of one of them (the
# class itself or one that begins with it and a dash) can match no element of the page; tests/test_page_assets.py
# walks the participant page and compares every element's computed style with Voila's own styles.
NOT_ON_THE_PAGE = (
    "jp-DocumentSearch", "lm-CommandPalette", "jp-ModalCommandPalette", "jp-DirListing", "jp-FileBrowser",
    "jp-BreadCrumbs", "jp-FormGroup", "jp-tocItem", "jp-TableOfContents", "jp-Statusbar", "jp-StatusBar",
    "jp-ActiveCellTool", "jp-NotebookTools", "lm-DockPanel", "lm-TabBar", "jp-SidePanel", "jp-JSONEditor",
    "jp-Toolbar", "jp-ToolbarButton", "jp-ToolbarButtonComponent", "jp-Cell-Placeholder", "jp-dragImage",
    "jp-collapseHeadingButton", "jp-CollaboratorCursor", "jp-switch", "lm-AccordionPanel", "jp-AccordionPanel",
    "lm-SplitPanel", "jp-MainAreaWidget", "lm-ScrollBar", "CodeMirror", "jp-CodeMirrorEditor", "jp-InputArea",
    "jp-InputPrompt", "jp-Stdin", "jp-MarkdownOutput", "jp-MimeDocument", "jp-Notebook-footer",
    "jp-Notebook-ExecutionIndicator", "jp-NotebookPanel-toolbar",
)
_NOT_ON_THE_PAGE = re.compile(r"\.(?:" + "|".join(map(re.escape, NOT_ON_THE_PAGE)) + r"|cm-[\w-]+)(?:-[\w-]*)?(?![\w-])")


def without_parts_not_on_the_page(css: str) -> tuple[str, int]:
    """`css` without the selectors that need a class of NOT_ON_THE_PAGE (or CodeMirror's `cm-…`), and the rules
    left with none; how many selectors went."""
    import tinycss2

    out, dropped = [], 0

    def cut(rules) -> list[str]:
        nonlocal dropped
        kept_rules = []
        for rule in rules:
            if isinstance(rule, QualifiedRule):
                selectors = _selectors(rule)
                kept = [s for s in selectors if not _NOT_ON_THE_PAGE.search(s)]
                dropped += len(selectors) - len(kept)
                if kept == selectors:
                    kept_rules.append(tinycss2.serialize([rule]))
                elif kept:
                    kept_rules.append(",".join(kept) + "{" + tinycss2.serialize(rule.content) + "}")
            elif isinstance(rule, AtRule) and rule.lower_at_keyword in ("media", "supports") and rule.content:
                inner = cut(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                if inner:
                    kept_rules.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{" + "\n".join(inner) + "}")
            elif isinstance(rule, Comment):
                if _KEPT_COMMENT.search(rule.value):
                    kept_rules.append(f"/*{rule.value}*/")
            else:
                kept_rules.append(tinycss2.serialize([rule]))
        return kept_rules

    out = cut(_parse(css))
    return "\n".join(out) + "\n", dropped


def font_awesome_cut(css: str, wanted: set[str], icon_names: set[str]) -> str:
    """Font Awesome's styles (all.css or its v4 shims) without the rules of icons the page never shows: a
    selector `.fa-NAME:before`, `.fa.fa-NAME:before` or `.fa.fa-NAME` whose NAME is an icon (`icon_names`) not in
    `wanted` is dropped, and a rule left with no selector. The page's cut font draws no other icon anyway."""
    import tinycss2

    out, dropped = [], 0
    for rule in _parse(css):
        if isinstance(rule, QualifiedRule):
            selectors = _selectors(rule)
            kept = []
            for selector in selectors:
                match = re.fullmatch(r"\.fa(?:\.fa)?-([a-z0-9-]+)(:before)?", selector)
                if match and match.group(1) in icon_names and match.group(1) not in wanted:
                    dropped += 1
                else:
                    kept.append(selector)
            if not kept:
                continue
            if len(kept) < len(selectors):
                out.append(",".join(kept) + "{" + tinycss2.serialize(rule.content) + "}")
                continue
        if isinstance(rule, Comment):
            if _KEPT_COMMENT.search(rule.value):
                out.append(f"/*{rule.value}*/")
            continue
        out.append(tinycss2.serialize([rule]))
    if not dropped:
        raise ShapeChanged("Font Awesome's styles have no `.fa-NAME:before` rule of an icon the page does not use")
    return "\n".join(out) + "\n"


def without_rules(css: str, later: set[str]) -> tuple[str, int]:
    """`css` without its top-level rules whose text (rule_key) a style sheet loaded after it repeats: the later
    copy decides everything the earlier one would (same selector, same specificity, later in the cascade).
    The text and how many rules went."""
    import tinycss2

    out, dropped = [], 0
    for rule in _parse(css):
        if isinstance(rule, Comment):
            if _KEPT_COMMENT.search(rule.value):
                out.append(f"/*{rule.value}*/")
        elif rule_key(rule) in later:
            dropped += 1
        else:
            out.append(tinycss2.serialize([rule]))
    return "\n".join(out) + "\n", dropped


# -- the style modules of voila-style.js: `X.push([e.id, <CSS as a JavaScript string>, ""])`

_PUSH = re.compile(r"\.push\(\[\w+\.id,(?=[\"'`])")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": "", "\r\n": ""}
PLACEHOLDER = "tkph{}tkph"  # a ${name} of a template literal while its CSS is cut (a name CSS leaves alone)


def js_string_end(text: str, start: int) -> int:
    """The index just past the JavaScript string literal (quotes or template) that opens at `start`."""
    quote, i = text[start], start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if quote == "`" and c == "$" and text.startswith("${", i):
            i = text.index("}", i) + 1
            continue
        if c == quote:
            return i + 1
        i += 1
    raise ShapeChanged("a style module's string does not end")


def decode_js_string(literal: str) -> tuple[str, list[str]]:
    """A JavaScript string literal's value, each `${name}` of a template as PLACEHOLDER; the names in order."""
    quote, body = literal[0], literal[1:-1]
    names: list[str] = []
    if quote == "`":
        def hold(match):
            names.append(match.group(1))
            return "\x00" + str(len(names) - 1) + "\x00"
        body = re.sub(r"\$\{([\w$]+)\}", hold, body)
        if "${" in body:
            raise ShapeChanged("a style module's template has an expression that is not a name")

    def unescape(match):
        e = match.group(1)
        if e in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[e]
        if e[0] in "xu" and len(e) > 1:
            return chr(int(e.strip("xu{}"), 16))
        return e

    value = _ESCAPE.sub(unescape, body)
    return re.sub(r"\x00(\d+)\x00", lambda m: PLACEHOLDER.format(m.group(1)), value), names


def encode_js_string(value: str, quote: str, names: list[str]) -> str:
    """The literal of `value` in `quote` (the inverse of decode_js_string), with its placeholders as ${name}."""
    out = []
    for c in value:
        if c == "\\" or c == quote:
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 32 or ord(c) > 126:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\u{{{ord(c):x}}}")
        elif quote == "`" and c == "$":
            out.append("\\$")
        else:
            out.append(c)
    text = "".join(out)
    if quote == "`":
        text = re.sub(PLACEHOLDER.format(r"(\d+)"), lambda m: "${" + names[int(m.group(1))] + "}", text)
    elif re.search(PLACEHOLDER.format(r"\d+"), text):
        raise ShapeChanged("a placeholder in a string that is not a template")
    return quote + text + quote


def style_modules(script: str) -> list[tuple[int, int]]:
    """Where the CSS strings of voila-style.js's style modules are (start, end of each literal)."""
    spans = [(m.end(), js_string_end(script, m.end())) for m in _PUSH.finditer(script)]
    if not spans:
        raise ShapeChanged("voila-style.js has no style module (`.push([e.id, \"…css…\"`)")
    return spans


_DATA_MODULE = re.compile(r"(?<=[{,])(\d+):(\w+)=>\{\2\.exports=\"data:image/svg\+xml,[^\"]*\"\}")
_URL_OF_MODULE = re.compile(r"(?<![\w$])([\w$]+)=new URL\([\w$]+\((\d+)\),[\w$]+\.b\)")
_URL_CALL = re.compile(r"(?<![\w$])([\w$]+)=[\w$]+\(\)\(([\w$]+)(?:,\{[^{}]*\})?\)")


def lighter_voila_style(script: str, later: set[str], wanted: set[str], used_elsewhere: str) -> tuple[str, dict]:
    """voila-style.js without the icon classes and variables (without_icons), with Font Awesome cut to the
    page's icons (font_awesome_cut), without the parts of JupyterLab a Voila page never has
    (without_parts_not_on_the_page) and the rules the later index.css repeats (`later`: their rule_key),
    and with the SVG images no style uses any longer as an empty `data:,` URL. The script and what was cut."""
    spans = style_modules(script)
    decoded = [decode_js_string(script[a:b]) for a, b in spans]
    sheets = [css for css, _ in decoded]
    sheets, dropped_icons = without_icons(sheets, used_elsewhere)
    icon_names = set(icon_glyphs(script))
    font_awesome = [i for i, css in enumerate(sheets) if "Font Awesome Free" in css[:400]]
    if not font_awesome:
        raise ShapeChanged("voila-style.js has no Font Awesome styles")
    for i in font_awesome:
        sheets[i] = font_awesome_cut(sheets[i], wanted, icon_names)
    repeated = parts = 0
    for i, css in enumerate(sheets):
        css, n = without_parts_not_on_the_page(css)
        parts += n
        sheets[i], n = without_rules(css, later)
        repeated += n
    # the placeholders left -> the image modules still used
    used_modules: set[str] = set()
    previous = 0
    for (a, b), css, (_, names) in zip(spans, sheets, decoded, strict=True):
        declared = script[previous:a]
        urls = dict(_URL_OF_MODULE.findall(declared))
        calls = dict(_URL_CALL.findall(declared))
        for index in set(re.findall(PLACEHOLDER.format(r"(\d+)"), css)):
            name = names[int(index)]
            module = urls.get(calls.get(name, ""))
            if module is None:
                raise ShapeChanged(f"the style module's ${{{name}}} is not an URL of a module")
            used_modules.add(module)
        previous = b
    out, last = [], 0
    for (a, b), css, (_, names) in zip(spans, sheets, decoded, strict=True):
        out += [script[last:a], encode_js_string(css, script[a], names)]
        last = b
    out.append(script[last:])
    result = "".join(out)
    blanked = 0

    def blank(match):
        nonlocal blanked
        module = match.group(1)
        calls = re.findall(rf"[\w$]\({module}\)", result)
        urls = re.findall(rf"new URL\([\w$]+\({module}\),[\w$]+\.b\)", result)
        if module in used_modules or len(calls) != len(urls):
            return match.group(0)
        blanked += 1
        return f'{module}:{match.group(2)}=>{{{match.group(2)}.exports="data:,"}}'

    result = _DATA_MODULE.sub(blank, result)
    return result, {"icon variables": len(dropped_icons), "repeated rules": repeated, "images": blanked,
                    "selectors of parts not on the page in voila-style.js": parts}


# Voila's main module imports a few shared packages only so that they are loaded before any extension asks
# for them; the one below no page of the toolkit uses (Lumino's data grid, 28 kB compressed). Without its eager
# import it stays in the share scope, loaded when something asks for it.
NOT_PRELOADED = ("@lumino/datagrid",)


def without_preloads(runtime: str, chunks: dict[str, str], packages=NOT_PRELOADED) -> tuple[str, dict[str, str]]:
    """Voila's runtime (voila.js) and the chunk of its main module (`chunks`: {chunk id: text}) without the
    eager import of `packages`: the package's id leaves the chunk's consumes in the runtime and its bare
    `n(id),` leaves the main module's list of imports. Raises ShapeChanged unless each is found exactly once
    and the main module uses the package nowhere else."""
    changed = dict(chunks)
    for package in packages:
        found = re.findall(rf'(?<![\w$])(\d+):\(\)=>[\w$]+\("default","{re.escape(package)}"', runtime)
        if len(found) != 1:
            raise ShapeChanged(f"voila.js does not share {package} once")
        module = found[0]
        owners = [m for m in re.finditer(r'(?<![\w$])(\d+):\[([\d,]+)\]', runtime) if module in m.group(2).split(",")]
        if len(owners) != 1 or owners[0].group(1) not in changed:
            raise ShapeChanged(f"{package} is not consumed by Voila's main chunk alone")
        owner = owners[0]
        ids = [i for i in owner.group(2).split(",") if i != module]
        runtime = runtime[:owner.start()] + f"{owner.group(1)}:[{','.join(ids)}]" + runtime[owner.end():]
        text = changed[owner.group(1)]
        bare = re.findall(rf"(?<=[(,])[\w$]+\({module}\),", text)
        if len(bare) != 1 or len(re.findall(rf"(?<!\d){module}(?!\d)", text)) != 1:
            raise ShapeChanged(f"Voila's main module uses {package} beyond importing it")
        changed[owner.group(1)] = text.replace(bare[0], "", 1)
    return runtime, changed


def main_chunk(runtime: str) -> str:
    """The id of the chunk of Voila's main module: the one its entry loads last and runs."""
    found = re.findall(r"\.then\([\w$]+\.bind\([\w$]+,(\d+)\)\)", runtime)
    if len(found) != 1:
        raise ShapeChanged("voila.js's entry does not run one main module")
    return found[0]


def page_styles_elsewhere() -> str:
    """The text of the page's other scripts and styles (Voila's chunks, the widgets' lab extensions, the lab
    theme): an icon variable any of them names stays."""
    from . import static_gzip

    texts = []
    for folder in static_gzip.page_folders():
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".js", ".css") and path.name not in ("voila-style.js", "index.css"):
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "".join(texts)


def lighter_styles(index_css: str, voila_style: str, wanted: set[str], used_elsewhere: str) -> tuple[str, str, dict]:
    """The lighter index.css and voila-style.js (see above) and what was cut."""
    (index_out, *_), dropped = without_icons([index_css], used_elsewhere + voila_style)
    index_out, parts = without_parts_not_on_the_page(index_out)
    if parts < 200:
        raise ShapeChanged(f"index.css has {parts} selectors of JupyterLab's parts a Voila page never has")
    later = {rule_key(rule) for rule in _parse(index_out) if isinstance(rule, (QualifiedRule, AtRule))}
    style_out, cut = lighter_voila_style(voila_style, later, wanted, used_elsewhere + index_out)
    cut["icon variables in index.css"] = len(dropped)
    cut["selectors of parts not on the page"] = parts
    return index_out, style_out, cut


def derived_files(folder: Path | None = None) -> dict[str, str]:
    """{installed file: its lighter copy} for index.css and voila-style.js (lighter_styles) and for voila.js and
    its main chunk (without_preloads), made from the installed files the first time (a second or two) and kept
    in `folder` (styles_cache_dir()) under a key of their contents, this module's cuts and the toolkit's icons.
    Raises ShapeChanged (or FileNotFoundError) when they cannot be made."""
    import hashlib
    import json
    import os

    static = voila_static()
    index_path, style_path, runtime_path = lab_index_css(), static / "voila-style.js", static / "voila.js"
    index_css, voila_style = index_path.read_text(encoding="utf-8"), style_path.read_text(encoding="utf-8")
    runtime = runtime_path.read_text(encoding="utf-8")
    main_path = static / f"{main_chunk(runtime)}.voila.js"
    main = main_path.read_text(encoding="utf-8")
    wanted = wanted_icons(voila_style)
    key = hashlib.sha256("\0".join([str(STYLES_VERSION), index_css, voila_style, runtime, main, *sorted(wanted)]
                                    ).encode()).hexdigest()[:24]
    out = Path(folder if folder is not None else styles_cache_dir()) / key
    made = {str(index_path): out / "index.css", str(style_path): out / "voila-style.js",
            str(runtime_path): out / "voila.js", str(main_path): out / main_path.name}
    if not all(path.exists() for path in made.values()):
        index_out, style_out, cut = lighter_styles(index_css, voila_style, wanted, page_styles_elsewhere())
        runtime_out, chunks = without_preloads(runtime, {main_chunk(runtime): main})
        cut["not preloaded"] = list(NOT_PRELOADED)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.parent.iterdir():  # those of an earlier Voila or toolkit
            if old != out and re.fullmatch(r"[0-9a-f]{24}", old.name) and old.is_dir():
                import shutil

                shutil.rmtree(old, ignore_errors=True)
        for path, text in ((made[str(index_path)], index_out), (made[str(style_path)], style_out),
                           (made[str(runtime_path)], runtime_out), (made[str(main_path)], chunks[main_chunk(runtime)]),
                           (out / "cut.json", json.dumps(cut))):
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
    return {source: str(path) for source, path in made.items()}


LIGHTER: dict[str, str] = {}  # installed file (its real path) -> the lighter copy the server sends in its place


def use_lighter_files(log=None) -> dict[str, str]:
    """Make (or find) the lighter files and have the server send them (ServesLighter); where they cannot be
    made, the installed files are sent as they are and `log` says why."""
    import os

    try:
        made = {os.path.realpath(source): os.path.realpath(path) for source, path in derived_files().items()}
    except (ShapeChanged, OSError, ValueError) as error:
        if log is not None:
            log.warning("The page's styles and scripts are sent as Voila installed them (%s: %s)", type(error).__name__, error)
        made = {}
    LIGHTER.clear()
    LIGHTER.update(made)
    return dict(made)


class ServesLighter:
    """Mixed into Voila's TemplateStaticFileHandler (the template's static files) and MultiStaticFileHandler
    (/voila/static/): where LIGHTER has a lighter copy of the file a request names, that copy is sent (its own
    ETag, size and modification time)."""

    def get_absolute_path(self, root, path):  # Voila's template handler has it as a class method, its static one not
        import os

        found = super().get_absolute_path(root, path)
        return LIGHTER.get(os.path.realpath(found), found)

    def validate_absolute_path(self, root, absolute_path):
        import os

        import tornado.web

        if absolute_path in LIGHTER.values():  # outside the template's folders, which the handler checks
            return tornado.web.StaticFileHandler.validate_absolute_path(self, os.path.dirname(absolute_path),
                                                                        absolute_path)
        return super().validate_absolute_path(root, absolute_path)
