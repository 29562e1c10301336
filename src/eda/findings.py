"""The rule engine: test every column against churn, keep what passes the rules, rank by effect size.

Two kinds of finding, each with its test and effect size:

* a **column finding**: is the column associated with churn at all? Chi-square with Cramér's V for
  categories, Mann-Whitney U with the rank-biserial correlation for numbers;
* a **segment finding**: does one category churn at a different rate from everyone else?
  Chi-square on the 2x2 table, with the difference in rates and its Newcombe 95% interval.

p-values are adjusted with Benjamini-Hochberg across all tests of one kind in a run, because the
engine tests every column and would otherwise "find" something in pure noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from src.eda import stats

#: Adjusted p-value a finding must stay below.
ALPHA = 0.01
#: Smallest effect worth telling (Cramér's V or |rank-biserial r|): Cohen's "small".
MIN_EFFECT = 0.10
#: Smallest churn-rate gap (a category against the rest of the customers) worth telling.
MIN_RATE_GAP = 0.05
#: Fewest customers a category (and the rest) must hold before its rate is compared.
MIN_GROUP = 30


def notable(p: float, effect: float) -> bool:
    """The column rule: ``p`` below :data:`ALPHA` and an effect of at least :data:`MIN_EFFECT` either way.

    Column findings pass their adjusted ``q``; the money chapter, which runs one test, its raw p-value.
    """
    return p < ALPHA and abs(effect) >= MIN_EFFECT


@dataclass(frozen=True)
class ColumnFinding:
    """One column's association with churn."""

    column: str
    kind: Literal["categorical", "numeric"]
    test: str
    statistic: float
    p: float
    q: float
    #: Cramér's V (0..1) or rank-biserial r of churners against stayers (-1..1).
    effect: float
    effect_name: str
    #: Chi-square degrees of freedom, or the churners' and stayers' medians for numbers.
    dof: int | None = None
    median_churned: float | None = None
    median_stayed: float | None = None

    @property
    def size(self) -> float:
        """The effect's magnitude, the ranking key."""
        return abs(self.effect)

    @property
    def passes(self) -> bool:
        return notable(self.q, self.effect)


@dataclass(frozen=True)
class SegmentFinding:
    """One category's churn rate against the rest of the customers."""

    column: str
    level: str
    diff: stats.RateDiff
    statistic: float
    p: float
    q: float

    @property
    def rate(self) -> stats.Rate:
        return self.diff.a

    @property
    def rest(self) -> stats.Rate:
        return self.diff.b

    @property
    def excess_churners(self) -> float:
        """Churners beyond what the category would have at the rest's rate: how much there is to win."""
        return self.rate.n * (self.rate.value - self.rest.value)

    @property
    def passes(self) -> bool:
        return (
            self.q < ALPHA
            and abs(self.diff.value) >= MIN_RATE_GAP
            and self.diff.excludes_zero
            and min(self.rate.n, self.rest.n) >= MIN_GROUP
        )


def _adjust(p: list[float]) -> list[float]:
    return list(sps.false_discovery_control(p, method="bh")) if p else []


def column_findings(
    frame: pd.DataFrame, target: str, categorical: tuple[str, ...], numeric: tuple[str, ...]
) -> list[ColumnFinding]:
    """Every column's test against the 0/1 ``target``, strongest effect first (passing or not)."""
    y = frame[target].astype(int)
    if y.nunique() < 2:
        return []
    raw: list[dict] = []
    for column in categorical:
        if frame[column].nunique() < 2:
            continue
        chi = stats.chi_square(frame[column], y)
        raw.append(dict(column=column, kind="categorical", test="chi-square", statistic=chi.statistic, p=chi.p,
                        effect=chi.cramers_v, effect_name="Cramér's V", dof=chi.dof))
    for column in numeric:
        values = frame[column].astype(float)
        if values.nunique() < 2:
            continue
        mw = stats.mann_whitney(values[y == 1], values[y == 0])
        raw.append(dict(column=column, kind="numeric", test="Mann-Whitney U", statistic=mw.u, p=mw.p,
                        effect=mw.rank_biserial, effect_name="rank-biserial r",
                        median_churned=mw.median_a, median_stayed=mw.median_b))
    q = _adjust([r["p"] for r in raw])
    found = [ColumnFinding(q=qi, **r) for r, qi in zip(raw, q, strict=True)]
    return sorted(found, key=lambda f: f.size, reverse=True)


def segment_findings(frame: pd.DataFrame, target: str, columns: tuple[str, ...]) -> list[SegmentFinding]:
    """Every category's churn rate against the rest, biggest gap first (passing or not)."""
    y = frame[target].astype(int).to_numpy()
    total_k, total_n = int(y.sum()), len(y)
    raw = []
    seen: set[bytes] = set()
    for column in columns:
        values = frame[column].astype(str).to_numpy()
        for level in pd.unique(values):
            inside = values == level
            n = int(inside.sum())
            # A category selecting exactly the customers of one already tested ("No internet service"
            # in six add-on columns) is the same fact again, so it is told once.
            if n == 0 or n == total_n or (key := np.packbits(inside).tobytes()) in seen:
                continue
            seen.add(key)
            k = int(y[inside].sum())
            table = np.array([[k, n - k], [total_k - k, total_n - n - (total_k - k)]])
            if (table.sum(axis=0) == 0).any():  # nobody (or everybody) churned: nothing to test
                continue
            chi = sps.chi2_contingency(table)
            diff = stats.newcombe(stats.wilson(k, n), stats.wilson(total_k - k, total_n - n))
            raw.append((column, str(level), diff, float(chi.statistic), float(chi.pvalue)))
    q = _adjust([r[4] for r in raw])
    found = [SegmentFinding(c, lv, d, s, p, qi) for (c, lv, d, s, p), qi in zip(raw, q, strict=True)]
    return sorted(found, key=lambda f: abs(f.diff.value), reverse=True)


def passing(findings: list) -> list:
    """Only the findings that pass the rules, order kept."""
    return [f for f in findings if f.passes]
