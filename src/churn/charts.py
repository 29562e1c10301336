"""Plotly figures for the churn page, built from plain arrays and frames (no streamlit here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from src.churn import metrics
from src.churn.explain import Explanation, describe

ACCENT = "#4F46E5"
WARN = "#DC2626"
GOOD = "#059669"
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 340, "template": "plotly_white"}


def _diagonal(fig: go.Figure, x: list[float], y: list[float]) -> None:
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line={"dash": "dot", "color": "grey"}, name="random",
                             hoverinfo="skip"))


def roc(y: np.ndarray, p: np.ndarray) -> go.Figure:
    """ROC curve with its AUC."""
    curve = metrics.roc(y, p)
    auc = metrics.scores(y, p, 0.5)["roc_auc"]
    fig = go.Figure(go.Scatter(x=curve.fpr, y=curve.tpr, mode="lines", line={"color": ACCENT}, name="model",
                               customdata=curve.threshold, hovertemplate="FPR %{x:.2f}<br>TPR %{y:.2f}<br>"
                               "threshold %{customdata:.2f}<extra></extra>"))
    _diagonal(fig, [0, 1], [0, 1])
    return fig.update_layout(title=f"ROC curve (AUC {auc:.3f})", xaxis_title="false positive rate",
                             yaxis_title="true positive rate", showlegend=False, **_LAYOUT)


def pr(y: np.ndarray, p: np.ndarray) -> go.Figure:
    """Precision-recall curve with the base rate as the no-skill line."""
    curve = metrics.pr(y, p)
    ap = metrics.scores(y, p, 0.5)["pr_auc"]
    fig = go.Figure(go.Scatter(x=curve.recall, y=curve.precision, mode="lines", line={"color": ACCENT},
                               customdata=curve.threshold, hovertemplate="recall %{x:.2f}<br>precision %{y:.2f}"
                               "<br>threshold %{customdata:.2f}<extra></extra>"))
    _diagonal(fig, [0, 1], [y.mean(), y.mean()])
    return fig.update_layout(title=f"Precision-recall (AP {ap:.3f})", xaxis_title="recall", yaxis_title="precision",
                             showlegend=False, **_LAYOUT)


def gains(y: np.ndarray, p: np.ndarray) -> go.Figure:
    """Cumulative gains (left axis) and lift (right axis) against the share of customers contacted."""
    g = metrics.gains(y, p)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=g.share, y=g.gain, mode="lines+markers", name="cumulative gain",
                             line={"color": ACCENT}))
    _diagonal(fig, [0, 1], [0, 1])
    fig.add_trace(go.Scatter(x=g.share, y=g.lift, mode="lines", name="lift", yaxis="y2", line={"color": WARN}))
    return fig.update_layout(
        title="Cumulative gains and lift", xaxis_title="share of customers contacted (riskiest first)",
        yaxis={"title": "share of churners reached"}, yaxis2={"title": "lift", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.25}, **_LAYOUT,
    )


def calibration(y: np.ndarray, p: np.ndarray) -> go.Figure:
    """Reliability curve: observed churn rate against mean predicted probability."""
    c = metrics.calibration(y, p)
    fig = go.Figure(go.Scatter(x=c.predicted, y=c.observed, mode="lines+markers", line={"color": ACCENT}))
    _diagonal(fig, [0, 1], [0, 1])
    return fig.update_layout(title="Calibration (10 equal-count bins)", xaxis_title="mean predicted probability",
                             yaxis_title="observed churn rate", showlegend=False, **_LAYOUT)


def confusion(cm: metrics.Confusion) -> go.Figure:
    """The 2x2 confusion matrix as an annotated heatmap."""
    z = [[cm.tn, cm.fp], [cm.fn, cm.tp]]
    fig = px.imshow(z, x=["predicted stay", "predicted churn"], y=["stayed", "churned"], text_auto=True,
                    color_continuous_scale="Blues", aspect="auto")
    return fig.update_layout(title="Confusion matrix", coloraxis_showscale=False, **{**_LAYOUT, "height": 300})


def profit(curve: pd.DataFrame, best: float, current: float) -> go.Figure:
    """Expected profit per 1,000 customers against the threshold, best and current marked."""
    fig = go.Figure(go.Scatter(x=curve.threshold, y=curve.profit, mode="lines", line={"color": ACCENT},
                               hovertemplate="threshold %{x:.2f}<br>profit $%{y:,.0f}<extra></extra>"))
    fig.add_vline(x=best, line={"color": GOOD, "dash": "dash"}, annotation_text=f"best {best:.2f}")
    fig.add_vline(x=current, line={"color": WARN}, annotation_text=f"current {current:.2f}",
                  annotation_position="bottom right")
    fig.add_hline(y=0, line={"color": "grey", "width": 1})
    return fig.update_layout(title="Expected profit per 1,000 customers", xaxis_title="threshold",
                             yaxis_title="dollars", showlegend=False, **_LAYOUT)


def drivers(top: list[dict[str, float]], k: int = 12) -> go.Figure:
    """Global importance: mean |SHAP| per feature (from the model card)."""
    frame = pd.DataFrame(top[:k]).iloc[::-1]
    fig = go.Figure(go.Bar(x=frame.mean_abs_shap, y=frame.feature, orientation="h", marker_color=ACCENT))
    return fig.update_layout(title="Mean |SHAP| (log-odds), all customers", xaxis_title="mean |SHAP value|",
                             **{**_LAYOUT, "height": 420})


def _colour_values(column: pd.Series) -> np.ndarray:
    """Feature values scaled to 0..1 for colouring (categories by their code)."""
    values = pd.to_numeric(column, errors="coerce")
    if values.isna().any():
        values = pd.Series(pd.Categorical(column.astype(str)).codes, index=column.index).astype(float)
    lo, hi = values.min(), values.max()
    return ((values - lo) / (hi - lo if hi > lo else 1)).to_numpy()


def beeswarm(expl: Explanation, order: list[str], k: int = 10, seed: int = 0) -> go.Figure:
    """SHAP summary: one dot per customer and feature, coloured from low (blue) to high (red) value."""
    rng = np.random.default_rng(seed)
    fig = go.Figure()
    features = list(expl.data.columns)
    for rank, feature in enumerate(order[:k][::-1]):
        j = features.index(feature)
        fig.add_trace(go.Scattergl(
            x=expl.values[:, j], y=rank + rng.uniform(-0.3, 0.3, len(expl.values)), mode="markers",
            marker={"size": 4, "color": _colour_values(expl.data[feature]), "colorscale": "Bluered", "cmin": 0,
                    "cmax": 1, "opacity": 0.6},
            text=expl.data[feature].astype(str), name=feature,
            hovertemplate=f"{feature} = %{{text}}<br>SHAP %{{x:+.2f}}<extra></extra>",
        ))
    fig.update_yaxes(tickvals=list(range(min(k, len(order)))), ticktext=order[:k][::-1])
    return fig.update_layout(title="SHAP summary (red = high value or later category A-Z)",
                             xaxis_title="SHAP value (log-odds)", showlegend=False, **{**_LAYOUT, "height": 460})


def dependence(expl: Explanation, feature: str, colour_by: str, seed: int = 0) -> go.Figure:
    """SHAP value of one feature against its value, coloured by another (categories jittered along x)."""
    j = list(expl.data.columns).index(feature)
    x = expl.data[feature]
    colour = expl.data[colour_by]
    numeric_colour = pd.api.types.is_numeric_dtype(colour) and colour.nunique() > 2
    frame = pd.DataFrame({"x": x, "SHAP": expl.values[:, j],
                          colour_by: colour if numeric_colour else colour.astype(str)})
    categories = None
    if not pd.api.types.is_numeric_dtype(x):
        categories = sorted(x.astype(str).unique())
        frame["x"] = x.astype(str).map(categories.index) + np.random.default_rng(seed).uniform(-0.3, 0.3, len(x))
    fig = px.scatter(frame, x="x", y="SHAP", color=colour_by, opacity=0.6,
                     color_continuous_scale="Bluered" if numeric_colour else None)
    if categories is not None:
        fig.update_xaxes(tickvals=list(range(len(categories))), ticktext=categories)
    return fig.update_layout(title=f"SHAP dependence: {feature}, coloured by {colour_by}", xaxis_title=feature,
                             yaxis_title=f"SHAP value of {feature}", **{**_LAYOUT, "height": 400})


def waterfall(contrib: pd.DataFrame, base: float, k: int = 8) -> go.Figure:
    """One customer's SHAP waterfall in log-odds: from the average customer to this one."""
    head, rest = contrib.head(k), contrib.iloc[k:]
    labels = [describe(r.feature, r.value) for r in head.itertuples()]
    values = head["shap"].tolist()
    if len(rest):
        labels.append(f"{len(rest)} other features")
        values.append(float(rest["shap"].sum()))
    total = base + sum(values)
    fig = go.Figure(go.Waterfall(
        orientation="h", y=["average customer", *labels, "this customer"],
        x=[base, *values, total], measure=["absolute", *["relative"] * len(values), "total"],
        increasing={"marker": {"color": WARN}}, decreasing={"marker": {"color": GOOD}},
        totals={"marker": {"color": ACCENT}}, texttemplate="%{x:+.2f}", connector={"line": {"color": "grey"}},
        textposition="outside", cliponaxis=False,
    ))
    fig.update_yaxes(autorange="reversed")
    return fig.update_layout(title="SHAP waterfall: average customer to this one", xaxis_title="log-odds of churn",
                             **{**_LAYOUT, "height": 420})


def fairness(table: pd.DataFrame, attribute: str) -> go.Figure:
    """Selection rate, TPR and FPR side by side for each group."""
    long = table.melt(id_vars="group", value_vars=["selection_rate", "tpr", "fpr"], var_name="rate")
    fig = px.bar(long, x="rate", y="value", color="group", barmode="group", text_auto=".0%")
    return fig.update_layout(title=f"By {attribute}", yaxis_tickformat=".0%", **{**_LAYOUT, "height": 300})
