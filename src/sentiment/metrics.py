"""Metrics shared by training, evaluation and the page: accuracy, F1, calibration and breakdowns.

Every model here is reduced to one number per text, the log-odds of *positive*; a calibrated
probability is ``sigmoid(logit / T)``. Keeping that one shape makes the three models comparable.
Temperature scaling and ECE are the shared ones in :mod:`src.core.calibration`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
