"""Charts for the projector, drawn as plain HTML and CSS: nothing to download, readable from the back row,
and updated in place by changing one widget's value (no flicker, no plotting library in the kernel)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import questions
from ..bank import Question
from .texts import esc


def _bar(count: float, most: float, css: str = "") -> str:
    """A bar in a track of fixed width, so that long labels never push it off the screen."""
    width = round(100 * count / most) if most else 0
    return f"<span class='tk-track'><span class='tk-bar {css}' style='width:{width}%'></span></span>"


CLOUD_SIZES = (1.0, 3.2)  # em: the font size of a word sent once, and of the most frequent word


def cloud(words: list[tuple[str, str]], counts: dict[str, int], hidden: set[str], projector: bool) -> str:
    """A word cloud: each word sized by its count, in the page's font, each word's direction its own (Urdu right to
    left). Hidden words are left out on the projector, and struck through for the coach."""
    shown = [(word, label) for word, label in words if not (projector and word in hidden)]
    if not shown:
        return "<div class='tk-hint'>No words yet.</div>"
    most = max(counts.get(word, 0) for word, _ in shown) or 1
    low, high = CLOUD_SIZES
    spans = []
    for word, label in shown:
        n = counts.get(word, 0)
        size = low + (high - low) * (n - 1) / (most - 1) if most > 1 else low
        css = " tk-hidden-word" if word in hidden else ""
        spans.append(f"<span class='tk-word{css}' dir='auto' data-word='{esc(word)}' data-count='{n}' "
                     f"style='font-size:{size:.2f}em'>{esc(label)}</span>")
    return f"<div class='tk-cloud' dir='auto'>{' '.join(spans)}</div>"


def distribution(q: Question, choices: dict[str, int], answered: int, revealed: bool,
                 hidden: set[str] | None = None, projector: bool = False) -> str:
    """Bars of how many chose each of the type's categories; the right ones are marked only once revealed
    (`choices`: category -> count, `tally` of toolkit.questions). A type whose chart is a cloud draws one,
    without the `hidden` words on the projector."""
    kind = questions.kind(q.type)
    categories = kind.categories(q, choices)
    if kind.cloud:
        return cloud(categories, choices, hidden or set(), projector)
    if not categories:
        return f"<div class='tk-hint'>{answered} answered</div>"
    keys = kind.right_categories(q) if revealed else set()
    most = max(choices.values(), default=0)
    rows = []
    for oid, label in categories:
        count = choices.get(oid, 0)
        right = oid in keys
        pct = f"{round(100 * count / answered)}%" if answered else "–"
        rows.append(
            f"<div class='tk-dist-row{' tk-right-row' if right else ''}' data-option='{esc(oid)}'>"
            f"<span class='tk-dist-label'>{esc(label)}{' ✓' if right else ''}</span>"
            f"{_bar(count, most, 'tk-key' if right else '')}<b class='tk-count'>{count}</b> "
            f"<span class='tk-hint'>{pct}</span></div>")
    return "".join(rows)


def histogram(percentages: Sequence[float], bins: int = 5) -> str:
    """The class's score distribution in bands of 20 percentage points."""
    if not percentages:
        return "<div class='tk-hint'>No scores yet.</div>"
    width = 100 / bins
    counts = [0] * bins
    for p in percentages:
        counts[min(bins - 1, int(p // width))] += 1
    most = max(counts)
    rows = []
    for i, n in enumerate(counts):
        low, high = int(i * width), int((i + 1) * width)
        rows.append(f"<div class='tk-dist-row'><span class='tk-dist-label'>{low}–{high}%</span>"
                    f"{_bar(n, most)}<b class='tk-count'>{n}</b></div>")
    mean = sum(percentages) / len(percentages)
    return f"<div class='tk-hint'>{len(percentages)} people, mean {mean:.0f}%</div>" + "".join(rows)


def pre_post_rows(rows: Sequence[tuple[str, float | None, float | None]]) -> str:
    """Side-by-side bars of percent right before and after, one row per question or objective."""
    out = ["<table class='tk-table tk-prepost'><tr><th></th><th>Pre</th><th>Post</th><th>Change</th></tr>"]
    for label, pre, post in rows:
        def cell(v: float | None, css: str) -> str:
            return "<td>–</td>" if v is None else f"<td>{_bar(v, 100, css)} <b>{v:.0f}%</b></td>"

        change = "" if pre is None or post is None else f"{post - pre:+.0f}"
        out.append(f"<tr><td>{esc(label)}</td>{cell(pre, 'tk-pre')}{cell(post, 'tk-post')}<td><b>{change}</b></td></tr>")
    out.append("</table>")
    return "".join(out)
