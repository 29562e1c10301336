"""The widgets' logging hooks: a shown prediction is logged once (not on every rerun), with its summary only,
and a broken log never breaks the page."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from src.churn.data import synthetic
from src.core import prediction_log
from src.mlops import hooks


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv(prediction_log.PATH_ENV, str(tmp_path / "p.sqlite3"))
    monkeypatch.setattr(hooks, "_last", {})
    return tmp_path


def test_a_rerun_of_the_same_prediction_is_logged_once(log_file):
    row = synthetic(2, seed=0).iloc[0]
    for _ in range(3):
        hooks.log_churn(row, 0.42, "medium", time.perf_counter())
    hooks.log_churn(synthetic(2, seed=0).iloc[1], 0.1, "low", time.perf_counter())
    rows = prediction_log.read_rows()
    assert [r[6] for r in rows] == ['"medium"', '"low"']
    assert "customerID" not in json.loads(rows[0][5]) and "Churn" not in json.loads(rows[0][5])


def test_vision_logs_statistics_never_pixels(log_file):
    image = np.full((32, 32, 3), 128, dtype=np.uint8)
    hooks.log_vision(image, (640, 480), "cat", 0.8, time.perf_counter())
    (row,) = prediction_log.read_rows()
    inputs = json.loads(row[5])
    assert set(inputs) == {"brightness", "contrast", "edge_energy", "width", "height"}
    assert inputs["width"] == 640 and inputs["brightness"] == pytest.approx(128 / 255, abs=1e-3)


def test_rag_logs_the_question_length_not_the_question(log_file):
    hooks.log_rag("how was the churn model validated?", 0.61, "rag", 1.0, time.perf_counter())
    (row,) = prediction_log.read_rows()
    assert "churn" not in row[5] and json.loads(row[5])["retrieval_strength"] == pytest.approx(0.61)


def test_a_hook_never_raises(log_file):
    hooks.log_churn({"tenure": "not a number"}, 0.5, "medium", time.perf_counter())
    hooks.log_churn_batch(object(), time.perf_counter())
