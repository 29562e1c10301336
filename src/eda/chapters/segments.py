"""Chapter 5, "Segments": k-means segments and their churn rates."""

from __future__ import annotations

from src.core.cards import Card
from src.eda import charts
from src.eda.items import Chapter, Item, Note, Table
from src.eda.scope import Scope
from src.eda.segments import N_SEGMENTS, SEGMENT
from src.eda.words import ci, money, pct

SLUG = "segments"

def build(scope: Scope, card: Card | None = None) -> Chapter:
    """Segments with their fit, profiles, churn rates and charts."""
    seg = scope.segmentation
    if seg is None:
        return Chapter.of(SLUG, [Note(
            f"The filter keeps {scope.counted}: too few to cluster into {N_SEGMENTS} segments. "
            "Widen the filter.", "warning")])
    p = seg.profile
    fit = ("clear structure" if seg.silhouette >= 0.5 else
           "moderate separation: a useful summary, not natural kinds" if seg.silhouette >= 0.25 else
           "weak separation: read the segments as slices of a continuum")
    risky, safe = p.iloc[0], p.iloc[-1]
    ratio = risky["churn_rate"] / safe["churn_rate"] if safe["churn_rate"] > 0 else float("inf")
    items: list[Item] = [
        f"K-means with k = {N_SEGMENTS} on scaled tenure, monthly charges and number of services splits "
        f"{scope.counted} into {N_SEGMENTS} segments (silhouette {seg.silhouette:.2f}: {fit}). "
        "Each is named by rule from its centre against the medians. The clustering never sees churn, "
        "so the churn rates below are a test of the segments, not their definition.",
        f"**The riskiest segment, {risky['name'].lower()}, churns at {pct(risky['churn_rate'])}**"
        + (f", {ratio:.1f}× the rate of the safest ({safe['name'].lower()}, {pct(safe['churn_rate'])})."
           if ratio != float("inf") else f"; nobody in the safest ({safe['name'].lower()}) left."),
    ]
    for _, s in p.iterrows():
        items.append(
            f"- **{s['name']}**: {s['customers']:,} customers ({s['share']:.0%}), churn {pct(s['churn_rate'])} "
            f"({ci(s['ci_low'], s['ci_high'])}); median tenure {s['median_tenure']:.0f} months, "
            f"{money(s['median_monthly'])}/month, {s['mean_services']:.1f} services on average, "
            f"{s['top_contract_share']:.0%} on {s['top_contract'].lower()} contracts.")
    colours = dict(zip(p["name"], charts.SEGMENT_COLOURS, strict=False))
    framed = scope.frame.assign(**{SEGMENT: seg.labels})
    bars = p.rename(columns={"name": "group", "churn_rate": "rate"})
    items += [
        charts.rate_bars(bars, scope.base.value, f"{risky['name']} churn most: {pct(risky['churn_rate'])}"),
        charts.scatter(framed, "tenure", "MonthlyCharges", SEGMENT, colours,
                       f"The {N_SEGMENTS} segments on tenure and monthly charge"),
    ]
    table = p[["name", "customers", "share", "churn_rate", "ci_low", "ci_high", "median_tenure", "median_monthly",
               "mean_services", "top_contract"]]
    items.append(Table(table, f"Segment profiles for {scope.who}.",
                       {"share": "pct", "churn_rate": "pct", "ci_low": "pct", "ci_high": "pct",
                        "median_monthly": "money", "mean_services": "float"}))
    return Chapter.of(SLUG, items)
