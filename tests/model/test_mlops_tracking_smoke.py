"""A real smoke training command, tracked into a temporary SQLite store: the run has params, metrics and the card."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from src.core import tracking
from src.core.settings import ROOT
from tests.conftest import require_dataset


@pytest.mark.parametrize(("demo", "dataset"), [("vision", "cifar10"), ("sentiment", "sst2")])
def test_smoke_training_creates_a_tracked_run(demo, dataset, tmp_path, monkeypatch):
    require_dataset(dataset)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", f"src.{demo}.train", "--smoke", "--out", str(tmp_path / demo)],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    client = tracking.client()
    experiment = client.get_experiment_by_name(demo)
    assert experiment is not None, f"src.{demo}.train --smoke did not call track_run"
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert len(run.data.params) >= 5 and run.data.metrics
    assert any(a.path == "card/README.md" for a in client.list_artifacts(run.info.run_id, "card"))
