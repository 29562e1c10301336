"""Chapter 1, "The question": the data, the base rate and every column as published."""

from __future__ import annotations

import pandas as pd

from src.churn import data as telco
from src.core.cards import Card
from src.eda import charts, stats
from src.eda.data import TARGET
from src.eda.items import Chapter, Item, Metric, Metrics, Table
from src.eda.scope import Scope
from src.eda.words import ci, pct

SLUG = "question"

def build(scope: Scope, card: Card | None = None) -> Chapter:
    """The question, the file, the base rate and the data dictionary."""
    raw, frame, base = scope.raw, scope.frame, scope.base
    churned = int(frame[TARGET].sum())
    clean = telco.clean(raw)
    numeric = [c for c in clean.columns if pd.api.types.is_numeric_dtype(clean[c]) and c != TARGET]
    as_text = [c for c in numeric if not pd.api.types.is_numeric_dtype(raw[c])]
    n_text = raw.shape[1] - len(numeric) - 2  # minus the ID and the churn flag
    one_in = round(1 / base.value) if base.value > 0 else 0
    items: list[Item] = [
        "**The question:** which customers leave, and what could keep them?",
        f"The data is IBM's Telco customer file: **{len(raw):,} rows and {raw.shape[1]} columns**. One row is one "
        f"customer; `Churn` says whether they left in the last month. Besides the ID and the churn flag there are "
        f"{n_text} text columns (services, contract, billing, demographics) and {len(numeric)} numeric ones"
        + (f", of which {', '.join(as_text)} is published as text (see Data quality)." if as_text else "."),
    ]
    if scope.filter.is_empty:
        items.append(f"**{churned:,} of {len(frame):,} customers left: a churn rate of {pct(base.value)}** "
                     f"({ci(base.low, base.high)}), about 1 in {one_in}. That is the base rate every other "
                     "number in this story is compared with.")
    else:
        overall = stats.wilson(int(scope.full[TARGET].sum()), len(scope.full))
        items.append(f"This story is filtered to **{scope.who}: {len(frame):,} of {len(scope.full):,} customers**. "
                     f"{churned:,} of them left, **a churn rate of {pct(base.value)}** ({ci(base.low, base.high)}), "
                     f"against {pct(overall.value)} for all customers. Every number below is for this group.")
    items.append(Metrics([
        Metric("Customers", f"{len(frame):,}", f"rows kept by the filter: {scope.who}"),
        Metric("Churned", f"{churned:,}"),
        Metric("Churn rate", pct(base.value), ci(base.low, base.high) + " (Wilson)"),
        Metric("Columns", f"{raw.shape[1]}", "as published, including the ID and the churn flag"),
    ]))
    items.append(charts.outcome_donut(churned, len(frame) - churned,
                                      f"About 1 in {one_in} of {scope.who} left ({pct(base.value)})"
                                      if one_in else f"None of {scope.who} left"))
    items.append(Table(_dictionary(raw), "Every column as published, and the type the story uses."))
    return Chapter.of(SLUG, items)


def _dictionary(raw: pd.DataFrame) -> pd.DataFrame:
    clean = telco.clean(raw)
    rows = []
    for column in raw.columns:
        values = raw[column].dropna().astype(str).unique()
        rows.append({"column": column, "published as": str(raw[column].dtype), "used as": str(clean[column].dtype),
                     "distinct values": raw[column].nunique(),
                     "examples": ", ".join(values[:3]) + (" …" if len(values) > 3 else "")})
    return pd.DataFrame(rows)
