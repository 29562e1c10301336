"""Temperature scaling fixes over-confidence; the calibration metrics behave."""

from __future__ import annotations

import torch

from src.vision import calibration


def _overconfident(n: int = 4000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits that are right 70% of the time but claim ~100% confidence."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=gen)
    predicted = torch.where(torch.rand(n, generator=gen) < 0.7, labels, torch.randint(0, 10, (n,), generator=gen))
    logits = torch.randn(n, 10, generator=gen)
    logits[torch.arange(n), predicted] += 12.0
    return logits, labels


def test_temperature_lowers_nll_on_overconfident_logits():
    logits, labels = _overconfident()
    t = calibration.fit_temperature(logits, labels)
    assert t > 1.5  # over-confidence is cured by softening
    assert calibration.nll(logits, labels, t) < calibration.nll(logits, labels) - 0.5


def test_temperature_lowers_ece():
    logits, labels = _overconfident()
    t = calibration.fit_temperature(logits, labels)
    before = calibration.ece(torch.softmax(logits, 1), labels)
    after = calibration.ece(torch.softmax(logits / t, 1), labels)
    assert before > 0.2 and after < before / 3
    assert calibration.cross_fitted_ece(logits, labels) < before / 3


def test_reliability_bins_count_every_sample():
    logits, labels = _overconfident(500)
    bins = calibration.reliability_bins(torch.softmax(logits, 1), labels)
    assert sum(b["count"] for b in bins) == 500


def test_coverage_falls_and_accuracy_rises_with_the_threshold():
    logits, labels = _overconfident()
    wrong = logits.argmax(1) != labels
    logits[wrong] /= 4  # mistakes are less confident, as in a useful model
    curve = calibration.coverage_curve(torch.softmax(logits / 3, 1), labels)
    assert curve[0]["coverage"] == 1.0
    coverages = [r["coverage"] for r in curve]
    assert coverages == sorted(coverages, reverse=True)
    kept = [r for r in curve if r["coverage"] > 0.05]
    assert kept[-1]["accuracy"] > kept[0]["accuracy"]
