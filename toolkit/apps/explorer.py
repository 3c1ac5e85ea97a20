"""The facilitator's explorer: what was learned, by whom, and the files to send (report, exports, certificates).

Filters (workshop or series, session, test, group of participants) choose the results; every figure and table
is recomputed by toolkit.analysis (through toolkit.report.analyse) and drawn as inline SVG, so the page works
in JupyterLab and in Voila with no network. The participant path never imports this module.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w
import pandas as pd

from .. import config
from ..analysis.gain import WILCOXON_METHODS
from ..analysis.report import ALPHA, DISCRIMINATION
from ..report import (
    SEX_WORDS,
    analyse,
    confidence_figure,
    design_summary,
    figure_html,
    fmt,
    group_figure,
    headcount_sentence,
    interval_text,
    item_figure,
    likert_figure,
    notes_html,
    objective_figure,
    paired_bars,
    progress_figure,
    retention_html,
    shorten,
    slope_figure,
    table_html,
)
from ..results import Results, load_results
from ..store import Store, StoreError

ALL = ("all",)
TABS = ("Overview", "Objectives", "Questions", "Groups", "Progress", "Retention", "Survey", "Files")
GROUP_FIELDS = (("Sex", "sex"), ("Organisation", "organisation"), ("Rank", "rank"))
KIND_NAMES = {"pretest": "Pre-test", "posttest": "Post-test", "check": "Check"}
STYLE = """<style>
.tk-explorer { max-width: 1180px; margin: 0 auto; padding: 8px; color: #1d2330;
  font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
.tk-explorer h1 { font-size: 1.5em; margin: 0.2em 0; } .tk-explorer h3 { margin: 0.6em 0 0.2em; }
.tk-explorer table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
.tk-explorer th, .tk-explorer td { border-bottom: 1px solid #dde3ee; padding: 3px 9px; text-align: left; }
.tk-explorer th { background: #eef3fb; }
.tk-explorer figure { margin: 6px 0; } .tk-explorer figure svg { max-width: 100%; height: auto; }
.tk-explorer figcaption, .tk-explorer .muted { color: #4a5468; font-size: 13px; }
.tk-explorer .big { font-size: 1.5em; font-weight: 700; display: block; }
.tk-explorer .figures { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 6px 0; }
.tk-explorer .demo { background: #fdecea; color: #a4161a; font-weight: 600; padding: 6px 10px; border-radius: 6px; }
.tk-explorer .problem { color: #a4161a; font-weight: 600; }
.tk-explorer .notes { background: #fff4d6; padding: 2px 12px; border-radius: 6px; margin: 6px 0; }
.tk-explorer .widget-dropdown > select, .tk-explorer .widget-text input { font-size: 14px; }
</style>"""


class ExplorerApp(w.VBox):
    """Filters on top, one tab per question the facilitator is asked, the files to send in the last tab."""

    def __init__(self, store: Store | None = None, results: Results | None = None, out_dir: str | Path | None = None):
        super().__init__()
        self.add_class("tk-explorer")
        self.store = store or Store(config.db_url())
        self.all = results if results is not None else load_results(self.store)
        self.figures: dict = {}
        self.tables: dict = {}
        self.current: Results | None = None
        self._quiet = False
        data = self.store.sqlite_path.parent if self.store.sqlite_path else config.default_data_dir()
        self.out_dir = w.Text(value=str(out_dir or Path(data) / "reports"), description="Folder",
                              layout=w.Layout(width="520px"))
        options = self._workshop_options()
        # the newest workshop first: most often the one just held
        self.workshop = w.Dropdown(description="Workshop", options=options, value=options[-1][1],
                                   layout=w.Layout(width="600px"), style={"description_width": "80px"})
        self.session = w.Dropdown(description="Session", layout=w.Layout(width="440px"),
                                  style={"description_width": "70px"})
        self.activity = w.Dropdown(description="Test", layout=w.Layout(width="360px"),
                                   style={"description_width": "50px"})
        self.group_by = w.Dropdown(description="Group", options=GROUP_FIELDS, value="sex",
                                   layout=w.Layout(width="220px"), style={"description_width": "50px"})
        self.group_value = w.Dropdown(description="Only", layout=w.Layout(width="260px"),
                                      style={"description_width": "40px"})
        self.headline = w.HTML()
        self.panes = {name: w.HTML() for name in TABS[:-1]}
        self.files = self._files_pane()
        self.tabs = w.Tab(children=[*self.panes.values(), self.files], selected_index=0)
        for i, name in enumerate(TABS):
            self.tabs.set_title(i, name)
        self._stale: set[str] = set()
        self.tabs.observe(lambda _c: self._render_shown(), "selected_index")
        self.workshop.observe(self._on_workshop, "value")
        self.group_by.observe(self._on_group_by, "value")
        for box in (self.session, self.activity, self.group_value):
            box.observe(lambda _c: self.refresh(), "value")
        filters = w.HBox([self.workshop, self.session, self.activity, self.group_by, self.group_value],
                         layout=w.Layout(flex_flow="row wrap"))
        self.children = [w.HTML(STYLE + "<h1>Workshop results</h1>"), filters, self.headline, self.tabs]
        self._on_workshop(None)

    # ------------------------------------------------------------ filters

    def _workshop_options(self) -> list[tuple[str, tuple]]:
        ws = self.all.workshops
        options = [("All workshops", ALL)]
        for name, rows in ws.groupby("cohort", sort=False):
            if len(rows) > 1:
                options.append((f"Series: {name} ({len(rows)} workshops)", ("series", name)))
        options += [(str(r.workshop), ("workshop", r.workshop_id)) for r in ws.itertuples()]
        return options

    def _workshop_ids(self) -> list[str] | None:
        kind, *value = self.workshop.value
        ws = self.all.workshops
        if kind == "series":
            return ws.loc[ws["cohort"] == value[0], "workshop_id"].tolist()
        return value if kind == "workshop" else None

    def _on_workshop(self, _change) -> None:
        self._quiet = True
        try:
            ids = self._workshop_ids()
            sessions = self.all.sessions if ids is None else self.all.sessions[self.all.sessions["workshop_id"].isin(ids)]
            places = self.all.workshops.set_index("workshop_id")["place"].fillna("")
            several = sessions["workshop_id"].nunique() > 1
            self.session.options = [("All sessions", ALL)] + [
                (f"{places.get(s.workshop_id, '')}: {s.session}" if several else str(s.session), s.session_id)
                for s in sessions.itertuples()]
            self.session.index = 0
            self._fill_activity_and_groups()
        finally:
            self._quiet = False
        self.refresh()

    def _on_group_by(self, _change) -> None:
        self._quiet = True
        try:
            self._fill_groups()
        finally:
            self._quiet = False
        self.refresh()

    def _scope(self) -> Results:
        return self.all.select(workshops=self._workshop_ids(),
                               sessions=None if self.session.value == ALL else [self.session.value])

    def _fill_activity_and_groups(self) -> None:
        tests = self._scope().activities
        tests = tests[tests["activity_kind"].isin(KIND_NAMES)].drop_duplicates(["activity_kind", "form"])
        self.activity.options = [("All tests", ALL)] + [
            (str(r.activity) or f"{KIND_NAMES[r.activity_kind]}: {r.form}", (r.activity_kind, r.form))
            for r in tests.itertuples()]
        self.activity.index = 0
        self._fill_groups()

    def _fill_groups(self) -> None:
        by = self.group_by.value
        values = self._scope().participants[by].fillna("(not given)").astype(str)
        self.group_value.options = [("Everyone", ALL)] + [
            (SEX_WORDS.get(v, v) if by == "sex" else v, v) for v in sorted(values.unique())]
        self.group_value.index = 0

    def selected(self) -> Results:
        """The results the filters choose (the test filter narrows the Questions tab only)."""
        scope = self._scope()
        if self.group_value.value == ALL:
            return scope
        people = scope.participants
        values = people[self.group_by.value].fillna("(not given)").astype(str)
        return scope.select(participants=people.loc[values == self.group_value.value, "participant_id"])

    # ------------------------------------------------------------ figures and tables

    def refresh(self) -> None:
        if self._quiet:
            return
        results = self.current = self.selected()
        self.figures, self.tables, self._stale = {}, {}, set()
        if results.answers.empty and results.survey.empty and results.confidence.empty:
            self.headline.value = ("<p class='muted'>No results here yet. Try another filter, or seed the demo "
                                   "data: <code>toolkit demo --series</code>.</p>")
            for pane in self.panes.values():
                pane.value = ""
            return
        try:
            t = self.tables = analyse(results)
        except (StoreError, ValueError) as e:
            self.headline.value = f"<p class='problem'>These results cannot be analysed: {html.escape(str(e))}</p>"
            return
        demo = results.workshops["workshop"].astype(str).str.startswith("Demo:").any()
        self.headline.value = ("<p class='demo'>Demo data: invented, not the results of a real workshop.</p>"
                               if demo else "") + f"<p><b>{headcount_sentence(t['headcount_by_sex'])}</b></p>"
        self._stale = set(self.panes)
        self._render_shown()

    def show(self, tab: str) -> w.HTML | w.VBox:
        """Bring a tab to the front (drawing its figures if the filters changed since); returns its pane."""
        self.tabs.selected_index = TABS.index(tab)
        self._render_shown()
        return self.panes.get(tab, self.files)

    def _render_shown(self) -> None:
        """Draw the tab in front only: drawing every chart on each change of a filter would keep people waiting."""
        index = self.tabs.selected_index
        name = TABS[index] if index is not None else TABS[0]
        if name not in self._stale or not self.tables:
            return
        self._stale.discard(name)
        t, results = self.tables, self.current
        draw = {"Overview": lambda: self._overview(t), "Objectives": lambda: self._objectives(t, results),
                "Questions": lambda: self._questions(t, results), "Groups": lambda: self._groups(t),
                "Progress": lambda: self._progress(t, results), "Retention": lambda: self._retention(t, results),
                "Survey": lambda: self._survey(t, results)}
        self.panes[name].value = draw[name]()

    def _overview(self, t: dict) -> str:
        g = t["gain_summary"].set_index("statistic")
        if not int(g.at["pre_mean", "n"]):
            return "<p class='muted'>Nobody here took both the pre-test and the post-test.</p>"
        tests = t["paired_tests"].set_index("test")
        self.figures["slope"] = slope_figure(t["scores"])
        cells = "".join(f"<div><span class='big' data-stat='{k}'>{v}</span>{label}</div>" for k, v, label in (
            ("pre_mean", fmt(g.at["pre_mean", "value"], "pct"), "pre-test"),
            ("post_mean", fmt(g.at["post_mean", "value"], "pct"), "post-test"),
            ("mean_gain", fmt(g.at["mean_gain", "value"], "pts"), f"points ({interval_text(g, 'mean_gain', 'pts')})"),
            ("class_g", fmt(g.at["class_g", "value"]),
             f"&lt;g&gt; ({g.at['class_g', 'band']}; {interval_text(g, 'class_g')})")))
        design = design_summary(t)
        paired = t["paired_tests"].assign(p_from=[WILCOXON_METHODS.get(m, m) for m in t["paired_tests"]["method"]])
        return ((f"<p class='muted' data-stat='design'>{html.escape(design)}</p>" if design else "")
                + f"<div class='figures'>{cells}</div>"
                + table_html(paired, [("test", "Test", "text"), ("n", "n", "int"), ("statistic", "Statistic", "num"),
                                      ("p_value", "p", "p"), ("p_from", "p from", "text"),
                                      ("effect_size", "Effect size", "num"), ("effect_size_name", "", "text")])
                + f"<p class='muted'>Paired over {int(tests.at['paired t-test', 'n'])} participants who took both tests. "
                  "One group tested twice, no comparison group: part of the change may come from taking the test "
                  "twice.</p>"
                + notes_html(t.get("notes"))
                + figure_html(self.figures["slope"], "Each line is one participant; the black line joins the means."))

    def _objectives(self, t: dict, results: Results) -> str:
        table = t["gain_by_objective"]
        if table is None or table.empty:
            return "<p class='muted'>No pre/post results by objective here.</p>"
        self.figures["objectives"] = objective_figure(table)
        texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
        shown = table.assign(text=table["objective"].map(texts).fillna(""))
        return (figure_html(self.figures["objectives"], "Mean score on each objective's questions, before and after.")
                + table_html(shown, [("objective", "Objective", "text"), ("text", "", "text"), ("n", "n", "int"),
                                     ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                     ("gain_mean", "Gain", "pts"), ("class_g", "<g>", "num"), ("band", "Band", "text")]))

    def shown_items(self) -> pd.DataFrame:
        """The item statistics of the test the filter names (all tests by default)."""
        items = self.tables.get("item_statistics", pd.DataFrame())
        if self.activity.value == ALL or items.empty:
            return items
        kind, form = self.activity.value
        return items[(items["activity_kind"] == kind) & (items["form"] == form)].reset_index(drop=True)

    def _questions(self, t: dict, results: Results) -> str:
        items = self.shown_items()
        if items.empty:
            return "<p class='muted'>No test questions here.</p>"
        self.figures["items"] = item_figure(items)
        texts = results.questions.drop_duplicates(["form", "question_id"]).set_index(["form", "question_id"])["text"]
        names = results.activities.drop_duplicates(["activity_kind", "form"]).set_index(["activity_kind", "form"])
        shown = items.sort_values("discrimination").assign(
            text=lambda f: [shorten(texts.get((a, b), ""), 90) for a, b in zip(f["form"], f["question_id"], strict=True)],
            test=lambda f: [names["activity"].get((k, a), k) for k, a in zip(f["activity_kind"], f["form"], strict=True)])
        return (notes_html(t.get("notes"), (DISCRIMINATION, ALPHA))
                + figure_html(self.figures["items"], "Each point is a question: easy to the right, discriminating "
                                                     "at the top. Red: poor (below .20), yellow: revise.")
                + table_html(shown, [("test", "Test", "text"), ("question_id", "Question", "text"),
                                     ("text", "", "text"), ("n", "n", "int"), ("facility", "Facility", "num"),
                                     ("discrimination", "D", "num"), ("item_rest_r", "Item–rest r", "num"),
                                     ("discrimination_band", "Verdict", "text")]))

    def _groups(self, t: dict) -> str:
        by = self.group_by.value
        table = t[f"by_{by}"]
        self.figures["groups"] = group_figure(table, by)
        shown = table.assign(**{by: [SEX_WORDS.get(str(v), v) for v in table[by]]}) if by == "sex" else table
        return (figure_html(self.figures["groups"], "Groups of fewer than 5 people are not shown (“<5”).")
                + table_html(shown, [(by, by.capitalize(), "text"), ("n", "n", "int"), ("pct", "%", "pct"),
                                     ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                     ("gain_mean", "Gain", "pts"), ("class_g", "<g>", "num"), ("band", "Band", "text")])
                + table_html(t[f"headcount_by_{by}"], [(by, f"Who came, by {by}", "text"), ("n", "n", "int"),
                                                       ("pct", "%", "pct")]))

    def _progress(self, t: dict, results: Results) -> str:
        parts = []
        names = results.workshops.set_index("workshop_id")
        if t["workshops"] is not None and len(t["workshops"]):
            table = t["workshops"].assign(workshop=lambda f: f["workshop_id"].map(names["place"].fillna(names["workshop"])))
            numeric = table[pd.to_numeric(table["pre_mean"], errors="coerce").notna()]
            self.figures["workshops"] = paired_bars(numeric["workshop"].astype(str).tolist(),
                                                    numeric["pre_mean"].tolist(), numeric["post_mean"].tolist(),
                                                    "Workshops compared")
            parts.append(figure_html(self.figures["workshops"], "Mean scores before and after, per workshop."))
        sessions = results.sessions.set_index("session_id")["session"]
        for workshop_id, table in t["progress"].items():
            labels = table["session_id"].map(sessions).astype(str).tolist()
            self.figures[f"progress:{workshop_id}"] = fig = progress_figure(table, labels)
            parts += [f"<h3>{html.escape(str(names.at[workshop_id, 'workshop']))}</h3>",
                      figure_html(fig, "Pre- and post-test means in each session."),
                      table_html(table.assign(session=labels), [
                          ("position", "#", "int"), ("session", "Session", "text"), ("n", "n", "int"),
                          ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"), ("class_g", "<g>", "num")])]
        return "".join(parts) or ("<p class='muted'>Choose a series (several workshops) or a cohort (several sessions) "
                                  "to compare them.</p>")

    def _retention(self, t: dict, results: Results) -> str:
        body, fig = retention_html(t, results)
        if fig is not None:
            self.figures["retention"] = fig
        return body or ("<p class='muted'>No retention check here: a later session of a cohort can repeat some "
                        "questions of an earlier post-test to see what was kept.</p>")

    def _survey(self, t: dict, results: Results) -> str:
        parts = []
        texts = results.questions.drop_duplicates("question_id").set_index("question_id")["text"].to_dict()
        if len(t["likert"]):
            self.figures["likert"] = likert_figure(t["likert"], texts)
            parts.append(figure_html(self.figures["likert"], "Reaction survey: share of answers on each point."))
        if t["recommend"] is not None and t["recommend"]["n"].iloc[0]:
            r = t["recommend"].iloc[0]
            parts.append(f"<p>Would recommend: mean {fmt(r['mean'])} of 10, net score {fmt(r['nps'], 'int')} "
                         f"(n = {int(r['n'])}).</p>")
        if len(t["confidence"]):
            self.figures["confidence"] = confidence_figure(t["confidence"])
            parts.append(figure_html(self.figures["confidence"], "Confidence before and after, paired."))
        return "".join(parts) or "<p class='muted'>No survey or confidence answers here.</p>"

    # ------------------------------------------------------------ files to send

    def _files_pane(self) -> w.VBox:
        self.report_button = w.Button(description="Write the report (HTML)", icon="file", layout=w.Layout(width="260px"))
        self.csv_button = w.Button(description="Export answers (CSV)", icon="table", layout=w.Layout(width="260px"))
        self.xlsx_button = w.Button(description="Export workbook (Excel)", icon="table", layout=w.Layout(width="260px"))
        self.rule = w.Dropdown(description="Rule", options=[("Submitted the post-test", "submitted-post"),
                                                            *((f"Attended {n} or more sessions", f"attended-{n}")
                                                              for n in (1, 2, 3))], layout=w.Layout(width="360px"))
        self.certificates_button = w.Button(description="Make certificates (PDF)", icon="certificate",
                                            layout=w.Layout(width="260px"))
        self.files_message = w.HTML()
        self.report_button.on_click(lambda _b: self.write("report"))
        self.csv_button.on_click(lambda _b: self.write("csv"))
        self.xlsx_button.on_click(lambda _b: self.write("xlsx"))
        self.certificates_button.on_click(lambda _b: self.write("certificates"))
        return w.VBox([w.HTML("<p class='muted'>Files of the results chosen above, written on this computer. Certificates go "
                              "to everyone in the chosen workshops or session who met the rule.</p>"),
                       self.out_dir, w.HBox([self.report_button, self.csv_button, self.xlsx_button]),
                       w.HBox([self.certificates_button, self.rule]), self.files_message])

    def write(self, what: str) -> list[Path]:
        """Write the report, an export or the certificates of the chosen results into the folder."""
        from ..certificates import make_certificates
        from ..export import export
        from ..report import render_report

        results = self.current if self.current is not None else self.selected()
        folder = Path(self.out_dir.value).expanduser()
        stem = "results" if self.workshop.value == ALL else "-".join(
            str(self.workshop.label).split(":", 1)[-1].split()[:4]).strip("-").replace("/", "-")
        try:
            if what == "report":
                path = folder / f"{stem}-report.html"
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(render_report(results, tables=self.tables or None), encoding="utf-8")
                written = [path]
            elif what in ("csv", "xlsx"):
                written = [export(results, what, folder / f"{stem}-answers.{what}" if what == "csv"
                                  else folder / f"{stem}.xlsx")]
            elif self.session.value != ALL:
                written = [c.path for c in make_certificates(self.store, self.session.value, folder / "certificates",
                                                             self.rule.value)]
            else:
                written = [c.path for wid in results.workshops["workshop_id"]
                           for c in make_certificates(self.store, None, folder / "certificates", self.rule.value,
                                                      workshop_id=wid)]
        except (OSError, StoreError, ValueError) as e:
            self.files_message.value = f"<p class='problem'>Could not write the files: {html.escape(str(e))}</p>"
            return []
        where = folder / "certificates" if what == "certificates" else folder
        self.files_message.value = f"<p>Wrote {len(written)} file(s) in <code>{html.escape(str(where))}</code>.</p>"
        return written
