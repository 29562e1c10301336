"""The prediction log: every row lands under concurrent writers, nothing raw is stored, failures never raise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from src.core import prediction_log
from src.core.settings import ROOT


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    path = tmp_path / "predictions.sqlite3"
    monkeypatch.setenv(prediction_log.PATH_ENV, str(path))
    return path


def _write_many(path: str, worker: int, n: int) -> None:
    import os

    os.environ[prediction_log.PATH_ENV] = path
    for i in range(n):
        prediction_log.log_prediction("churn", "v1", 1.0, {"worker": worker, "i": i}, "high", 0.9)


def test_eight_concurrent_threads_lose_no_row(log_file):
    threads = [threading.Thread(target=_write_many, args=(str(log_file), w, 200)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = prediction_log.read_rows()
    assert len(rows) == 1600
    seen = {(json.loads(r[5])["worker"], json.loads(r[5])["i"]) for r in rows}
    assert len(seen) == 1600


def test_eight_concurrent_processes_lose_no_row(log_file):
    # Plain subprocesses, not multiprocessing's spawn: spawn re-imports the parent's __main__, which after an
    # AppTest in the same pytest session is a deleted temporary script.
    writer = (
        "import sys; from src.core import prediction_log as p\n"
        "for i in range(100): p.log_prediction('churn', 'v1', 1.0, {'worker': int(sys.argv[1]), 'i': i}, 'high', 0.9)"
    )
    env = {**os.environ, prediction_log.PATH_ENV: str(log_file)}
    procs = [subprocess.Popen([sys.executable, "-c", writer, str(w)], cwd=ROOT, env=env) for w in range(8)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert len(prediction_log.read_rows()) == 800


def test_raw_bytes_are_dropped_and_long_text_is_cut(log_file):
    prediction_log.log_prediction("vision", "v1", 2.0, {"image": b"\x89PNG...", "note": "x" * 5000}, "cat", 0.5)
    (row,) = prediction_log.read_rows()
    inputs = json.loads(row[5])
    assert inputs["image"] is None and len(inputs["note"]) == prediction_log.MAX_TEXT


def test_an_unwritable_log_warns_once_and_never_raises(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(prediction_log.PATH_ENV, str(blocker / "predictions.sqlite3"))
    monkeypatch.setattr(prediction_log, "_warned", set())
    for _ in range(3):
        prediction_log.log_prediction("churn", "v1", 1.0, {}, "low", 0.1)
    warnings = [r for r in caplog.records if "prediction log unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_simulated_rows_are_marked_and_can_be_cleared(log_file):
    prediction_log.log_prediction("churn", "v1", 1.0, {}, "low", 0.1)
    assert prediction_log.log_many([{"demo": "churn", "inputs": {"a": 1}, "output": "high", "confidence": 0.8,
                                     "scenario": "clean"}]) == 1
    assert [r[8] for r in prediction_log.read_rows()] == [0, 1]
    assert len(prediction_log.read_rows(include_simulated=False)) == 1
    assert prediction_log.clear_simulated() == 1
    assert len(prediction_log.read_rows()) == 1


def test_an_unreadable_log_reads_as_empty(tmp_path):
    from src.mlops import traffic

    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_text("not a database" * 100)
    frame = traffic.load(corrupt)
    assert frame.empty and "confidence" in frame
