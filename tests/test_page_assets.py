"""What the phone downloads with its first page (issue #18): no MathJax, no Mermaid, no lab extension no page uses,
the icon font cut to the toolkit's icons, the page fonts as WOFF2 fetched only for text they draw; the page
still shows every icon and its text."""

from __future__ import annotations

import concurrent.futures
import gzip
import json
import os
import re
from pathlib import Path

import pytest
import tornado.web
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from toolkit import page_assets
from toolkit.apps.texts import T
from toolkit.voila_app import NO_MATH_JS, STATIC_CACHE_S, UNUSED_LAB_EXTENSIONS, lighter_page_config

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


# ------------------------------------------------------------------ the lighter styles (toolkit.page_assets)

# Every element's computed style and that of its ::before and ::after, in document order: the page as it looks.
# The `--jp-icon-…: url(…)` variables the lighter styles drop are left out (no property of any element uses them).
COMPUTED_STYLES = """() => {
  const out = [];
  for (const e of [document.documentElement, ...document.querySelectorAll('body *')]) {
    for (const pseudo of [null, '::before', '::after', '::placeholder']) {
      const s = getComputedStyle(e, pseudo);
      if ((pseudo === '::before' || pseudo === '::after') && (s.content === 'none' || s.content === 'normal')) continue;
      const values = [];
      for (let i = 0; i < s.length; i++) {
        const value = s.getPropertyValue(s[i]);
        if (!(s[i].startsWith('--jp-icon-') && value.trim().startsWith('url('))) values.push(s[i] + ': ' + value);
      }
      out.push(e.tagName + [...e.classList].map(c => '.' + c).join('') + (pseudo || '') + ' {' + values.sort().join('; ') + '}');
    }
  }
  return out;
}"""


@pytest.mark.browser
def test_the_lighter_styles_leave_every_element_of_the_page_as_voilas_own_styles_show_it(served, browser):
    """Two phones walk the same way through the participant page: one gets the lighter index.css and
    voila-style.js, the other Voila's installed files (routed in the browser). At each step every element of the
    page has the same computed style on both: the join form in Pashto, English and Urdu, questions of each type,
    the review screen in English and Urdu."""
    from helpers import TEST_BANKS
    from test_browser import new_session

    from toolkit.bank import load_bank

    store, session, (quiz,) = new_session(served, (load_bank(TEST_BANKS / "all-types.yaml"), "pretest", None))
    store.open_activity(quiz["id"])
    installed = {"index.css": (page_assets.lab_index_css(), "text/css"),
                 "voila-style.js": (page_assets.voila_static() / "voila-style.js", "text/javascript")}
    phones, errors = [], []
    for original in (False, True):
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        context.set_default_timeout(60_000)
        if original:
            for name, (path, kind) in installed.items():
                context.route(f"**/voila/templates/toolkit/static/{name}*",
                              lambda route, request, path=path, kind=kind: route.fulfill(body=path.read_bytes(),
                                                                                         content_type=kind))
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        phones.append(page)

    def step(action, then=None):
        for page in phones:
            action(page)
            if then:
                page.get_by_text(then, exact=isinstance(then, str)).first.wait_for()
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.wait_for_timeout(500)  # the widgets' transitions
        lighter, original = (page.evaluate(COMPUTED_STYLES) for page in phones)
        assert len(lighter) == len(original) > 50
        assert [x for x, y in zip(lighter, original, strict=True) if x != y] == [], then

    lighter_sent = []
    phones[0].on("response", lambda r: lighter_sent.append(r.url) if "/toolkit/static/" in r.url else None)
    address = f"{served['participant']}?code={session['join_code']}"
    step(lambda p: p.goto(f"{address}&lang=ps"), T["name"]["ps"])  # Pashto (a draft: by its link only)
    assert any("index.css" in u for u in lighter_sent) and any("voila-style.js" in u for u in lighter_sent)
    step(lambda p: p.goto(address), T["name"]["en"])
    step(lambda p: p.get_by_role("button", name="اردو").click(), T["name"]["ur"])
    step(lambda p: p.get_by_role("button", name="English").click(), T["name"]["en"])

    def join(page):
        page.get_by_placeholder("Leave empty to stay anonymous").fill("Zara")
        page.get_by_text("I understand and agree").click()
        page.get_by_role("button", name="Join").click()

    step(join, "Question 1 of 9")
    step(lambda p: p.get_by_role("button", name="True", exact=True).click(), "✓ Saved")
    for n in range(2, 10):
        step(lambda p: p.get_by_role("button", name="Next").click(), f"Question {n} of 9")
        if n == 4:
            step(lambda p: p.get_by_role("button", name="Act", exact=True).click(), "✓ Saved")
        if n == 6:
            step(lambda p: (p.locator("select").nth(0).select_option(label="Provincial police"),
                            p.locator("select").nth(1).select_option(label="FIA")), "✓ Saved")
    step(lambda p: p.get_by_role("button", name="Review").click(), re.compile("You answered . of 9 questions"))
    step(lambda p: p.get_by_role("button", name="اردو").click(), re.compile("آپ نے 9 میں سے"))
    assert errors == []
    for page in phones:
        page.context.close()
    store.close()


@pytest.fixture(scope="module")
def lighter(tmp_path_factory):
    """The lighter styles made from the installed Voila and JupyterLab, and the installed files."""
    folder = tmp_path_factory.mktemp("styles")
    made = page_assets.derived_files(folder)
    index, style = page_assets.lab_index_css(), page_assets.voila_static() / "voila-style.js"
    return {"index": index.read_text(), "style": style.read_text(), "made": made,
            "lighter index": Path(made[str(index)]).read_text(), "lighter style": Path(made[str(style)]).read_text(),
            "cut": json.loads((Path(made[str(index)]).parent / "cut.json").read_text())}


def test_the_installed_styles_still_have_the_shape_the_cuts_expect_and_lose_most_of_their_weight(lighter):
    """Fails when another Voila or JupyterLab ships styles the cuts no longer apply to (the server then sends
    the installed files as they are, heavier): bring toolkit/page_assets.py's cuts up to date."""
    cut = lighter["cut"]
    assert cut["icon variables in index.css"] >= 90 and cut["icon variables"] >= 90 and cut["images"] >= 90
    assert cut["repeated rules"] >= 200  # voila-style.js's rules that index.css repeats later
    for installed, made in (("index", "lighter index"), ("style", "lighter style")):
        assert len(gzip.compress(lighter[made].encode())) < 0.5 * len(gzip.compress(lighter[installed].encode()))
    for text in (lighter["index"], lighter["style"]):  # what is cut is there to cut
        assert ".jp-AddIcon {" in text and "--jp-icon-add: url(" in text
    assert ".fa-500px:before" in lighter["style"]
    for text in (lighter["lighter index"], lighter["lighter style"]):
        assert ".jp-AddIcon" not in text and "--jp-icon-add:" not in text and ".fa-500px" not in text
    assert cut["selectors of parts not on the page"] >= 300
    index = lighter["lighter index"]
    assert ".jp-DirListing" not in index and ".lm-ScrollBar" not in index and ".cm-editor" not in index
    # what the page uses stays: the output area, the cells' collapsers (not a part cut by its prefix), the
    # icons the toolkit names, Font Awesome's own rules
    assert ".jp-OutputArea-output" in index and ".jp-Collapser" in index and ".jp-RenderedHTMLCommon" in index
    style = lighter["lighter style"]
    assert all(f".fa-{name}:before" in style for name in ("check", "paper-plane", "arrow-right", "caret-down"))
    assert ".fa,.fab,.fad,.fal,.far,.fas{" in style and "@font-face" in style and "Font Awesome Free 5" in style
    assert style.count('.exports="data:,"') == cut["images"]


def test_the_style_modules_strings_are_read_and_written_back_exactly(lighter):
    script = lighter["style"]
    spans = page_assets.style_modules(script)
    assert len(spans) >= 50
    for a, b in spans:
        literal = script[a:b]
        value, names = page_assets.decode_js_string(literal)
        assert page_assets.encode_js_string(value, literal[0], names) == literal
    assert page_assets.decode_js_string(r'"a\nb\\c\"d\x41"') == ('a\nb\\c"dA', [])
    value, names = page_assets.decode_js_string("`url(${fn}) \\` ${$}`")
    assert names == ["fn", "$"] and value == "url(tkph0tkph) ` tkph1tkph"


def test_a_rule_a_later_sheet_repeats_goes_whatever_its_formatting_and_others_stay():
    later = {page_assets.rule_key(r) for r in page_assets._parse(".a .b{color:red}\n@media (max-width: 1px){.c{x:1}}")}
    css, dropped = page_assets.without_rules(
        "/* Copyright X */\n.a  .b {\n  color: red;\n}\n.a.b{color:red}\n@media (max-width: 1px) { .c { x : 1 ; } }\n"
        ".d{content:'a  b'}", later)
    assert dropped == 2 and ".a.b{color:red}" in css and "Copyright X" in css and 'content:"a  b"' in css
    assert page_assets.rule_key(page_assets._parse(".d{content:'a  b'}")[0]) != page_assets.rule_key(
        page_assets._parse(".d{content:'a b'}")[0])


def test_icon_variables_stay_where_a_rule_left_or_another_file_uses_them():
    css = (":root {\n  --jp-icon-add: url(data:a);\n  --jp-icon-bug: url(data:b);\n  --jp-icon-case: url(data:c);\n"
           "  --jp-icon-contrast-color0: red;\n}\n.jp-AddIcon {\n  background-image: var(--jp-icon-add);\n}\n"
           ".jp-BugIcon { background-image: var(--jp-icon-bug); }\n.x { background: var(--jp-icon-case); }\n")
    (out,), dropped = page_assets.without_icons([css], used_elsewhere=".jp-BugIcon {\\n  background-image: "
                                                "var(--jp-icon-bug);\\n}\n.y{mask:var(--jp-icon-add)}")
    assert dropped == {"--jp-icon-bug"}  # add: used elsewhere; case: used by .x; bug: only by its icon class
    assert ".jp-AddIcon" not in out and ".jp-BugIcon" not in out and "--jp-icon-contrast-color0: red" in out
    assert "--jp-icon-add: url(data:a)" in out and "--jp-icon-case: url(data:c)" in out and "data:b" not in out


def test_a_part_not_on_the_page_goes_with_its_own_classes_only():
    css, dropped = page_assets.without_parts_not_on_the_page(
        ".jp-Toolbar, .jp-Collapser {a:1}\n.jp-Toolbar-item{b:2}\n.jp-Toolbarx{c:3}\n.x .cm-line{d:4}\n"
        "@media (max-width: 1px) { .jp-DirListing{e:5} .y{f:6} }")
    assert dropped == 4
    assert ".jp-Collapser" in css and ".jp-Toolbarx{c:3}" in css and ".y{f:6}" in css
    assert ".jp-Toolbar," not in css and "jp-Toolbar-item" not in css and "cm-line" not in css and "DirListing" not in css


def test_voilas_main_module_no_longer_preloads_the_data_grid_which_stays_shared():
    static = page_assets.voila_static()
    runtime = (static / "voila.js").read_text()
    main = page_assets.main_chunk(runtime)
    text = (static / f"{main}.voila.js").read_text()
    lighter_runtime, chunks = page_assets.without_preloads(runtime, {main: text})
    assert len(lighter_runtime) < len(runtime) and len(chunks[main]) < len(text)
    assert '"@lumino/datagrid"' in lighter_runtime  # still offered to anything that asks for it
    module = re.findall(r'(\d+):\(\)=>[\w$]+\("default","@lumino/datagrid"', runtime)[0]
    assert module not in re.search(rf"{main}:\[([\d,]+)\]", lighter_runtime).group(1).split(",")
    assert module not in chunks[main]
    with pytest.raises(page_assets.ShapeChanged):
        page_assets.without_preloads(runtime, {main: text.replace(f"({module}),", f"({module})+1,")})


def test_styles_of_another_shape_are_refused_not_cut_wrongly():
    with pytest.raises(page_assets.ShapeChanged):
        page_assets.without_icons([".a{color:red}"])
    with pytest.raises(page_assets.ShapeChanged):
        page_assets.style_modules("(()=>{var e={1:()=>{}}})();")
    with pytest.raises(page_assets.ShapeChanged):
        page_assets.font_awesome_cut(".fa{x:1}", {"check"}, {"check"})


def test_the_template_handler_sends_the_lighter_copy_under_the_installed_name(tmp_path, monkeypatch):
    from tornado.testing import AsyncHTTPTestCase
    from voila.static_file_handler import TemplateStaticFileHandler

    from toolkit.voila_app import _kept

    lighter_css = tmp_path / "index.css"
    lighter_css.write_text(".lighter{}\n")
    monkeypatch.setitem(page_assets.LIGHTER, os.path.realpath(page_assets.lab_index_css()), str(lighter_css))
    handler = _kept(TemplateStaticFileHandler)
    handler.toolkit_store = type("NoBodies", (), {"body": staticmethod(lambda path: None)})()  # no Zopfli here

    class Served(AsyncHTTPTestCase):
        def get_app(self):
            return tornado.web.Application([(r"/voila/templates/(.*)", handler)])

        def runTest(self):
            r = self.fetch("/voila/templates/lab/static/index.css")
            assert r.code == 200 and r.body == b".lighter{}\n"
            assert r.headers["Cache-Control"] == f"max-age={STATIC_CACHE_S}"
            again = self.fetch("/voila/templates/lab/static/index.css", headers={"If-None-Match": r.headers["Etag"]})
            assert again.code == 304
            other = self.fetch("/voila/templates/lab/static/theme-light.css")  # no lighter copy: the file itself
            assert other.code == 200 and other.body == (page_assets.lab_index_css().parent / "theme-light.css"
                                                        ).read_bytes()

    def serve_and_fetch():
        case = Served()
        case.setUp()
        try:
            case.runTest()
        finally:
            case.tearDown()

    # a thread of its own: in the full suite, Playwright's sync API keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(serve_and_fetch).result()
