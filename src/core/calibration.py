"""Temperature scaling and calibration error, shared by every classifier (Guo et al. 2017).

Temperature scaling divides every logit by one scalar T > 0 fitted to minimise the negative
log-likelihood on held-out data: it changes confidence, never the predicted class.

One implementation for binary and multi-class models, in numpy/scipy so it needs no torch:

* ``logits`` of shape ``(n,)`` are the log-odds of the positive class (sigmoid);
* ``logits`` of shape ``(n, k)`` are class scores (softmax).

The reliability bins are equal-width over ``[lo, 1]`` on the predicted label's confidence.
``n_bins`` and ``lo`` are parameters, and :func:`binning` describes them in words so a card can
record how its ECE was measured (vision: 15 bins over [0, 1]; a binary model's confidence never
falls below 0.5, so sentiment bins over [0.5, 1]).

sklearn has no temperature scaling (``CalibratedClassifierCV`` fits Platt/isotonic maps, which can
change the predicted class) and no ECE; netcal and torchmetrics exist but would add a dependency
(torchmetrics needs torch), so these ~60 lines are hand-written.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, log_softmax, softmax

#: Default bin count of the reliability diagram and ECE (Guo et al. use 15).
DEFAULT_BINS = 15
#: Bounds of the log-temperature search: T in [e^-3, e^3] ~ [0.05, 20].
_LOG_T_BOUNDS = (-3.0, 3.0)


def _as_arrays(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(logits, dtype=np.float64), np.asarray(labels).astype(np.int64)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under ``softmax(logits / T)`` (or the sigmoid for 1-D)."""
    z, y = _as_arrays(logits, labels)
    z = z / temperature
    if z.ndim == 1:
        return float(-np.mean(np.where(y == 1, log_expit(z), log_expit(-z))))
    return float(-np.mean(log_softmax(z, axis=1)[np.arange(len(y)), y]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T that minimises the NLL, searched on log T (bounded), so T stays positive."""
    z, y = _as_arrays(logits, labels)
    result = minimize_scalar(lambda log_t: nll(z, y, float(np.exp(log_t))), bounds=_LOG_T_BOUNDS,
                             method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Calibrated probabilities: P(positive) of shape ``(n,)`` for 1-D logits, else ``(n, k)``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    return expit(z) if z.ndim == 1 else softmax(z, axis=1)


def confidence_and_correct(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predicted label's probability and whether that label is right.

    ``probs`` is P(positive) ``(n,)`` for a binary model (label = p >= 0.5) or ``(n, k)``.
    """
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim == 1:
        predicted = (p >= 0.5).astype(int)
        return np.where(predicted == 1, p, 1 - p), predicted == y
    return p.max(axis=1), p.argmax(axis=1) == y


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = DEFAULT_BINS,
                     lo: float = 0.0) -> list[dict[str, float]]:
    """Equal-width confidence bins over ``[lo, 1]``: range, count, mean confidence and accuracy.

    A bin holds ``lo_i < confidence <= hi_i``; the first also holds confidence equal to ``lo``.
    Empty bins are kept (count 0), so a chart always has ``n_bins`` bars.
    """
    confidence, correct = confidence_and_correct(probs, labels)
    edges = np.linspace(lo, 1.0, n_bins + 1)
    rows = []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        inside = (confidence > a) & (confidence <= b)
        if i == 0:
            inside |= confidence == a
        count = int(inside.sum())
        rows.append({
            "lo": float(a), "hi": float(b), "count": count,
            "confidence": float(confidence[inside].mean()) if count else 0.0,
            "accuracy": float(correct[inside].mean()) if count else 0.0,
        })
    return rows


def ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = DEFAULT_BINS, lo: float = 0.0) -> float:
    """Expected calibration error: the count-weighted gap between confidence and accuracy per bin."""
    bins = reliability_bins(probs, labels, n_bins, lo)
    total = sum(b["count"] for b in bins)
    return float(sum(b["count"] / total * abs(b["confidence"] - b["accuracy"]) for b in bins)) if total else 0.0


def binning(n_bins: int = DEFAULT_BINS, lo: float = 0.0) -> str:
    """How an ECE was measured, for the card's protocol text."""
    return f"{n_bins} equal-width confidence bins over [{lo:g}, 1]"


def cross_fitted_ece(logits: np.ndarray, labels: np.ndarray, *, n_bins: int = DEFAULT_BINS, lo: float = 0.0,
                     seed: int = 0) -> float:
    """ECE after temperature scaling, honestly: T fitted on one random half, ECE on the other, averaged."""
    z, y = _as_arrays(logits, labels)
    order = np.random.default_rng(seed).permutation(len(y))
    halves = order[: len(order) // 2], order[len(order) // 2:]
    scores = []
    for fit_idx, test_idx in (halves, halves[::-1]):
        t = fit_temperature(z[fit_idx], y[fit_idx])
        scores.append(ece(probabilities(z[test_idx], t), y[test_idx], n_bins, lo))
    return float(np.mean(scores))
