"""Scores, curves, economics and fairness on small arrays whose answers can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from src.churn import metrics

Y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
P = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])


def test_confusion_at_a_threshold():
    cm = metrics.confusion(Y, P, 0.65)
    assert (cm.tp, cm.fp, cm.fn, cm.tn) == (2, 1, 1, 4)
    assert cm.precision == pytest.approx(2 / 3) and cm.recall == pytest.approx(2 / 3)


def test_scores_match_known_values():
    s = metrics.scores(Y, P, 0.5)
    assert s["roc_auc"] == pytest.approx(14 / 15)  # one (churner, stayer) pair is mis-ordered out of 15
    assert s["f1"] == pytest.approx(6 / 7)
    assert 0 < s["brier"] < 0.25 and s["log_loss"] > 0


def test_best_f1_threshold_separates_when_possible():
    separable = np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])  # every churner above every stayer
    assert 0.2 < metrics.best_f1_threshold(*separable) <= 0.8


def test_gains_reach_everyone_and_lift_is_above_one_for_a_good_ranking():
    g = metrics.gains(Y, P, bins=4)
    assert g["gain"].iloc[-1] == pytest.approx(1.0) and g["share"].iloc[-1] == pytest.approx(1.0)
    assert g["lift"].iloc[0] > 1.5


def test_profit_curve_and_best_threshold():
    econ = metrics.Economics(offer_cost=10, customer_value=100, success_rate=0.5)
    curve = metrics.profit_curve(Y, P, econ, per=len(Y))
    # contacting the top two (both churners) earns 2 * 0.5 * 100 - 2 * 10 = 80
    assert curve.loc[curve.threshold == 0.75, "profit"].item() == pytest.approx(80)
    best, profit = metrics.best_threshold(curve)
    assert profit == pytest.approx(curve["profit"].max()) and profit >= 80
    assert curve.loc[curve.threshold == best, "profit"].item() == pytest.approx(profit)


def test_an_offer_that_never_works_is_never_profitable():
    curve = metrics.profit_curve(Y, P, metrics.Economics(offer_cost=1, customer_value=100, success_rate=0))
    assert (curve["profit"] <= 0).all()


def test_group_rates_and_reading():
    groups = pd.Series(["a", "a", "a", "a", "b", "b", "b", "b"])
    table = metrics.group_rates(Y, P, groups, 0.5).set_index("group")
    assert table.loc["a", "selection_rate"] == 1.0 and table.loc["b", "selection_rate"] == 0.0
    assert table.loc["a", "tpr"] == 1.0 and table.loc["a", "fpr"] == 1.0
    assert np.isnan(table.loc["b", "tpr"])  # group b has no churner
    text = metrics.fairness_reading(table.reset_index(), "toy")
    assert "100.0 points" in text and "large" in text
