"""Data drift between a reference sample (training data) and a current window, Evidently-style, with scipy.

Evidently 0.7.x does not import with pandas 3, so its *default* test selection is reimplemented here
rather than downgrading pandas. The rules follow ``evidently.calculations.stattests.registry.
_get_default_stattest`` (Evidently 0.4-0.7), where ``n_unique`` counts reference and current together:

| reference rows | column                  | test                       | drift when        |
|----------------|-------------------------|----------------------------|-------------------|
| <= 1000        | numeric, > 5 values     | two-sample Kolmogorov-Smirnov | p < 0.05       |
| <= 1000        | categorical / <= 5 values, > 2 | chi-square goodness of fit | p < 0.05       |
| <= 1000        | binary (<= 2 values)    | two-proportion z-test      | p < 0.05          |
| > 1000         | numeric, > 5 values     | Wasserstein distance / reference std ("normed") | >= 0.1 |
| > 1000         | categorical / <= 5 values | Jensen-Shannon distance  | >= 0.1            |

The dataset counts as drifted when the share of drifted columns is >= 0.5 (Evidently's
``drift_share`` default). PSI (Evidently's ``psi``: threshold 0.1, same binning) is available on request.
Binning follows Evidently's ``get_binned_data``: Sturges bins over both samples for numeric columns with
more than 20 reference values, category shares otherwise, and empty bins filled with a tiny share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

#: Evidently's defaults.
P_VALUE = 0.05
DISTANCE = 0.1
PSI_THRESHOLD = 0.1
DRIFT_SHARE = 0.5
SMALL_REFERENCE = 1000
#: Every test by name: its title, its threshold, and whether a score *below* it (a p-value) means drift.
METHODS: dict[str, tuple[str, float, bool]] = {
    "ks": ("K-S p-value", P_VALUE, True),
    "chisquare": ("chi-square p-value", P_VALUE, True),
    "z": ("z-test p-value", P_VALUE, True),
    "wasserstein": ("Wasserstein distance (normed)", DISTANCE, False),
    "jensenshannon": ("Jensen-Shannon distance", DISTANCE, False),
    "psi": ("PSI", PSI_THRESHOLD, False),
}


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict with the method and threshold that produced it."""

    column: str
    kind: str  # "num" or "cat"
    method: str
    score: float
    threshold: float
    drifted: bool
    #: True when a small score means drift (p-values), False for distances.
    lower_is_drift: bool

    @property
    def strength(self) -> float:
        """How far past its threshold the score is (> 1 means drifted), for ranking columns."""
        if self.lower_is_drift:
            return self.threshold / max(self.score, 1e-300)
        return self.score / self.threshold

    @property
    def rule(self) -> str:
        """The verdict rule in words, e.g. ``p < 0.05`` or ``distance >= 0.1``."""
        return f"p < {self.threshold:g}" if self.lower_is_drift else f"score >= {self.threshold:g}"


@dataclass(frozen=True)
class DatasetDrift:
    """Every column's verdict and the dataset-level verdict."""

    columns: list[ColumnDrift]
    share: float
    drifted: bool
    drift_share: float = DRIFT_SHARE
    reference_rows: int = 0
    current_rows: int = 0

    def frame(self) -> pd.DataFrame:
        """One row per column, the most drifted first: method, score, rule, verdict."""
        ranked = sorted(self.columns, key=lambda c: -c.strength)
        return pd.DataFrame([{"column": c.column, "type": c.kind, "method": c.method, "score": float(f"{c.score:.4g}"),
                              "rule": c.rule, "drifted": c.drifted} for c in ranked])


def choose_method(reference: pd.Series, current: pd.Series, kind: str) -> str:
    """The test Evidently picks by default: ``ks``, ``chisquare``, ``z``, ``wasserstein`` or ``jensenshannon``."""
    n_values = pd.concat([reference, current]).nunique()
    small = len(reference) <= SMALL_REFERENCE
    if kind == "num" and n_values > 5:
        return "ks" if small else "wasserstein"
    if small:
        return "chisquare" if n_values > 2 else "z"
    return "jensenshannon"


def binned_shares(reference: pd.Series, current: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Shares per bin (numeric, > 20 values: Sturges bins over both) or per category, empty bins filled."""
    if kind == "num" and reference.nunique() > 20:
        edges = np.histogram_bin_edges(np.concatenate([reference.to_numpy(float), current.to_numpy(float)]),
                                       bins="sturges")
        ref = np.histogram(reference, edges)[0] / len(reference)
        cur = np.histogram(current, edges)[0] / len(current)
    else:
        keys = sorted(set(reference.dropna().unique()) | set(current.dropna().unique()), key=str)
        ref = reference.value_counts().reindex(keys, fill_value=0).to_numpy() / len(reference)
        cur = current.value_counts().reindex(keys, fill_value=0).to_numpy() / len(current)
    return _fill_zeros(ref.astype(float)), _fill_zeros(cur.astype(float))


def _fill_zeros(shares: np.ndarray) -> np.ndarray:
    # Evidently's rule: an empty bin gets min(non-empty)/1e6 when that minimum is tiny, else 1e-4.
    nonzero = shares[shares > 0]
    if len(nonzero) and len(nonzero) < len(shares):
        smallest = nonzero.min()
        shares = np.where(shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, shares)
    return shares


def _z_test(reference: pd.Series, current: pd.Series) -> float:
    """Two-proportion z-test on the share of the first (sorted) value; p = 1 when both hold one same value."""
    keys = sorted(set(reference.dropna().unique()) | set(current.dropna().unique()), key=str)
    if len(keys) <= 1:
        return 1.0
    p1, p2 = (reference == keys[0]).mean(), (current == keys[0]).mean()
    n1, n2 = len(reference), len(current)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 1.0 if se == 0 else float(2 * stats.norm.sf(abs(p1 - p2) / se))


def _chi_square(reference: pd.Series, current: pd.Series) -> float:
    """Goodness of fit of the current counts to the reference shares (Evidently's ``chisquare``)."""
    keys = sorted(set(reference.dropna().unique()) | set(current.dropna().unique()), key=str)
    expected = reference.value_counts().reindex(keys, fill_value=0).to_numpy(float) * len(current) / len(reference)
    observed = current.value_counts().reindex(keys, fill_value=0).to_numpy(float)
    # scipy requires equal sums; a category unseen in reference has expected 0 -> certain drift.
    if np.any((expected == 0) & (observed > 0)):
        return 0.0
    keep = expected > 0
    observed, expected = observed[keep], expected[keep]
    expected *= observed.sum() / expected.sum()
    return float(stats.chisquare(observed, expected).pvalue)


def psi(reference: pd.Series, current: pd.Series, kind: str) -> float:
    """Population stability index over Evidently's bins."""
    ref, cur = binned_shares(reference, current, kind)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def column_drift(reference: pd.Series, current: pd.Series, kind: str, method: str | None = None,
                 name: str = "") -> ColumnDrift:
    """Test one column; ``method`` None picks Evidently's default, or pass ``"psi"`` (or any of :data:`METHODS`)."""
    reference, current = reference.dropna(), current.dropna()
    method = method or choose_method(reference, current, kind)
    if method not in METHODS:
        raise ValueError(f"unknown drift method {method!r}")
    title, threshold, low = METHODS[method]
    if method == "ks":
        score = float(stats.ks_2samp(reference.to_numpy(float), current.to_numpy(float)).pvalue)
    elif method == "chisquare":
        score = _chi_square(reference, current)
    elif method == "z":
        score = _z_test(reference, current)
    elif method == "wasserstein":
        norm = max(float(np.std(reference.to_numpy(float))), 0.001)
        score = float(stats.wasserstein_distance(reference.to_numpy(float), current.to_numpy(float)) / norm)
    elif method == "jensenshannon":
        score = float(distance.jensenshannon(*binned_shares(reference, current, kind)))
    else:
        score = psi(reference, current, kind)
    drifted = score < threshold if low else score >= threshold
    return ColumnDrift(name or str(reference.name), kind, title, score, threshold, bool(drifted), low)


def rules_text(reference_rows: int, method: str | None = None) -> str:
    """The rule behind a dataset's verdicts, in words, from the thresholds above (pages show it, never retype it)."""
    if method == "psi":
        return f"PSI for every column, drift when PSI ≥ {PSI_THRESHOLD:g}."
    if reference_rows <= SMALL_REFERENCE:
        regime = (f"≤ {SMALL_REFERENCE:,} reference rows: K-S (numeric), chi-square or z-test (categorical/binary), "
                  f"p < {P_VALUE:g}")
    else:
        regime = (f"> {SMALL_REFERENCE:,} reference rows: normed Wasserstein (numeric), Jensen-Shannon (categorical), "
                  f"score ≥ {DISTANCE:g}")
    return f"Evidently's default tests: {regime}."


def dataset_drift(reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str],
                  method: str | None = None, drift_share: float = DRIFT_SHARE) -> DatasetDrift:
    """Every column of ``kinds`` (``{"column": "num"|"cat"}``) tested; drifted when the drifted share >= 0.5."""
    columns = [column_drift(reference[c], current[c], kind, method, c) for c, kind in kinds.items()
               if c in reference and c in current and current[c].notna().any() and reference[c].notna().any()]
    share = sum(c.drifted for c in columns) / len(columns) if columns else 0.0
    return DatasetDrift(columns, share, bool(columns) and share >= drift_share, drift_share, len(reference),
                        len(current))
