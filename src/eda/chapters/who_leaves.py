"""Chapter 3, "Who leaves": churn rate by group, with intervals and tests."""

from __future__ import annotations

import pandas as pd

from src.core.cards import Card
from src.eda import charts, rates, stats
from src.eda.data import SENIOR, TARGET, TENURE_BAND, label
from src.eda.items import Chapter, Item, Note, Table
from src.eda.scope import Scope
from src.eda.words import cap, chi_text, ci, gap_text, level_words, pct

SLUG = "who-leaves"
#: Columns charted in "Who leaves".
WHO_LEAVES = ("Contract", TENURE_BAND, "InternetService", "PaymentMethod", SENIOR,
              "OnlineSecurity", "TechSupport", "OnlineBackup", "DeviceProtection")

def build(scope: Scope, card: Card | None = None) -> Chapter:
    """One chart per column in :data:`WHO_LEAVES`, then every rate in one table."""
    frame, base = scope.frame, scope.base
    items: list[Item] = [
        f"Among {scope.who}, {pct(base.value)} left ({ci(base.low, base.high)}). Each chart shows a group's churn "
        f"rate with its {stats.CONFIDENCE:.0%} Wilson interval; the dashed line is that base rate, and groups "
        "above it are in red. "
        "Under each chart: the chi-square test of the whole column, and the group furthest from everyone else "
        "when it passes the rules (see Findings).",
    ]
    skipped = []
    for column in WHO_LEAVES:
        table = rates.churn_rates(frame, column)
        if len(table) < 2 or frame[TARGET].nunique() < 2:
            skipped.append(label(column))
            continue
        hi, lo = table.loc[table["rate"].idxmax()], table.loc[table["rate"].idxmin()]
        title = (f"{cap(level_words(column, hi['group']))} churn most: {pct(hi['rate'])}"
                 f"<br><sup>{label(column)}: lowest is {level_words(column, lo['group'])}, {pct(lo['rate'])}</sup>")
        caption = f"{label(column)} — {chi_text(stats.chi_square(frame[column], frame[TARGET]))}."
        gap = scope.top_gap(column)
        if gap is not None:
            caption += f" Furthest from the rest: {gap_text(gap)}."
        items += [charts.rate_bars(table, base.value, title), caption]
    if skipped:
        items.append(Note(f"Not charted because the filter leaves one group or one outcome: {', '.join(skipped)}."))
    table = pd.concat([rates.churn_rates(frame, c).assign(column=label(c)) for c in WHO_LEAVES], ignore_index=True)
    items.append(Table(table[["column", "group", "customers", "churned", "rate", "ci_low", "ci_high"]],
                       f"Churn rate by group for {scope.who}, with {stats.CONFIDENCE:.0%} Wilson intervals.",
                       {"rate": "pct", "ci_low": "pct", "ci_high": "pct"}))
    return Chapter.of(SLUG, items)
