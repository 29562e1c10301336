"""The runs chapter's snapshot answers as the MLflow store does, and is ignored once the store changes.

The store is a temporary embedded SQLite file with two tracked runs and the committed cards registered.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from src.core import tracking
from src.mlops import registry, runs, snapshot


def _track(demo: str, lr: float, losses: list[float]) -> None:
    with tracking.track_run(demo, {"lr": lr, "epochs": len(losses)}, data_sha256="abc") as run:
        for step, loss in enumerate(losses):
            run.log_metrics({"loss": loss, "acc": 1 - loss}, step=step)


def _use(monkeypatch, folder) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv(tracking.ENABLE_ENV, "1")
    monkeypatch.setattr(tracking, "DEFAULT_DB", folder / "mlflow.db")
    monkeypatch.setattr(tracking, "DEFAULT_ARTIFACTS", folder / "mlartifacts")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One store for the module (creating an MLflow schema takes seconds): two runs, the cards registered."""
    folder = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as mp:
        _use(mp, folder)
        _track("churn", 0.1, [0.9, 0.5, 0.3])
        _track("churn", 0.2, [0.8, 0.6])
        registry.register_committed()
    return folder / "mlflow.db"


@pytest.fixture
def store(built, tmp_path, monkeypatch):
    """A copy of the module's store in use; returns where the snapshot goes."""
    shutil.copy2(built, tmp_path / "mlflow.db")
    _use(monkeypatch, tmp_path)
    return tmp_path / "runs.json"


def _tables(client) -> dict[str, pd.DataFrame]:
    frame = runs.runs_frame("churn", client)
    ids = {"A": frame.iloc[1]["run_id"], "B": frame.iloc[0]["run_id"]}
    return {"runs": frame, "params": runs.params_diff(ids["A"], ids["B"], client),
            "final": runs.final_metrics(ids, client), "curves": runs.metric_curves(ids, client),
            "vision runs": runs.runs_frame("vision", client)}


def test_snapshot_tables_equal_the_live_ones(store):
    assert snapshot.write(store)
    stored = snapshot.read(store)
    assert stored is not None
    live, cached = _tables(tracking.client()), _tables(stored)
    assert len(live["runs"]) == 3 and set(live["curves"]["metric"]) == {"loss", "acc"}  # two runs + the card's
    for name, frame in live.items():
        pd.testing.assert_frame_equal(cached[name], frame, obj=name)
    for demo in registry.MODEL_DEMOS:
        assert stored.versions(demo) == registry.versions(demo)
    assert any(v.champion for v in stored.versions("churn"))


def test_a_tracked_run_makes_the_snapshot_stale(store):
    assert snapshot.write(store)
    _track("churn", 0.3, [0.7, 0.4])
    assert snapshot.read(store) is None
    assert snapshot.write(store) and len(runs.runs_frame("churn", snapshot.read(store))) == 4


def test_a_new_committed_card_or_another_store_is_read_live(store, monkeypatch):
    assert snapshot.write(store)
    committed = snapshot._committed()
    monkeypatch.setattr(snapshot, "_committed", lambda: {**committed, "churn": "retrained"})
    assert snapshot.read(store) is None  # the registry must register it first: the page goes live
    monkeypatch.setattr(snapshot, "_committed", lambda: committed)
    assert snapshot.read(store) is not None
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    assert snapshot.read(store) is None and snapshot.write(store) is False


def test_a_broken_snapshot_is_ignored(store):
    store.write_text("{not json")
    assert snapshot.read(store) is None


def test_a_snapshot_taken_before_a_new_card_was_registered_never_serves(store, monkeypatch):
    committed = snapshot._committed()
    monkeypatch.setattr(snapshot, "_committed", lambda: {**committed, "churn": "retrained"})
    assert snapshot.write(store)  # the registry does not hold "retrained" yet
    assert snapshot.read(store) is None
