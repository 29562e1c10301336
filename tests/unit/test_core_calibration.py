"""One temperature scaling + ECE for every classifier: binary log-odds and multi-class logits."""

from __future__ import annotations

import numpy as np
import pytest

from src.core import calibration as cal


def _overconfident(n: int = 4000, k: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits that are right 70% of the time but claim ~100% confidence."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    predicted = np.where(rng.random(n) < 0.7, labels, rng.integers(0, k, n))
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), predicted] += 12.0
    return logits, labels


def _binary(n: int = 20000, scale: float = 3.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True log-odds, labels drawn from them, and a model ``scale`` times too confident."""
    rng = np.random.default_rng(seed)
    true = rng.normal(0, 2, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-true))).astype(int)
    return true, y, scale * true


def test_multiclass_temperature_softens_overconfidence_and_lowers_ece():
    logits, labels = _overconfident()
    t = cal.fit_temperature(logits, labels)
    assert t > 1.5
    assert cal.nll(logits, labels, t) < cal.nll(logits, labels) - 0.5
    before = cal.ece(cal.probabilities(logits), labels)
    after = cal.ece(cal.probabilities(logits, t), labels)
    assert before > 0.2 and after < before / 3


def test_binary_temperature_recovers_the_scale():
    _, y, logits = _binary(scale=3.0)
    assert cal.fit_temperature(logits, y) == pytest.approx(3.0, rel=0.1)


def test_temperature_never_changes_the_predicted_class():
    logits, _ = _overconfident(500)
    assert (cal.probabilities(logits, 4.0).argmax(1) == logits.argmax(1)).all()


def test_ece_of_a_calibrated_binary_model_is_small_and_of_a_certain_one_large():
    true, y, _ = _binary()
    p = cal.probabilities(true)
    assert cal.ece(p, y, n_bins=10, lo=0.5) < 0.02
    assert cal.ece(np.where(p > 0.5, 1.0, 0.0), y, n_bins=10, lo=0.5) > 0.2


def test_bins_cover_the_range_and_count_every_prediction():
    logits, labels = _overconfident(1000)
    bins = cal.reliability_bins(cal.probabilities(logits), labels, n_bins=15)
    assert len(bins) == 15 and bins[0]["lo"] == 0.0 and bins[-1]["hi"] == 1.0
    assert sum(b["count"] for b in bins) == 1000
    binary = cal.reliability_bins(np.array([0.5, 0.55, 0.9, 0.1]), np.array([1, 1, 1, 0]), n_bins=5, lo=0.5)
    assert sum(b["count"] for b in binary) == 4  # confidence exactly 0.5 lands in the first bin


def test_ece_matches_a_hand_computed_example():
    # two bins over [0.5, 1]: confidences 0.6, 0.6 (one right) and 0.9 (right)
    p = np.array([0.6, 0.4, 0.9])
    y = np.array([1, 1, 1])
    expected = 2 / 3 * abs(0.6 - 0.5) + 1 / 3 * abs(0.9 - 1.0)
    assert cal.ece(p, y, n_bins=2, lo=0.5) == pytest.approx(expected)


def test_cross_fitted_ece_is_honest_and_describes_its_bins():
    logits, labels = _overconfident()
    assert cal.cross_fitted_ece(logits, labels) < cal.ece(cal.probabilities(logits), labels)
    assert cal.binning(10, 0.5) == "10 equal-width confidence bins over [0.5, 1]"
