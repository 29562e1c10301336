"""Attribution colouring escapes the visitor's text: HTML in a review is shown, never executed."""

from __future__ import annotations

from src.core.markdown import escape
from src.sentiment.explain import Attribution
from src.ui.sentiment_widgets import attribution_html


def test_attribution_html_escapes_markup():
    text = "<script>alert(1)</script> great"
    attr = Attribution(text, "positive", [(0, 8, 0.1), (26, 31, 0.9)], margin_gap=1.0, delta=0.0)
    out = attribution_html(attr)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert ">great</span>" in out and "rgba(34,139,34" in out  # positive evidence is green


def test_uploaded_names_are_shown_literally_in_markdown():
    name = "![x](http://evil.example/a.png) [click](http://evil.example) **bold**"
    out = escape(name)
    assert "![x](" not in out and "[click](" not in out and "**" not in out
    assert out.replace("\\", "") == name  # nothing dropped, only escaped
