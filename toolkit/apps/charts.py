"""Charts for the projector, drawn as plain HTML and CSS: nothing to download, readable from the back row,
and updated in place by changing one widget's value (no flicker, no plotting library in the kernel).

Each chart is a template of toolkit/templates/apps/charts/ and comes back as Markup (HTML the toolkit built, every
label escaped), to be put into a panel's template as it is."""

from __future__ import annotations

from collections.abc import Sequence

from .. import questions
from ..bank import Question
from ..templating import Markup, render


def _width(count: float, most: float) -> int:
    """A bar's width in percent of its track (apps/charts/bar.html)."""
    return round(100 * count / most) if most else 0


def _hint(text: str) -> Markup:
    return render("apps/line.html", css="tk-hint", text=text)


CLOUD_SIZES = (1.0, 3.2)  # em: the font size of a word sent once, and of the most frequent word


def cloud(words: list[tuple[str, str]], counts: dict[str, int], hidden: set[str], projector: bool) -> Markup:
    """A word cloud: each word sized by its count, in the page's font, each word's direction its own (Urdu right to
    left). Hidden words are left out on the projector, and struck through for the coach."""
    shown = [(word, label) for word, label in words if not (projector and word in hidden)]
    if not shown:
        return _hint("No words yet.")
    most = max(counts.get(word, 0) for word, _ in shown) or 1
    low, high = CLOUD_SIZES
    drawn = []
    for word, label in shown:
        n = counts.get(word, 0)
        size = low + (high - low) * (n - 1) / (most - 1) if most > 1 else low
        drawn.append({"word": word, "label": label, "count": n, "size": size, "hidden": word in hidden})
    return render("apps/charts/cloud.html", words=drawn)


def distribution(q: Question, choices: dict[str, int], answered: int, revealed: bool,
                 hidden: set[str] | None = None, projector: bool = False) -> Markup:
    """Bars of how many chose each of the type's categories; the right ones are marked only once revealed
    (`choices`: category -> count, `tally` of toolkit.questions). A type whose chart is a cloud draws one,
    without the `hidden` words on the projector."""
    kind = questions.kind(q.type)
    categories = kind.categories(q, choices)
    if kind.cloud:
        return cloud(categories, choices, hidden or set(), projector)
    if not categories:
        return _hint(f"{answered} answered")
    keys = kind.right_categories(q) if revealed else set()
    most = max(choices.values(), default=0)
    rows = []
    for oid, label in categories:
        count = choices.get(oid, 0)
        rows.append({"option": oid, "label": label, "right": oid in keys, "count": count,
                     "width": _width(count, most), "pct": f"{round(100 * count / answered)}%" if answered else "–"})
    return render("apps/charts/distribution.html", rows=rows)


def histogram(percentages: Sequence[float], bins: int = 5) -> Markup:
    """The class's score distribution in bands of 20 percentage points."""
    if not percentages:
        return _hint("No scores yet.")
    width = 100 / bins
    counts = [0] * bins
    for p in percentages:
        counts[min(bins - 1, int(p // width))] += 1
    most = max(counts)
    rows = [{"low": int(i * width), "high": int((i + 1) * width), "count": n, "width": _width(n, most)}
            for i, n in enumerate(counts)]
    return render("apps/charts/histogram.html", rows=rows, people=len(percentages),
                  mean=sum(percentages) / len(percentages))


def pre_post_rows(rows: Sequence[tuple[str, float | None, float | None]]) -> Markup:
    """Side-by-side bars of percent right before and after, one row per question or objective."""
    shown = [{"label": label, "pre": pre, "post": post,
              "change": "" if pre is None or post is None else f"{post - pre:+.0f}"} for label, pre, post in rows]
    return render("apps/charts/pre_post.html", rows=shown, width=lambda v: _width(v, 100))
