"""The facilitator's explorer: what was learned, by whom, and the files to send (report, exports, certificates).

Filters (workshop or series, session, test, group of participants) choose the results; every figure and table
is recomputed by toolkit.analysis (through toolkit.report.analyse) and drawn as inline SVG, so the page works
in JupyterLab and in Voila with no network. The tabs' HTML is in toolkit/templates/explorer/ (autoescape). The
participant path never imports this module.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import pandas as pd

from .. import config
from ..analysis.gain import WILCOXON_METHODS
from ..analysis.report import ALPHA, DISCRIMINATION
from ..report import (
    HAKE_G,
    SEX_WORDS,
    analyse,
    confidence_figure,
    design_summary,
    figure,
    fmt,
    group_figure,
    headcount_sentence,
    interval_text,
    item_figure,
    likert_figure,
    notes,
    objective_figure,
    paired_bars,
    progress_figure,
    retention_html,
    shorten,
    slope_figure,
    table,
)
from ..results import Results, load_results
from ..store import Store, StoreError
from ..templating import Markup, render

ALL = ("all",)
TABS = ("Overview", "Objectives", "Questions", "Groups", "Progress", "Retention", "Survey", "Files")
GROUP_FIELDS = (("Sex", "sex"), ("Organisation", "organisation"), ("Rank", "rank"))
KIND_NAMES = {"pretest": "Pre-test", "posttest": "Post-test", "check": "Check"}


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
        self.children = [w.HTML(render("explorer/header.html")), filters, self.headline, self.tabs]
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
            self.headline.value = render("explorer/headline.html", state="empty")
            for pane in self.panes.values():
                pane.value = ""
            return
        try:
            t = self.tables = analyse(results)
        except (StoreError, ValueError) as e:
            self.headline.value = render("explorer/headline.html", state="problem", problem=str(e))
            return
        demo = results.workshops["workshop"].astype(str).str.startswith("Demo:").any()
        self.headline.value = render("explorer/headline.html", state="shown", demo=bool(demo),
                                     headcount=headcount_sentence(t["headcount_by_sex"]))
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

    def _overview(self, t: dict) -> Markup:
        g = t["gain_summary"].set_index("statistic")
        if not int(g.at["pre_mean", "n"]):
            return render("explorer/overview.html", n=0)
        tests = t["paired_tests"].set_index("test")
        self.figures["slope"] = slope_figure(t["scores"])
        figures = [
            ("pre_mean", fmt(g.at["pre_mean", "value"], "pct"), "pre-test"),
            ("post_mean", fmt(g.at["post_mean", "value"], "pct"), "post-test"),
            ("mean_gain", fmt(g.at["mean_gain", "value"], "pts"), f"points ({interval_text(g, 'mean_gain', 'pts')})"),
            ("class_g", fmt(g.at["class_g", "value"]),
             f"{HAKE_G} ({g.at['class_g', 'band']}; {interval_text(g, 'class_g')})")]
        paired = t["paired_tests"].assign(p_from=[WILCOXON_METHODS.get(m, m) for m in t["paired_tests"]["method"]])
        return render(
            "explorer/overview.html", n=int(tests.at["paired t-test", "n"]), design=design_summary(t), figures=figures,
            tests=table(paired, [("test", "Test", "text"), ("n", "n", "int"), ("statistic", "Statistic", "num"),
                                 ("p_value", "p", "p"), ("p_from", "p from", "text"),
                                 ("effect_size", "Effect size", "num"), ("effect_size_name", "", "text")]),
            notes=notes(t.get("notes")),
            chart=figure(self.figures["slope"], "Each line is one participant; the black line joins the means."))

    def _objectives(self, t: dict, results: Results) -> Markup:
        frame = t["gain_by_objective"]
        if frame is None or frame.empty:
            return render("explorer/objectives.html", table=None)
        self.figures["objectives"] = objective_figure(frame)
        texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
        shown = frame.assign(text=frame["objective"].map(texts).fillna(""))
        return render(
            "explorer/objectives.html",
            chart=figure(self.figures["objectives"], "Mean score on each objective's questions, before and after."),
            table=table(shown, [("objective", "Objective", "text"), ("text", "", "text"), ("n", "n", "int"),
                                ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"), ("gain_mean", "Gain", "pts"),
                                ("class_g", HAKE_G, "num"), ("band", "Band", "text")]))

    def shown_items(self) -> pd.DataFrame:
        """The item statistics of the test the filter names (all tests by default)."""
        items = self.tables.get("item_statistics", pd.DataFrame())
        if self.activity.value == ALL or items.empty:
            return items
        kind, form = self.activity.value
        return items[(items["activity_kind"] == kind) & (items["form"] == form)].reset_index(drop=True)

    def _questions(self, t: dict, results: Results) -> Markup:
        items = self.shown_items()
        if items.empty:
            return render("explorer/questions.html", table=None)
        self.figures["items"] = item_figure(items)
        texts = results.questions.drop_duplicates(["form", "question_id"]).set_index(["form", "question_id"])["text"]
        names = results.activities.drop_duplicates(["activity_kind", "form"]).set_index(["activity_kind", "form"])
        shown = items.sort_values("discrimination").assign(
            text=lambda f: [shorten(texts.get((a, b), ""), 90) for a, b in zip(f["form"], f["question_id"], strict=True)],
            test=lambda f: [names["activity"].get((k, a), k) for k, a in zip(f["activity_kind"], f["form"], strict=True)])
        return render(
            "explorer/questions.html", notes=notes(t.get("notes"), (DISCRIMINATION, ALPHA)),
            chart=figure(self.figures["items"], "Each point is a question: easy to the right, discriminating at the top. "
                                                "Red: poor (below .20), yellow: revise."),
            table=table(shown, [("test", "Test", "text"), ("question_id", "Question", "text"), ("text", "", "text"),
                                ("n", "n", "int"), ("facility", "Facility", "num"), ("discrimination", "D", "num"),
                                ("item_rest_r", "Item–rest r", "num"), ("discrimination_band", "Verdict", "text")]))

    def _groups(self, t: dict) -> Markup:
        by = self.group_by.value
        frame = t[f"by_{by}"]
        self.figures["groups"] = group_figure(frame, by)
        shown = frame.assign(**{by: [SEX_WORDS.get(str(v), v) for v in frame[by]]}) if by == "sex" else frame
        return render(
            "explorer/groups.html", chart=figure(self.figures["groups"], "Groups of fewer than 5 people are not shown "
                                                                          "(“<5”)."),
            results=table(shown, [(by, by.capitalize(), "text"), ("n", "n", "int"), ("pct", "%", "pct"),
                                  ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                  ("gain_mean", "Gain", "pts"), ("class_g", HAKE_G, "num"), ("band", "Band", "text")]),
            headcount=table(t[f"headcount_by_{by}"], [(by, f"Who came, by {by}", "text"), ("n", "n", "int"),
                                                      ("pct", "%", "pct")]))

    def _progress(self, t: dict, results: Results) -> Markup:
        names = results.workshops.set_index("workshop_id")
        workshops = None
        if t["workshops"] is not None and len(t["workshops"]):
            frame = t["workshops"].assign(workshop=lambda f: f["workshop_id"].map(names["place"].fillna(names["workshop"])))
            numeric = frame[pd.to_numeric(frame["pre_mean"], errors="coerce").notna()]
            self.figures["workshops"] = paired_bars(numeric["workshop"].astype(str).tolist(),
                                                    numeric["pre_mean"].tolist(), numeric["post_mean"].tolist(),
                                                    "Workshops compared")
            workshops = figure(self.figures["workshops"], "Mean scores before and after, per workshop.")
        sessions = results.sessions.set_index("session_id")["session"]
        cohorts = []
        for workshop_id, frame in t["progress"].items():
            labels = frame["session_id"].map(sessions).astype(str).tolist()
            self.figures[f"progress:{workshop_id}"] = fig = progress_figure(frame, labels)
            cohorts.append({
                "name": str(names.at[workshop_id, "workshop"]),
                "chart": figure(fig, "Pre- and post-test means in each session."),
                "table": table(frame.assign(session=labels), [
                    ("position", "#", "int"), ("session", "Session", "text"), ("n", "n", "int"),
                    ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"), ("class_g", HAKE_G, "num")])})
        return render("explorer/progress.html", workshops=workshops, cohorts=cohorts)

    def _retention(self, t: dict, results: Results) -> Markup:
        body, fig = retention_html(t, results)
        if fig is not None:
            self.figures["retention"] = fig
        return render("explorer/retention.html", body=body)

    def _survey(self, t: dict, results: Results) -> Markup:
        texts = results.questions.drop_duplicates("question_id").set_index("question_id")["text"].to_dict()
        likert = confidence = recommend = None
        if len(t["likert"]):
            self.figures["likert"] = likert_figure(t["likert"], texts)
            likert = figure(self.figures["likert"], "Reaction survey: share of answers on each point.")
        if t["recommend"] is not None and t["recommend"]["n"].iloc[0]:
            r = t["recommend"].iloc[0]
            recommend = {"mean": fmt(r["mean"]), "nps": fmt(r["nps"], "int"), "n": int(r["n"])}
        if len(t["confidence"]):
            self.figures["confidence"] = confidence_figure(t["confidence"])
            confidence = figure(self.figures["confidence"], "Confidence before and after, paired.")
        return render("explorer/survey.html", likert=likert, recommend=recommend, confidence=confidence)

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
        return w.VBox([w.HTML(render("explorer/files.html", state="intro")),
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
            self.files_message.value = render("explorer/files.html", state="problem", problem=str(e))
            return []
        where = folder / "certificates" if what == "certificates" else folder
        self.files_message.value = render("explorer/files.html", state="written", written=len(written),
                                          folder=str(where))
        return written
