"""The rule engine finds a planted effect and finds nothing in noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from src.eda import findings

CATEGORICAL = ("plan", "colour")
NUMERIC = ("usage", "height")


def _frame(seed: int, planted: bool, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], n)
    usage = rng.normal(50, 10, n)
    if planted:
        # "basic" customers churn at 60%, the others at 15%; churners use the service less.
        churn = rng.random(n) < np.where(plan == "basic", 0.6, 0.15)
        usage = usage - 8 * churn
    else:
        churn = rng.random(n) < 0.3
    return pd.DataFrame({"plan": plan, "colour": rng.choice(["red", "green", "blue"], n), "usage": usage,
                         "height": rng.normal(170, 8, n), "churn": churn.astype(int)})


def test_planted_effects_are_found_and_ranked_first():
    frame = _frame(0, planted=True)
    passed = findings.passing(findings.column_findings(frame, "churn", CATEGORICAL, NUMERIC))
    assert {f.column for f in passed} == {"plan", "usage"}
    usage = next(f for f in passed if f.column == "usage")
    assert usage.effect < 0 and usage.median_churned < usage.median_stayed  # churners use less
    segments = findings.passing(findings.segment_findings(frame, "churn", CATEGORICAL))
    assert segments[0].column == "plan" and segments[0].level == "basic"
    assert segments[0].diff.low > 0 and segments[0].excess_churners > 0
    assert not any(f.column == "colour" for f in segments)


@pytest.mark.parametrize("seed", range(5))
def test_no_effect_no_finding(seed):
    frame = _frame(seed, planted=False)
    tested = findings.column_findings(frame, "churn", CATEGORICAL, NUMERIC)
    assert len(tested) == 4  # every column was tested...
    assert findings.passing(tested) == []  # ...and none passes
    assert findings.passing(findings.segment_findings(frame, "churn", CATEGORICAL)) == []


def test_findings_are_ranked_by_effect_size():
    tested = findings.column_findings(_frame(0, planted=True), "churn", CATEGORICAL, NUMERIC)
    sizes = [f.size for f in tested]
    assert sizes == sorted(sizes, reverse=True)


def test_small_groups_and_constant_columns_are_skipped():
    frame = _frame(0, planted=True)
    frame["plan"] = np.where(np.arange(len(frame)) < 10, "tiny", frame["plan"])
    frame.loc[frame.index < 10, "churn"] = 1  # a 100% churn rate, but on 10 customers only
    frame["flat"] = "same"
    segments = findings.segment_findings(frame, "churn", ("plan", "flat"))
    tiny = next(f for f in segments if f.level == "tiny")
    assert tiny.diff.value > 0.5 and not tiny.passes  # big gap, too few customers
    assert all(f.column != "flat" for f in segments)
    assert all(f.column != "flat" for f in findings.column_findings(frame, "churn", ("flat",), ()))


def test_one_outcome_means_nothing_to_test():
    frame = _frame(0, planted=True).assign(churn=0)
    assert findings.column_findings(frame, "churn", CATEGORICAL, NUMERIC) == []
    assert findings.segment_findings(frame, "churn", CATEGORICAL) == []


def test_the_same_customers_under_two_columns_are_told_once():
    frame = _frame(0, planted=True)
    frame["copy"] = frame["plan"]
    segments = findings.segment_findings(frame, "churn", ("plan", "copy"))
    assert all(f.column == "plan" for f in segments)


@pytest.mark.parametrize(("p", "effect", "expected"), [
    (findings.ALPHA / 2, -2 * findings.MIN_EFFECT, True),  # either direction counts
    (findings.ALPHA / 2, findings.MIN_EFFECT, True),
    (findings.ALPHA, 2 * findings.MIN_EFFECT, False),  # p must stay below alpha
    (findings.ALPHA / 2, findings.MIN_EFFECT / 2, False),  # significant but too small to tell
])
def test_the_column_rule_is_one_function(p, effect, expected):
    assert findings.notable(p, effect) is expected
    finding = findings.ColumnFinding("x", "numeric", "Mann-Whitney U", 0.0, p, p, effect, "rank-biserial r")
    assert finding.passes is expected
