"""The look of both apps: large tap targets on a phone, readable from the back row on a projector."""

from .. import languages

# The bundled fonts of the Voila template (index.html.j2) and the line height their letters need.
LINE_HEIGHT = {"Noto Nastaliq Urdu": 2, "Noto Naskh Arabic": 1.8}
TEXT_PARTS = (".widget-html-content", ".widget-label", "button", "input", "textarea", "select")


def language_rules() -> str:
    """Each language in its fonts (its own, then its script's), from the registry."""
    rules = []
    for lang in languages.LANGUAGES.values():
        if lang.page_fonts:
            families = ", ".join(f'"{family}"' for family in lang.page_fonts)
            parts = ", ".join(f".tk-lang-{lang.code} {part}" for part in TEXT_PARTS)
            height = LINE_HEIGHT[lang.page_fonts[0]]
            rules.append(f"{parts} {{\n  font-family: {families}, system-ui, sans-serif; line-height: {height}; }}")
    return "\n".join(rules)


STYLE = """<style>
.tk-app { max-width: 640px; margin: 0 auto; padding: 8px; font-size: 18px; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1d2330; }
.tk-app h2 { font-size: 1.3em; margin: 0.4em 0; }
.tk-app .widget-html-content, .tk-app .widget-label { font-size: 18px; white-space: normal; line-height: 1.45; }
.tk-app label { font-weight: 600; display: block; margin-top: 0.6em; }
.tk-app input[type=text], .tk-app textarea, .tk-app select { font-size: 18px; min-height: 44px; }
/* A box as wide as the app: no side margins (ipywidgets' 2px each side ran past the app, which clips it: the right
   border was cut off on a 390 px phone), and nothing inside it wider than it (an input's own minimum width). */
.tk-app .widget-text, .tk-app .widget-dropdown, .tk-app .widget-textarea { width: 100%; max-width: 100%; height: auto;
  margin-left: 0; margin-right: 0; box-sizing: border-box; min-width: 0; }
.tk-app .widget-text input, .tk-app .widget-textarea textarea, .tk-app .widget-dropdown select { min-width: 0;
  max-width: 100%; box-sizing: border-box; }
.tk-app .widget-hbox > .widget-text { flex: 0 0 auto; }
.tk-app button.jupyter-button { font-size: 18px; min-height: 48px; height: auto; padding: 8px 14px;
  border-radius: 8px; white-space: normal; text-align: start; margin: 4px 0; }
.tk-app .tk-choice { width: 100%; background: #f3f5f9; border: 2px solid #c9d1e0; }
.tk-app .tk-choice.mod-active { background: #1f5fbf; color: #fff; border-color: #1f5fbf; }
.tk-app .tk-primary { background: #1f5fbf; color: #fff; font-weight: 600; min-width: 8em; }
.tk-app .tk-secondary { background: #fff; border: 2px solid #c9d1e0; min-width: 6em; }
.tk-app .tk-language { margin-bottom: 4px; }
.tk-app .tk-language button { min-height: 36px; font-size: 15px; width: auto; }
.tk-app .tk-question { font-size: 1.15em; font-weight: 600; margin: 0.6em 0; }
.tk-app .tk-activity { color: #4a5468; font-size: 0.9em; }
.tk-app .tk-counter { font-weight: 600; }
.tk-app .tk-hint { color: #4a5468; font-size: 0.9em; }
.tk-app .tk-saved { color: #17763a; font-weight: 600; }
.tk-app .tk-saving { color: #8a5a00; font-weight: 600; }
.tk-app .tk-count { color: #555; font-size: 0.85em; text-align: end; }
.tk-app .tk-count.tk-over { color: #a4161a; font-weight: 600; }
.tk-app .tk-problem { color: #a4161a; font-weight: 600; background: #fdecea; padding: 8px; border-radius: 6px; }
.tk-app .tk-notice { background: #eef3fb; padding: 10px; border-radius: 6px; margin: 0.6em 0; font-size: 0.95em; }
.tk-app .tk-card { background: #fff; border: 1px solid #dde3ee; border-radius: 10px; padding: 12px; margin: 8px 0; }
.tk-app .tk-scenario { background: #fffbea; border-left: 4px solid #e0b100; padding: 8px; margin: 6px 0; }
.tk-app .tk-verdict { padding: 2px 8px; border-radius: 10px; font-size: 0.85em; }
.tk-app .tk-right { background: #dff3e4; color: #17763a; }
.tk-app .tk-wrong { background: #fdecea; color: #a4161a; }
.tk-app .tk-partly { background: #fff4d6; color: #7a5a00; }
.tk-app .tk-progress .progress-bar { background: #1f5fbf; }
.tk-app .tk-clock { font-weight: 700; color: #7a5a00; background: #fff4d6; padding: 4px 10px; border-radius: 6px; display: inline-block; }
.tk-app .tk-tabs { margin-bottom: 8px; }
.tk-app .tk-tabs button { min-height: 40px; font-size: 16px; width: auto; }
.tk-app .tk-link { background: none; border: none; color: #1f5fbf; text-decoration: underline; font-size: 15px; min-height: 36px; }
.tk-app .tk-vote { min-height: 44px; font-weight: 700; }
.tk-app .tk-vote.mod-active { background: #1f5fbf; color: #fff; }
.tk-app .tk-room-text { font-weight: 600; }
.tk-app .widget-accordion { margin: 8px 0; }
.tk-rtl, .tk-rtl .widget-html-content, .tk-rtl .widget-label, .tk-rtl button, .tk-rtl input, .tk-rtl textarea,
.tk-rtl select { direction: rtl; }
LANGUAGE_RULES
.tk-coach { max-width: 1240px; font-size: 18px; }
.tk-coach .tk-joincode { font-size: 64px; font-weight: 800; letter-spacing: 0.12em; font-family: ui-monospace, monospace; }
.tk-coach .tk-address { font-size: 22px; font-family: ui-monospace, monospace; }
.tk-coach .tk-big { font-size: 40px; font-weight: 700; }
.tk-coach .tk-stat { display: inline-block; margin-right: 2em; }
.tk-coach table.tk-table { border-collapse: collapse; width: 100%; }
.tk-coach table.tk-table td, .tk-coach table.tk-table th { padding: 4px 8px; border-bottom: 1px solid #e3e7ef; text-align: left; vertical-align: top; }
.tk-coach .tk-bar { background: #1f5fbf; height: 18px; border-radius: 3px; display: inline-block; vertical-align: middle; }
.tk-coach .tk-bar.tk-key { background: #17763a; }
.tk-coach .tk-state { font-weight: 700; text-transform: uppercase; font-size: 0.8em; padding: 2px 6px; border-radius: 4px; background: #eef1f6; }
.tk-coach .tk-state-open { background: #dff3e4; color: #17763a; }
.tk-coach .tk-state-revealed { background: #e7ecfb; color: #1f5fbf; }
.tk-coach .tk-join { display: flex; gap: 32px; align-items: center; flex-wrap: wrap; }
.tk-coach .tk-chips { margin-top: 6px; }
.tk-coach .tk-chip { display: inline-block; background: #eef1f6; border-radius: 14px; padding: 2px 10px; margin: 3px; font-size: 16px; }
.tk-coach .tk-nav button { font-size: 17px; min-height: 42px; width: auto; }
.tk-coach .tk-dist-row { display: flex; align-items: center; gap: 10px; margin: 3px 0; }
.tk-coach .tk-dist-label { flex: 1 1 0; min-width: 8em; }
.tk-coach .tk-track { flex: 0 0 220px; display: inline-block; background: #eef1f6; border-radius: 3px; height: 18px; vertical-align: middle; }
.tk-coach .tk-track .tk-bar { display: block; height: 100%; }
.tk-coach table.tk-prepost .tk-track { width: 220px; }
.tk-coach .tk-right-row .tk-dist-label { font-weight: 700; color: #17763a; }
.tk-coach .tk-count { display: inline-block; min-width: 2em; text-align: right; }
.tk-coach .tk-cloud { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: center; gap: 0.2em 0.8em; line-height: 1.3; padding: 8px; }
.tk-coach .tk-word { color: #1f5fbf; unicode-bidi: isolate; }
.tk-coach .tk-word.tk-hidden-word { color: #999; text-decoration: line-through; }
.tk-coach .tk-bar.tk-pre { background: #8aa4cf; }
.tk-coach .tk-bar.tk-post { background: #1f5fbf; }
.tk-coach .tk-qtext { max-width: 36em; }
.tk-coach .tk-selected { border-left: 5px solid #1f5fbf; padding-left: 6px; }
.tk-coach .tk-status-submitted td { color: #17763a; }
.tk-coach .tk-status-idle td { color: #a4161a; }
.tk-coach .tk-groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.tk-coach .tk-group-line { font-size: 16px; margin: 2px 0; }
.tk-coach .tk-room-row { font-size: 20px; }
.tk-coach .tk-room-row.tk-done { opacity: 0.55; }
.tk-coach .tk-present-q { font-size: 34px; font-weight: 700; margin: 16px 0; line-height: 1.3; }
.tk-coach .tk-present-dist { font-size: 26px; }
.tk-coach .tk-present-dist .tk-track { height: 30px; flex-basis: 420px; }
.tk-coach .tk-present-dist .tk-dist-label { min-width: 18em; }
</style>""".replace("LANGUAGE_RULES", language_rules())
