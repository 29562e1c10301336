"""The statistical primitives against SciPy and published reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from src.eda import stats


@pytest.mark.parametrize(("k", "n"), [(0, 5), (5, 5), (3, 10), (81, 263), (1869, 7043)])
def test_wilson_matches_scipy_binomtest(k, n):
    expected = sps.binomtest(k, n).proportion_ci(method="wilson")
    rate = stats.wilson(k, n)
    assert rate.low == pytest.approx(expected.low, abs=1e-12)
    assert rate.high == pytest.approx(expected.high, abs=1e-12)
    assert rate.low <= rate.value <= rate.high


def test_newcombe_matches_the_paper():
    # Newcombe (1998), Statistics in Medicine 17:873, table II: 56/70 - 48/80, method 10.
    diff = stats.newcombe(stats.wilson(56, 70), stats.wilson(48, 80))
    assert diff.value == pytest.approx(0.2)
    assert diff.low == pytest.approx(0.0524, abs=5e-4)
    assert diff.high == pytest.approx(0.3339, abs=5e-4)
    assert diff.excludes_zero


def test_rank_biserial_runs_from_minus_one_to_one():
    assert stats.mann_whitney([5, 6, 7], [1, 2, 3]).rank_biserial == pytest.approx(1.0)
    assert stats.mann_whitney([1, 2, 3], [5, 6, 7]).rank_biserial == pytest.approx(-1.0)
    same = stats.mann_whitney([1, 2, 3, 4], [1, 2, 3, 4])
    assert same.rank_biserial == pytest.approx(0.0) and same.prob_superiority == pytest.approx(0.5)


def test_cramers_v_is_one_for_perfect_association_and_near_zero_for_none():
    x = pd.Series(["a", "b"] * 50)
    assert stats.chi_square(x, x.map({"a": 1, "b": 0})).cramers_v == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    noise = stats.chi_square(pd.Series(rng.choice(["a", "b", "c"], 3000)), pd.Series(rng.integers(0, 2, 3000)))
    assert noise.cramers_v < 0.05


def test_wording_helpers():
    assert stats.format_p(1e-9) == "p < 0.001" and stats.format_p(0.0123) == "p = 0.012"
    assert [stats.effect_label(x) for x in (0.05, -0.2, 0.35, 0.6)] == ["negligible", "small", "medium", "large"]
