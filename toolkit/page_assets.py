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
