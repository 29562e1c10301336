"""Fill the disk caches a fresh server would otherwise fill during its first visits: ``python -m src.warm``.

* the RAG index of the portfolio's own documents, with every sentence vector (``data/cache/rag/``);
* the injection classifier's embeddings of its labelled set (same folder);
* the MLflow store with the committed models registered (``data/mlflow.db``, what
  ``python -m src.pipeline register`` does).

Everything here is rebuilt on demand when it is missing, so this only moves the wait from the first
visitors to the build: the Docker image runs it. Pages draw without these caches too (the chat loads
its models in the background); what they save is the first answer's wait, and the runs chapter's
schema creation.
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


if __name__ == "__main__":
    main()
