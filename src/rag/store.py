"""The vector store behind a small interface, with Qdrant as the default.

Qdrant's client runs embedded (``":memory:"`` or a folder) with no server, and the very same
client talks to a Qdrant server when ``RAG_QDRANT_URL`` is set, so outgrowing one machine is a
configuration change, not a rewrite.
"""

from __future__ import annotations

import os
import uuid
from typing import Protocol

import numpy as np

QDRANT_URL_ENV = "RAG_QDRANT_URL"


class VectorStore(Protocol):
    """What the retriever needs from a vector store."""

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Insert or replace vectors under string ids."""

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest ids with their cosine similarity, best first."""

    def __len__(self) -> int: ...


class QdrantStore:
    """A Qdrant collection (embedded by default) holding one vector per chunk id."""

    def __init__(self, dim: int, *, location: str = ":memory:", url: str | None = None,
                 collection: str = "chunks") -> None:
        from qdrant_client import QdrantClient, models

        url = url or os.environ.get(QDRANT_URL_ENV)
        self._models = models
        self._client = QdrantClient(url=url) if url else QdrantClient(location=location)
        self._collection = collection if not url else f"{collection}-{uuid.uuid4().hex[:8]}"
        self._client.create_collection(
            self._collection, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE)
        )
        self._count = 0

    @staticmethod
    def _point_id(chunk_id: str) -> str:
        # Qdrant ids are integers or UUIDs; a name-based UUID keeps them stable per chunk id.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, chunk_id))

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Upsert in batches (keeps requests small when a server is used)."""
        points = [
            self._models.PointStruct(id=self._point_id(cid), vector=vec.tolist(), payload={"chunk_id": cid})
            for cid, vec in zip(ids, vectors, strict=True)
        ]
        for start in range(0, len(points), 256):
            self._client.upsert(self._collection, points=points[start:start + 256])
        self._count = self._client.count(self._collection).count

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Nearest chunk ids by cosine similarity."""
        if not self._count:
            return []
        result = self._client.query_points(self._collection, query=vector.tolist(), limit=k, with_payload=True)
        return [(point.payload["chunk_id"], float(point.score)) for point in result.points]

    def __len__(self) -> int:
        return self._count
