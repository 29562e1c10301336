"""CBPE: estimates from calibrated probabilities land near the realised figures, and notice miscalibration."""

from __future__ import annotations

import numpy as np
import pytest

from src.mlops import cbpe


def _window(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-rng.normal(-1.0, 1.5, n)))
    return p, (rng.random(n) < p).astype(int)


@pytest.mark.parametrize("seed", range(5))
def test_estimate_interval_contains_realised_on_a_calibrated_window(seed):
    p, y = _window(800, seed)
    estimate = cbpe.estimate(p, 0.4, seed=seed)
    realised = cbpe.realised_metrics(y, p, 0.4)
    for name in cbpe.METRICS:
        assert estimate[name].contains(realised[name]), (name, estimate[name], realised[name])


def test_expected_metrics_match_the_average_of_simulated_labels():
    p, _ = _window(2000, 9)
    point = cbpe.expected_metrics(p, 0.5)
    rng = np.random.default_rng(0)
    sims = [cbpe.realised_metrics(rng.random(len(p)) < p, p, 0.5) for _ in range(100)]
    for name in cbpe.METRICS:
        assert point[name] == pytest.approx(np.mean([s[name] for s in sims]), abs=0.01)


def test_an_overconfident_model_is_caught_by_the_interval():
    """If the true churn chance is much lower than the model says, realised precision falls outside."""
    p, _ = _window(1500, 3)
    y = (np.random.default_rng(4).random(len(p)) < p * 0.4).astype(int)
    estimate = cbpe.estimate(p, 0.4)
    assert not estimate["precision"].contains(cbpe.realised_metrics(y, p, 0.4)["precision"])
