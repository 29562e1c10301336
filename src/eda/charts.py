"""Plotly figures of the story, in one visual language: churn is always vermilion, staying always blue.

Every function takes numbers already computed and a title that states the takeaway; the story
module writes the titles, so a chart never claims what the data does not show.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from src.eda.data import CHURNED, OUTCOME, STAYED, label

CHURN_COLOUR = "#E4572E"
STAY_COLOUR = "#4C78A8"
NEUTRAL = "#9CA3AF"
INK = "#1F2937"
OUTCOME_COLOURS = {CHURNED: CHURN_COLOUR, STAYED: STAY_COLOUR}
#: Segment colours: qualitative, colour-blind safe (Okabe-Ito without the churn/stay hues).
SEGMENT_COLOURS = ("#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#F0E442", "#0072B2")
#: Points drawn in scatter plots; a seeded sample keeps the HTML report small and the browser fast.
SCATTER_POINTS = 2500

_LAYOUT = dict(
    template="plotly_white",
    font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13, color=INK),
    title=dict(font=dict(size=16), x=0, xanchor="left", y=0.96),
    margin=dict(l=10, r=20, t=64, b=40),
    legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, title=None),
    hoverlabel=dict(font_size=12),
)


#: Characters per title line; longer takeaways wrap so they never run under the chart's toolbar.
TITLE_WIDTH = 80


def _wrap(title: str) -> str:
    head, sep, sub = title.partition("<br>")
    return "<br>".join(textwrap.wrap(head, TITLE_WIDTH)) + sep + sub


def _style(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    wrapped = _wrap(title)
    lines = wrapped.count("<br>")
    fig.update_layout(**_LAYOUT, height=height + 22 * lines)
    fig.update_layout(title_text=wrapped, margin_t=64 + 22 * lines)
    return fig


def _pct_axis(fig: go.Figure, axis: str = "x", upper: float | None = None) -> None:
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(tickformat=".0%", rangemode="tozero", range=[0, upper] if upper else None, gridcolor="#EEF0F4")


def outcome_donut(churned: int, stayed: int, title: str) -> go.Figure:
    """The base rate as a donut: churned against stayed."""
    fig = go.Figure(go.Pie(
        labels=[CHURNED, STAYED], values=[churned, stayed], hole=0.62, sort=False, direction="clockwise",
        marker=dict(colors=[CHURN_COLOUR, STAY_COLOUR], line=dict(color="white", width=2)),
        textinfo="label+percent", hovertemplate="%{label}: %{value:,} customers<extra></extra>",
    ))
    fig.update_layout(showlegend=False)
    return _style(fig, title, height=320)


def rate_bars(rates: pd.DataFrame, base: float, title: str) -> go.Figure:
    """Churn rate per group with its 95% interval; groups above the base rate in the churn colour.

    ``rates`` has columns ``group, customers, rate, ci_low, ci_high`` in display order.
    """
    colours = [CHURN_COLOUR if r > base else STAY_COLOUR for r in rates["rate"]]
    fig = go.Figure(go.Bar(
        x=rates["rate"], y=rates["group"].astype(str), orientation="h", marker_color=colours,
        error_x=dict(type="data", symmetric=False, array=rates["ci_high"] - rates["rate"],
                     arrayminus=rates["rate"] - rates["ci_low"], color=INK, thickness=1.2, width=4),
        text=[f"{r:.1%}" for r in rates["rate"]], textposition="inside", insidetextanchor="start",
        textfont=dict(color="white"),
        customdata=np.stack([rates["customers"], rates["ci_low"], rates["ci_high"]], axis=1),
        hovertemplate="%{y}: %{x:.1%} churn (95% CI %{customdata[1]:.1%}–%{customdata[2]:.1%}), "
                      "%{customdata[0]:,} customers<extra></extra>",
    ))
    fig.add_vline(x=base, line=dict(color=INK, dash="dash", width=1),
                  annotation_text=f"base {base:.1%}", annotation_position="top", annotation_font_size=11)
    _pct_axis(fig, "x", upper=min(1.0, float(rates["ci_high"].max()) * 1.1 + 0.02))
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title, height=90 + 36 * len(rates))


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
    fig.update_yaxes(gridcolor="#EEF0F4", tickprefix="$")
    return _style(fig, title, height=400)


def rate_curve(curve: pd.DataFrame, base: float, x_title: str, title: str) -> go.Figure:
    """A churn rate along an ordered axis (``x, rate, ci_low, ci_high, customers``) with its 95% band."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=np.concatenate([curve["x"], curve["x"][::-1]]), y=np.concatenate([curve["ci_high"], curve["ci_low"][::-1]]),
        fill="toself", fillcolor="rgba(228,87,46,0.18)", line=dict(width=0), hoverinfo="skip", name="95% CI",
    ))
    fig.add_trace(go.Scatter(
        x=curve["x"], y=curve["rate"], mode="lines+markers", line=dict(color=CHURN_COLOUR, width=2.5),
        name="churn rate", customdata=curve["customers"],
        hovertemplate="%{x}: %{y:.1%} churn, %{customdata:,} customers<extra></extra>",
    ))
    fig.add_hline(y=base, line=dict(color=INK, dash="dash", width=1), annotation_text=f"base {base:.1%}",
                  annotation_position="top right", annotation_font_size=11)
    _pct_axis(fig, "y")
    fig.update_xaxes(title=x_title, gridcolor="#EEF0F4")
    return _style(fig, title, height=360)


def scatter(frame: pd.DataFrame, x: str, y: str, colour: str, colours: dict[str, str], title: str,
            seed: int = 0) -> go.Figure:
    """A scatter coloured by a column (outcome or segment), on a seeded sample of at most SCATTER_POINTS."""
    sample = frame.sample(min(len(frame), SCATTER_POINTS), random_state=seed)
    fig = go.Figure()
    for name, colour_hex in colours.items():
        part = sample[sample[colour] == name]
        fig.add_trace(go.Scattergl(
            x=part[x], y=part[y], mode="markers", name=name,
            marker=dict(color=colour_hex, size=5, opacity=0.55, line=dict(width=0)),
            hovertemplate=f"{label(x)} %{{x}}<br>{label(y)} %{{y}}<extra>{name}</extra>",
        ))
    fig.update_xaxes(title=label(x), gridcolor="#EEF0F4")
    fig.update_yaxes(title=label(y), gridcolor="#EEF0F4")
    _style(fig, title, height=460)
    # Below the axis: with four long segment names a legend beside the title would cover it.
    fig.update_layout(legend=dict(y=-0.18, yanchor="top", x=0, xanchor="left"), margin_b=90)
    return fig


def effect_bars(effects: pd.DataFrame, threshold: float, title: str) -> go.Figure:
    """Effect size per column (``column, size, kind, passes``), strongest on top."""
    colours = [CHURN_COLOUR if p else NEUTRAL for p in effects["passes"]]
    fig = go.Figure(go.Bar(
        x=effects["size"], y=[label(c) for c in effects["column"]], orientation="h", marker_color=colours,
        text=[f"{s:.2f}" for s in effects["size"]], textposition="outside", customdata=effects["kind"],
        hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>",
    ))
    fig.add_vline(x=threshold, line=dict(color=INK, dash="dot", width=1), annotation_text=f"rule: ≥ {threshold:.2f}",
                  annotation_position="top", annotation_font_size=11)
    fig.update_xaxes(title="effect size (Cramér's V or |rank-biserial r|)", gridcolor="#EEF0F4",
                     range=[0, float(effects["size"].max()) * 1.15 + 0.02])
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title, height=120 + 24 * len(effects))
