"""Scores, curves, retention economics and fairness from labels and predicted probabilities.

Everything here is a plain function of ``(y, p)`` arrays, so training, ``evaluate`` and the page
(which reads the committed out-of-fold predictions) all compute the same numbers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# scikit-learn is imported inside the functions that use it: the page's economics and fairness need
# none of it, and importing it costs about a second of a cold visit.

#: The metrics every leaderboard row reports, in order: name -> (higher is better).
SCORES = {"roc_auc": True, "pr_auc": True, "f1": True, "brier": False, "log_loss": False}


def scores(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), F1 at ``threshold``, Brier score and log loss."""
    from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, log_loss, roc_auc_score

    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "f1": float(f1_score(y, p >= threshold)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6))),
    }


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises F1 (searched on a 0.01 grid so it reads well on a slider)."""
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    f1 = [f1_score(y, p >= t) for t in grid]
    return float(grid[int(np.argmax(f1))])


# --- curves for the page ---------------------------------------------------------------------


def roc(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """False and true positive rate at every threshold."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(y, p)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thr, 1.0)})


def pr(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Precision and recall at every threshold."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thr = precision_recall_curve(y, p)
    return pd.DataFrame({"recall": recall[:-1], "precision": precision[:-1], "threshold": thr})


def gains(y: np.ndarray, p: np.ndarray, bins: int = 20) -> pd.DataFrame:
    """Cumulative gains and lift when customers are contacted from the riskiest down.

    ``share`` is the fraction contacted, ``gain`` the fraction of all churners reached, and
    ``lift`` how many times better than contacting at random.
    """
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    n = len(y)
    cuts = np.unique(np.ceil(np.linspace(0, 1, bins + 1)[1:] * n).astype(int))
    share = cuts / n
    gain = hits[cuts - 1] / max(hits[-1], 1)
    return pd.DataFrame({"share": share, "gain": gain, "lift": gain / share})


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed churn rate against mean predicted probability in equal-count bins."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})


@dataclass(frozen=True)
class Confusion:
    """The confusion matrix at one threshold, and what follows from it."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def flagged(self) -> int:
        return self.tp + self.fp


def confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> Confusion:
    """Counts of true/false positives/negatives when ``p >= threshold`` means "will churn"."""
    pred = p >= threshold
    y = y.astype(bool)
    return Confusion(int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum()), int((~pred & ~y).sum()))


# --- retention economics ---------------------------------------------------------------------


@dataclass(frozen=True)
class Economics:
    """What a retention campaign costs and earns.

    Every flagged customer gets an offer costing ``offer_cost``; a flagged customer who would have
    churned stays with probability ``success_rate``, which is worth ``customer_value``.
    """

    offer_cost: float = 50.0
    customer_value: float = 500.0
    success_rate: float = 0.3

    def profit(self, tp: np.ndarray | int, flagged: np.ndarray | int) -> np.ndarray | float:
        """Expected profit of contacting ``flagged`` customers of whom ``tp`` would churn."""
        return tp * self.success_rate * self.customer_value - flagged * self.offer_cost


def profit_curve(y: np.ndarray, p: np.ndarray, econ: Economics, per: int = 1000) -> pd.DataFrame:
    """Expected profit per ``per`` customers, with precision and recall, on a 0.01 threshold grid."""
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    pred = p[None, :] >= grid[:, None]
    tp = (pred & (y[None, :] == 1)).sum(axis=1)
    flagged = pred.sum(axis=1)
    positives = max(int(y.sum()), 1)
    return pd.DataFrame({
        "threshold": grid,
        "profit": econ.profit(tp, flagged) * per / len(y),
        "precision": np.divide(tp, flagged, out=np.zeros(len(grid)), where=flagged > 0),
        "recall": tp / positives,
        "flagged_share": flagged / len(y),
    })


def best_threshold(curve: pd.DataFrame) -> tuple[float, float]:
    """The threshold with the highest expected profit, and that profit."""
    best = curve.loc[curve["profit"].idxmax()]
    return float(best["threshold"]), float(best["profit"])


# --- fairness --------------------------------------------------------------------------------


def group_rates(y: np.ndarray, p: np.ndarray, groups: pd.Series, threshold: float) -> pd.DataFrame:
    """Selection rate, true and false positive rate and size of each group at one threshold."""
    rows = []
    pred = p >= threshold
    for value in sorted(groups.unique()):
        mask = (groups == value).to_numpy()
        yy, pp = y[mask].astype(bool), pred[mask]
        rows.append({
            "group": str(value),
            "customers": int(mask.sum()),
            "churn_rate": float(yy.mean()),
            "selection_rate": float(pp.mean()),
            "tpr": float(pp[yy].mean()) if yy.any() else float("nan"),
            "fpr": float(pp[~yy].mean()) if (~yy).any() else float("nan"),
        })
    return pd.DataFrame(rows)


def fairness_reading(table: pd.DataFrame, attribute: str) -> str:
    """One sentence on the largest gaps, in percentage points."""
    gaps = {k: table[k].max() - table[k].min() for k in ("selection_rate", "tpr", "fpr")}
    worst = max(gaps, key=gaps.get)
    label = {"selection_rate": "selection rate", "tpr": "true positive rate", "fpr": "false positive rate"}
    top = table.loc[table[worst].idxmax(), "group"]
    verdict = "small" if gaps[worst] < 0.05 else "moderate" if gaps[worst] < 0.10 else "large"
    base_gap = table["churn_rate"].max() - table["churn_rate"].min()
    return (
        f"By {attribute}, the largest gap is in {label[worst]}: {gaps[worst] * 100:.1f} points "
        f"(higher for {top}), a {verdict} gap. Selection rate differs by {gaps['selection_rate'] * 100:.1f} points, "
        f"TPR by {gaps['tpr'] * 100:.1f}, FPR by {gaps['fpr'] * 100:.1f}; the groups' actual churn rates differ "
        f"by {base_gap * 100:.1f}."
    )
