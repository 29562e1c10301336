"""The Model health page's runs and registry chapter: the only part of the page that imports MLflow.

A cold visit reads the snapshot of the store (:mod:`src.mlops.snapshot`, written by ``python -m
src.warm``) instead, when it is current: importing MLflow takes 2-4 s. When it is missing or stale
(a run was tracked since), the chapter reads MLflow live, as it always did, and refreshes the
snapshot in the background for the next cold visit.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from src.core import tracking
from src.core.demos import CARDED
from src.mlops import snapshot
from src.ui import background
from src.ui.chrome import error_panel

_PLOTLY = {"displayModeBar": False}
DEMOS = CARDED


@st.cache_resource(show_spinner="Registering the committed models…")
def _registered(uri: str) -> list[str]:
    """Once per process and store: committed cards become registry versions (idempotent)."""
    from src.mlops.registry import register_committed

    return register_committed()


@st.cache_data(ttl=30, show_spinner=False)
def _runs(uri: str, demo: str, _client: Any = None) -> pd.DataFrame:
    from src.mlops.runs import runs_frame

    return runs_frame(demo, _client)


@st.cache_data(ttl=30, show_spinner=False)
def _versions(uri: str, demo: str, _client: Any = None) -> pd.DataFrame:
    if _client is not None:
        found = _client.versions(demo)
    else:
        from src.mlops.registry import versions

        found = versions(demo)
    rows = [{"version": v.version, "champion": "★ champion" if v.champion else "",
             "registered": pd.to_datetime(v.created_ms, unit="ms", utc=True), "card": v.card_version,
             "headline": v.metric, "value": v.value, "gate decision": v.decision, "reason": v.reason}
            for v in found]
    return pd.DataFrame(rows)


def _refresh_snapshot(uri: str) -> None:
    """Snapshot the store in the background, once per store state, so the next cold visit skips MLflow."""
    key = snapshot.store_key(uri)
    if key is not None:
        background.start(f"mlops:snapshot:{key['size']}:{key['mtime_ns']}", snapshot.write, group="mlops:snapshot:",
                         keep=1)


def refresh_when_stale() -> None:
    """Any chapter, once drawn: refresh a stale snapshot in the background, so the runs chapter finds it current."""
    uri = tracking.tracking_uri()
    if snapshot.store_key(uri) is not None and snapshot.read(uri=uri) is None:
        _refresh_snapshot(uri)


def runs_chapter() -> None:
    """Runs per model, two runs compared, and the registry with the champion and the gate's decisions."""
    uri = tracking.tracking_uri()
    client = snapshot.read(uri=uri)  # None: read MLflow live (missing, stale, or not the embedded store)
    if client is not None:
        _draw(uri, client)
        return
    try:
        _registered(uri)
    except Exception as exc:  # a broken or unreachable store must not break the page
        error_panel(f"The MLflow store at {uri} could not be opened.", exc)
        return
    _draw(uri, None)
    _refresh_snapshot(uri)  # after drawing: the visitor never waits for it


def _draw(uri: str, client: Any) -> None:
    """The chapter from ``client`` (a snapshot), or from MLflow when it is None."""
    from src.mlops.runs import ui_url

    link = ui_url()
    st.caption(f"Store: `{uri}`" + (f" · [open MLflow UI]({link})" if link else
                                     " · run `mlflow ui --backend-store-uri " + uri + "` for MLflow's own UI"))
    demo = st.segmented_control("Model", DEMOS, default="churn", key="mh_runs_demo") or "churn"
    st.markdown("#### Registry")
    st.dataframe(_versions(uri, demo, client), hide_index=True, width="stretch")
    st.caption("Version 1 is the committed model. `make retrain` adds a version per challenger; the gate moves the "
               "`champion` alias only when the challenger is not worse beyond the headline metric's noise.")
    st.markdown("#### Runs")
    runs = _runs(uri, demo, client)
    if runs.empty:
        st.info(f"No tracked runs of {demo} yet. Every `python -m src.{demo}.train` (and `--smoke`) records one.")
        return
    st.dataframe(runs.drop(columns=["run_id"]), hide_index=True, width="stretch")
    compare(runs, demo, client)


def compare(runs: pd.DataFrame, demo: str, client: Any = None) -> None:
    """Two runs side by side: the params that differ first, then the metric curves."""
    if len(runs) < 2:
        st.caption("Compare needs two runs.")
        return
    labels = [f"{r['run']} · {r['started']:%Y-%m-%d %H:%M} · {r['source']}" for _, r in runs.iterrows()]
    left, right = st.columns(2)
    # options are the labels themselves and keys name the model, so switching model never shows stale runs
    a = labels.index(left.selectbox("Run A", labels, index=1, key=f"mh_run_a_{demo}"))
    b = labels.index(right.selectbox("Run B", labels, index=0, key=f"mh_run_b_{demo}"))
    from src.mlops import charts
    from src.mlops.runs import final_metrics, metric_curves, params_diff

    ids = {"A": runs.iloc[a]["run_id"], "B": runs.iloc[b]["run_id"]}
    st.dataframe(params_diff(ids["A"], ids["B"], client), hide_index=True, width="stretch")
    st.dataframe(final_metrics(ids, client), hide_index=True, width="stretch")
    curves = metric_curves(ids, client)
    if curves.empty:
        st.caption("Neither run logged per-epoch or per-fold metrics.")
        return
    metric = st.selectbox("Curve", sorted(curves["metric"].unique()), key=f"mh_curve_{demo}")
    st.plotly_chart(charts.metric_curves(curves, metric), width="stretch", config=_PLOTLY)
