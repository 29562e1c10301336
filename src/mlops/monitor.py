"""Health checks over a window of the prediction log: drift per demo, churn's estimated performance, alerts.

Every check returns data, never raises on an empty window, and states its method and threshold, so
the page can print a verdict next to the rule that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from src.core import demos
from src.core.cards import Card
from src.mlops import cbpe, drift

#: Fewer rows than this in a window and drift is not judged (the tests have too little power to mean much).
MIN_WINDOW = 30
#: A "not helpful" share above this in the RAG chat feedback raises an alert (with at least 5 ratings).
THUMBS_DOWN_SHARE = 0.5


@dataclass
class Health:
    """What the page shows for one demo's window."""

    demo: str
    rows: int
    drift: drift.DatasetDrift | None = None
    estimate: dict[str, cbpe.Estimate] | None = None
    notes: list[str] = field(default_factory=list)


def window_drift(reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str],
                 method: str | None = None) -> drift.DatasetDrift | None:
    """Drift of the window's input columns against the reference; None when the window is too small."""
    if len(current) < MIN_WINDOW:
        return None
    usable = {c: k for c, k in kinds.items() if c in current and c in reference}
    cur = current[list(usable)].copy()
    for column, kind in usable.items():
        if kind == "num":
            cur[column] = pd.to_numeric(cur[column], errors="coerce")
    return drift.dataset_drift(reference, cur, usable, method)


def churn_estimate(current: pd.DataFrame, threshold: float) -> dict[str, cbpe.Estimate] | None:
    """CBPE precision/recall/ROC-AUC of the window from its logged churn probabilities."""
    p = pd.to_numeric(current.get("confidence"), errors="coerce").dropna().to_numpy() if len(current) else []
    return cbpe.estimate(np.asarray(p), threshold) if len(p) >= MIN_WINDOW else None


def drift_alert(demo: str, result: drift.DatasetDrift | None) -> str | None:
    """One sentence when any column drifted."""
    if result is None:
        return None
    drifted = sorted((c for c in result.columns if c.drifted), key=lambda c: -c.strength)
    if not drifted:
        return None
    worst = ", ".join(f"{c.column} ({c.method} {c.score:.3g}, {c.rule})" for c in drifted[:4])
    more = f" and {len(drifted) - 4} more" if len(drifted) > 4 else ""
    verdict = ("the dataset has drifted (at least half the columns)" if result.drifted
               else f"below the dataset-drift bar of {result.drift_share:.0%} of columns")
    return (f"{demo.capitalize()}: {len(drifted)} of {len(result.columns)} inputs drifted in the last "
            f"{result.current_rows} predictions: {worst}{more}; {verdict}.")


def performance_alert(estimate: dict[str, cbpe.Estimate] | None, card: Card | None) -> str | None:
    """One sentence when the estimated ROC-AUC interval lies below the card's cross-validated figure."""
    if not estimate or card is None:
        return None
    trained = next((m for m in card.metrics if "roc" in m.name.lower()), None)
    est = estimate["roc_auc"]
    if trained is None or not np.isfinite(est.high):
        return None
    floor = trained.value - (trained.std or 0.0)
    if est.high < floor:
        return (f"Churn: estimated ROC-AUC {est.value:.3f} (95% interval {est.low:.3f}-{est.high:.3f}) is below the "
                f"model card's {trained.value:.3f} ± {trained.std or 0:.3f}: the model is likely doing worse on this "
                "traffic; check with labels before retraining.")
    return None


def latency_budgets() -> dict[str, float]:
    """p95 latency (ms) above which each monitored demo raises an alert (``latency_p95_ms`` in its demo.toml)."""
    return {slug: m.latency_p95_ms for slug, m in demos.MONITORED.items() if m.latency_p95_ms}


def latency_alerts(summary: pd.DataFrame) -> list[str]:
    """A sentence for each demo whose p95 latency is over its budget."""
    out, budgets = [], latency_budgets()
    for _, row in summary.iterrows():
        budget = budgets.get(row["demo"])
        if budget and row["p95 latency (ms)"] > budget:
            out.append(f"{row['demo'].capitalize()}: p95 latency {row['p95 latency (ms)']:.0f} ms is over the "
                       f"{budget:.0f} ms budget.")
    return out


def feedback_alert(up: int, down: int) -> str | None:
    """A sentence when most RAG answers were rated not helpful."""
    total = up + down
    if total >= 5 and down / total > THUMBS_DOWN_SHARE:
        return f"RAG chat: {down} of {total} rated answers were 'not helpful' ({down / total:.0%})."
    return None
