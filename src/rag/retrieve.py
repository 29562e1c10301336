"""Three retrievers over one set of chunks: BM25, dense, and their reciprocal rank fusion.

Each :class:`Hit` keeps every retriever's rank and score, which is what the retrieval inspector
shows: a visitor sees whether a passage came back for its words (BM25), its meaning (dense), or
both.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import snowballstemmer
from rank_bm25 import BM25Okapi

from src.rag.chunking import Chunk
from src.rag.embed import Embedder
from src.rag.store import QdrantStore, VectorStore

MODES = ("hybrid", "bm25", "dense")
#: The constant of reciprocal rank fusion (Cormack et al. 2009); 60 is the usual choice.
RRF_K = 60
#: How deep each retriever looks before fusion.
POOL = 30

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
STOPWORDS = frozenset(str.split(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there here what which who whom whose how why when where do does did doing done have has had "
    "i me my we our you your he she they them their his her can could should would will shall may might must "
    "not no so than then too very just about into over under again further once all any both each few more "
    "most other some such only own same s t don tell me please"
))


_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer keeps state between words


def tokenize(text: str) -> list[str]:
    """Lower-case Snowball stems without stopwords ("validated" and "validation" both become "valid")."""
    words = [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]
    with _STEMMER_LOCK:
        return _STEMMER.stemWords(words)


@dataclass
class Hit:
    """One retrieved chunk with the evidence of every retriever (ranks are 1-based; None = not in its pool)."""

    chunk: Chunk
    score: float  # the score of the chosen mode
    bm25_rank: int | None = None
    bm25_score: float = 0.0
    dense_rank: int | None = None
    dense_score: float = 0.0
    fused_rank: int | None = None
    fused_score: float = 0.0


@dataclass
class Results:
    """The ranked hits of one query, plus the signals used to judge retrieval strength."""

    query: str
    mode: str
    hits: list[Hit]
    #: Best cosine similarity over the whole corpus (judges "do the documents cover this?").
    best_dense: float = 0.0
    best_bm25: float = 0.0
    #: Share of the query's terms found in the top 3 passages (judges coverage with ``best_dense``).
    coverage: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: The query's embedding, reused for evidence selection.
    vector: np.ndarray | None = None


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to the ids it ranks."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank)
    return fused


class Index:
    """Chunks with their BM25 statistics and their vectors in a :class:`VectorStore`.

    Read-only after construction, so one instance can be shared by every session.
    """

    def __init__(self, chunks: list[Chunk], embeddings: np.ndarray, embedder: Embedder,
                 store_factory: Callable[[int], VectorStore] | None = None) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError("one embedding per chunk is required")
        self.chunks = chunks
        self.embeddings = embeddings
        self.embedder = embedder
        self._by_id = {chunk.id: i for i, chunk in enumerate(chunks)}
        self._tokens = [tokenize(c.indexed_text) or ["_"] for c in chunks]
        self._bm25 = BM25Okapi(self._tokens) if chunks else None
        self._store_factory = store_factory or (lambda dim: QdrantStore(dim))
        self.store: VectorStore = self._store_factory(embedder.dim)
        if chunks:
            self.store.add([c.id for c in chunks], embeddings)

    @classmethod
    def build(cls, chunks: list[Chunk], embedder: Embedder, **kwargs) -> Index:
        """Embed the chunks and index them."""
        return cls(chunks, embedder.encode([c.indexed_text for c in chunks]), embedder, **kwargs)

    def extend(self, chunks: list[Chunk]) -> Index:
        """A new index with extra chunks (a session's uploads); this one is left unchanged."""
        if not chunks:
            return self
        extra = self.embedder.encode([c.indexed_text for c in chunks])
        return Index(self.chunks + chunks, np.vstack([self.embeddings, extra]), self.embedder, self._store_factory)

    def chunk(self, chunk_id: str) -> Chunk:
        """A chunk by id."""
        return self.chunks[self._by_id[chunk_id]]

    # --- the three retrievers ----------------------------------------------------------------

    def bm25(self, query: str, k: int = POOL) -> list[tuple[str, float]]:
        """BM25 (Okapi) ranking; chunks sharing no query term are left out."""
        tokens = tokenize(query)
        if self._bm25 is None or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        order = np.argsort(-scores)[:k]
        return [(self.chunks[i].id, float(scores[i])) for i in order if scores[i] > 0]

    def dense(self, query: str, k: int = POOL, vector: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Cosine-similarity ranking from the vector store."""
        if not self.chunks:
            return []
        return self.store.search(self.embedder.encode([query])[0] if vector is None else vector, k)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> Results:
        """Top ``k`` chunks for ``query`` by ``mode`` (hybrid, bm25 or dense), with every retriever's view."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        start = time.perf_counter()
        sparse = self.bm25(query)
        mid = time.perf_counter()
        vector = self.embedder.encode([query])[0]
        dense = self.dense(query, vector=vector)
        end = time.perf_counter()
        fused = rrf([[cid for cid, _ in sparse], [cid for cid, _ in dense]])
        fused_order = sorted(fused, key=fused.get, reverse=True)

        hits: dict[str, Hit] = {}

        def hit(cid: str) -> Hit:
            return hits.setdefault(cid, Hit(self.chunk(cid), 0.0))

        for rank, (cid, score) in enumerate(sparse, 1):
            hit(cid).bm25_rank, hit(cid).bm25_score = rank, score
        for rank, (cid, score) in enumerate(dense, 1):
            hit(cid).dense_rank, hit(cid).dense_score = rank, score
        for rank, cid in enumerate(fused_order, 1):
            hit(cid).fused_rank, hit(cid).fused_score = rank, fused[cid]

        ranking = {"hybrid": fused_order, "bm25": [c for c, _ in sparse], "dense": [c for c, _ in dense]}[mode]
        chosen = []
        for cid in ranking[:k]:
            h = hits[cid]
            h.score = {"hybrid": h.fused_score, "bm25": h.bm25_score, "dense": h.dense_score}[mode]
            chosen.append(h)
        terms = set(tokenize(query))
        found = set().union(*(self._tokens[self._by_id[h.chunk.id]] for h in chosen[:3])) if chosen else set()
        return Results(
            query=query, mode=mode, hits=chosen, vector=vector,
            coverage=len(terms & found) / len(terms) if terms else 0.0,
            best_dense=dense[0][1] if dense else 0.0, best_bm25=sparse[0][1] if sparse else 0.0,
            timings_ms={"bm25": (mid - start) * 1000, "dense": (end - mid) * 1000,
                        "total": (time.perf_counter() - start) * 1000},
        )
