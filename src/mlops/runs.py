"""Tracked runs for the page: a table per model, and two runs side by side (imports MLflow: runs chapter only)."""

from __future__ import annotations

import os
import socket
import urllib.parse
from typing import Any

import pandas as pd

from src.core import tracking

#: Where ``mlflow ui`` usually listens; ``MLFLOW_UI_URL`` overrides.
DEFAULT_UI = "http://127.0.0.1:5000"


def runs_frame(demo: str, client: Any | None = None, max_results: int = 200) -> pd.DataFrame:
    """One row per run of ``demo``: when, status, duration, commit, data checksum, source and headline metric."""
    client = client or tracking.client()
    experiment = client.get_experiment_by_name(demo)
    if experiment is None:
        return pd.DataFrame()
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"],
                              max_results=max_results)
    rows = []
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        headline = tags.get("headline_metric", "")
        rows.append({
            "run": run.info.run_id[:8], "run_id": run.info.run_id,
            "started": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            "status": run.info.status, "source": tags.get("source", "training command"),
            "duration (s)": float(tags["duration_s"]) if tags.get("duration_s") else None,
            "headline": headline,
            "value": metrics.get(tracking.metric_name(headline)) if headline else None,
            "git commit": tags.get("git_commit", ""), "data sha256": tags.get("data_sha256", "")[:12],
        })
    return pd.DataFrame(rows)


def params_diff(run_a: str, run_b: str, client: Any | None = None) -> pd.DataFrame:
    """Every param of two runs, differing ones first."""
    client = client or tracking.client()
    a, b = client.get_run(run_a).data.params, client.get_run(run_b).data.params
    rows = [{"param": k, "run A": a.get(k, "—"), "run B": b.get(k, "—"), "differs": a.get(k) != b.get(k)}
            for k in sorted(set(a) | set(b))]
    frame = pd.DataFrame(rows, columns=["param", "run A", "run B", "differs"])
    return frame.sort_values(["differs", "param"], ascending=[False, True]).reset_index(drop=True)


def metric_curves(run_ids: dict[str, str], client: Any | None = None, min_steps: int = 2) -> pd.DataFrame:
    """Per-step metric histories (``label -> run id``) in long form: run, metric, step, value.

    Only metrics logged at two or more steps (epochs, folds) are curves; final figures are in the table.
    """
    client = client or tracking.client()
    rows = []
    for label, run_id in run_ids.items():
        for key in client.get_run(run_id).data.metrics:
            history = client.get_metric_history(run_id, key)
            if len({m.step for m in history}) >= min_steps:
                rows += [{"run": label, "metric": key, "step": m.step, "value": m.value} for m in history]
    return pd.DataFrame(rows, columns=["run", "metric", "step", "value"])


def final_metrics(run_ids: dict[str, str], client: Any | None = None) -> pd.DataFrame:
    """The latest value of every metric of each run, side by side."""
    client = client or tracking.client()
    data = {label: client.get_run(run_id).data.metrics for label, run_id in run_ids.items()}
    return pd.DataFrame(data).rename_axis("metric").reset_index()


def ui_url(timeout: float = 0.2) -> str | None:
    """The ``mlflow ui`` address when something listens there (checked with one quick connect), else None."""
    url = os.environ.get("MLFLOW_UI_URL", DEFAULT_UI)
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout):
            return url
    except OSError:
        return None
