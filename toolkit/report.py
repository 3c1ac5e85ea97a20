"""What was learned, by whom: the facilitator's tables, charts and the self-contained HTML report.

`analyse` runs toolkit.analysis on a Results (toolkit.results); the charts are matplotlib figures drawn without
pyplot and embedded as inline SVG, so the report opens offline and asks nothing of the network. The HTML is in
toolkit/templates/report/ (autoescape); this module gives the templates text and figures, never HTML.
"""

from __future__ import annotations

import io
import re
import textwrap
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from . import __version__, questions
from .analysis import (
    MIN_INTERVAL_N,
    NO_INTERVAL,
    ONE_GROUP_CAVEAT,
    POST,
    PRE,
    class_figures,
    compare_workshops,
    confidence_change,
    disaggregate,
    distractor_analysis,
    gain_by_objective,
    headcount_by,
    item_mcnemar,
    item_statistics,
    likert_summary,
    match_rate,
    open_answers,
    paired_tests,
    progress_over_sessions,
    recommend_summary,
    reliability,
    small_sample_notes,
)
from .analysis._common import COMPLEMENTARY_TEXT, SMALL_CELL
from .analysis.crossover import STATISTIC_WORDS, crossover_analysis, crossover_notes, crossover_scores
from .analysis.gain import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, WILCOXON_METHODS
from .analysis.report import ALPHA, CONFIDENCE, DISCRIMINATION, INTERVALS, T_TEST, WILCOXON, note_scope
from .analysis.retention import RETENTION, retention_note, retention_scores, retention_summary
from .analysis.survey import top_words
from .design import DESIGN_WORDS, design_line
from .results import Results, tested_answers
from .templating import Markup, render

PRE_COLOUR, POST_COLOUR, DOWN_COLOUR, INK = "#8a94a6", "#1f5fbf", "#d1495b", "#1d2330"
GROUPS = ("sex", "organisation", "rank")
REVISE_BANDS = ("negative: check the key", "poor", "revise")
SEX_WORDS = {"female": "female", "male": "male", "undisclosed": "preferred not to say", "(not given)": "did not answer"}
DEMO_PREFIX = "Demo:"
HAKE_G = "<g>"  # the class-average normalized gain, as the report names it (text: the templates escape it)


# ---------------------------------------------------------------- the tables


def analyse(results: Results, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict:
    """Every table of the report, by name, each from toolkit.analysis on these results."""
    answers = tested_answers(results)
    people = results.participants
    q = results.questions
    figures = class_figures(answers, n_resamples=n_resamples, seed=seed)
    pairs, scores = figures.pairs, figures.scores
    scored = q[q["scored"].astype(bool)]
    one_right = set(questions.having("distractors"))
    keys = {(r.question_id): r.key for r in scored.itertuples() if r.question_type in one_right}
    options = {r.question_id: r.options for r in scored.itertuples() if r.question_type in one_right}
    single = answers[answers["question_type"].isin(one_right)]
    tables: dict[str, Any] = {
        "answers": answers, "scores": scores, "match_rate": match_rate(pairs, answers),
        "gain_summary": figures.summary, "paired_tests": paired_tests(scores),
        "gain_by_objective": gain_by_objective(answers, pairs) if len(answers) else pd.DataFrame(),
        "item_mcnemar": item_mcnemar(answers, pairs) if len(answers) else pd.DataFrame(),
        "item_statistics": item_statistics(answers, by=("activity_kind", "form")),
        "reliability": reliability(answers, by=("activity_kind", "form")),
        "distractors": distractor_analysis(single, key=keys, options=options, by=("activity_kind", "form"))
        if len(single) else pd.DataFrame(),
    }
    for by in GROUPS:
        tables[f"headcount_by_{by}"] = headcount_by(people, by, threshold=1)  # how many came: shown in full
        tables[f"by_{by}"] = disaggregate(scores, people, by)  # how they did: small cells suppressed
    tables["workshops"] = compare_workshops(scores, threshold=SMALL_CELL) if results.workshops.shape[0] > 1 else None
    tables["progress"] = _progress(results, answers)
    rating = q["question_type"].isin(questions.having("rating"))
    five = q[rating & (q["n_options"] == 5)]["question_id"].drop_duplicates().tolist()
    eleven = q[rating & (q["n_options"] == 11)]["question_id"].drop_duplicates().tolist()
    survey = results.survey
    tables["likert"] = likert_summary(survey, questions=[x for x in five if x in set(survey["question_id"])])
    tables["recommend"] = recommend_summary(survey, eleven[0]) if eleven else None
    free_text = q["question_type"].isin(questions.having("free_text"))
    tables["open_answers"] = open_answers(survey, q[free_text]["question_id"].drop_duplicates().tolist())
    clouds = q[q["question_type"].isin(questions.having("cloud"))]["question_id"].drop_duplicates().tolist()
    tables["top_words"] = top_words(survey, clouds, normalise=questions.normalise)
    tables["confidence"] = confidence_change(results.confidence)
    tables["crossover"] = crossover_analysis(crossover_scores(answers, pairs))
    kept = tested_answers(results, (PRE, POST, RETENTION))
    if (kept["activity_kind"] == RETENTION).any():
        tables["retention"] = retention = retention_scores(kept)
        tables["retention_all"] = retention_summary(retention)
        tables["retention_by_session"] = retention_summary(retention, by="session_id")
        tables["retention_by_objective"] = retention_summary(retention_scores(kept, by=("objective",)),
                                                             by="objective")
    tables["designs"] = results.sessions["design"].dropna().value_counts().to_dict()
    tables["notes"] = small_sample_notes(tables["gain_summary"], tables["paired_tests"], tables["reliability"],
                                         tables["item_statistics"], tables["confidence"])
    return tables


def _progress(results: Results, answers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Progress over sessions for each workshop (a cohort) that tested in more than one session."""
    out = {}
    for workshop_id, rows in answers.groupby("workshop_id", sort=False):
        if rows["session_id"].nunique() > 1:
            order = results.sessions[results.sessions["workshop_id"] == workshop_id].sort_values("position")
            out[workshop_id] = progress_over_sessions(rows, session_order=order["session_id"].tolist(),
                                                      threshold=SMALL_CELL)  # small sessions hidden, as groups are
    return out


# ---------------------------------------------------------------- the charts


def svg(fig: Figure) -> str:
    """The figure as inline SVG, with nothing that names an address (no XML prologue, metadata or namespaces)."""
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "toolkit"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    return text.strip()


def _label(text: Any) -> str:
    """A stored text as a chart label: shown as written ("$" would start matplotlib's maths, and fail)."""
    return str(text).replace("$", r"\$")


def _wrap(text: str, width: int, lines: int = 2) -> str:
    """A label on at most two lines, shortened with "…" when longer still."""
    parts = textwrap.wrap(str(text), width)
    return _label("\n".join(parts[:lines - 1] + [textwrap.shorten(" ".join(parts[lines - 1:]), width,
                                                                    placeholder=" …")])
                  if len(parts) > lines else "\n".join(parts))


def _figure(width: float = 8.0, height: float = 4.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
    return fig, ax


def slope_figure(scores: pd.DataFrame) -> Figure:
    """Pre vs post per person (one line each: blue up, red down) and the class means in black."""
    fig, ax = _figure(6.5, 4.5)
    for row in scores.itertuples():
        colour = POST_COLOUR if row.post > row.pre else DOWN_COLOUR if row.post < row.pre else PRE_COLOUR
        ax.plot([0, 1], [row.pre, row.post], color=colour, alpha=0.45, lw=1, marker="o", ms=3, label="_person")
    if len(scores):
        pre, post = scores["pre"].mean(), scores["post"].mean()
        ax.plot([0, 1], [pre, post], color=INK, lw=3, marker="o", ms=7, label="Mean")
        ax.annotate(f"{pre:.0f}%", (0, pre), xytext=(-12, 0), textcoords="offset points", ha="right", va="center",
                    fontsize=10, fontweight="bold")
        ax.annotate(f"{post:.0f}%", (1, post), xytext=(12, 0), textcoords="offset points", va="center",
                    fontsize=10, fontweight="bold")
    ax.set_xticks([0, 1], ["Pre-test", "Post-test"])
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Score (% of maximum)")
    ax.set_title(f"Each participant before and after (n = {len(scores)})", fontsize=11)
    return fig


def retention_figure(scores: pd.DataFrame) -> Figure:
    """Pre, post and the retention check per person (one line each, on the check's questions) and the means."""
    fig, ax = _figure(6.5, 4.5)
    x = np.array([0, 1, 2])
    for row in scores.itertuples():
        colour = POST_COLOUR if row.retention >= row.post else DOWN_COLOUR
        ax.plot(x, [row.pre, row.post, row.retention], color=colour, alpha=0.4, lw=1, marker="o", ms=3,
                label="_person")
    if len(scores):
        means = [scores[c].mean() for c in ("pre", "post", "retention")]
        ax.plot(x, means, color=INK, lw=3, marker="o", ms=7, label="Mean")
        for xi, m in zip(x, means, strict=True):
            if np.isfinite(m):
                ax.annotate(f"{m:.0f}%", (xi, m), xytext=(0, 9), textcoords="offset points", ha="center",
                            fontsize=10, fontweight="bold")
    ax.set_xticks(x, ["Pre-test", "Post-test", "Retention check"])
    ax.set_xlim(-0.35, 2.35)
    ax.set_ylim(0, 105)
    ax.set_ylabel("Score on the check's questions (%)")
    ax.set_title(f"Knowledge kept (n = {len(scores)}: each person at each check)", fontsize=11)
    return fig


def paired_bars(labels: list[str], pre: list, post: list, title: str, notes: list[str] | None = None,
                height: float | None = None) -> Figure:
    """Horizontal pre/post bars per row; a row whose figures are suppressed shows its note ("<5") instead."""
    fig, ax = _figure(8, height or max(2.2, 0.55 * len(labels) + 1))
    y = np.arange(len(labels))[::-1]
    for i, (p, q) in enumerate(zip(pre, post, strict=True)):
        if isinstance(p, (int, float)) and isinstance(q, (int, float)):
            ax.barh(y[i] + 0.18, p, height=0.34, color=PRE_COLOUR, label="Pre-test" if i == 0 else "_pre")
            ax.barh(y[i] - 0.18, q, height=0.34, color=POST_COLOUR, label="Post-test" if i == 0 else "_post")
            ax.text(q + 1, y[i] - 0.18, f"{q:.0f}%", va="center", fontsize=8)
            ax.text(p + 1, y[i] + 0.18, f"{p:.0f}%", va="center", fontsize=8, color="#4a5468")
        else:
            ax.text(1, y[i], (notes or [None] * len(labels))[i] or str(p), va="center", fontsize=9, color="#4a5468")
    ax.set_yticks(y, [_label(x) for x in labels])
    ax.set_xlim(0, 108)
    ax.set_xlabel("Score (% of maximum)")
    ax.set_title(title, fontsize=11)
    handles, names = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, names, fontsize=8, loc="lower right", frameon=False)
    return fig


def objective_figure(table: pd.DataFrame) -> Figure:
    labels = [f"{r.objective} ({HAKE_G} {r.class_g:.2f})" for r in table.itertuples()]
    return paired_bars(labels, table["pre_mean"].tolist(), table["post_mean"].tolist(), "Gain by learning objective")


def group_figure(table: pd.DataFrame, by: str) -> Figure:
    """Pre/post by sex (organisation, rank); suppressed groups are named with "<5" and no bars."""
    labels = [f"{SEX_WORDS.get(str(v), v) if by == 'sex' else v}" for v in table[by]]
    pre, post = table["pre_mean"].tolist(), table["post_mean"].tolist()
    notes = [str(p) if not isinstance(p, (int, float)) else None for p in pre]
    return paired_bars(labels, pre, post, f"Results by {by}", notes=notes)


def item_figure(items: pd.DataFrame) -> Figure:
    """Difficulty (facility) against discrimination (upper-lower), with the bands of the methods marked."""
    fig, ax = _figure(7.5, 4.8)
    ax.axhspan(-1, 0.2, color="#fdecea", zorder=0)
    ax.axhspan(0.2, 0.3, color="#fff4d6", zorder=0)
    ax.axvspan(0.3, 0.7, color="#eef3fb", zorder=0)
    kinds = {PRE: ("o", PRE_COLOUR, "Pre-test"), POST: ("s", POST_COLOUR, "Post-test")}
    for kind, rows in items.groupby("activity_kind", sort=True):
        marker, colour, name = kinds.get(kind, ("^", INK, kind))
        ax.scatter(rows["facility"], rows["discrimination"], marker=marker, color=colour, s=28, label=name,
                   edgecolor="white", linewidth=0.5, zorder=3)
        # only the worst few are named (more would pile up; the table lists them all)
        poor = rows[rows["discrimination"] < 0.2].nsmallest(6 if len(items) < 40 else 3, "discrimination")
        poor = poor.sort_values("facility")
        for i, r in enumerate(poor.itertuples()):  # three heights in turn: neighbours' labels do not collide
            ax.annotate(str(r.question_id)[:22], (r.facility, r.discrimination), xytext=(4, (6, -11, 16)[i % 3]),
                        fontsize=7, textcoords="offset points", color="#a4161a",
                        arrowprops={"arrowstyle": "-", "color": "#a4161a", "lw": 0.4} if i % 3 == 2 else None)
    ax.set_xlim(0, 1.02)
    low = min(-0.1, float(items["discrimination"].min()) - 0.05) if len(items) else -0.1
    ax.set_ylim(low, 1.02)
    ax.set_xlabel("Facility (share of points earned): easy to the right")
    ax.set_ylabel("Discrimination (top 27% − bottom 27%)")
    ax.set_title("Item difficulty and discrimination (red: poor, below .20; yellow: revise)", fontsize=11)
    if len(items):
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    return fig


def progress_figure(table: pd.DataFrame, names: list[str]) -> Figure:
    """Pre and post means per session; a suppressed session ("<5") is a gap in the lines, with its note."""
    fig, ax = _figure(8, 3.8)
    x = table["position"].to_numpy()
    pre_means = pd.to_numeric(table["pre_mean"], errors="coerce").to_numpy(float)
    post_means = pd.to_numeric(table["post_mean"], errors="coerce").to_numpy(float)
    ax.plot(x, pre_means, marker="o", color=PRE_COLOUR, lw=2, label="Pre-test")
    ax.plot(x, post_means, marker="s", color=POST_COLOUR, lw=2, label="Post-test")
    for xi, pre, post, note in zip(x, pre_means, post_means, table["pre_mean"], strict=True):
        if not (np.isfinite(pre) and np.isfinite(post)):
            ax.annotate(str(note), (xi, 50), ha="center", fontsize=9, color="#4a5468")
            continue
        ax.annotate(f"{post:.0f}%", (xi, post), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8)
        ax.annotate(f"{pre:.0f}%", (xi, pre), xytext=(0, -13), textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(x, [_wrap(n, 26) for n in names], fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("Score (% of maximum)")
    ax.set_title("The cohort's progress over sessions", fontsize=11)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    return fig


def likert_figure(table: pd.DataFrame, labels: dict[str, str]) -> Figure:
    """How many chose each point of the 5-point scale, per question, as 100% stacked bars."""
    fig, ax = _figure(8, max(2.5, 0.5 * len(table) + 1.2))
    colours = ["#a4161a", "#e07a5f", "#d9d9d9", "#7fa7e0", "#1f5fbf"]
    names = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
    y = np.arange(len(table))[::-1]
    left = np.zeros(len(table))
    for point, colour, name in zip("12345", colours, names, strict=True):
        share = 100 * table[point].to_numpy(float) / table["n"].to_numpy(float).clip(min=1)
        ax.barh(y, share, left=left, color=colour, label=name, height=0.7)
        left += share
    ax.set_yticks(y, [_wrap(labels.get(q, q), 48) for q in table["question_id"]], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of answers")
    ax.set_title("Reaction survey", fontsize=11)
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.4, -0.12 - 0.5 / max(1, len(table))),
              frameon=False)
    return fig


def confidence_figure(table: pd.DataFrame) -> Figure:
    fig, ax = _figure(8, max(2.2, 0.5 * len(table) + 1))
    y = np.arange(len(table))[::-1]
    for yi, r in zip(y, table.itertuples(), strict=True):
        ax.plot([r.before_mean, r.after_mean], [yi, yi], color="#c9d1e0", lw=3, zorder=1)
    ax.scatter(table["before_mean"], y, color=PRE_COLOUR, s=50, zorder=2, label="Before")
    ax.scatter(table["after_mean"], y, color=POST_COLOUR, s=50, zorder=2, label="After")
    ax.set_yticks(y, [_label(x) for x in table["objective"]])
    ax.set_xlim(1, 5)
    ax.set_xlabel("Mean self-rated confidence (1 = not at all, 5 = very)")
    ax.set_title("Confidence before and after, per objective", fontsize=11)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    return fig


# ---------------------------------------------------------------- the HTML report
#
# The HTML is in toolkit/templates/report/ (and the pieces the explorer shares, in toolkit/templates/macros.html),
# rendered with autoescape: the functions below give the templates text and figures, never HTML, and a stored text
# is escaped once, by the template that shows it.


class Cell(NamedTuple):
    """A cell of a Table: its column (the page's data-col), its text, and whether the analysis hid its figure."""

    column: str
    text: str
    suppressed: bool  # the analysis's "<5" or "suppressed" in a figure's place


class Table(NamedTuple):
    """A table for the macro `table` of toolkit/templates/macros.html: headings, rows of cells, a class."""

    headings: list[str]
    rows: list[list[Cell]]
    cls: str


class Chart(NamedTuple):
    """A chart for the macro `figure`: the toolkit's own inline SVG and its caption (text)."""

    svg: Markup
    caption: str


class Note(NamedTuple):
    """A note on a small sample (toolkit.analysis.small_sample_notes), for the macro `notes`."""

    statistic: str
    scope: str
    reason: str


def fmt(value: Any, kind: str = "num") -> str:
    """A figure as the report prints it (text: the templates escape it); suppressed cells ("<5") as they are."""
    if value is None or isinstance(value, str):
        return value or "–"
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "–"
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "pts":
        return f"{value:+.1f}"
    if kind == "p":
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.2f}"


def table(frame: pd.DataFrame, columns: list[tuple[str, str, str]], cls: str = "") -> Table:
    """columns: (column, heading, format kind: "text" or one of fmt's). Cells carry data-col in the page (for the
    tests and for screen readers); a figure that the analysis hid for a small group is marked so."""
    rows = [[Cell(c, str(row[c]) if k == "text" else fmt(row[c], k), _hidden(row[c], k)) for c, _h, k in columns]
            for _, row in frame.iterrows()]
    return Table([h for _c, h, _k in columns], rows, cls)


def _hidden(value: Any, kind: str) -> bool:
    """In a figure's place, the analysis's "<5" (or "<threshold") or "suppressed": any text in a column of figures,
    and those two words in a column of text (a hidden row's band)."""
    if not isinstance(value, str):
        return False
    return kind != "text" or value == COMPLEMENTARY_TEXT or re.fullmatch(r"<\d+", value) is not None


def figure(fig: Figure, caption: str) -> Chart:
    return Chart(Markup(svg(fig)), caption)


def notes(frame: pd.DataFrame | None, statistics: tuple[str, ...] | None = None) -> list[Note]:
    """The small-sample notes (all, or those of `statistics`), for the macro `notes`; [] when there are none."""
    if frame is None or frame.empty:
        return []
    shown = frame if statistics is None else frame[frame["statistic"].isin(statistics)]
    return [Note(str(r.statistic), str(r.scope or ""), str(r.reason)) for r in shown.itertuples()]


def headcount_sentence(counts: pd.DataFrame) -> str:
    """ "24 participants (3 female, 21 male)" from headcount_by(participants, "sex", threshold=1), as text."""
    total = int(counts["n"].sum()) if len(counts) else 0
    parts = [f"{int(r.n)} {SEX_WORDS.get(str(r.sex), r.sex)}" for r in counts.itertuples()]
    return f"{total} participant{'s' if total != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def interval_text(summary: pd.DataFrame, statistic: str, kind: str = "num") -> str:
    """ "95% CI a to b" of a gain_summary row (indexed by statistic), or the words that no interval is meaningful."""
    if summary.at[statistic, "interval"] == NO_INTERVAL:
        return f"no meaningful interval with fewer than {MIN_INTERVAL_N} people"
    return f"95% CI {fmt(summary.at[statistic, 'ci_low'], kind)} to {fmt(summary.at[statistic, 'ci_high'], kind)}"


def _dates(w: pd.Series) -> str:
    start, end = w["starts_on"], w["ends_on"]
    if not isinstance(start, date):
        return ""
    if isinstance(end, date) and end != start:
        return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y}"


def _section_results(t: dict) -> Markup:
    g = t["gain_summary"].set_index("statistic")
    tests = t["paired_tests"].set_index("test")
    rate = t["match_rate"].iloc[0]
    n = int(g.at["pre_mean", "n"])
    if n == 0:
        return render("report/results.html", n=0)
    t_row, w_row = tests.loc["paired t-test"], tests.loc["Wilcoxon signed-rank"]
    band = str(g.at["class_g", "band"])
    figures = [("pre_mean", fmt(g.at["pre_mean", "value"], "pct"), "pre-test mean"),
               ("post_mean", fmt(g.at["post_mean", "value"], "pct"), "post-test mean"),
               ("mean_gain", fmt(g.at["mean_gain", "value"], "pts") + " points", "mean gain"),
               ("class_g", fmt(g.at["class_g", "value"]), f"{HAKE_G}, {band}")]
    interval = ("No interval is shown: with fewer than 5 people who took both tests none is meaningful"
                if g.at["mean_gain", "interval"] == NO_INTERVAL else
                f"Mean gain {interval_text(g, 'mean_gain', 'pts')} points; {HAKE_G} {interval_text(g, 'class_g')}")
    rows = [("Pre-test mean", fmt(g.at["pre_mean", "value"], "pct"), ""),
            ("Post-test mean", fmt(g.at["post_mean", "value"], "pct"), ""),
            ("Mean gain (post − pre, percentage points)", fmt(g.at["mean_gain", "value"], "pts"),
             interval_text(g, "mean_gain", "pts")),
            (f"{HAKE_G}: class-average normalized gain (Hake)", fmt(g.at["class_g", "value"]),
             f"{interval_text(g, 'class_g')}; band {band}"),
            (f"g_avg: average of each person's gain (not {HAKE_G})", fmt(g.at["g_avg", "value"]),
             f"n = {int(g.at['g_avg', 'n'])}"),
            ("Paired t-test", f"t({fmt(t_row['df'], 'int')}) = {fmt(t_row['statistic'])}, p {fmt(t_row['p_value'], 'p')}"
             if np.isfinite(t_row["statistic"]) else "–", ""),
            ("Effect size d_z = mean(d)/SD(d) (SD of the differences; not d_av)", fmt(t_row["effect_size"]), ""),
            ("Wilcoxon signed-rank (primary for small groups)",
             f"W = {fmt(w_row['statistic'])}, p {fmt(w_row['p_value'], 'p')}" if np.isfinite(w_row["p_value"]) else "–",
             f"rank-biserial r = {fmt(w_row['effect_size'])}; "
             f"{WILCOXON_METHODS.get(w_row['method'], str(w_row['method']))}")]
    return render("report/results.html", n=n, pooled=bool(t["progress"]), figures=figures, interval=interval,
                  n_pretest=int(rate["n_pretest"]), n_posttest=int(rate["n_posttest"]),
                  match_rate=fmt(rate["match_rate_pct"], "pct"), rows=rows,
                  notes=notes(t.get("notes"), (INTERVALS, T_TEST, WILCOXON)),
                  chart=figure(slope_figure(t["scores"]), "Each line is one participant (blue: improved, red: lower). "
                                                          "The black line joins the means."),
                  caveat=ONE_GROUP_CAVEAT)


DESIGN_EXPLAINED = {
    "crossover": (
        "Two versions of the test (form A and form B) were used. Half of the participants took form A before the "
        "training and form B after it; the other half took form B before and form A after. If one form is easier, "
        "it raises the gain of one half and lowers the gain of the other half by the same amount, so comparing the "
        "two halves shows how much easier it is, and the gain below has that difference taken out. Read it with "
        "three cautions: it assumes the training helps as much on either form; with few people in a half (fewer "
        "than 5) the difference between the forms is only a rough guess; and it does not remove the other limits "
        "of a before-and-after test (people may score higher the second time simply because they took a test "
        "before, or because of something else that happened meanwhile)."),
    "a-then-b": (
        "Everyone took form A before the training and form B after it. If form B is easier or harder than form A, "
        "that difference is counted here as learning (or as forgetting), and these figures cannot tell the two "
        "apart. Giving half the room each form first (the crossover design) would."),
    "same-form": (
        "The same questions were asked before and after the training, so the two tests cannot differ in "
        "difficulty; but people may remember questions from the first time, which can make the gain look a little "
        "larger than the learning."),
}


def design_summary(t: dict) -> str:
    """The design of the analysed sessions in one line ("" when none had a pre- and a post-test)."""
    designs = t.get("designs") or {}
    if not designs:
        return ""
    cross = t["crossover"]
    if len(designs) == 1:
        return design_line(next(iter(designs)), {"AB": int(cross["n_ab"].iloc[0]), "BA": int(cross["n_ba"].iloc[0])})
    return "Design: " + "; ".join(f"{DESIGN_WORDS[d].split(':')[0]} in {n} session{'s' if n > 1 else ''}"
                                  for d, n in designs.items()) + "."


def _section_design(t: dict) -> Markup | str:
    """How the forms were given: the design in one line, in plain words, and in a crossover the forms' difference."""
    designs = t.get("designs") or {}
    if not designs:
        return ""
    cross = t["crossover"].set_index("statistic")
    n_ab, n_ba = int(cross["n_ab"].iloc[0]), int(cross["n_ba"].iloc[0])
    rows, said = [], []
    if np.isfinite(cross.at["form_effect", "value"]):
        for name in ("form_effect", "gain"):
            r = cross.loc[name]
            ci = (f"no interval is meaningful with fewer than {MIN_INTERVAL_N} people" if r["interval"] == NO_INTERVAL
                  else f"95% CI {fmt(r['ci_low'], 'pts')} to {fmt(r['ci_high'], 'pts')}, p {fmt(r['p_value'], 'p')}")
            rows.append((STATISTIC_WORDS[name], name, fmt(r["value"], "pts"), ci))
    if rows or "crossover" in designs:
        said = crossover_notes(t["crossover"])
    return render("report/design.html", line=design_summary(t), explained=[DESIGN_EXPLAINED[d] for d in designs],
                  rows=rows, n_ab=n_ab, n_ba=n_ba, form_a=str(cross["form_a"].iloc[0]),
                  form_b=str(cross["form_b"].iloc[0]), notes=said)


def retention_html(t: dict, results: Results) -> tuple[Markup | str, Figure | None]:
    """The retention section (the report's and the explorer's) and its slope chart; "" without a retention check."""
    scores = t.get("retention")
    if scores is None:
        return "", None
    if scores.empty:
        return render("report/retention.html", whole=None), None
    whole = t["retention_all"].iloc[0]
    sessions = results.sessions.set_index("session_id")["session"]
    by_session = t["retention_by_session"].assign(session=lambda f: f["session_id"].map(sessions))
    texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
    by_objective = t["retention_by_objective"].assign(text=lambda f: f["objective"].map(texts).fillna(""))
    columns = [("n", "n", "int"), ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
               ("retention_mean", "Retention", "pct"), ("kept_mean", "Since the post-test", "pts")]
    fig = retention_figure(scores)
    figures = {
        "pre": fmt(whole["pre_mean"], "pct"), "post": fmt(whole["post_mean"], "pct"),
        "retention": fmt(whole["retention_mean"], "pct"), "kept": fmt(whole["kept_mean"], "pts"),
        "interval": "no interval is meaningful with fewer than 5" if whole["interval"] == NO_INTERVAL else
                    f"95% CI {fmt(whole['ci_low'], 'pts')} to {fmt(whole['ci_high'], 'pts')}",
        "share": fmt(100 * whole["share_kept"], "pct") if np.isfinite(whole["share_kept"]) else "",
        "n": int(whole["n"])}
    body = render("report/retention.html", whole=figures, note=retention_note(scores),
                  by_session=table(by_session, [("session", "Retention check in", "text"), *columns], cls="retention"),
                  by_objective=table(by_objective, [("objective", "Objective", "text"), ("text", "", "text"), *columns],
                                     cls="retention-objectives"),
                  chart=figure(fig, "Each line is one person at one retention check (blue: kept or better than at the "
                                    "post-test, red: lower). The black line joins the means."))
    return body, fig


def _section_people(t: dict) -> Markup:
    tables = [(by, table(t[f"headcount_by_{by}"], [(by, by.capitalize(), "text"), ("n", "n", "int"),
                                                    ("pct", "%", "pct")]))
              for by in ("organisation", "rank")]
    return render("report/people.html", headcount=headcount_sentence(t["headcount_by_sex"]), tables=tables)


def _section_groups(t: dict) -> Markup:
    columns = [("n", "n", "int"), ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
               ("gain_mean", "Gain (points)", "pts"), ("class_g", HAKE_G, "num"), ("band", "Band", "text")]
    groups = []
    for by in GROUPS:
        frame = t[f"by_{by}"]
        shown = frame.assign(**{by: [SEX_WORDS.get(str(v), v) for v in frame[by]]}) if by == "sex" else frame
        chart = (figure(group_figure(frame, by), "Mean scores before and after, by sex.")
                 if by == "sex" and pd.to_numeric(frame["pre_mean"], errors="coerce").notna().any() else None)
        groups.append((by, table(shown, [(by, by.capitalize(), "text"), *columns], cls=f"by-{by}"), chart))
    return render("report/groups.html", groups=groups)


def _section_objectives(t: dict, results: Results) -> Markup | str:
    frame = t["gain_by_objective"]
    if frame is None or frame.empty:
        return ""
    texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
    shown = frame.assign(text=frame["objective"].map(texts).fillna(""))
    return render("report/objectives.html", weak=[str(o) for o in shown[shown["band"] == "low"]["objective"]],
                  table=table(shown, [("objective", "Objective", "text"), ("text", "", "text"),
                                      ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                      ("gain_mean", "Gain", "pts"), ("class_g", HAKE_G, "num"),
                                      ("band", "Band", "text")], cls="objectives"),
                  chart=figure(objective_figure(frame), "Mean score on each objective's questions, before and after."))


def _section_items(t: dict, results: Results) -> Markup | str:
    items = t["item_statistics"]
    if items.empty:
        return ""
    texts = results.questions.drop_duplicates(["form", "question_id"]).set_index(["form", "question_id"])["text"]
    flagged = items[items["discrimination_band"].isin(REVISE_BANDS)].copy()
    flagged["text"] = [shorten(texts.get((f, q), "")) for f, q in zip(flagged["form"], flagged["question_id"], strict=True)]
    names = results.activities.drop_duplicates(["activity_kind", "form"]).set_index(["activity_kind", "form"])
    flagged["test"] = [names["activity"].get((k, f), f) for k, f in zip(flagged["activity_kind"], flagged["form"],
                                                                        strict=True)]
    flagged = flagged.sort_values(["discrimination"])
    rel = t["reliability"].assign(test=lambda r: [names["activity"].get((k, f), f) for k, f in
                                                  zip(r["activity_kind"], r["form"], strict=True)])
    said = t.get("notes")
    doubtful = set() if said is None else set(said.loc[said["statistic"] == ALPHA, "scope"])
    rel["alpha_shown"] = [fmt(a) + (" (not meaningful here: see the note)" if note_scope(
        {"activity_kind": k, "form": f}) in doubtful else "") for a, k, f in
        zip(rel["cronbach_alpha"], rel["activity_kind"], rel["form"], strict=True)]
    d, mc = t["distractors"], t["item_mcnemar"]
    distractors = ({"dead": int(d["not_functioning"].sum()), "odd": int(d["choosers_score_higher"].sum())}
                   if isinstance(d, pd.DataFrame) and len(d) else None)
    mcnemar = ({"correction": str(mc["correction"].iloc[0]), "changed": int((mc["p_adjusted"] < 0.05).sum()),
                "n": len(mc)} if isinstance(mc, pd.DataFrame) and len(mc) else None)
    return render(
        "report/items.html", n_flagged=len(flagged), n_items=len(items), few=int(items["n"].max()) < 30,
        flagged=table(flagged, [("test", "Test", "text"), ("question_id", "Question", "text"), ("text", "", "text"),
                                ("facility", "Facility", "num"), ("discrimination", "D", "num"),
                                ("item_rest_r", "Item–rest r", "num"), ("discrimination_band", "Verdict", "text")],
                      cls="items"),
        chart=figure(item_figure(items), "Each point is a question. Useful pre-test facility is 0.3–0.7 (blue band)."),
        reliability=table(rel, [("test", "Test", "text"), ("form", "Form", "text"), ("n", "n", "int"),
                                ("k", "Questions", "int"), ("alpha_shown", "Cronbach's alpha", "text")]),
        notes=notes(said, (ALPHA, DISCRIMINATION)), distractors=distractors, mcnemar=mcnemar)


def _section_compare(t: dict, results: Results) -> Markup:
    names = results.workshops.set_index("workshop_id")
    workshops = None
    if t["workshops"] is not None and len(t["workshops"]):
        frame = t["workshops"].assign(workshop=lambda f: f["workshop_id"].map(names["place"].fillna(names["workshop"])))
        workshops = {
            "table": table(frame, [("workshop", "Workshop", "text"), ("n", "n", "int"), ("pre_mean", "Pre", "pct"),
                                   ("post_mean", "Post", "pct"), ("gain_mean", "Gain", "pts"),
                                   ("class_g", HAKE_G, "num"), ("band", "Band", "text")], cls="workshops"),
            "chart": figure(paired_bars(frame["workshop"].astype(str).tolist(), frame["pre_mean"].tolist(),
                                        frame["post_mean"].tolist(), "Workshops of the series"),
                            "Mean scores before and after, per workshop.")}
    sessions = results.sessions.set_index("session_id")["session"]
    cohorts = []
    for workshop_id, frame in t["progress"].items():
        shown = frame.assign(session=frame["session_id"].map(sessions))
        cohorts.append({
            "name": str(names.at[workshop_id, "workshop"]),
            "table": table(shown, [("position", "#", "int"), ("session", "Session", "text"), ("n", "n", "int"),
                                   ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                   ("gain_mean", "Gain", "pts"), ("class_g", HAKE_G, "num")], cls="progress"),
            "chart": figure(progress_figure(frame, shown["session"].astype(str).tolist()),
                            "Pre- and post-test means in each session of the cohort.")})
    return render("report/compare.html", workshops=workshops, cohorts=cohorts)


def _section_reaction(t: dict, results: Results) -> Markup:
    texts = results.questions.drop_duplicates("question_id").set_index("question_id")["text"].to_dict()
    likert = t["likert"]
    shown_likert = None
    if len(likert):
        shown = likert.assign(text=likert["question_id"].map(texts))
        shown_likert = {
            "table": table(shown, [("text", "Statement", "text"), ("n", "n", "int"), ("mean", "Mean (1–5)", "num"),
                                   ("pct_agree", "Agree", "pct")], cls="likert"),
            "chart": figure(likert_figure(likert, texts), "Share of answers on each point of the scale.")}
    rec = t["recommend"]
    recommend = None
    if rec is not None and rec["n"].iloc[0]:
        r = rec.iloc[0]
        recommend = {"mean": fmt(r["mean"]), "promoters": fmt(r["pct_promoters"], "pct"),
                     "detractors": fmt(r["pct_detractors"], "pct"), "nps": fmt(r["nps"], "int"), "n": int(r["n"])}
    # the same answer from several people: once, with a count
    open_answers = [(texts.get(qid, qid), list(rows["answer"].value_counts(sort=True).items()))
                    for qid, rows in t["open_answers"].groupby("question_id", sort=False)]
    words = [(texts.get(qid, qid), [(str(r.word), int(r.people)) for r in rows.itertuples()])
             for qid, rows in t["top_words"].groupby("question_id", sort=False)]
    conf = t["confidence"]
    confidence = None
    if len(conf):
        confidence = {
            "table": table(conf, [("objective", "Objective", "text"), ("n", "n", "int"),
                                  ("before_mean", "Before (1–5)", "num"), ("after_mean", "After (1–5)", "num"),
                                  ("pct_confident_after", "Confident after (4–5)", "pct"),
                                  ("wilcoxon_p", "Wilcoxon p", "p"), ("rank_biserial_r", "r", "num")],
                           cls="confidence"),
            "chart": figure(confidence_figure(conf), "Self-rated confidence, paired over those who answered both times."),
            "notes": notes(t.get("notes"), (CONFIDENCE,))}
    return render("report/reaction.html", likert=shown_likert, recommend=recommend, open_answers=open_answers,
                  top_words=words, confidence=confidence)


def shorten(text: str, limit: int = 110) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def render_report(results: Results, title: str | None = None, tables: dict | None = None) -> str:
    """The report as one HTML page with everything inline (styles, charts): it fetches nothing."""
    t = tables if tables is not None else analyse(results)
    w = results.workshops
    title = title or (w["workshop"].iloc[0] if len(w) == 1 else f"{w['cohort'].dropna().iloc[0]}"
                      if w["cohort"].notna().any() and w["cohort"].nunique() == 1 else "Workshop results")
    sessions = results.sessions.groupby("workshop_id")["session"].agg(list)
    workshops = [{"name": str(r["workshop"]), "place": str(r["place"] or ""), "dates": _dates(r),
                  "organiser": str(r["organiser"]) if r["organiser"] else "",
                  "sessions": [str(s) for s in sessions.get(r["workshop_id"], [])]} for _, r in w.iterrows()]
    sections = [_section_people(t), _section_design(t), _section_results(t), _section_groups(t),
                _section_objectives(t, results), _section_items(t, results), _section_compare(t, results),
                retention_html(t, results)[0], _section_reaction(t, results)]
    return str(render("report/page.html", title=str(title), workshops=workshops,
                      demo=any(str(x).startswith(DEMO_PREFIX) for x in w["workshop"]),
                      sections=[s for s in sections if s], caveat=ONE_GROUP_CAVEAT, version=__version__,
                      today=f"{date.today():%d %B %Y}"))
