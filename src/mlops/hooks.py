"""One-line prediction logging for the demo widgets: ``started = time.perf_counter()`` before predicting,
then ``hooks.log_<demo>(..., started)`` after. Each hook builds the input summary, reads the model version
(card hash) and never raises: logging must never cost a visitor their prediction.

Streamlit reruns the whole script on every widget change, so the prediction on screen would be logged
again on each rerun; a hook skips a prediction identical to the last one it logged for that demo
within :data:`REPEAT_S` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from src.core.prediction_log import log_many, log_prediction
from src.mlops import summaries
from src.mlops.versions import demo_version

log = logging.getLogger(__name__)
REPEAT_S = 600.0
_last: dict[str, tuple[int, float]] = {}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _repeat(demo: str, key: Any) -> bool:
    """True when ``key`` is what this demo logged last, recently (a rerun, not a new prediction)."""
    digest, now = hash(key), time.time()
    last = _last.get(demo)
    _last[demo] = (digest, now)
    return last is not None and last[0] == digest and now - last[1] < REPEAT_S


def _safely(what: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # never fail the page for the log's sake
        log.warning("could not log a %s prediction (%s: %s)", what, type(exc).__name__, exc)


def log_churn(row: Any, probability: float, band: str, started: float) -> None:
    """One customer's churn probability (``row``: a dict or pandas row of the features)."""
    def go() -> None:
        inputs = summaries.churn_inputs(row)
        if not _repeat("churn", (tuple(sorted(inputs.items())), round(probability, 6))):
            log_prediction("churn", demo_version("churn"), _ms(started), inputs, band, probability)
    _safely("churn", go)


def log_churn_batch(scored: Any, started: float) -> None:
    """Every row of a scored upload (``churn_probability`` and ``risk_band`` columns plus the features)."""
    def go() -> None:
        if scored is None or len(scored) == 0:
            return
        per_row, version, now = _ms(started) / len(scored), demo_version("churn"), time.time()
        log_many([{"ts": now, "demo": "churn", "model_version": version, "latency_ms": per_row,
                   "inputs": summaries.churn_inputs(r), "output": r["risk_band"],
                   "confidence": float(r["churn_probability"]), "simulated": False, "scenario": "batch upload"}
                  for _, r in scored.iterrows()])
    _safely("churn batch", go)


def log_sentiment(text: str, label: str, confidence: float, started: float) -> None:
    """One analysed text (its length, language and unseen-word share; never the text)."""
    def go() -> None:
        if not _repeat("sentiment", (text, label, round(confidence, 6))):
            log_prediction("sentiment", demo_version("sentiment"), _ms(started), summaries.sentiment_inputs(text),
                           label, confidence)
    _safely("sentiment", go)


def log_vision(image: Any, original_size: tuple[int, int] | None, label: str, confidence: float,
               started: float) -> None:
    """One classified image (its brightness, contrast, edge energy and size; never the pixels)."""
    def go() -> None:
        inputs = summaries.vision_inputs(image, original_size)
        if not _repeat("vision", (tuple(sorted(inputs.items())), label, round(confidence, 6))):
            log_prediction("vision", demo_version("vision"), _ms(started), inputs, label, confidence)
    _safely("vision", go)


def log_rag(question: str, retrieval_strength: float | None, outcome: str, confidence: float | None,
            started: float) -> None:
    """One answered question (its length and retrieval strength; never the question or the answer)."""
    def go() -> None:
        if not _repeat("rag", (question, outcome)):
            log_prediction("rag", demo_version("rag"), _ms(started), summaries.rag_inputs(question, retrieval_strength),
                           outcome, confidence)
    _safely("rag", go)
