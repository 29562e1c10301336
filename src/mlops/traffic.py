"""The prediction log as frames: traffic per demo over time, latency percentiles, confidences, input windows."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from src.core import prediction_log
from src.core.demos import CARDED

log = logging.getLogger(__name__)
DEMO_ORDER = CARDED


def load(path: Path | None = None, *, include_simulated: bool = True, limit: int = 200_000) -> pd.DataFrame:
    """The whole log (newest ``limit`` rows) with a UTC ``time`` column; empty frame with the columns when none
    (or when the file cannot be read: the page then says no predictions are logged, and the log says why)."""
    try:
        rows = prediction_log.read_rows(include_simulated=include_simulated, limit=limit, path=path)
    except (sqlite3.Error, OSError) as exc:
        log.warning("prediction log unreadable at %s: %s", path or prediction_log.log_path(), exc)
        rows = []
    frame = pd.DataFrame(rows, columns=list(prediction_log.COLUMNS))
    frame["time"] = pd.to_datetime(frame["ts"].astype(float), unit="s", utc=True)
    frame["simulated"] = frame["simulated"].astype(bool)
    frame["output"] = [json.loads(v) if v else None for v in frame["output"]]
    return frame


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per demo: predictions, simulated share, p50/p95 latency, mean confidence, model versions, last seen."""
    if frame.empty:
        return pd.DataFrame(columns=["demo", "predictions", "simulated", "p50 latency (ms)", "p95 latency (ms)",
                                     "mean confidence", "model versions", "last prediction"])
    out = frame.groupby("demo").agg(
        predictions=("id", "size"),
        simulated=("simulated", "mean"),
        p50=("latency_ms", lambda s: float(np.nanpercentile(s, 50))),
        p95=("latency_ms", lambda s: float(np.nanpercentile(s, 95))),
        confidence=("confidence", "mean"),
        versions=("model_version", lambda s: ", ".join(sorted(set(s)))),
        last=("time", "max"),
    ).reset_index()
    out["simulated"] = (out["simulated"] * 100).round(0).astype(int).astype(str) + "%"
    out = out.rename(columns={"p50": "p50 latency (ms)", "p95": "p95 latency (ms)", "confidence": "mean confidence",
                              "versions": "model versions", "last": "last prediction"})
    order = {d: i for i, d in enumerate(DEMO_ORDER)}
    numeric = ["p50 latency (ms)", "p95 latency (ms)", "mean confidence"]
    out[numeric] = out[numeric].round(3)
    return out.sort_values("demo", key=lambda s: s.map(order).fillna(99)).reset_index(drop=True)


def timeline(frame: pd.DataFrame, buckets: int = 30) -> pd.DataFrame:
    """Predictions per demo per time bucket (bucket width chosen so the log spans about ``buckets`` of them)."""
    if frame.empty:
        return pd.DataFrame(columns=["time", "demo", "predictions"])
    span = max((frame["time"].max() - frame["time"].min()).total_seconds(), 60.0)
    width = pd.Timedelta(seconds=_nice_seconds(span / buckets))
    bucketed = frame.assign(time=frame["time"].dt.floor(width))
    return bucketed.groupby(["time", "demo"]).size().rename("predictions").reset_index()


def _nice_seconds(raw: float) -> int:
    for step in (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400):
        if raw <= step:
            return step
    return 30 * 86400


def window(frame: pd.DataFrame, demo: str, last: int) -> pd.DataFrame:
    """The newest ``last`` predictions of one demo with their input summaries as columns."""
    rows = frame[frame["demo"] == demo].tail(last)
    if rows.empty:
        return pd.DataFrame()
    inputs = pd.DataFrame([json.loads(s) for s in rows["inputs"]], index=rows.index)
    keep = rows[["time", "model_version", "latency_ms", "output", "confidence", "simulated", "scenario"]]
    return pd.concat([keep, inputs], axis=1).reset_index(drop=True)
