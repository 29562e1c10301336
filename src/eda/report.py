"""The whole story as one standalone HTML file: text, tables, alerts and interactive plotly figures.

plotly.js is inlined once (about 4.7 MB), at the first figure, so the file opens offline; every
later figure reuses it.
"""

from __future__ import annotations

import datetime as dt
import html

import plotly.graph_objects as go
import plotly.io as pio
from markdown_it import MarkdownIt

from src.eda.items import Alerts, Chapter, Item, Metrics, Note, Table

_MD = MarkdownIt("commonmark").enable("table")
_SEVERITY_COLOURS = {"high": "#B91C1C", "medium": "#C2410C", "low": "#A16207", "info": "#4B5563"}
_CSS = """
body{font-family:Inter,Segoe UI,Helvetica,Arial,sans-serif;color:#1F2937;max-width:1040px;margin:2rem auto;
padding:0 1.2rem;line-height:1.55}
h1{margin-bottom:.2rem}h2{margin-top:2.6rem;border-bottom:2px solid #E5E7EB;padding-bottom:.3rem}
.meta{color:#6B7280;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0 1.2rem}
th,td{border-bottom:1px solid #E5E7EB;padding:.3rem .6rem;text-align:left}th{background:#F3F4FB}
.caption{color:#6B7280;font-size:.85rem}
.tiles{display:flex;gap:1rem;flex-wrap:wrap}.tile{background:#F3F4FB;border-radius:.6rem;padding:.6rem 1rem}
.tile b{display:block;font-size:1.5rem}
.alert{border-left:4px solid;padding:.35rem .8rem;margin:.45rem 0;background:#FAFAFA}
.badge{font-size:.7rem;font-weight:700;text-transform:uppercase;color:white;padding:.08rem .4rem;border-radius:.3rem}
.note{background:#EEF2FF;border-radius:.5rem;padding:.6rem 1rem;margin:.8rem 0}.note.warning{background:#FEF3C7}
"""


class _Figures:
    """Turns figures into HTML fragments, inlining plotly.js with the first one only."""

    def __init__(self) -> None:
        self.first = True

    def __call__(self, fig: go.Figure) -> str:
        out = pio.to_html(fig, full_html=False, include_plotlyjs=self.first,
                          config={"displaylogo": False, "responsive": True})
        self.first = False
        return out


def _item(item: Item, figure: _Figures) -> str:
    if isinstance(item, str):
        return _MD.render(item)
    if isinstance(item, go.Figure):
        return figure(item)
    if isinstance(item, Table):
        caption = f'<p class="caption">{html.escape(item.caption)}</p>' if item.caption else ""
        return caption + item.formatted().to_html(index=False, border=0, escape=True)
    if isinstance(item, Metrics):
        tiles = "".join(f'<div class="tile" title="{html.escape(m.help)}">{html.escape(m.label)}'
                        f"<b>{html.escape(m.value)}</b></div>" for m in item.items)
        return f'<div class="tiles">{tiles}</div>'
    if isinstance(item, Alerts):
        return "".join(
            f'<div class="alert" style="border-color:{_SEVERITY_COLOURS[a.severity]}">'
            f'<span class="badge" style="background:{_SEVERITY_COLOURS[a.severity]}">{a.severity}</span> '
            f"<b>{html.escape(a.title)}</b><br>{html.escape(a.detail)}</div>" for a in item.alerts)
    if isinstance(item, Note):
        return f'<div class="note {item.tone}">{_MD.render(item.text)}</div>'
    raise TypeError(f"cannot render {type(item).__name__}")


def render(chapters: list[Chapter], title: str, scope: str, source: str) -> str:
    """The standalone HTML document."""
    figure = _Figures()
    body = []
    for chapter in chapters:
        body.append(f'<h2 id="{chapter.slug}">{html.escape(chapter.title)}</h2>')
        body += [_item(item, figure) for item in chapter.items]
    toc = " · ".join(f'<a href="#{c.slug}">{html.escape(c.title)}</a>' for c in chapters)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head><body>'
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">Scope: {html.escape(scope)} · generated {stamp} · data: {html.escape(source)}</p>'
        f"<p>{toc}</p>{''.join(body)}</body></html>"
    )
