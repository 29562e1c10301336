"""Churn rates by group and along tenure, each with its Wilson 95% interval."""

from __future__ import annotations

import pandas as pd

from src.eda import stats
from src.eda.data import TARGET

#: Width (months) of the tenure windows in the churn-by-tenure curve.
TENURE_WINDOW = 6


def churn_rates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per group: ``group, customers, churned, rate, ci_low, ci_high``.

    Ordered categories (tenure bands) keep their order; other groups go from highest rate to lowest.
    """
    grouped = frame.groupby(column, observed=True)[TARGET].agg(["sum", "count"])
    rows = []
    for group, (k, n) in grouped.iterrows():
        rate = stats.wilson(int(k), int(n))
        rows.append({"group": str(group), "customers": int(n), "churned": int(k), "rate": rate.value,
                     "ci_low": rate.low, "ci_high": rate.high})
    table = pd.DataFrame(rows, columns=["group", "customers", "churned", "rate", "ci_low", "ci_high"])
    if isinstance(frame[column].dtype, pd.CategoricalDtype):
        return table
    return table.sort_values("rate", ascending=False, ignore_index=True)


def tenure_curve(frame: pd.DataFrame, window: int = TENURE_WINDOW) -> pd.DataFrame:
    """Churn rate per tenure window (``x`` is the window's label, e.g. ``0–5``)."""
    start = (frame["tenure"] // window * window).astype(int)
    rows = []
    for lo, part in frame.groupby(start):
        rate = stats.wilson(int(part[TARGET].sum()), len(part))
        hi = min(lo + window - 1, int(part["tenure"].max()))
        rows.append({"x": f"{lo}–{hi}" if hi > lo else f"{lo}", "start": lo, "customers": len(part), "rate": rate.value,
                     "ci_low": rate.low, "ci_high": rate.high})
    return pd.DataFrame(rows, columns=["x", "start", "customers", "rate", "ci_low", "ci_high"])
