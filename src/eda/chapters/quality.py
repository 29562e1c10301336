"""Chapter 2, "Data quality": the automatic checks on the file as published."""

from __future__ import annotations

from src.core.cards import Card
from src.eda import quality
from src.eda.items import Alerts, Chapter, Item
from src.eda.scope import Scope

SLUG = "quality"

def build(scope: Scope, card: Card | None = None) -> Chapter:
    """The alerts, counted by severity, and the thresholds behind them."""
    alerts = quality.alerts(scope.raw)
    counts = {s: sum(a.severity == s for a in alerts) for s in quality.SEVERITY_ORDER}
    blank = quality.is_blank(scope.filter.apply(scope.raw)["TotalCharges"]).sum()
    items: list[Item] = [
        f"{len(alerts)} automatic checks on the file as published ({len(scope.raw):,} rows) raised "
        f"**{counts['high']} high, {counts['medium']} medium, {counts['low']} low** and {counts['info']} "
        "informational alerts. The checks run on the whole file, before any filter, because a fix applies to "
        f"every row; of {scope.counted} in scope, {blank:,} have a blank TotalCharges.",
        Alerts(alerts),
        "Thresholds: near-constant at "
        f"{quality.NEAR_CONSTANT_SHARE:.0%} of rows in one value, imbalanced at {quality.IMBALANCED_SHARE:.0%}, "
        f"outliers beyond {quality.IQR_FENCE} IQR (Tukey), TotalCharges inconsistent beyond "
        f"{quality.TOTAL_MISMATCH:.0%} of tenure × MonthlyCharges.",
    ]
    return Chapter.of(SLUG, items)
