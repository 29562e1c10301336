"""The behaviour suite's data is well formed and its checks can fail."""

from __future__ import annotations

import numpy as np

from src.sentiment import behaviour


def test_every_capability_has_cases():
    cases = behaviour.load_cases()
    assert {c.capability for c in cases} == set(behaviour.CAPABILITIES)
    assert all(c.kind in {"label", "invariant", "stronger", "uncertain"} for c in cases)
    assert all(c.expect in {"positive", "negative"} for c in cases if c.kind != "uncertain")


def test_checks_pass_and_fail():
    label = behaviour.Case("negation", "label", ("not bad",), "positive")
    assert behaviour.check(label, np.array([0.8])) and not behaviour.check(label, np.array([0.3]))
    inv = behaviour.Case("entity_swap", "invariant", ("a", "b"), "negative")
    assert behaviour.check(inv, np.array([0.1, 0.2])) and not behaviour.check(inv, np.array([0.1, 0.7]))
    stronger = behaviour.Case("intensifiers", "stronger", ("good", "very good"), "positive")
    assert behaviour.check(stronger, np.array([0.8, 0.9])) and not behaviour.check(stronger, np.array([0.9, 0.7]))
    neutral = behaviour.Case("neutral", "uncertain", ("x",), None, 0.8)
    assert behaviour.check(neutral, np.array([0.6])) and not behaviour.check(neutral, np.array([0.05]))


def test_run_and_pass_rates():
    def always_positive(texts):
        return {"dummy": np.full(len(texts), 0.9)}

    rates = behaviour.pass_rates(behaviour.run(always_positive))
    assert 0 < rates.loc["Negation", "dummy"] < 1  # some negation cases expect negative
    assert rates.loc["Neutral / off-topic", "dummy"] == 0
