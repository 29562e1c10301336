"""Metrics shared by training, evaluation and the page: accuracy, F1, calibration and breakdowns.

Every model here is reduced to one number per text, the log-odds of *positive*; a calibrated
probability is ``sigmoid(logit / T)``. Keeping that one shape makes the three models comparable.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

#: Word-count buckets for "accuracy by sentence length" (upper bounds, inclusive).
LENGTH_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("1-10 words", 1, 10), ("11-20 words", 11, 20), ("21-30 words", 21, 30), ("31+ words", 31, 10**9),
)


def classification(y: np.ndarray, p_pos: np.ndarray) -> dict[str, object]:
    """Accuracy, macro F1, positive-class F1 and the confusion matrix (rows = true, cols = predicted)."""
    pred = (p_pos >= 0.5).astype(int)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro")),
        "f1_positive": float(f1_score(y, pred, pos_label=1, zero_division=0)),
        "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        "n": len(y),
    }


def nll(y: np.ndarray, logits: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the labels under ``sigmoid(logit / T)``."""
    z = logits / temperature
    return float(-np.mean(np.where(y == 1, log_expit(z), log_expit(-z))))


def fit_temperature(y: np.ndarray, logits: np.ndarray) -> float:
    """The temperature that minimises NLL (searched on log T, so it stays positive)."""
    result = minimize_scalar(lambda log_t: nll(y, logits, float(np.exp(log_t))), bounds=(-3, 3), method="bounded")
    return float(np.exp(result.x))


def reliability(y: np.ndarray, p_pos: np.ndarray, n_bins: int = 10) -> dict[str, object]:
    """Reliability bins of the predicted label's confidence, and the expected calibration error."""
    pred = (p_pos >= 0.5).astype(int)
    conf = np.where(pred == 1, p_pos, 1 - p_pos)  # in [0.5, 1]
    correct = pred == y
    edges = np.linspace(0.5, 1.0, n_bins + 1)
    bins, ece = [], 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if not inside.any():
            continue
        acc, mean_conf = float(correct[inside].mean()), float(conf[inside].mean())
        ece += inside.mean() * abs(acc - mean_conf)
        bins.append({"lo": float(lo), "hi": float(hi), "count": int(inside.sum()),
                     "accuracy": acc, "confidence": mean_conf})
    return {"bins": bins, "ece": float(ece)}


def accuracy_by_length(sentences: Sequence[str], y: np.ndarray, p_pos: np.ndarray) -> list[dict[str, object]]:
    """Accuracy per word-count bucket."""
    words = np.array([len(s.split()) for s in sentences])
    correct = (p_pos >= 0.5).astype(int) == y
    rows = []
    for name, lo, hi in LENGTH_BUCKETS:
        inside = (words >= lo) & (words <= hi)
        if inside.any():
            rows.append({"bucket": name, "n": int(inside.sum()), "accuracy": float(correct[inside].mean())})
    return rows


def probability(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Calibrated P(positive)."""
    return expit(np.asarray(logits, dtype=float) / temperature)
