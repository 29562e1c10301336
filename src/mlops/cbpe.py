"""Performance without labels: confidence-based performance estimation (CBPE), as NannyML does it.

With calibrated probabilities ``p`` (the chance each customer churns), the expected confusion matrix
at a threshold is known without any label: a row flagged with probability ``p`` is a true positive
with chance ``p`` and a false positive with chance ``1 - p``. Precision, recall and ROC-AUC follow
from those expected counts (NannyML, "Confidence-based Performance Estimation"). The interval comes
from simulating labels ``y ~ Bernoulli(p)`` and recomputing the realised metric: it is the range the
realised figure should fall in *if* the probabilities are calibrated and the window is like training.
Written by hand because NannyML pins pandas < 3; the estimator itself is a few lines of numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import precision_score, recall_score, roc_auc_score

METRICS = ("precision", "recall", "roc_auc")


@dataclass(frozen=True)
class Estimate:
    """One metric: the estimate and its 95% interval (or the realised value with labels)."""

    metric: str
    value: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        """True when ``value`` lies inside the interval."""
        return self.low <= value <= self.high


def expected_metrics(p: np.ndarray, threshold: float) -> dict[str, float]:
    """Expected precision, recall and ROC-AUC of calibrated probabilities ``p`` at ``threshold``."""
    p = np.asarray(p, float)
    flagged = p >= threshold
    tp, fp, fn = p[flagged].sum(), (1 - p[flagged]).sum(), p[~flagged].sum()
    order = np.argsort(-p, kind="stable")
    # Expected ROC curve: walking down the ranking, each row adds p to TP and 1-p to FP.
    tpr = np.concatenate([[0.0], np.cumsum(p[order]) / max(p.sum(), 1e-12)])
    fpr = np.concatenate([[0.0], np.cumsum(1 - p[order]) / max((1 - p).sum(), 1e-12)])
    return {
        "precision": float(tp / (tp + fp)) if tp + fp > 0 else float("nan"),
        "recall": float(tp / (tp + fn)) if tp + fn > 0 else float("nan"),
        "roc_auc": float(np.trapezoid(tpr, fpr)),
    }


def realised_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and ROC-AUC once labels ``y`` have arrived."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    flagged = (p >= threshold).astype(int)
    auc = roc_auc_score(y, p) if 0 < y.sum() < len(y) else float("nan")
    return {"precision": float(precision_score(y, flagged, zero_division=np.nan)),
            "recall": float(recall_score(y, flagged, zero_division=np.nan)), "roc_auc": float(auc)}


def simulated_metrics(p: np.ndarray, threshold: float, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Realised precision, recall and ROC-AUC for ``draws`` label sets ``y ~ Bernoulli(p)``: (draws, 3).

    Vectorised (sklearn per draw took seconds): the scores never change between draws, so their ranks
    are computed once and ROC-AUC is the Mann-Whitney U of the positives' ranks.
    """
    y = rng.random((draws, len(p))) < p
    flagged = p >= threshold
    tp = (y & flagged).sum(1).astype(float)
    fp = (~y & flagged).sum(1).astype(float)
    fn = (y & ~flagged).sum(1).astype(float)
    positives = y.sum(1).astype(float)
    negatives = len(p) - positives
    ranks = rankdata(p)  # average ranks for ties, as roc_auc_score counts a tie as half
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        auc = np.where(positives * negatives > 0,
                       (y @ ranks - positives * (positives + 1) / 2) / (positives * negatives), np.nan)
    return np.column_stack([precision, recall, auc])


def estimate(p: np.ndarray, threshold: float, *, draws: int = 500, seed: int = 0) -> dict[str, Estimate]:
    """CBPE estimates with a 95% interval from ``draws`` simulated label sets (each drawn from ``p``)."""
    p = np.asarray(p, float)
    point = expected_metrics(p, threshold)
    sims = simulated_metrics(p, threshold, draws, np.random.default_rng(seed))
    out = {}
    for j, name in enumerate(METRICS):
        column = sims[:, j][np.isfinite(sims[:, j])]
        low, high = (np.quantile(column, [0.025, 0.975]) if len(column) else (np.nan, np.nan))
        out[name] = Estimate(name, point[name], float(low), float(high))
    return out
