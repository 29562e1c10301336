"""Plotly figures for the Model health page (pure functions of frames; no streamlit here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 300, "legend": {"orientation": "h", "y": -0.2}}


def traffic(timeline: pd.DataFrame) -> go.Figure:
    """Predictions per demo per time bucket, stacked bars."""
    fig = go.Figure([go.Bar(x=g["time"], y=g["predictions"], name=demo) for demo, g in timeline.groupby("demo")])
    fig.update_layout(barmode="stack", title="Predictions over time", yaxis_title="predictions", **_LAYOUT)
    return fig


def confidence_histograms(frame: pd.DataFrame) -> go.Figure:
    """Confidence distribution per demo (share of that demo's predictions)."""
    fig = go.Figure()
    for demo, g in frame.dropna(subset=["confidence"]).groupby("demo"):
        fig.add_trace(go.Histogram(x=g["confidence"], name=demo, histnorm="probability", opacity=0.6,
                                   xbins={"start": 0, "end": 1.0001, "size": 0.05}))
    fig.update_layout(barmode="overlay", title="Confidence (churn: probability of churn)", xaxis_title="confidence",
                      yaxis_title="share", **_LAYOUT)
    return fig


def distribution(reference: pd.Series, current: pd.Series, kind: str, title: str) -> go.Figure:
    """Reference vs current for one column: overlaid histograms (numeric) or grouped shares (categorical)."""
    fig = go.Figure()
    if kind == "num":
        ref, cur = pd.to_numeric(reference, errors="coerce").dropna(), pd.to_numeric(current, errors="coerce").dropna()
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=30)
        for name, values in (("training (reference)", ref), ("current window", cur)):
            fig.add_trace(go.Histogram(x=values, name=name, histnorm="probability", opacity=0.6,
                                       xbins={"start": edges[0], "end": edges[-1], "size": edges[1] - edges[0]}))
        fig.update_layout(barmode="overlay")
    else:
        shares = pd.DataFrame({"training (reference)": reference.astype(str).value_counts(normalize=True),
                               "current window": current.astype(str).value_counts(normalize=True)}).fillna(0)
        for name in shares.columns:
            fig.add_trace(go.Bar(x=shares.index, y=shares[name], name=name))
        fig.update_layout(barmode="group")
    fig.update_layout(title=title, yaxis_title="share", **_LAYOUT)
    return fig


def metric_curves(curves: pd.DataFrame, metric: str) -> go.Figure:
    """One metric's per-step history for each compared run."""
    fig = go.Figure()
    for run, g in curves[curves["metric"] == metric].groupby("run"):
        g = g.sort_values("step")
        fig.add_trace(go.Scatter(x=g["step"], y=g["value"], mode="lines+markers", name=str(run)))
    fig.update_layout(title=metric, xaxis_title="step (epoch or fold)", xaxis_tickformat="d", **_LAYOUT)
    return fig


def estimates(estimated: dict, realised: dict | None, reference: dict | None) -> go.Figure:
    """CBPE estimates with their 95% intervals, the realised figures (labels) and the training figures."""
    names = list(estimated)
    fig = go.Figure(go.Scatter(
        x=names, y=[estimated[n].value for n in names], mode="markers", name="estimated (CBPE)",
        marker={"size": 11},
        error_y={"type": "data", "symmetric": False, "array": [estimated[n].high - estimated[n].value for n in names],
                 "arrayminus": [estimated[n].value - estimated[n].low for n in names]}))
    if realised:
        fig.add_trace(go.Scatter(x=names, y=[realised.get(n) for n in names], mode="markers", name="realised (labels)",
                                 marker={"symbol": "x", "size": 12}))
    if reference:
        fig.add_trace(go.Scatter(x=names, y=[reference.get(n) for n in names], mode="markers",
                                 name="model card (cross-validated)", marker={"symbol": "diamond-open", "size": 12}))
    fig.update_layout(title="Churn performance on the window", yaxis_range=[0, 1], **_LAYOUT)
    return fig
