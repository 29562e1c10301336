"""Fill the disk caches a fresh server would otherwise fill during its first visits: ``python -m src.warm``.

* the RAG index of the portfolio's own documents, with every sentence vector (``data/cache/rag/``);
* the injection classifier's embeddings of its labelled set (same folder);
* the MLflow store with the committed models registered (``data/mlflow.db``, what
  ``python -m src.pipeline register`` does), and its snapshot for the runs chapter
  (``data/cache/mlops/runs.json``, :mod:`src.mlops.snapshot`: that chapter then never imports MLflow);
* the churn page's first screens (``data/cache/churn/``, :mod:`src.churn.showcase`): the curves, the
  example customer's prediction, SHAP values and retention offers, and the SHAP summary;
* the sentiment transformer's ONNX graphs (``data/cache/sentiment/onnx/``, :mod:`src.sentiment.onnx_backend`),
  served on CPUs without native bf16.

Everything here is rebuilt on demand when it is missing, so this only moves the wait from the first
visitors to the build: the Docker image runs it. Pages draw without these caches too (the chat loads
its models in the background); what they save is the first answer's wait, the runs chapter's
schema creation, and the churn chapters' scikit-learn, skops and shap imports (3-4 s cold).
"""

from __future__ import annotations

import logging
import time

from src.core.logs import setup_logging

log = logging.getLogger(__name__)


def main() -> None:
    """Build each cache, logging how long it took."""
    setup_logging()
    from src.mlops.registry import register_committed
    from src.rag import corpus, injection
    from src.rag.chunking import ChunkSettings
    from src.rag.embed import shared

    started = time.perf_counter()
    index = corpus.default_index(ChunkSettings(), shared())
    injection.classifier(shared())
    log.info("RAG index (%d chunks) and injection vectors ready in %.1f s", len(index.chunks),
             time.perf_counter() - started)
    started = time.perf_counter()
    added = register_committed()
    log.info("MLflow store ready in %.1f s (registered: %s)", time.perf_counter() - started, ", ".join(added) or "none")
    from src.mlops import snapshot

    log.info("runs snapshot for the Model health page: %s",
             "written" if snapshot.write() else "not written (not the embedded store, or it changed meanwhile)")
    churn()
    sentiment()


def sentiment() -> None:
    """The sentiment transformer's ONNX graphs (too big to commit), which a CPU without native bf16 serves with."""
    from src.core import contract
    from src.sentiment import onnx_backend

    if contract.get("sentiment").missing() or not onnx_backend.available():
        log.info("no sentiment model or no onnxruntime: no ONNX graphs to export")
        return
    from src.sentiment.model import load_classifier
    from src.sentiment.predict import ADAPTER_DIR, ARTIFACT

    started = time.perf_counter()
    folder = onnx_backend.ensure(load_classifier(ARTIFACT / ADAPTER_DIR), ARTIFACT / ADAPTER_DIR)
    log.info("sentiment ONNX graphs ready in %s (%.1f s)", folder, time.perf_counter() - started)


def churn() -> None:
    """The churn page's stored first screens, when the model is committed."""
    from src.churn import showcase
    from src.core import contract

    if contract.get("churn").missing():
        log.info("no churn model: nothing to store for its page")
        return
    started = time.perf_counter()
    built = showcase.build_all()
    log.info("churn first screens ready in %.1f s (built: %s)", time.perf_counter() - started,
             ", ".join(built) or "none, all current")


if __name__ == "__main__":
    main()
