"""HTML from Jinja2 templates with autoescape: the report, the explorer and every panel of the apps.

A template lives in `toolkit/templates/<name>` (a file of the package, so it works from a wheel as from a source
checkout). Every value is escaped unless the template marks it `|safe` or it is `Markup` (HTML the toolkit itself
built, such as a chart's SVG or another rendered template). `render("name.html", **values)` returns Markup, so a
rendered fragment put into another template is not escaped twice.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

__all__ = ["Markup", "environment", "render", "render_string"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: autoescape for every template, undefined values an error (a misspelt name
    fails the test that renders it instead of printing nothing)."""
    return Environment(
        loader=PackageLoader("toolkit", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, **values: Any) -> Markup:
    """Template `name` of toolkit/templates with `values`, every value escaped."""
    return Markup(environment().get_template(name).render(**values))


def render_string(source: str, **values: Any) -> Markup:
    """A short template given inline (one line of a panel), escaped the same way."""
    return Markup(environment().from_string(source).render(**values))
