"""Statistical primitives of the story: rates with Wilson intervals, their differences, and effect sizes.

Each function is a thin, documented wrapper over SciPy so the rule engine reads as statistics,
not as plumbing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

#: Confidence level of every interval in the story.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate's confidence interval ``[low, high]`` (:data:`CONFIDENCE` in the story); subclasses say what
    the estimate (``value``) is.

    Keyword-only, so a subclass's own fields come first: ``Rate(k, n, low=..., high=...)``.
    """

    low: float = field(kw_only=True)
    high: float = field(kw_only=True)

    @property
    def value(self) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Interval):
    """A proportion ``k / n`` with its Wilson score interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else math.nan


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> Rate:
    """``k`` successes out of ``n`` with the Wilson score interval.

    The closed form gives the same interval as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``
    (a unit test holds it to that), but ``binomtest`` also computes an exact p-value we do not use, at about
    3 ms a call; a filter change needs over a hundred intervals within the 500 ms rerun budget.
    """
    if n == 0:
        return Rate(0, 0, low=math.nan, high=math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Rate(int(k), int(n), low=max(0.0, centre - half), high=min(1.0, centre + half))


@dataclass(frozen=True)
class RateDiff(Interval):
    """Difference ``a - b`` of two independent proportions with Newcombe's hybrid score interval."""

    a: Rate
    b: Rate

    @property
    def value(self) -> float:
        return self.a.value - self.b.value

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def newcombe(a: Rate, b: Rate) -> RateDiff:
    """Newcombe (1998, method 10): combine the two Wilson intervals into one for the difference.

    SciPy has no two-sample proportion interval, and this one is a few lines on top of Wilson.
    """
    d = a.value - b.value
    low = d - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    high = d + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return RateDiff(a, b, low=low, high=high)


@dataclass(frozen=True)
class ChiSquare:
    """Chi-square test of independence on a contingency table, with Cramér's V."""

    statistic: float
    dof: int
    p: float
    cramers_v: float


def chi_square(x: pd.Series, y: pd.Series) -> ChiSquare:
    """Test whether two categorical series are independent."""
    table = pd.crosstab(x, y).to_numpy()
    result = stats.chi2_contingency(table)
    v = association(table, method="cramer")
    return ChiSquare(float(result.statistic), int(result.dof), float(result.pvalue), float(v))


@dataclass(frozen=True)
class MannWhitney:
    """Mann-Whitney U of group ``a`` against group ``b``, with the rank-biserial correlation.

    ``rank_biserial`` is positive when values in ``a`` tend to be larger; ``prob_superiority`` is
    the chance that a random member of ``a`` is larger than a random member of ``b`` (ties count half).
    """

    u: float
    p: float
    rank_biserial: float
    median_a: float
    median_b: float

    @property
    def prob_superiority(self) -> float:
        return (self.rank_biserial + 1) / 2


def mann_whitney(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> MannWhitney:
    """Two-sided Mann-Whitney U test with its effect size."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    r = 2 * result.statistic / (len(a) * len(b)) - 1
    return MannWhitney(float(result.statistic), float(result.pvalue), float(r),
                       float(np.median(a)), float(np.median(b)))


def effect_label(size: float) -> str:
    """Words for a 0-1 effect size (Cohen's conventions for w / r: 0.1 small, 0.3 medium, 0.5 large)."""
    size = abs(size)
    if size >= 0.5:
        return "large"
    if size >= 0.3:
        return "medium"
    if size >= 0.1:
        return "small"
    return "negligible"


def format_p(p: float) -> str:
    """A p-value as a reader expects it: ``p < 0.001`` below that, else three decimals."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
