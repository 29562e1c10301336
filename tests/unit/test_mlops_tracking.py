"""track_run: a training run becomes an MLflow run with params, per-step metrics, the card artifact and tags;
a broken store never fails training."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from src.core import tracking
from src.core.cards import Card, Metric, write_card


@dataclass
class Config:
    epochs: int = 3
    lr: float = 0.05
    widths: tuple[int, ...] = (64, 256)
    extra: dict = field(default_factory=lambda: {"mixup": {"alpha": 0.2}})


def _card() -> Card:
    return Card(demo="vision", title="t", summary="s", metrics=[Metric("validation accuracy", 0.9, "split", 0.01)],
                data=[], config={"epochs": 3}, command="python -m src.vision.train", duration_s=1.0, versions={},
                git_commit="x", hardware="cpu")


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One store for the module: creating an MLflow SQLite schema takes seconds."""
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def store(shared_store, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{shared_store / 'mlflow.db'}")
    return tmp_path


def test_a_training_run_records_params_metrics_card_and_tags(store):
    folder = store / "model"
    with tracking.track_run("vision", Config(), data_sha256="abc123") as run:
        for epoch in range(3):
            run.log_metrics({"train loss": 1.0 / (epoch + 1), "val acc@1": 0.5 + epoch / 10}, step=epoch)
        write_card(_card(), folder)
        run.log_card(folder)
    assert run.active
    client = tracking.client()
    recorded = client.get_run(run.run_id)
    assert recorded.info.status == "FINISHED"
    assert recorded.data.params["epochs"] == "3" and recorded.data.params["extra.mixup.alpha"] == "0.2"
    assert recorded.data.tags["data_sha256"] == "abc123" and "git_commit" in recorded.data.tags
    assert float(recorded.data.tags["duration_s"]) >= 0
    assert recorded.data.metrics["validation accuracy"] == pytest.approx(0.9)
    assert [m.value for m in client.get_metric_history(run.run_id, "train loss")] == pytest.approx([1, 0.5, 1 / 3])
    assert "val acc_1" in recorded.data.metrics  # "@" is not allowed in MLflow names
    artifacts = {a.path for a in client.list_artifacts(run.run_id, "card")}
    assert "card/README.md" in artifacts
    assert {a.path for a in client.list_artifacts(run.run_id, "config")} == {"config/config.json"}


def test_a_failing_block_marks_the_run_failed_and_still_raises(store):
    with pytest.raises(ValueError), tracking.track_run("churn", {"folds": 5}) as run:
        raise ValueError("boom")
    assert tracking.client().get_run(run.run_id).info.status == "FAILED"


def test_a_broken_store_warns_once_and_training_goes_on(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blocker / 'mlflow.db'}")
    monkeypatch.setattr(tracking, "_warned", set())
    finished = False
    with caplog.at_level(logging.WARNING), tracking.track_run("churn", {"folds": 5}) as run:
        run.log_metric("auc", 0.8, step=0)
        run.log_card(tmp_path)
        finished = True
    assert finished and not run.active
    assert len([r for r in caplog.records if "tracking" in r.getMessage()]) == 1


def test_tracking_can_be_switched_off(store, monkeypatch):
    monkeypatch.setenv(tracking.ENABLE_ENV, "0")
    with tracking.track_run("churn", {"folds": 5}) as run:
        run.log_metric("auc", 0.8)
    assert not run.active


def test_nothing_imports_mlflow_until_runs_are_needed():
    """``import mlflow`` takes seconds: the training modules, the prediction log and every page part except
    the runs chapter must not pay for it."""
    import subprocess
    import sys

    from src.core.settings import ROOT

    code = ("import sys, src.core.tracking, src.core.prediction_log, src.mlops.hooks, src.mlops.monitor, "
            "src.ui.model_health_widgets, src.pipeline; print(any(m.split('.')[0] == 'mlflow' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
