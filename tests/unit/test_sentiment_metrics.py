"""Temperature scaling and ECE as sentiment uses them (shared core, binary bins), and length buckets."""

from __future__ import annotations

import numpy as np
import pytest

from src.core import calibration
from src.sentiment import metrics
from src.sentiment.report import ECE_BINS, ECE_LO


def test_fit_temperature_recovers_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, 5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-true_logits))).astype(int)
    fitted = calibration.fit_temperature(3 * true_logits, y)  # a model 3x too confident
    assert fitted == pytest.approx(3, rel=0.15)
    assert calibration.nll(3 * true_logits, y, fitted) < calibration.nll(3 * true_logits, y)


def test_reliability_of_a_perfectly_calibrated_model_is_small():
    rng = np.random.default_rng(1)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    assert calibration.ece(p, y, ECE_BINS, ECE_LO) < 0.02
    sure = np.where(p > 0.5, 1.0, 0.0)  # always 100% sure: badly calibrated
    assert calibration.ece(sure, y, ECE_BINS, ECE_LO) > 0.2
    bins = calibration.reliability_bins(p, y, ECE_BINS, ECE_LO)
    assert len(bins) == ECE_BINS and bins[0]["lo"] == 0.5 and sum(b["count"] for b in bins) == len(p)


def test_classification_and_length_buckets():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.2, 0.4, 0.6])
    result = metrics.classification(y, p)
    assert result["accuracy"] == 0.5 and result["confusion"] == [[1, 1], [1, 1]]
    rows = metrics.accuracy_by_length(["a b", "a " * 15, "c", "d " * 40], y, p)
    assert [r["bucket"] for r in rows] == ["1-10 words", "11-20 words", "31+ words"]
    assert rows[0]["n"] == 2
