"""The one Jinja2 environment escapes what a person typed, and refuses a name the template does not get."""

import pytest
from jinja2 import UndefinedError

from toolkit.templating import Markup, render_string


def test_a_typed_value_is_escaped():
    assert render_string("<b>{{ name }}</b>", name='<svg onload="x">') == \
        "<b>&lt;svg onload=&#34;x&#34;&gt;</b>"


def test_html_the_toolkit_built_is_not_escaped_twice():
    inner = render_string("<i>{{ v }}</i>", v="a & b")
    assert render_string("<p>{{ inner }}</p>", inner=inner) == "<p><i>a &amp; b</i></p>"
    assert isinstance(inner, Markup)


def test_a_misspelt_value_is_an_error_not_an_empty_string():
    with pytest.raises(UndefinedError):
        render_string("{{ nmae }}", name="x")
