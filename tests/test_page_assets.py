"""What the phone downloads with its first page (issue #18): no MathJax, no Mermaid, no lab extension no page uses,
the icon font cut to the toolkit's icons, the page fonts as WOFF2 fetched only for text they draw; the page
still shows every icon and its text."""

from __future__ import annotations

import re

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from toolkit import page_assets
from toolkit.apps.texts import T
from toolkit.voila_app import NO_MATH_JS, UNUSED_LAB_EXTENSIONS, lighter_page_config

STYLES = (page_assets.voila_static() / "voila-style.js").read_text(encoding="utf-8")
CUT = page_assets.TEMPLATE_STATIC / page_assets.solid_font(page_assets.voila_static()).name


def drawing(font: TTFont, code: int) -> list:
    pen = RecordingPen()
    font.getGlyphSet()[font.getBestCmap()[code]].draw(pen)
    return pen.value


def test_the_cut_icon_font_replaces_the_solid_font_that_voilas_styles_load():
    assert CUT.exists(), "Voila ships another Font Awesome: make the cut again with `python -m toolkit.page_assets`"
    assert CUT.name in STYLES
    assert CUT.stat().st_size < 10_000 < page_assets.solid_font(page_assets.voila_static()).stat().st_size


def test_every_icon_the_toolkit_names_is_drawn_by_the_cut_font_as_by_font_awesome():
    glyphs = page_assets.icon_glyphs(STYLES)
    regular = page_assets.regular_icons(STYLES)
    named = page_assets.icons_in_code(set(glyphs))
    assert {"check", "paper-plane", "arrow-left", "arrow-right", "undo", "play", "eye-slash"} <= named
    whole, cut = TTFont(str(page_assets.solid_font(page_assets.voila_static()))), TTFont(str(CUT))
    for name in sorted((named | set(page_assets.ICONS_OF_WIDGETS)) - regular):
        for code in glyphs[name] & set(whole.getBestCmap()):  # a brand's icon is in another font
            assert code in cut.getBestCmap(), f"icon {name!r} is missing: `python -m toolkit.page_assets`"
            assert drawing(cut, code) == drawing(whole, code), name
    assert len(cut.getBestCmap()) < len(whole.getBestCmap()) / 5


def test_icons_are_found_in_tables_and_variables_of_the_code_not_only_in_icon_keywords(tmp_path):
    (tmp_path / "app.py").write_text('ACTIONS = (("open", "Open", "play"),)\nforward = "arrow-right"\nx = "nothing"\n')
    assert page_assets.icons_in_code({"play", "arrow-right", "stop"}, tmp_path) == {"play", "arrow-right"}


def test_the_page_config_leaves_out_pygments_and_takes_the_mathjax_that_typesets_nothing():
    given = {"federated_extensions": [{"name": "jupyterlab_pygments", "load": "x.js"},
                                      {"name": "@voila-dashboards/widgets-manager8", "load": "y.js"}],
             "fullMathjaxUrl": None, "mathjaxConfig": None}
    config = lighter_page_config(dict(given), base_url="/quiz/")
    assert [x["name"] for x in config["federated_extensions"]] == ["@voila-dashboards/widgets-manager8"]
    assert "jupyterlab_pygments" in UNUSED_LAB_EXTENSIONS
    # a MathJax URL makes Voila's page take JupyterLab's MathJax 2 typesetter, which loads only that script
    assert config["fullMathjaxUrl"] == "/quiz/" + NO_MATH_JS and config["mathjaxConfig"]
    script = page_assets.TEMPLATE_STATIC / "nomath.js"
    assert NO_MATH_JS.endswith("/static/nomath.js") and script.exists()
    for called in ("Config", "Configured", "Queue", "StartupHook", "resetEquationNumbers"):  # by the typesetter
        assert re.search(rf"\b{called}: function", script.read_text())


def test_the_page_fonts_are_woff2():
    fonts = sorted(p.name for p in (page_assets.TEMPLATE_STATIC / "fonts").iterdir() if p.suffix != ".txt")
    assert fonts == ["NotoNaskhArabic-Regular.woff2", "NotoNastaliqUrdu-Regular.woff2"]
    licence = (page_assets.TEMPLATE_STATIC / "fonts" / "LICENSE.txt").read_text()
    assert all(name in licence for name in (*fonts, CUT.name)) and "Open Font License" in licence


@pytest.mark.browser
def test_the_first_page_downloads_no_mathjax_and_shows_its_icons(served, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    seen: list[tuple[str, int]] = []
    context.on("response", lambda r: seen.append((r.url, r.status)))
    page = context.new_page()
    sent = page.goto(f"{served['participant']}?code={served['session']['join_code']}").text()
    page.get_by_placeholder("Leave empty to stay anonymous").wait_for(timeout=60_000)
    join = page.locator("button:has(i.fa-check)")
    join.wait_for(timeout=30_000)
    page.wait_for_function("document.fonts.check('900 16px \"Font Awesome 5 Free\"', '\\uf00c')", timeout=30_000)
    assert page.evaluate("window.jupyterapp.isPluginActivated('@jupyterlab/mathjax2-extension:plugin')")
    assert not page.evaluate("window.jupyterapp.hasPlugin('@jupyterlab/mathjax-extension:plugin')"
                             " && window.jupyterapp.isPluginActivated('@jupyterlab/mathjax-extension:plugin')")
    assert page.evaluate("typeof window.MathJax.Hub.Queue") == "function"  # nomath.js, loaded as MathJax
    assert "mermaid" not in sent.lower()  # nor nbconvert's script looking for diagrams
    urls = [url for url, _ in seen]
    assert (f"{served['participant']}{NO_MATH_JS}?config=none&amp;delayStartupUntil=configured", 200) in seen
    assert not [u for u in urls if "jupyterlab_pygments" in u]
    icon_font = [(u, s) for u, s in seen if u.endswith(CUT.name)]
    assert icon_font == [(f"{served['participant']}voila/templates/toolkit/static/{CUT.name}", 200)]
    # the icon is drawn with the cut font, not a fallback that has no such glyph
    join.locator("i.fa-check").evaluate("i => i.setAttribute('data-tk-probe', '')")
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-tk-probe]"})["nodeId"]
    pseudo = cdp.send("DOM.describeNode", {"nodeId": node, "depth": 1})["node"].get("pseudoElements", [])
    drawn = [f for n in [node, *(p.get("nodeId") for p in pseudo if p.get("nodeId"))]
             for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": n})["fonts"]]
    assert any(f["familyName"].startswith("Font Awesome 5 Free") and f["isCustomFont"] and f["glyphCount"]
               for f in drawn), drawn
    context.close()


def test_each_page_font_says_which_characters_it_draws():
    template = (page_assets.TEMPLATE_STATIC.parent / "index.html.j2").read_text(encoding="utf-8")
    faces = re.findall(r'static/fonts/([\w-]+\.woff2)"\) format\("woff2"\);\s*unicode-range: ([^;]+);', template)
    assert [name for name, _ in faces] == ["NotoNastaliqUrdu-Regular.woff2", "NotoNaskhArabic-Regular.woff2"]
    for name, ranges in faces:
        assert ranges == page_assets.unicode_ranges(page_assets.TEMPLATE_STATIC / "fonts" / name), name


@pytest.mark.browser
def test_an_urdu_page_fetches_the_nastaliq_font_and_no_naskh_for_its_latin_words(served, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    fonts: list[str] = []
    context.on("request", lambda r: fonts.append(r.url.rsplit("/", 1)[1]) if "/static/fonts/" in r.url else None)
    page = context.new_page()
    page.goto(f"{served['participant']}?code={served['session']['join_code']}")
    page.get_by_placeholder("Leave empty to stay anonymous").wait_for(timeout=60_000)
    page.get_by_role("button", name="اردو").click()
    page.get_by_text(T["name"]["ur"], exact=True).wait_for(timeout=30_000)
    assert page.get_by_role("button", name="English").is_visible()  # Latin letters on the Urdu page
    page.wait_for_function("[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Noto Nastaliq Urdu'"
                           " && f.status === 'loaded')", timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert "NotoNastaliqUrdu-Regular.woff2" in fonts
    assert "NotoNaskhArabic-Regular.woff2" not in fonts  # the page's Latin words are in neither font
    context.close()
