"""One-line prediction logging for the demo widgets: ``started = time.perf_counter()`` before predicting,
then ``hooks.log(demo, *raw, output=..., confidence=..., started=started)`` after. The hook builds the input
summary with the function the demo's ``[monitoring]`` table names (``src.core.demos.Monitoring.summary``),
reads the model version (card hash) and never raises: logging must never cost a visitor their prediction.
A demo without a ``[monitoring]`` table is not monitored, so nothing is logged for it.

Streamlit reruns the whole script on every widget change, so the prediction on screen would be logged
again on each rerun; a hook skips a prediction identical to the last one it logged for that demo
within :data:`REPEAT_S` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from src.core import demos
from src.core.prediction_log import log_many, log_prediction
from src.mlops.versions import demo_version

_logger = logging.getLogger(__name__)
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


def _same(raw: tuple[Any, ...], inputs: dict[str, Any]) -> Any:
    """What identifies a prediction's input: the raw inputs when hashable (a text, a question), else the
    summary (a pandas row or an image array, whose summary is as telling)."""
    try:
        hash(raw)
        return raw
    except TypeError:
        return tuple(sorted(inputs.items()))


def _safely(what: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # never fail the page for the log's sake
        _logger.warning("could not log a %s prediction (%s: %s)", what, type(exc).__name__, exc)


def log(demo: str, *raw: Any, output: Any, confidence: float | None, started: float) -> None:
    """One shown prediction of ``demo``: ``raw`` are its summary function's arguments (never stored)."""
    def go() -> None:
        watch = demos.MONITORED.get(demo)
        if watch is None:
            _logger.debug("%s has no [monitoring] table: its prediction is not logged", demo)
            return
        inputs = watch.summarise(*raw)
        rounded = None if confidence is None else round(confidence, 6)
        if not _repeat(demo, (_same(raw, inputs), output, rounded)):
            log_prediction(demo, demo_version(demo), _ms(started), inputs, output, confidence)
    _safely(demo, go)


def log_batch(demo: str, raws: Iterable[tuple[Any, ...]], outputs: Iterable[Any],
              confidences: Iterable[float | None], started: float, scenario: str = "batch upload") -> None:
    """Every row of a scored batch (one latency: the batch time per row), unless ``demo`` is not monitored."""
    def go() -> None:
        watch = demos.MONITORED.get(demo)
        rows = list(zip(raws, outputs, confidences, strict=True))
        if watch is None or not rows:
            return
        per_row, version, now = _ms(started) / len(rows), demo_version(demo), time.time()
        log_many([{"ts": now, "demo": demo, "model_version": version, "latency_ms": per_row,
                   "inputs": watch.summarise(*raw), "output": output,
                   "confidence": None if confidence is None else float(confidence), "simulated": False,
                   "scenario": scenario} for raw, output, confidence in rows])
    _safely(f"{demo} batch", go)


# The widgets' call sites, each one line over :func:`log`.


def log_churn(row: Any, probability: float, band: str, started: float) -> None:
    """One customer's churn probability (``row``: a dict or pandas row of the features)."""
    log("churn", row, output=band, confidence=probability, started=started)


def log_churn_batch(scored: Any, started: float) -> None:
    """Every row of a scored upload (``churn_probability`` and ``risk_band`` columns plus the features)."""
    def go() -> None:
        if scored is not None and len(scored):
            log_batch("churn", [(r,) for _, r in scored.iterrows()], scored["risk_band"],
                      scored["churn_probability"], started)
    _safely("churn batch", go)


def log_sentiment(text: str, label: str, confidence: float, started: float) -> None:
    """One analysed text (its length, language and unseen-word share; never the text)."""
    log("sentiment", text, output=label, confidence=confidence, started=started)


def log_vision(image: Any, original_size: tuple[int, int] | None, label: str, confidence: float,
               started: float) -> None:
    """One classified image (its brightness, contrast, edge energy and size; never the pixels)."""
    log("vision", image, original_size, output=label, confidence=confidence, started=started)


def log_rag(question: str, retrieval_strength: float | None, outcome: str, confidence: float | None,
            started: float) -> None:
    """One answered question (its length and retrieval strength; never the question or the answer)."""
    log("rag", question, retrieval_strength, output=outcome, confidence=confidence, started=started)
