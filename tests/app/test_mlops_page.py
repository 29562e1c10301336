"""AppTest of the Model health page over a prediction log filled with simulated traffic.

The log and the MLflow store live in a temporary folder; the rows are built here (Telco customers
sampled at run time from the mirror, or synthetic ones without it; made-up image and text summaries).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from src.churn import data as churn_data
from src.core import datasets, demos, prediction_log
from src.mlops import summaries
from tests.conftest import open_page, shows_info

PAGE = "app_pages/model_health.py"


def _rows(n: int = 300) -> list[dict]:
    rng = np.random.default_rng(0)
    now = time.time()
    # Real customers when the data is here (drift is judged against it), else made-up ones.
    customers = (churn_data.load().sample(2 * n, random_state=1).reset_index(drop=True)
                 if datasets.is_available("telco") else churn_data.synthetic(2 * n, seed=1))
    customers.loc[n:, "MonthlyCharges"] *= 1.4  # the second half: a price rise
    rows = [{"ts": now - 2 * n + i, "demo": "churn", "model_version": "test", "latency_ms": 5.0,
             "inputs": summaries.churn_inputs(row), "output": "high", "confidence": float(rng.beta(2, 5)),
             "scenario": "clean" if i < n else "price_rise"} for i, (_, row) in enumerate(customers.iterrows())]
    for i in range(n):
        image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        rows.append({"ts": now - n + i, "demo": "vision", "model_version": "test", "latency_ms": 9.0,
                     "inputs": summaries.vision_inputs(image), "output": "cat", "confidence": float(rng.random()),
                     "scenario": "clean"})
        rows.append({"ts": now - n + i, "demo": "sentiment", "model_version": "test", "latency_ms": 20.0,
                     "inputs": {"chars": int(rng.integers(10, 200)), "words": 5, "language": "en",
                                "oov_share": 0.1}, "output": "positive", "confidence": 0.9, "scenario": "clean"})
    return rows


@pytest.fixture
def traffic(tmp_path, monkeypatch):
    monkeypatch.setenv(prediction_log.PATH_ENV, str(tmp_path / "predictions.sqlite3"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert prediction_log.log_many(_rows()) == 1200


def _page(chapter: str | None = None):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    if chapter is not None:
        at.segmented_control(key="_chapter_control").set_value(chapter).run()
        assert at.query_params["chapter"] == chapter
    assert not at.exception, at.exception
    return at


def test_traffic_chapter_summarises_the_log(traffic):
    at = _page()
    table = at.dataframe[0].value
    assert set(table["demo"]) == {"churn", "vision", "sentiment"}
    assert table.set_index("demo").loc["churn", "predictions"] == 600


def test_alerts_name_the_planted_drift_with_method_and_rule(traffic):
    at = _page()
    warnings = " ".join(w.value for w in at.warning)
    if "MonthlyCharges" not in warnings:  # without the Telco data there is no reference to compare with
        pytest.skip("Telco data not available: drift has no reference")
    assert "MonthlyCharges" in warnings and "0.1" in warnings


def test_drift_chapter_shows_each_verdict_beside_its_method(traffic):
    at = _page("drift")
    if not at.dataframe:
        pytest.skip("datasets not available: drift has no reference")
    churn = at.dataframe[0].value
    assert {"method", "rule", "drifted"} <= set(churn.columns)
    assert churn.set_index("column").loc["MonthlyCharges", "drifted"]
    at.selectbox(key="mh_scenario").set_value("clean").run()
    assert not at.exception
    assert not at.dataframe[0].value.set_index("column").loc["MonthlyCharges", "drifted"]


def test_simulated_rows_can_be_filtered_out(traffic):
    at = _page()
    at.toggle(key="mh_simulated").set_value(False).run()
    assert shows_info(at, "No predictions logged yet")


def test_performance_chapter_estimates_churn_and_replays_labels(traffic):
    at = _page("performance")
    estimates = at.dataframe[0].value
    assert list(estimates["metric"]) == ["precision", "recall", "roc_auc"]
    at.button(key="mh_oof").click().run()
    assert not at.exception
    assert "realised" in at.dataframe[-1].value.columns


def test_runs_chapter_registers_the_committed_models(traffic):
    at = _page("runs")
    registry = at.dataframe[0].value
    assert list(registry["champion"]) == ["★ champion"]
    assert registry.loc[0, "version"] == 1


def test_simulate_production_replays_through_the_real_models(tmp_path, monkeypatch):
    """One click: every demo whose data is here gets a clean and a drifted window, marked simulated."""
    monkeypatch.setenv(prediction_log.PATH_ENV, str(tmp_path / "predictions.sqlite3"))
    monkeypatch.setattr(demos, "MONITORED", {slug: dataclasses.replace(m, simulated_rows=40) if m.simulate else m
                                             for slug, m in demos.MONITORED.items()})
    at = _page()
    at.button(key="mh_simulate").click().run()
    assert not at.exception, at.exception
    assert any("simulated predictions" in s.value for s in at.success)
    rows = prediction_log.read_rows()
    wanted = {d for d, ds in (("churn", "telco"), ("vision", "cifar10"), ("sentiment", "sst2"))
              if datasets.is_available(ds)}
    # a demo whose dataset is missing (a fresh CI machine) is skipped with a visible note, not silently
    notes = " ".join(i.value for i in at.info)
    for demo in {"churn", "vision", "sentiment"} - wanted:
        assert f"{demo}: the" in notes and "not on this machine" in notes, notes
    assert all(r[8] == 1 for r in rows)
    assert {(r[2], r[9]) for r in rows} >= {(d, s) for d in wanted for s in ("clean",)}
    assert {r[2] for r in rows if r[9] != "clean"} == wanted


def test_a_demo_without_a_monitoring_table_is_named_as_not_monitored(traffic, monkeypatch):
    """RAG's [monitoring] table taken away: the page says RAG is not monitored instead of skipping it silently."""
    at = _page()
    assert not any("Not monitored" in c.value for c in at.caption)
    rag = demos.get("rag")
    monkeypatch.setattr(demos, "MONITORED", {s: m for s, m in demos.MONITORED.items() if s != "rag"})
    at = _page()
    (note,) = [c.value for c in at.caption if "Not monitored" in c.value]
    assert rag.title in note and "[monitoring]" in note
