"""Monitoring is declared, not wired: a demo's ``[monitoring]`` table in its ``demo.toml`` is all Model health
needs to log its predictions, apply its latency budget and judge its drift; a demo without one is named as
not monitored, and nothing is logged for it."""

from __future__ import annotations

import sys
import textwrap
import time

import pytest

import src
from src.core import demos, prediction_log
from src.mlops import hooks, monitor, simulate, traffic
from src.ui import model_health_widgets as mh
from tests.unit.test_core_demos import TOY_SPEC as SPEC
from tests.unit.test_core_demos import _toy_tree

MONITORING = """
[monitoring]
summary = "src.toy.watch:summary"
latency_p95_ms = 100
reference = "src.toy.watch:reference"
kinds = { size = "num", colour = "cat" }
simulated_rows = 50
scenario = "giant"
scenario_text = "every toy ten times bigger"
simulate = "src.toy.watch:replay"
predictor = "src.toy.watch:predictor"
"""
WATCH = '''
import pandas as pd


def summary(size, colour):
    return {"size": float(size), "colour": str(colour)}


def reference():
    return pd.DataFrame({"size": [1.0 + (i % 7) / 10 for i in range(200)],
                         "colour": ["red", "blue"] * 100})


def replay(predictor, reference, scenario, n, version, rng):
    return []


def predictor():
    return None
'''


def _register(tmp_path, monkeypatch, spec: str) -> demos.Demo:
    """``<tmp>/src/toy/`` holding only its demo.toml and code, made the registry's one demo."""
    (_toy_tree(tmp_path, spec) / "watch.py").write_text(WATCH)
    monkeypatch.setattr(src, "__path__", [*src.__path__, str(tmp_path / "src")])  # `src.toy` importable
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # and forgotten after the test
    (toy,) = demos.discover(tmp_path / "src", tmp_path)
    monkeypatch.setattr(demos, "DEMOS", (toy,))
    monkeypatch.setattr(demos, "MONITORED", {toy.slug: toy.monitoring} if toy.monitoring else {})
    monkeypatch.setenv(prediction_log.PATH_ENV, str(tmp_path / "p.sqlite3"))
    monkeypatch.setattr(hooks, "_last", {})
    return toy


def test_a_monitoring_table_logs_budgets_and_drifts_a_new_demo(tmp_path, monkeypatch):
    toy = _register(tmp_path, monkeypatch, SPEC + MONITORING)
    assert toy.monitoring is not None and toy.monitoring.latency_p95_ms == 100.0
    slow = time.perf_counter() - 0.3  # a 300 ms prediction, over the 100 ms budget
    for _ in range(3):  # a rerun showing the same prediction is logged once
        hooks.log("toy", 1.2, "red", output="small", confidence=0.9, started=slow)
    (row,) = prediction_log.read_rows()
    assert row[2] == "toy" and '"size": 1.2' in row[5] and '"colour": "red"' in row[5]
    frame = traffic.load()
    assert monitor.latency_budgets() == {"toy": 100.0}
    (alert,) = monitor.latency_alerts(traffic.summary(frame))
    assert alert.startswith("Toy: p95 latency") and "100 ms budget" in alert

    hooks.log_batch("toy", [(12.0 + i % 3, "green") for i in range(60)], ["big"] * 60, [0.5] * 60,
                    time.perf_counter())
    assert mh.monitored() == ("toy",)
    reference, kinds = mh.reference_of("toy")
    result = monitor.window_drift(reference, traffic.window(traffic.load(), "toy", 60), kinds)
    assert result is not None and {c.column for c in result.columns if c.drifted} == {"size", "colour"}
    assert simulate.scenarios(demos.MONITORED.values())["giant"] == "toy: every toy ten times bigger"
    assert demos.unmonitored() == ()


def test_a_demo_without_a_monitoring_table_is_named_and_not_logged(tmp_path, monkeypatch):
    _register(tmp_path, monkeypatch, SPEC)
    assert [d.slug for d in demos.unmonitored()] == ["toy"]
    hooks.log("toy", 1.2, "red", output="small", confidence=0.9, started=time.perf_counter())
    assert prediction_log.read_rows() == [] and monitor.latency_budgets() == {}
    assert mh.monitored() == ()


KINDS = 'kinds = { size = "num", colour = "cat" }\n'


@pytest.mark.parametrize(("table", "message"), [
    (MONITORING + 'colour_of_sky = "blue"\n', "not a demo spec"),
    (MONITORING.replace('"num"', '"number"'), "kinds must be one of"),
    (MONITORING.replace('scenario = "giant"\n', ""), "simulate needs"),
    (MONITORING.replace(KINDS, ""), "names a reference but no column kinds"),
])
def test_a_monitoring_table_that_does_not_fit_fails_naming_its_file(tmp_path, table, message):
    path = tmp_path / demos.SPEC_FILE
    path.write_text(textwrap.dedent(SPEC + table))
    with pytest.raises(ValueError, match=message) as info:
        demos.read_spec(path)
    assert str(path) in str(info.value)


def test_simulated_sentiment_rows_log_the_served_models_label_as_the_page_does():
    import numpy as np
    import pandas as pd

    from src.mlops.simulate import CLEAN, simulate_sentiment
    from src.sentiment.predict import SERVED

    class Scorer:
        @staticmethod
        def predict_many(texts):
            n = len(texts)
            return pd.DataFrame({f"{SERVED}_label": ["positive"] * n, f"{SERVED}_confidence": [0.9] * n,
                                 "transformer_label": ["negative"] * n, "transformer_confidence": [0.6] * n,
                                 "error": [""] * n})

    rows = simulate_sentiment(Scorer(), pd.DataFrame(), CLEAN, 4, "v1", np.random.default_rng(0),
                              vocabulary={"a", "fine", "film"}, sentences=["a fine film", "a dull film"] * 3)
    assert len(rows) == 4
    assert {(r["output"], r["confidence"]) for r in rows} == {("positive", 0.9)}
