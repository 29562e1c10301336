"""CBPE on the committed churn model: a held-out labelled window (cross-validation hold-outs) is
estimated, from its probabilities alone, within the interval of its realised figures."""

from __future__ import annotations

import numpy as np
import pytest

from src.core.cards import load_card
from src.core.settings import model_dir
from src.mlops import cbpe


def test_cbpe_interval_contains_realised_on_held_out_windows():
    path = model_dir("churn") / "oof.npz"
    card = load_card("churn")
    if card is None or not path.is_file():
        pytest.skip("no committed churn model")
    with np.load(path) as data:
        p, y = data["p"], data["y"]
    threshold = float(card.extra["threshold"])
    rng = np.random.default_rng(0)
    misses = 0
    for _ in range(5):
        pick = rng.choice(len(p), 700, replace=False)
        estimate = cbpe.estimate(p[pick], threshold)
        realised = cbpe.realised_metrics(y[pick], p[pick], threshold)
        misses += sum(not estimate[m].contains(realised[m]) for m in cbpe.METRICS)
    # 15 intervals at 95%: expect < 1 miss when calibrated; 3 or more says the probabilities are not.
    assert misses <= 2
