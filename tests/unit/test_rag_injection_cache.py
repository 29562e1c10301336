"""The injection classifier's labelled-set embeddings are read from a disk cache after the first server start."""

from __future__ import annotations

import numpy as np

from src.rag.injection import Example, set_vectors


class CountingEmbedder:
    name, dim = "fake", 3

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.arange(len(texts) * self.dim, dtype=np.float32).reshape(len(texts), self.dim)


def _set(*texts: str) -> list[Example]:
    return [Example(text=t, label="benign", split="calibration") for t in texts]


def test_second_start_reads_the_cache_and_a_changed_set_is_embedded_again(tmp_path):
    embedder = CountingEmbedder()
    first = set_vectors(embedder, _set("a", "b"), tmp_path)
    again = set_vectors(embedder, _set("a", "b"), tmp_path)
    assert embedder.calls == 1 and np.array_equal(first, again)
    set_vectors(embedder, _set("a", "b", "c"), tmp_path)
    assert embedder.calls == 2


def test_a_corrupt_cache_file_is_embedded_again(tmp_path):
    embedder = CountingEmbedder()
    set_vectors(embedder, _set("a"), tmp_path)
    for path in tmp_path.glob("injection-*.npy"):
        path.write_bytes(b"not an array")
    assert set_vectors(embedder, _set("a"), tmp_path).shape == (1, 3) and embedder.calls == 2
