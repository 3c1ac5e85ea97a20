"""What was learned, by whom: the facilitator's tables, charts and the self-contained HTML report.

`analyse` runs toolkit.analysis on a Results (toolkit.results); the charts are matplotlib figures drawn without
pyplot and embedded as inline SVG, so the report opens offline and asks nothing of the network.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from datetime import date
from typing import Any

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
from .analysis._common import SMALL_CELL
from .analysis.crossover import STATISTIC_WORDS, crossover_analysis, crossover_notes, crossover_scores
from .analysis.gain import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, WILCOXON_METHODS
from .analysis.report import ALPHA, CONFIDENCE, DISCRIMINATION, INTERVALS, T_TEST, WILCOXON, note_scope
from .analysis.retention import RETENTION, retention_note, retention_scores, retention_summary
from .analysis.survey import top_words
from .design import DESIGN_WORDS, design_line
from .results import Results, tested_answers

PRE_COLOUR, POST_COLOUR, DOWN_COLOUR, INK = "#8a94a6", "#1f5fbf", "#d1495b", "#1d2330"
GROUPS = ("sex", "organisation", "rank")
REVISE_BANDS = ("negative: check the key", "poor", "revise")
SEX_WORDS = {"female": "female", "male": "male", "undisclosed": "preferred not to say", "(not given)": "did not answer"}
DEMO_PREFIX = "Demo:"


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
    labels = [f"{r.objective} (<g> {r.class_g:.2f})" for r in table.itertuples()]
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


def fmt(value: Any, kind: str = "num") -> str:
    """A figure as the report's HTML prints it (escaped); suppressed cells ("<5") as they are."""
    if value is None or isinstance(value, str):
        return html.escape(value or "–")
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "–"
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "pts":
        return f"{value:+.1f}"
    if kind == "p":
        return "&lt; 0.001" if value < 0.001 else f"{value:.3f}"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.2f}"


def table_html(frame: pd.DataFrame, columns: list[tuple[str, str, str]], cls: str = "") -> str:
    """columns: (column, heading, format kind). Cells carry data-col for the tests and for screen readers."""
    head = "".join(f"<th>{html.escape(h)}</th>" for _c, h, _k in columns)
    body = []
    for _, row in frame.iterrows():
        cells = "".join(f"<td data-col='{c}'>{fmt(row[c], k) if k != 'text' else html.escape(str(row[c]))}</td>"
                        for c, _h, k in columns)
        body.append(f"<tr>{cells}</tr>")
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def headcount_sentence(table: pd.DataFrame) -> str:
    """ "24 participants (3 female, 21 male)" from headcount_by(participants, "sex", threshold=1), as HTML."""
    total = int(table["n"].sum()) if len(table) else 0
    parts = [f"{int(r.n)} {html.escape(str(SEX_WORDS.get(str(r.sex), r.sex)))}" for r in table.itertuples()]
    return f"{total} participant{'s' if total != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def interval_text(summary: pd.DataFrame, statistic: str, kind: str = "num") -> str:
    """ "95% CI a to b" of a gain_summary row (indexed by statistic), or the words that no interval is meaningful."""
    if summary.at[statistic, "interval"] == NO_INTERVAL:
        return f"no meaningful interval with fewer than {MIN_INTERVAL_N} people"
    return f"95% CI {fmt(summary.at[statistic, 'ci_low'], kind)} to {fmt(summary.at[statistic, 'ci_high'], kind)}"


def notes_html(notes: pd.DataFrame | None, statistics: tuple[str, ...] | None = None) -> str:
    """The small-sample notes (all, or those of `statistics`) as a list in words; "" when there are none."""
    if notes is None or notes.empty:
        return ""
    shown = notes if statistics is None else notes[notes["statistic"].isin(statistics)]
    items = "".join(f"<li><b>{html.escape(r.statistic)}</b>{f' ({html.escape(r.scope)})' if r.scope else ''}: "
                    f"{html.escape(r.reason)}.</li>" for r in shown.itertuples())
    return f"<div class='notes'><p><b>Small numbers: read with care</b></p><ul>{items}</ul></div>" if items else ""


def _dates(w: pd.Series) -> str:
    start, end = w["starts_on"], w["ends_on"]
    if not isinstance(start, date):
        return ""
    if isinstance(end, date) and end != start:
        return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y}"


def figure_html(fig: Figure, caption: str) -> str:
    return f"<figure>{svg(fig)}<figcaption>{html.escape(caption)}</figcaption></figure>"


CSS = """
body { font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1d2330; margin: 0;
  background: #f6f8fb; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; background: #fff; padding: 24px 36px 48px; }
h1 { font-size: 1.7em; margin: 0.2em 0; } h2 { border-bottom: 2px solid #dde3ee; padding-bottom: 4px; margin-top: 1.6em; }
h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { border-bottom: 1px solid #dde3ee; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #eef3fb; } td[data-col] { font-variant-numeric: tabular-nums; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #4a5468; font-size: 0.88em; }
.lead { font-size: 1.15em; } .muted { color: #4a5468; font-size: 0.92em; }
.demo { background: #fdecea; color: #a4161a; font-weight: 700; padding: 10px 14px; border-radius: 6px; }
.caveat { background: #fff4d6; padding: 10px 14px; border-radius: 6px; }
.notes { background: #fff4d6; padding: 2px 14px; border-radius: 6px; margin: 8px 0; }
.figures { display: flex; flex-wrap: wrap; gap: 12px 32px; } .figures div { min-width: 200px; }
.big { font-size: 1.6em; font-weight: 700; display: block; }
ul.open li { margin: 2px 0; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


def _section_results(t: dict) -> str:
    g = t["gain_summary"].set_index("statistic")
    tests = t["paired_tests"].set_index("test")
    rate = t["match_rate"].iloc[0]
    n = int(g.at["pre_mean", "n"])
    if n == 0:
        return "<h2>Pre-test and post-test</h2><p>No participant took both the pre-test and the post-test.</p>"
    t_row, w_row = tests.loc["paired t-test"], tests.loc["Wilcoxon signed-rank"]
    figures = "".join(f"<div><span class='big' data-stat='{k}'>{v}</span>{label}</div>" for k, v, label in (
        ("pre_mean", fmt(g.at["pre_mean", "value"], "pct"), "pre-test mean"),
        ("post_mean", fmt(g.at["post_mean", "value"], "pct"), "post-test mean"),
        ("mean_gain", fmt(g.at["mean_gain", "value"], "pts") + " points", "mean gain"),
        ("class_g", fmt(g.at["class_g", "value"]), f"&lt;g&gt;, {html.escape(str(g.at['class_g', 'band']))}")))
    ci = ("No interval is shown: with fewer than 5 people who took both tests none is meaningful"
          if g.at["mean_gain", "interval"] == NO_INTERVAL else
          f"Mean gain {interval_text(g, 'mean_gain', 'pts')} points; &lt;g&gt; {interval_text(g, 'class_g')}")
    rows = [("Pre-test mean", fmt(g.at["pre_mean", "value"], "pct"), ""),
            ("Post-test mean", fmt(g.at["post_mean", "value"], "pct"), ""),
            ("Mean gain (post − pre, percentage points)", fmt(g.at["mean_gain", "value"], "pts"),
             interval_text(g, "mean_gain", "pts")),
            ("&lt;g&gt;: class-average normalized gain (Hake)", fmt(g.at["class_g", "value"]),
             f"{interval_text(g, 'class_g')}; band {html.escape(str(g.at['class_g', 'band']))}"),
            ("g_avg: average of each person's gain (not &lt;g&gt;)", fmt(g.at["g_avg", "value"]),
             f"n = {int(g.at['g_avg', 'n'])}"),
            ("Paired t-test", f"t({fmt(t_row['df'], 'int')}) = {fmt(t_row['statistic'])}, p {fmt(t_row['p_value'], 'p')}"
             if np.isfinite(t_row["statistic"]) else "–", ""),
            ("Effect size d_z = mean(d)/SD(d) (SD of the differences; not d_av)", fmt(t_row["effect_size"]), ""),
            ("Wilcoxon signed-rank (primary for small groups)",
             f"W = {fmt(w_row['statistic'])}, p {fmt(w_row['p_value'], 'p')}" if np.isfinite(w_row["p_value"]) else "–",
             f"rank-biserial r = {fmt(w_row['effect_size'])}; "
             f"{html.escape(WILCOXON_METHODS.get(w_row['method'], str(w_row['method'])))}")]
    table = "".join(f"<tr><td>{a}</td><td data-col='value'>{b}</td><td class='muted'>{c}</td></tr>" for a, b, c in rows)
    pooled = ("<p class='muted'>Over all the sessions: each person's pre-tests together against their post-tests "
              "together; the progress from session to session is shown further down.</p>"
              if t["progress"] else "")
    return (f"<h2>Pre-test and post-test</h2>{pooled}<div class='figures'>{figures}</div>"
            f"<p class='muted'>{ci}. {n} participants took both tests (matched by participant; "
            f"{int(rate['n_pretest'])} took the pre-test, {int(rate['n_posttest'])} the post-test, match rate "
            f"{fmt(rate['match_rate_pct'], 'pct')}).</p>"
            f"<table class='stats'><tbody>{table}</tbody></table>"
            + notes_html(t.get("notes"), (INTERVALS, T_TEST, WILCOXON))
            + figure_html(slope_figure(t["scores"]), "Each line is one participant (blue: improved, red: lower). "
                                                       "The black line joins the means.")
            + f"<p class='caveat'>{html.escape(ONE_GROUP_CAVEAT)}</p>")


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


def _section_design(t: dict) -> str:
    """How the forms were given: the design in one line, in plain words, and in a crossover the forms' difference."""
    designs = t.get("designs") or {}
    if not designs:
        return ""
    cross = t["crossover"].set_index("statistic")
    n_ab, n_ba = int(cross["n_ab"].iloc[0]), int(cross["n_ba"].iloc[0])
    line = design_summary(t)
    parts = [f"<h2>How the tests were given</h2><p class='lead' data-stat='design'>{html.escape(line)}</p>"]
    parts += [f"<p>{html.escape(DESIGN_EXPLAINED[d])}</p>" for d in designs]
    if np.isfinite(cross.at["form_effect", "value"]):
        rows = []
        for name in ("form_effect", "gain"):
            r = cross.loc[name]
            ci = (f"no interval is meaningful with fewer than {MIN_INTERVAL_N} people" if r["interval"] == NO_INTERVAL
                  else f"95% CI {fmt(r['ci_low'], 'pts')} to {fmt(r['ci_high'], 'pts')}, p {fmt(r['p_value'], 'p')}")
            rows.append(f"<tr><td>{html.escape(STATISTIC_WORDS[name])}</td><td data-col='{name}'>"
                        f"{fmt(r['value'], 'pts')}</td><td class='muted'>{ci}</td></tr>")
        forms = f"form A is {html.escape(str(cross['form_a'].iloc[0]))}, form B {html.escape(str(cross['form_b'].iloc[0]))}"
        notes = "".join(f"<li>{html.escape(n)}.</li>" for n in crossover_notes(t["crossover"]))
        parts.append(f"<table class='stats crossover'><tbody>{''.join(rows)}</tbody></table>"
                     f"<p class='muted'>From the {n_ab + n_ba} people who took both forms ({n_ab} A then B, {n_ba} B "
                     f"then A; {forms}): the standard two-sequence crossover analysis, Student t with "
                     f"{n_ab + n_ba - 2} df. The figures in the next section are the plain before-and-after ones.</p>"
                     + (f"<div class='notes'><ul>{notes}</ul></div>" if notes else ""))
    elif "crossover" in designs:
        notes = "".join(f"<li>{html.escape(n)}.</li>" for n in crossover_notes(t["crossover"]))
        parts.append(f"<div class='notes'><ul>{notes}</ul></div>" if notes else "")
    return "".join(parts)


def retention_html(t: dict, results: Results) -> tuple[str, Figure | None]:
    """The retention section (the report's and the explorer's) and its slope chart; "" without a retention check."""
    scores = t.get("retention")
    if scores is None:
        return "", None
    if scores.empty:
        return ("<h2>Knowledge kept</h2><p class='muted'>A retention check was given, but nobody who took it had "
                "answered its questions in an earlier post-test.</p>"), None
    whole = t["retention_all"].iloc[0]
    sessions = results.sessions.set_index("session_id")["session"]
    by_session = t["retention_by_session"].assign(session=lambda f: f["session_id"].map(sessions))
    texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
    by_objective = t["retention_by_objective"].assign(text=lambda f: f["objective"].map(texts).fillna(""))
    ci = ("no interval is meaningful with fewer than 5" if whole["interval"] == NO_INTERVAL else
          f"95% CI {fmt(whole['ci_low'], 'pts')} to {fmt(whole['ci_high'], 'pts')}")
    share = (f"; {fmt(100 * whole['share_kept'], 'pct')} of the gain was still there"
             if np.isfinite(whole["share_kept"]) else "")
    columns = [("n", "n", "int"), ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
               ("retention_mean", "Retention", "pct"), ("kept_mean", "Since the post-test", "pts")]
    fig = retention_figure(scores)
    body = (f"<h2>Knowledge kept</h2><p class='muted'>{html.escape(retention_note(scores))} Groups of fewer than 5 are "
            "shown as “&lt;5”.</p>"
            f"<p class='lead' data-stat='retention'>On the repeated questions: pre {fmt(whole['pre_mean'], 'pct')}, "
            f"post {fmt(whole['post_mean'], 'pct')}, retention {fmt(whole['retention_mean'], 'pct')}: "
            f"{fmt(whole['kept_mean'], 'pts')} points since the post-test ({ci}){share} "
            f"(n = {int(whole['n'])}: each person at each check).</p>"
            + table_html(by_session, [("session", "Retention check in", "text"), *columns], cls="retention")
            + "<h3>By learning objective</h3>"
            + table_html(by_objective, [("objective", "Objective", "text"), ("text", "", "text"), *columns],
                         cls="retention-objectives")
            + figure_html(fig, "Each line is one person at one retention check (blue: kept or better than at the "
                               "post-test, red: lower). The black line joins the means."))
    return body, fig


def _section_people(t: dict) -> str:
    parts = [f"<h2>Participants</h2><p class='lead' data-stat='headcount'>{headcount_sentence(t['headcount_by_sex'])}.</p>"]
    for by in ("organisation", "rank"):
        table = t[f"headcount_by_{by}"]
        parts.append(f"<h3>By {by}</h3>" + table_html(table, [(by, by.capitalize(), "text"), ("n", "n", "int"),
                                                          ("pct", "%", "pct")]))
    return "".join(parts)


def _section_groups(t: dict) -> str:
    parts = ["<h2>Did everyone benefit alike?</h2><p class='muted'>Pre, post and gain by group, over the participants "
             "who took both tests. Figures for a group of fewer than 5 people are shown as “&lt;5” (and when only one "
             "group is hidden, the next smallest is hidden too, as “suppressed”).</p>"]
    columns = [("n", "n", "int"), ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
               ("gain_mean", "Gain (points)", "pts"), ("class_g", "<g>", "num"), ("band", "Band", "text")]
    for by in GROUPS:
        table = t[f"by_{by}"]
        shown = table.assign(**{by: [SEX_WORDS.get(str(v), v) for v in table[by]]}) if by == "sex" else table
        parts.append(f"<h3>By {by}</h3>" + table_html(shown, [(by, by.capitalize(), "text"), *columns], cls=f"by-{by}"))
        if by == "sex" and pd.to_numeric(table["pre_mean"], errors="coerce").notna().any():
            parts.append(figure_html(group_figure(table, by), "Mean scores before and after, by sex."))
    return "".join(parts)


def _section_objectives(t: dict, results: Results) -> str:
    table = t["gain_by_objective"]
    if table is None or table.empty:
        return ""
    texts = results.objectives.drop_duplicates("objective").set_index("objective")["text"]
    shown = table.assign(text=table["objective"].map(texts).fillna(""))
    weak = shown[shown["band"] == "low"]["objective"].tolist()
    note = (f"<p>Objectives that landed less well (&lt;g&gt; below 0.3): <b>{html.escape(', '.join(weak))}</b>.</p>"
            if weak else "")
    return ("<h2>Learning objectives</h2>" + note
            + table_html(shown, [("objective", "Objective", "text"), ("text", "", "text"), ("pre_mean", "Pre", "pct"),
                             ("post_mean", "Post", "pct"), ("gain_mean", "Gain", "pts"), ("class_g", "<g>", "num"),
                             ("band", "Band", "text")], cls="objectives")
            + figure_html(objective_figure(table), "Mean score on each objective's questions, before and after."))


def _section_items(t: dict, results: Results) -> str:
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
    notes = t.get("notes")
    doubtful = set() if notes is None else set(notes.loc[notes["statistic"] == ALPHA, "scope"])
    rel["alpha_shown"] = [fmt(a) + (" (not meaningful here: see the note)" if note_scope(
        {"activity_kind": k, "form": f}) in doubtful else "") for a, k, f in
        zip(rel["cronbach_alpha"], rel["activity_kind"], rel["form"], strict=True)]
    few = int(items["n"].max()) < 30
    parts = ["<h2>Questions to revise</h2>",
             f"<p>{len(flagged)} of {len(items)} questions discriminate poorly or should be revised (upper–lower "
             "discrimination below .30; below .20 is poor; negative: check the key).</p>",
             "<p class='muted'>With fewer than 30 people per test these indices move a lot from one group to the next: "
             "revise a question when it is flagged in several workshops (see the report of the series).</p>"
             if few else "",
             table_html(flagged, [("test", "Test", "text"), ("question_id", "Question", "text"), ("text", "", "text"),
                              ("facility", "Facility", "num"), ("discrimination", "D", "num"),
                              ("item_rest_r", "Item–rest r", "num"), ("discrimination_band", "Verdict", "text")],
                    cls="items"),
             figure_html(item_figure(items), "Each point is a question. Useful pre-test facility is 0.3–0.7 (blue band)."),
             "<h3>Reliability</h3>",
             table_html(rel, [("test", "Test", "text"), ("form", "Form", "text"), ("n", "n", "int"),
                          ("k", "Questions", "int"), ("alpha_shown", "Cronbach's alpha", "text")]),
             notes_html(notes, (ALPHA, DISCRIMINATION))]
    d = t["distractors"]
    if isinstance(d, pd.DataFrame) and len(d):
        dead = d[d["not_functioning"]]
        odd = d[d["choosers_score_higher"]]
        parts.append(f"<p>Options: {len(dead)} wrong options were chosen by fewer than 5% (they do not function); "
                     f"{len(odd)} wrong options were chosen by people who scored higher than the rest (review them).</p>")
    mc = t["item_mcnemar"]
    if isinstance(mc, pd.DataFrame) and len(mc):
        changed = mc[mc["p_adjusted"] < 0.05]
        parts.append(f"<p>McNemar per question asked in both tests ({html.escape(str(mc['correction'].iloc[0]))} "
                     f"correction): {len(changed)} of {len(mc)} questions changed significantly.</p>")
    else:
        parts.append("<p class='muted'>The pre-test and post-test were parallel forms (different questions), so "
                     "per-question McNemar tests do not apply.</p>")
    return "".join(parts)


def _section_compare(t: dict, results: Results) -> str:
    parts = []
    names = results.workshops.set_index("workshop_id")
    if t["workshops"] is not None and len(t["workshops"]):
        table = t["workshops"].assign(workshop=lambda f: f["workshop_id"].map(names["place"].fillna(names["workshop"])))
        parts += ["<h2>Workshops compared</h2><p class='muted'>A workshop of fewer than 5 people who took both tests "
                  "is shown as “&lt;5” (and when only one is hidden, the next smallest is hidden too, as "
                  "“suppressed”), as are the sessions below.</p>",
                  table_html(table, [("workshop", "Workshop", "text"), ("n", "n", "int"), ("pre_mean", "Pre", "pct"),
                                 ("post_mean", "Post", "pct"), ("gain_mean", "Gain", "pts"), ("class_g", "<g>", "num"),
                                 ("band", "Band", "text")], cls="workshops"),
                  figure_html(paired_bars(table["workshop"].astype(str).tolist(), table["pre_mean"].tolist(),
                                           table["post_mean"].tolist(), "Workshops of the series"),
                               "Mean scores before and after, per workshop.")]
    sessions = results.sessions.set_index("session_id")["session"]
    for workshop_id, table in t["progress"].items():
        shown = table.assign(session=table["session_id"].map(sessions))
        parts += [f"<h2>Progress over sessions: {html.escape(str(names.at[workshop_id, 'workshop']))}</h2>",
                  table_html(shown, [("position", "#", "int"), ("session", "Session", "text"), ("n", "n", "int"),
                                 ("pre_mean", "Pre", "pct"), ("post_mean", "Post", "pct"),
                                 ("gain_mean", "Gain", "pts"), ("class_g", "<g>", "num")], cls="progress"),
                  figure_html(progress_figure(table, shown["session"].astype(str).tolist()),
                               "Pre- and post-test means in each session of the cohort.")]
    return "".join(parts)


def _section_reaction(t: dict, results: Results) -> str:
    texts = results.questions.drop_duplicates("question_id").set_index("question_id")["text"].to_dict()
    parts = []
    likert = t["likert"]
    if len(likert):
        shown = likert.assign(text=likert["question_id"].map(texts))
        parts += ["<h2>Reaction survey</h2>",
                  table_html(shown, [("text", "Statement", "text"), ("n", "n", "int"), ("mean", "Mean (1–5)", "num"),
                                 ("pct_agree", "Agree", "pct")], cls="likert"),
                  figure_html(likert_figure(likert, texts), "Share of answers on each point of the scale.")]
    rec = t["recommend"]
    if rec is not None and rec["n"].iloc[0]:
        r = rec.iloc[0]
        parts.append(f"<p>Would recommend (0–10): mean {fmt(r['mean'])}, {fmt(r['pct_promoters'], 'pct')} promoters, "
                     f"{fmt(r['pct_detractors'], 'pct')} detractors, net score <b data-stat='nps'>{fmt(r['nps'], 'int')}"
                     f"</b> (n = {int(r['n'])}).</p>")
    answers = t["open_answers"]
    for qid, rows in answers.groupby("question_id", sort=False):
        counts = rows["answer"].value_counts(sort=True)  # the same answer from several people: once, with a count
        items = "".join(f"<li><span dir='auto'>{html.escape(a)}</span>{f' <b>(×{n})</b>' if n > 1 else ''}</li>"
                        for a, n in counts.items())
        parts.append(f"<h3>{html.escape(texts.get(qid, qid))}</h3><ul class='open'>{items}</ul>")
    for qid, rows in t["top_words"].groupby("question_id", sort=False):
        items = "".join(f"<li><span dir='auto'>{html.escape(str(r.word))}</span> <b>({int(r.people)})</b></li>"
                        for r in rows.itertuples())
        parts.append(f"<h3>{html.escape(texts.get(qid, qid))}</h3><p class='hint'>The words sent most, and by how "
                     f"many people.</p><ol class='words'>{items}</ol>")
    conf = t["confidence"]
    if len(conf):
        parts += ["<h2>Confidence before and after</h2>",
                  table_html(conf, [("objective", "Objective", "text"), ("n", "n", "int"),
                                ("before_mean", "Before (1–5)", "num"), ("after_mean", "After (1–5)", "num"),
                                ("pct_confident_after", "Confident after (4–5)", "pct"),
                                ("wilcoxon_p", "Wilcoxon p", "p"), ("rank_biserial_r", "r", "num")], cls="confidence"),
                  figure_html(confidence_figure(conf), "Self-rated confidence, paired over those who answered both times."),
                  notes_html(t.get("notes"), (CONFIDENCE,))]
    return "".join(parts)


def _session_list(names: list[str]) -> str:
    if len(names) < 2:
        return ""
    return f"; {len(names)} sessions: " + "; ".join(html.escape(str(n)) for n in names)


def shorten(text: str, limit: int = 110) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def render_report(results: Results, title: str | None = None, tables: dict | None = None) -> str:
    """The report as one HTML page with everything inline (styles, charts): it fetches nothing."""
    t = tables if tables is not None else analyse(results)
    w = results.workshops
    title = title or (w["workshop"].iloc[0] if len(w) == 1 else f"{w['cohort'].dropna().iloc[0]}"
                      if w["cohort"].notna().any() and w["cohort"].nunique() == 1 else "Workshop results")
    demo = any(str(x).startswith(DEMO_PREFIX) for x in w["workshop"])
    sessions = results.sessions.groupby("workshop_id")["session"].agg(list)
    where = "".join(f"<li><b>{html.escape(str(r['workshop']))}</b>: {html.escape(str(r['place'] or ''))}, {_dates(r)}"
                    f"{', organised by ' + html.escape(str(r['organiser'])) if r['organiser'] else ''}"
                    f"{_session_list(sessions.get(r['workshop_id'], []))}</li>" for _, r in w.iterrows())
    banner = ("<p class='demo'>DEMO DATA: invented by toolkit's demo for trying the tools. These are not the "
              "results of a real workshop.</p>") if demo else ""
    body = "".join([
        f"<h1>{html.escape(title)}</h1>", banner, f"<ul>{where}</ul>",
        _section_people(t), _section_design(t), _section_results(t), _section_groups(t), _section_objectives(t, results),
        _section_items(t, results), _section_compare(t, results), retention_html(t, results)[0],
        _section_reaction(t, results),
        "<h2>How these figures were made</h2><ul class='muted'>",
        "<li>Scores are in percent of each test's maximum; a question left unanswered scores 0. A test counts for a "
        "participant who answered at least one of its questions. Pre and post are matched by participant.</li>",
        "<li>Intervals (95%): Student t for the mean gain; for &lt;g&gt;, a ratio of means, the t-interval on its "
        "linearisation (delta method). In simulated workshops of 10 to 40 people they held the true value about "
        "94–96% of the time, where a percentile bootstrap held 89–94%; with fewer than 5 people no interval is "
        "shown. d_z = mean(d)/SD(d) on the differences d = post − pre. Wilcoxon drops zero differences and gives "
        "the exact p (over every sign pattern when scores tie) up to 200 changed scores; r is the rank-biserial "
        "correlation.</li>",
        "<li>&lt;g&gt; = (&lt;post&gt; − &lt;pre&gt;)/(100 − &lt;pre&gt;) (Hake): low below 0.3, medium 0.3–0.7, "
        "high above 0.7.</li>",
        "<li>Counts of participants are shown in full; results for a group (a sex, organisation, rank, workshop or "
        "session) of fewer than 5 people are not shown, and when only one group of a table is hidden the next "
        "smallest is hidden too, so that no hidden figure follows from the total.</li>",
        f"<li>{html.escape(ONE_GROUP_CAVEAT)}</li></ul>",
        f"<p class='muted'>Made with toolkit {html.escape(__version__)} on {date.today():%d %B %Y}.</p>"])
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title><style>{CSS}</style>"
            f"</head><body><main>{body}</main></body></html>")
