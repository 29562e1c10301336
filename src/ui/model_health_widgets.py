"""The Model health page's parts: streamlit layout over ``src.mlops`` (which never imports streamlit).

Reading the log, the reference samples and every drift or CBPE result are cached on the log file's
state, so a rerun that changes nothing recomputes nothing. MLflow is imported only by the runs chapter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from src.core import contract, datasets, demos, prediction_log
from src.core.contract import OOF_FILE
from src.core.settings import model_dir
from src.mlops import cbpe, charts, drift, monitor, simulate, traffic
from src.mlops.versions import demo_version
from src.ui.chrome import data_missing_panel, load_card

log = logging.getLogger(__name__)
_PLOTLY = {"displayModeBar": False}
ALL = "all traffic"
#: Small counts in words, for prose.
_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def monitored() -> tuple[str, ...]:
    """The demos whose drift is judged: a reference in their demo.toml's ``[monitoring]``, in navigation order."""
    return tuple(slug for slug, m in demos.MONITORED.items() if m.drift)


@dataclass(frozen=True)
class Options:
    """The sidebar's choices."""

    include_simulated: bool
    window: int
    psi: bool


def options() -> Options:
    """Sidebar: simulated rows in or out, the window size, and PSI on request."""
    with st.sidebar:
        st.markdown("**Model health**")
        include = st.toggle("Include simulated traffic", value=True, key="mh_simulated",
                            help="Rows from 'Simulate production' are marked; switch off to see real visitors only.")
        window = st.slider("Window (newest predictions per model)", 50, 2000, 500, 50, key="mh_window")
        psi = st.toggle("Use PSI for every column", value=False, key="mh_psi",
                        help=f"Population stability index (threshold {drift.PSI_THRESHOLD:g}) instead of Evidently's "
                             "default per-column test.")
    return Options(include, window, psi)


# --- the log ---------------------------------------------------------------------------------


def log_key() -> tuple:
    """The log's state: the file's and its WAL's size and mtime (a write changes the WAL first)."""
    path = prediction_log.log_path()
    parts: list[object] = [str(path)]
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            stat = p.stat()
            parts += [stat.st_mtime_ns, stat.st_size]
        except OSError:
            parts += [0, 0]
    return tuple(parts)


@st.cache_data(show_spinner=False, max_entries=4)
def _log(key: tuple, include_simulated: bool) -> pd.DataFrame:
    return traffic.load(include_simulated=include_simulated)


def log_frame(opts: Options) -> pd.DataFrame:
    """The prediction log as a frame (cached until it changes)."""
    return _log(log_key(), opts.include_simulated)


# --- references ------------------------------------------------------------------------------


def _build_reference(demo: str, version: str) -> pd.DataFrame:
    return contract.import_name(demos.MONITORED[demo].reference)()


_references: dict[str, Callable[[str, str], pd.DataFrame]] = {}


def reference_frame(demo: str) -> pd.DataFrame:
    """The demo's drift reference (its ``[monitoring]`` builder), cached per model version; the spinner says
    what the builder's ``loading`` mark says. One cache for every demo: each spinner text wraps the same function."""
    if demo not in _references:
        text = getattr(contract.import_name(demos.MONITORED[demo].reference), "loading",
                       f"Reading the {demo} reference sample…")
        _references[demo] = st.cache_data(show_spinner=text)(_build_reference)
    return _references[demo](demo, demo_version(demo))


def reference_of(demo: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The demo's reference sample and column kinds (raises DataMissingError without the dataset)."""
    return reference_frame(demo), demos.MONITORED[demo].column_kinds()


def current_window(frame: pd.DataFrame, demo: str, opts: Options, scenario: str = ALL) -> pd.DataFrame:
    """The newest ``opts.window`` predictions of ``demo`` (optionally of one simulated scenario)."""
    if scenario != ALL:
        frame = frame[frame["scenario"] == scenario]
    return traffic.window(frame, demo, opts.window)


@st.cache_data(show_spinner=False, max_entries=32)
def _drift(key: tuple, demo: str, opts: Options, scenario: str) -> drift.DatasetDrift | None:
    ref, kinds = reference_of(demo)
    current = current_window(log_frame(opts), demo, opts, scenario)
    return monitor.window_drift(ref, current, kinds, "psi" if opts.psi else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _estimate(key: tuple, opts: Options, scenario: str, threshold: float) -> dict[str, cbpe.Estimate] | None:
    return monitor.churn_estimate(current_window(log_frame(opts), "churn", opts, scenario), threshold)


def churn_threshold() -> float:
    """The committed churn model's decision threshold (from its card), 0.5 without one."""
    card = load_card("churn")
    return float(card.extra.get("threshold", 0.5)) if card is not None else 0.5


# --- simulate production ---------------------------------------------------------------------


def simulate_controls() -> None:
    """One click replays a clean window and three drifted ones through the real predictors."""
    left, right = st.columns([3, 1])
    scenarios = simulate.scenarios(demos.MONITORED.values())
    drifted = len(scenarios) - 1
    left.markdown(f"**Simulate production.** Replays a clean sample of each model's training data, then "
                  f"{_COUNTS[drifted] if drifted < len(_COUNTS) else drifted} drifted scenarios, through the committed "
                  "models. Rows are marked *simulated*.")
    with left.expander("The scenarios"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in scenarios.items()))
    if message := st.session_state.pop("mh_done", None):
        st.success(message, icon=":material/check_circle:")
    for note in st.session_state.pop("mh_notes", []):
        st.info(note, icon=":material/info:")
    if right.button("Simulate production", type="primary", icon=":material/play_arrow:", key="mh_simulate"):
        with st.status("Replaying traffic through the real models…", expanded=True) as status:
            written, notes = run_simulation(status)
            status.update(label=f"Logged {written:,} simulated predictions.", state="complete")
        # everything above this button was drawn from the old log: draw the page again
        st.session_state["mh_done"] = f"Logged {written:,} simulated predictions (marked simulated)."
        st.session_state["mh_notes"] = notes
        st.rerun()
    if right.button("Clear simulated rows", key="mh_clear"):
        st.session_state["mh_done"] = f"Removed {prediction_log.clear_simulated():,} simulated rows."
        st.rerun()


def run_simulation(status: object) -> tuple[int, list[str]]:
    """Score every scenario for every monitored demo; returns the rows logged and what was skipped, and why."""
    rng = np.random.default_rng()
    written, notes = 0, []
    for demo in (slug for slug, m in demos.MONITORED.items() if m.simulate):
        status.write(f"{demo}: scoring…")  # type: ignore[attr-defined]
        try:
            rows = _simulate_demo(demo, rng)
        except datasets.DataMissingError as exc:
            notes.append(f"{demo}: the {exc.name} dataset is not on this machine, so its traffic was not simulated "
                         f"(`{exc.command}`).")
            continue
        except Exception as exc:  # one demo failing must not stop the others; the traceback goes to the log
            log.exception("simulating %s traffic failed", demo, exc_info=exc)
            notes.append(f"Simulating {demo} traffic failed ({type(exc).__name__}); the others went on.")
            continue
        written += prediction_log.log_many(rows)
        status.write(f"{demo}: {len(rows):,} predictions")  # type: ignore[attr-defined]
    return written, notes


def _simulate_demo(demo: str, rng: np.random.Generator) -> list[dict]:
    """Clean first, then the demo's drifted scenario, so the newest window is the drifted one."""
    watch = demos.MONITORED[demo]
    version, n = demo_version(demo), watch.simulated_rows
    sample = reference_frame(demo)  # first: a missing dataset is reported before the model is loaded for nothing
    replay, predictor = contract.import_name(watch.simulate), contract.import_name(watch.predictor)()
    end = pd.Timestamp.now(tz="UTC").timestamp()
    rows: list[dict] = []
    for offset, scenario in ((n * simulate.SPACING_S, simulate.CLEAN), (0.0, watch.scenario)):  # clean, then drifted
        batch = replay(predictor, sample, scenario, n, version, rng)
        shift = end - offset - max(r["ts"] for r in batch)
        rows += [{**r, "ts": r["ts"] + shift} for r in batch]
    return rows


# --- chapters --------------------------------------------------------------------------------


def alerts(frame: pd.DataFrame, opts: Options) -> None:
    """What crossed a threshold in the current window, in plain words."""
    found: list[str] = []
    key = log_key()
    for demo in monitored():
        try:
            message = monitor.drift_alert(demo, _drift(key, demo, opts, ALL))
        except datasets.DataMissingError:
            continue
        found += [message] if message else []
    estimate = _estimate(key, opts, ALL, churn_threshold())
    found += [m] if (m := monitor.performance_alert(estimate, load_card("churn"))) else []
    found += monitor.latency_alerts(traffic.summary(frame))
    feedback = _feedback()
    if feedback is not None:
        found += [m] if (m := monitor.feedback_alert(feedback.up, feedback.down)) else []
    if frame.empty:
        st.info("No predictions logged yet. Use the demos, or press **Simulate production** below.",
                icon=":material/hourglass_empty:")
    elif found:
        st.warning("**Alerts in the current window**\n\n" + "\n".join(f"- {m}" for m in found),
                   icon=":material/warning:")
    else:
        st.success("No alerts: no input drift, latency within budget, estimated performance in line with the card.",
                   icon=":material/check_circle:")
    if unwatched := demos.unmonitored():
        st.caption("Not monitored: " + ", ".join(d.title for d in unwatched) + " (no `[monitoring]` table in its "
                   "demo.toml), so its predictions are not logged and it has no latency budget or drift check.")


def _feedback() -> object | None:
    try:
        from src.rag.feedback import FeedbackStore

        return FeedbackStore().summary()
    except Exception as exc:  # the feedback DB is optional here
        log.warning("feedback summary unavailable: %s", exc)
        return None


def traffic_chapter(frame: pd.DataFrame) -> None:
    """Predictions per demo over time, latency percentiles, confidences and the RAG chat's thumbs."""
    if frame.empty:
        return
    st.dataframe(traffic.summary(frame), hide_index=True, width="stretch")
    st.caption("Latency is the model's time per prediction; simulated rows are batch-scored, so theirs is the batch "
               "time per row. Only input *summaries* are stored: never an uploaded image or a full text.")
    left, right = st.columns(2)
    left.plotly_chart(charts.traffic(traffic.timeline(frame)), width="stretch", config=_PLOTLY)
    right.plotly_chart(charts.confidence_histograms(frame), width="stretch", config=_PLOTLY)
    feedback = _feedback()
    if feedback is not None and feedback.total:
        st.metric("RAG chat: answers rated helpful", f"{feedback.up_rate:.0%}",
                  help=f"{feedback.up} thumbs up, {feedback.down} thumbs down (all time).")
    else:
        st.caption("RAG chat: no answers rated yet (thumbs up/down under each answer).")


def drift_chapter(frame: pd.DataFrame, opts: Options) -> None:
    """Per demo: each input column's verdict with its method and threshold, and the dataset verdict."""
    scenarios = [ALL, *sorted(s for s in frame["scenario"].unique() if s)] if not frame.empty else [ALL]
    scenario = st.selectbox("Window", scenarios, key="mh_scenario",
                            help="The newest predictions, or only one simulated scenario's.")
    watched = monitored()
    for demo, tab in zip(watched, st.tabs([d.capitalize() for d in watched]), strict=True):
        with tab:
            _drift_tab(frame, demo, opts, scenario)


def _drift_tab(frame: pd.DataFrame, demo: str, opts: Options, scenario: str) -> None:
    try:
        result = _drift(log_key(), demo, opts, scenario)
        ref, kinds = reference_of(demo)
    except datasets.DataMissingError as exc:
        data_missing_panel(exc, "Drift needs the training data as its reference.")
        return
    if result is None:
        st.info(f"Fewer than {monitor.MIN_WINDOW} {demo} predictions in this window: nothing to judge yet.")
        return
    verdict = "**drifted**" if result.drifted else "not drifted"
    st.markdown(f"Dataset {verdict}: {sum(c.drifted for c in result.columns)} of {len(result.columns)} columns "
                f"drifted ({result.share:.0%}; the rule is ≥ {result.drift_share:.0%}). Current window "
                f"{result.current_rows:,} rows vs {result.reference_rows:,} reference rows.")
    st.caption(drift.rules_text(result.reference_rows, "psi" if opts.psi else None)
               + " Tests implemented with scipy following Evidently 0.7's defaults.")
    table = result.frame()
    st.dataframe(table, hide_index=True, width="stretch")
    column = st.selectbox("Compare one column", table["column"], key=f"mh_col_{demo}",
                          index=int(np.argmax(table["drifted"].to_numpy())) if table["drifted"].any() else 0)
    current = current_window(frame, demo, opts, scenario)
    st.plotly_chart(charts.distribution(ref[column], current[column], kinds[column], column), width="stretch",
                    config=_PLOTLY)


def performance_chapter(frame: pd.DataFrame, opts: Options) -> None:
    """Churn: CBPE estimates from the logged probabilities, and realised figures once labels arrive."""
    threshold = churn_threshold()
    estimate = _estimate(log_key(), opts, ALL, threshold)
    oof = _oof_reference(threshold)
    st.markdown(f"Estimated from the calibrated churn probabilities of the newest {opts.window:,} predictions "
                f"(decision threshold {threshold:.2f}, from the model card), as NannyML's CBPE does. The interval is "
                "where the realised figure should land if the probabilities are calibrated for this traffic.")
    if estimate is None:
        st.info(f"Fewer than {monitor.MIN_WINDOW} churn predictions logged: nothing to estimate yet.")
    else:
        st.dataframe(_estimate_table(estimate, None, oof), hide_index=True, width="stretch")
        st.plotly_chart(charts.estimates(estimate, None, oof), width="stretch", config=_PLOTLY)
    labels_panel(threshold, oof)


def _estimate_table(estimate: dict[str, cbpe.Estimate], realised: dict | None, oof: dict | None) -> pd.DataFrame:
    rows = []
    for name, e in estimate.items():
        row = {"metric": name, "estimated": round(e.value, 3), "95% interval": f"{e.low:.3f}–{e.high:.3f}"}
        if realised is not None:
            row |= {"realised": round(realised[name], 3), "inside interval": e.contains(realised[name])}
        if oof is not None:
            row["cross-validated (card's out-of-fold)"] = round(oof[name], 3)
        rows.append(row)
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def _oof_reference(threshold: float) -> dict | None:
    """Precision/recall/ROC-AUC of the committed out-of-fold predictions: the training-time figures."""
    arrays = _oof()
    return None if arrays is None else cbpe.realised_metrics(arrays[1], arrays[0], threshold)


def _oof() -> tuple[np.ndarray, np.ndarray] | None:
    path = Path(model_dir("churn")) / OOF_FILE
    if not path.is_file():
        return None
    with np.load(path) as data:
        return data["p"], data["y"]


#: Rows of a labelled upload scored at most, and customers in a replayed hold-out window (the page's text says both).
LABELLED_MAX_ROWS = 5000
REPLAY_ROWS = 500


def labels_panel(threshold: float, oof: dict | None) -> None:
    """Realised performance once labels arrive: a labelled CSV upload, or a labelled hold-out window."""
    st.markdown("#### When labels arrive")
    upload = st.file_uploader("Labelled batch (Telco columns plus `Churn` as Yes/No)", type=["csv"],
                              key="mh_labels", help=f"Up to {LABELLED_MAX_ROWS:,} rows; scored by the committed model.")
    p = y = None
    if upload is not None:
        p, y, notes = _score_labelled(upload.getvalue())
        for note in notes:
            st.caption(note)
    elif st.button(f"Replay a labelled hold-out window ({REPLAY_ROWS} customers)", key="mh_oof"):
        arrays = _oof()
        if arrays is not None:
            pick = np.random.default_rng().choice(len(arrays[0]), REPLAY_ROWS, replace=False)
            p, y = arrays[0][pick], arrays[1][pick]
            st.caption(f"{REPLAY_ROWS} customers from the cross-validation hold-outs: each probability came from "
                       "a model that never saw that customer, and the label is their real outcome.")
    if p is None or y is None or len(p) < monitor.MIN_WINDOW:
        return
    estimate = cbpe.estimate(p, threshold)
    realised = cbpe.realised_metrics(y, p, threshold)
    st.dataframe(_estimate_table(estimate, realised, oof), hide_index=True, width="stretch")
    st.plotly_chart(charts.estimates(estimate, realised, oof), width="stretch", config=_PLOTLY)


def _score_labelled(content: bytes) -> tuple[np.ndarray | None, np.ndarray | None, list[str]]:
    from src.churn import data
    from src.churn.evaluate import score_labelled
    from src.ui.churn_widgets import predictor as churn_predictor

    predictor = churn_predictor()
    if predictor is None:
        return None, None, ["No churn model to score with."]
    try:  # the same reading, labels (Yes/No, 1/0) and line numbers as `python -m src.churn.evaluate`
        scored = score_labelled(content, predictor, max_rows=LABELLED_MAX_ROWS)
    except data.SchemaError as exc:
        return None, None, [f"This file cannot be used: {exc}"]
    return scored.p, scored.y, [*scored.notes, f"{len(scored.y):,} rows scored, {scored.failed_validation:,} "
                                f"rejected by the schema checks, {scored.unlabelled:,} without a usable label."]
