"""Wording helpers the chapters share: numbers, intervals, test results and groups as words."""

from __future__ import annotations

from src.eda import findings, stats
from src.eda.data import CATEGORICAL, SENIOR, TENURE_BAND, label


def pct(x: float) -> str:
    """0.2654 -> "26.5%"."""
    return f"{x:.1%}"


def ci(low: float, high: float) -> str:
    """A rate's interval at the story's confidence level (95%)."""
    return f"{stats.CONFIDENCE:.0%} CI {low:.1%}–{high:.1%}"


def points(x: float) -> str:
    """A difference of rates in percentage points, signed."""
    return f"{x * 100:+.1f} points"


def money(x: float) -> str:
    """Dollars with cents."""
    return f"${x:,.2f}"


def cap(text: str) -> str:
    """Upper-case the first letter only ("DSL customers" stays "DSL", unlike ``str.capitalize``)."""
    return text[:1].upper() + text[1:]


def value(column: str, x: float) -> str:
    """A value of a numeric column with its unit."""
    return f"{x:,.0f} months" if column == "tenure" else money(x)


def level_words(column: str, level: str) -> str:
    """A category as the subject of a sentence: "Month-to-month customers", "customers without tech support"."""
    if column in CATEGORICAL and level in ("Yes", "No") and column != SENIOR:
        return f"customers {'with' if level == 'Yes' else 'without'} {label(column).lower()}"
    if level in ("No internet service", "No phone service"):
        return f"customers with {level.lower()}"
    if column == TENURE_BAND:
        return f"customers at {level} of tenure"
    if column == SENIOR:
        return f"{level.lower()} customers"
    return f"{level} customers"


def chi_text(chi: stats.ChiSquare) -> str:
    """A chi-square test with its effect size, for a caption."""
    return (f"χ²({chi.dof}) = {chi.statistic:,.1f}, {stats.format_p(chi.p)}, Cramér's V = {chi.cramers_v:.2f} "
            f"({stats.effect_label(chi.cramers_v)})")


def mw_text(mw: stats.MannWhitney) -> str:
    """A Mann-Whitney test with its effect size, for a sentence."""
    return (f"Mann-Whitney U = {mw.u:,.0f}, {stats.format_p(mw.p)}, rank-biserial r = {mw.rank_biserial:+.2f} "
            f"({stats.effect_label(mw.rank_biserial)})")


def gap_text(f: findings.SegmentFinding) -> str:
    """One category against the rest, with the interval of the difference."""
    who = cap(level_words(f.column, f.level))
    return (f"{who} churn at {pct(f.rate.value)} ({ci(f.rate.low, f.rate.high)}) against {pct(f.rest.value)} "
            f"for everyone else: {points(f.diff.value)} ({stats.CONFIDENCE:.0%} CI "
            f"{f.diff.low * 100:+.1f} to {f.diff.high * 100:+.1f})")
