"""Temperature scaling (the shared src.core.calibration) fixes the CNN's kind of over-confidence;
the vision report's coverage curve and bootstrap interval behave."""

from __future__ import annotations

import numpy as np

from src.core import calibration
from src.vision.report import accuracy_interval, coverage_curve


def _overconfident(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """10-class logits that are right 70% of the time but claim ~100% confidence."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    predicted = np.where(rng.random(n) < 0.7, labels, rng.integers(0, 10, n))
    logits = rng.normal(size=(n, 10))
    logits[np.arange(n), predicted] += 12.0
    return logits, labels


def test_temperature_lowers_nll_and_ece_on_overconfident_logits():
    logits, labels = _overconfident()
    t = calibration.fit_temperature(logits, labels)
    assert t > 1.5  # over-confidence is cured by softening
    assert calibration.nll(logits, labels, t) < calibration.nll(logits, labels) - 0.5
    before = calibration.ece(calibration.probabilities(logits), labels)
    assert before > 0.2
    assert calibration.ece(calibration.probabilities(logits, t), labels) < before / 3
    assert calibration.cross_fitted_ece(logits, labels) < before / 3


def test_coverage_falls_and_accuracy_rises_with_the_threshold():
    logits, labels = _overconfident()
    wrong = logits.argmax(1) != labels
    logits[wrong] /= 4  # mistakes are less confident, as in a useful model
    curve = coverage_curve(calibration.probabilities(logits, 3.0), labels)
    assert curve[0]["coverage"] == 1.0
    coverages = [r["coverage"] for r in curve]
    assert coverages == sorted(coverages, reverse=True)
    kept = [r for r in curve if r["coverage"] > 0.05]
    assert kept[-1]["accuracy"] > kept[0]["accuracy"]


def test_bootstrap_interval_brackets_the_accuracy_and_narrows_with_more_images():
    rng = np.random.default_rng(1)
    small, large = rng.random(500) < 0.9, rng.random(5000) < 0.9
    lo, hi = accuracy_interval(small)
    assert lo < small.mean() < hi
    lo2, hi2 = accuracy_interval(large)
    assert hi2 - lo2 < hi - lo
