"""Plotly figures of the story, in one visual language: churn is always vermilion, staying always blue.

Every function takes numbers already computed and a title that states the takeaway; the story
module writes the titles, so a chart never claims what the data does not show.

Figures are built with their whole layout in one call and without a named template: copying
plotly's stock template and validating layout updates one by one cost ~60 ms a chart, which a
filter change on a nine-chart chapter cannot afford.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from src.eda import stats
from src.eda.data import CHURNED, OUTCOME, STAYED, label

CHURN_COLOUR = "#E4572E"
STAY_COLOUR = "#4C78A8"
NEUTRAL = "#9CA3AF"
INK = "#1F2937"
GRID = "#EEF0F4"
OUTCOME_COLOURS = {CHURNED: CHURN_COLOUR, STAYED: STAY_COLOUR}
#: Segment colours: qualitative, colour-blind safe (Okabe-Ito without the churn/stay hues).
SEGMENT_COLOURS = ("#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#F0E442", "#0072B2")
#: Points drawn in scatter plots; a seeded sample keeps the HTML report small and the browser fast.
SCATTER_POINTS = 2500
#: How the charts name an interval: at the story's confidence level.
_CI = f"{stats.CONFIDENCE:.0%} CI"
#: Characters per title line; longer takeaways wrap so they never run off the chart.
TITLE_WIDTH = 80

_AXIS = dict(gridcolor=GRID, zeroline=False, linecolor="#D1D5DB", ticks="", automargin=True)


def _wrap(title: str) -> str:
    head, sep, sub = title.partition("<br>")
    return "<br>".join(textwrap.wrap(head, TITLE_WIDTH)) + sep + sub


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    """The shared look: white, Inter, left-aligned takeaway title, horizontal legend top right."""
    wrapped = _wrap(title)
    lines = wrapped.count("<br>")
    layout: dict[str, Any] = dict(
        template=None, paper_bgcolor="white", plot_bgcolor="white", height=height + 22 * lines,
        font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13, color=INK),
        title=dict(text=wrapped, font=dict(size=16), x=0, xanchor="left", y=1, yanchor="top", yref="container",
                   pad=dict(t=14)),
        margin=dict(l=10, r=20, t=64 + 22 * lines, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(font_size=12), xaxis=dict(_AXIS), yaxis=dict(_AXIS),
    )
    for key, value in extra.items():
        layout[key] = {**layout[key], **value} if isinstance(value, dict) and key in layout else value
    return layout


def _reference(axis: str, value: float, text: str) -> tuple[dict, dict]:
    """A dashed reference line across the plot (a shape) and its label (an annotation)."""
    dashed = dict(color=INK, dash="dash", width=1)
    if axis == "x":
        shape = dict(type="line", x0=value, x1=value, y0=0, y1=1, yref="paper", line=dashed)
        note = dict(x=value, y=1, yref="paper", yanchor="bottom", text=text, showarrow=False, font_size=11)
    else:
        shape = dict(type="line", y0=value, y1=value, x0=0, x1=1, xref="paper", line=dashed)
        note = dict(y=value, x=1, xref="paper", xanchor="right", yanchor="bottom", text=text, showarrow=False,
                    font_size=11)
    return shape, note


def _pct(upper: float | None = None) -> dict[str, Any]:
    return dict(tickformat=".0%", rangemode="tozero", range=[0, upper] if upper else None)


def outcome_donut(churned: int, stayed: int, title: str) -> go.Figure:
    """The base rate as a donut: churned against stayed."""
    pie = go.Pie(
        labels=[CHURNED, STAYED], values=[churned, stayed], hole=0.62, sort=False, direction="clockwise",
        marker=dict(colors=[CHURN_COLOUR, STAY_COLOUR], line=dict(color="white", width=2)),
        textinfo="label+percent", hovertemplate="%{label}: %{value:,} customers<extra></extra>",
    )
    return go.Figure(pie, layout=_layout(title, 320, showlegend=False))


def rate_bars(rates: pd.DataFrame, base: float, title: str) -> go.Figure:
    """Churn rate per group with its 95% interval; groups above the base rate in the churn colour.

    ``rates`` has columns ``group, customers, rate, ci_low, ci_high`` in display order.
    """
    colours = [CHURN_COLOUR if r > base else STAY_COLOUR for r in rates["rate"]]
    bars = go.Bar(
        x=rates["rate"], y=rates["group"].astype(str), orientation="h", marker_color=colours,
        error_x=dict(type="data", symmetric=False, array=rates["ci_high"] - rates["rate"],
                     arrayminus=rates["rate"] - rates["ci_low"], color=INK, thickness=1.2, width=4),
        text=[f"{r:.1%}" for r in rates["rate"]], textposition="inside", insidetextanchor="start",
        textfont=dict(color="white"),
        customdata=np.stack([rates["customers"], rates["ci_low"], rates["ci_high"]], axis=1),
        hovertemplate="%{y}: %{x:.1%} churn (" + _CI + " %{customdata[1]:.1%}–%{customdata[2]:.1%}), "
                      "%{customdata[0]:,} customers<extra></extra>",
    )
    line, note = _reference("x", base, f"base {base:.1%}")
    upper = min(1.0, float(rates["ci_high"].max()) * 1.1 + 0.02)
    return go.Figure(bars, layout=_layout(title, 90 + 36 * len(rates), shapes=[line], annotations=[note],
                                          xaxis=_pct(upper), yaxis=dict(autorange="reversed")))


def distributions(frame: pd.DataFrame, columns: tuple[str, ...], title: str) -> go.Figure:
    """Violin plots of each column for churners and stayers, side by side."""
    fig = make_subplots(rows=1, cols=len(columns), subplot_titles=[label(c) for c in columns])
    for i, column in enumerate(columns, start=1):
        for outcome in (STAYED, CHURNED):
            values = frame.loc[frame[OUTCOME] == outcome, column]
            fig.add_trace(go.Violin(
                # One scale group per panel: dollars per month and in total have densities of very different height.
                y=values, name=outcome, scalegroup=column, showlegend=False, line_color=OUTCOME_COLOURS[outcome],
                fillcolor=OUTCOME_COLOURS[outcome], opacity=0.75, box_visible=True, meanline_visible=False,
                points=False, spanmode="hard", hoverinfo="y",
            ), row=1, col=i)
    fig.update_layout(_layout(title, 400))
    fig.update_yaxes(_AXIS, tickprefix="$")
    fig.update_xaxes(_AXIS)
    return fig


def rate_curve(curve: pd.DataFrame, base: float, x_title: str, title: str) -> go.Figure:
    """A churn rate along an ordered axis (``x, rate, ci_low, ci_high, customers``) with its 95% band."""
    band = go.Scatter(
        x=np.concatenate([curve["x"], curve["x"][::-1]]), y=np.concatenate([curve["ci_high"], curve["ci_low"][::-1]]),
        fill="toself", fillcolor="rgba(228,87,46,0.18)", line=dict(width=0), hoverinfo="skip", name=_CI,
    )
    line = go.Scatter(
        x=curve["x"], y=curve["rate"], mode="lines+markers", line=dict(color=CHURN_COLOUR, width=2.5),
        name="churn rate", customdata=curve["customers"],
        hovertemplate="%{x}: %{y:.1%} churn, %{customdata:,} customers<extra></extra>",
    )
    ref, note = _reference("y", base, f"base {base:.1%}")
    return go.Figure([band, line], layout=_layout(title, 360, shapes=[ref], annotations=[note],
                                                  xaxis=dict(title=x_title), yaxis=_pct()))


def scatter(frame: pd.DataFrame, x: str, y: str, colour: str, colours: dict[str, str], title: str,
            seed: int = 0) -> go.Figure:
    """A scatter coloured by a column (outcome or segment), on a seeded sample of at most SCATTER_POINTS."""
    sample = frame.sample(min(len(frame), SCATTER_POINTS), random_state=seed)
    traces = []
    for name, colour_hex in colours.items():
        part = sample[sample[colour] == name]
        traces.append(go.Scattergl(
            x=part[x], y=part[y], mode="markers", name=name,
            marker=dict(color=colour_hex, size=5, opacity=0.55, line=dict(width=0)),
            hovertemplate=f"{label(x)} %{{x}}<br>{label(y)} %{{y}}<extra>{name}</extra>",
        ))
    # The legend goes below the axis: four long segment names beside the title would cover it.
    layout = _layout(title, 460, xaxis=dict(title=label(x)), yaxis=dict(title=label(y)),
                     legend=dict(y=-0.18, yanchor="top", x=0, xanchor="left"), margin=dict(b=90))
    return go.Figure(traces, layout=layout)


def effect_bars(effects: pd.DataFrame, threshold: float, title: str) -> go.Figure:
    """Effect size per column (``column, size, kind, passes``), strongest on top."""
    colours = [CHURN_COLOUR if p else NEUTRAL for p in effects["passes"]]
    bars = go.Bar(
        x=effects["size"], y=[label(c) for c in effects["column"]], orientation="h", marker_color=colours,
        text=[f"{s:.2f}" for s in effects["size"]], textposition="outside", customdata=effects["kind"],
        hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>",
    )
    line, note = _reference("x", threshold, f"rule: ≥ {threshold:.2f}")
    line["line"]["dash"] = "dot"
    return go.Figure(bars, layout=_layout(
        title, 120 + 24 * len(effects), shapes=[line], annotations=[note], yaxis=dict(autorange="reversed"),
        xaxis=dict(title="effect size (Cramér's V or |rank-biserial r|)",
                   range=[0, float(effects["size"].max()) * 1.15 + 0.02]),
    ))
