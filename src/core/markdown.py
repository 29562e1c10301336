"""Text shown literally inside markdown: one escaping rule for every page, the chat and its tools."""

from __future__ import annotations

import re

# Every character Streamlit's markdown gives a meaning to: emphasis, code, links and images
# (``[]()!``), HTML (``<>``), LaTeX (``$``), strike-through (``~``), tables (``|``), headings and
# lists (``#+``), and ``:`` which opens emoji, icon and colour directives (``:red[...]``).
_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|<>$~:])")


def escape(text: object) -> str:
    """``str(text)`` with every markdown character backslash-escaped: visitor, file, document or model text
    shown as text, never as a live link, image, markup or colour directive."""
    return _SPECIAL.sub(r"\\\1", str(text))
