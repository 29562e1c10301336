"""Three retrievers over one set of chunks: BM25, dense, and hybrid (their fusion, then a rerank).

Hybrid adds the two retrievers' z-scored scores (each score minus its pool's mean, over its
pool's standard deviation), so a retriever counts more on the queries where its best passages
stand out from the rest: on exact-term questions BM25's top score towers over its pool, on
paraphrases the embedder's does. Reciprocal rank fusion, used before, gives both lists the same
say whatever their confidence, and lost to BM25 alone on unpunctuated transcripts (issue 12).
The fused top :data:`RERANK_DEPTH` passages are then reranked with the cosine of the query to each
passage's best-matching sentence, which lifts a passage that answers in one sentence above one
that is merely about the topic. Settings were chosen on the portfolio QA set only; the pydocs sets
are held out (see ``models/rag/README.md``).

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

from src.rag.chunking import Chunk, split_sentences
from src.rag.embed import Embedder
from src.rag.store import QdrantStore, VectorStore
from src.rag.vocabulary import STOPWORDS

MODES = ("hybrid", "bm25", "dense")
#: How deep each retriever looks before fusion.
POOL = 30
#: Weight of BM25's z-scores against the embedder's (0.5 = equal say; the untuned default kept).
BM25_WEIGHT = 0.5
#: Fused passages reranked by their best sentence, and that sentence's weight against the fused score.
RERANK_DEPTH = 20
SENTENCE_WEIGHT = 0.25
#: Unpunctuated text (transcripts) has no sentences: it is cut into windows of this many words.
WINDOW_WORDS = 40
_LONG_SENTENCE = 300  # characters; longer "sentences" are cut into windows
#: Passages whose sentence vectors are kept (about 1.5 KB of vectors per sentence).
SENTENCE_CACHE = 4096

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")


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


def fusion_config() -> dict[str, float | int | str]:
    """The fusion settings, for the evaluation card."""
    return {"fusion": "z-score sum + best-sentence rerank", "pool": POOL, "bm25_weight": BM25_WEIGHT,
            "rerank_depth": RERANK_DEPTH, "sentence_weight": SENTENCE_WEIGHT, "window_words": WINDOW_WORDS}


def zscores(scores: dict[str, float]) -> dict[str, float]:
    """Each score minus the mean over the pool, over the pool's standard deviation (1.0 each for a pool of one)."""
    if len(scores) < 2:
        return dict.fromkeys(scores, 1.0)
    values = np.fromiter(scores.values(), dtype=np.float64)
    spread = float(values.std()) or 1.0
    return {cid: (value - float(values.mean())) / spread for cid, value in scores.items()}


def fuse(sparse: list[tuple[str, float]], dense: list[tuple[str, float]],
         bm25_weight: float = BM25_WEIGHT) -> dict[str, float]:
    """Weighted sum of z-scores; a passage missing from one pool gets that pool's lowest z-score."""
    bm25_z, dense_z = zscores(dict(sparse)), zscores(dict(dense))
    floor_b, floor_d = min(bm25_z.values(), default=0.0), min(dense_z.values(), default=0.0)
    return {cid: bm25_weight * bm25_z.get(cid, floor_b) + (1 - bm25_weight) * dense_z.get(cid, floor_d)
            for cid in bm25_z.keys() | dense_z.keys()}


def _minmax(values: np.ndarray) -> np.ndarray:
    spread = float(values.max() - values.min()) if len(values) else 0.0
    return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)


def sentence_units(text: str) -> list[str]:
    """Sentences of a passage, and word windows where the text has no sentence ends (transcripts)."""
    units = []
    for line in text.splitlines():
        for sentence in split_sentences(line):
            if len(sentence) <= _LONG_SENTENCE:
                units.append(sentence)
                continue
            words = sentence.split()
            step = WINDOW_WORDS // 2  # half-overlapping windows, so no phrase is only ever cut in two
            units += [" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, max(len(words) - step, 1), step)]
    return units or [text]


class Index:
    """Chunks with their BM25 statistics and their vectors in a :class:`VectorStore`.

    Read-only after construction, so one instance can be shared by every session; the only
    mutable part is the cache of sentence vectors, filled under a lock as passages are reranked.
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
        # passage text -> (sentences, their unit vectors); text-keyed, so extended indexes share it safely
        self._sentences: dict[str, tuple[list[str], np.ndarray]] = {}
        self._sentence_lock = threading.Lock()

    @classmethod
    def build(cls, chunks: list[Chunk], embedder: Embedder, **kwargs) -> Index:
        """Embed the chunks and index them."""
        return cls(chunks, embedder.encode([c.indexed_text for c in chunks]), embedder, **kwargs)

    def extend(self, chunks: list[Chunk], embeddings: np.ndarray | None = None) -> Index:
        """A new index with extra chunks (a session's uploads); this one is left unchanged.

        ``embeddings`` are the chunks' vectors when already known (an evaluation's disk cache).
        """
        if not chunks:
            return self
        extra = self.embedder.encode([c.indexed_text for c in chunks]) if embeddings is None else embeddings
        bigger = Index(self.chunks + chunks, np.vstack([self.embeddings, extra]), self.embedder, self._store_factory)
        bigger._sentences, bigger._sentence_lock = self._sentences, self._sentence_lock
        return bigger

    def sentence_vectors(self, chunks: list[Chunk]) -> list[tuple[list[str], np.ndarray]]:
        """Sentences (or word windows) of each chunk with their embeddings; each passage is embedded once."""
        with self._sentence_lock:
            missing = list(dict.fromkeys(c.text for c in chunks if c.text not in self._sentences))
            if missing:
                units = [sentence_units(text) for text in missing]
                vectors = self.embedder.encode([u for group in units for u in group])
                if len(self._sentences) > SENTENCE_CACHE:
                    self._sentences.clear()
                offset = 0
                for text, group in zip(missing, units, strict=True):
                    self._sentences[text] = (group, vectors[offset:offset + len(group)])
                    offset += len(group)
            return [self._sentences[c.text] for c in chunks]

    def adopt_sentences(self, other: Index) -> None:
        """Reuse the sentence vectors ``other`` already holds (an index of the same passages built apart)."""
        with self._sentence_lock:
            self._sentences.update(other._sentences)

    def sentence_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(sentence count per chunk, all their vectors stacked), embedding what is missing: for a disk cache."""
        groups = self.sentence_vectors(self.chunks)
        if not groups:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.array([len(units) for units, _ in groups]), np.vstack([vectors for _, vectors in groups])

    def load_sentence_table(self, counts: np.ndarray, vectors: np.ndarray) -> bool:
        """Fill the sentence cache from :meth:`sentence_table`'s output; False (and nothing kept) if it does not fit."""
        units = [sentence_units(c.text) for c in self.chunks]
        if len(counts) != len(units) or any(len(u) != n for u, n in zip(units, counts, strict=True)) \
                or int(np.sum(counts)) != len(vectors):
            return False
        offsets = np.concatenate([[0], np.cumsum(counts)])
        with self._sentence_lock:
            for chunk, group, start, end in zip(self.chunks, units, offsets[:-1], offsets[1:], strict=True):
                self._sentences[chunk.text] = (group, vectors[start:end])
        return True

    def rerank(self, order: list[str], fused: dict[str, float], vector: np.ndarray) -> list[str]:
        """The top :data:`RERANK_DEPTH` of ``order`` re-sorted by fused score plus best-sentence cosine."""
        top = order[:RERANK_DEPTH]
        if len(top) < 2:
            return order
        best = np.array([float((vectors @ vector).max()) for _, vectors in
                         self.sentence_vectors([self.chunk(cid) for cid in top])])
        combined = _minmax(np.array([fused[cid] for cid in top])) + SENTENCE_WEIGHT * _minmax(best)
        return [top[i] for i in np.argsort(-combined, kind="stable")] + order[RERANK_DEPTH:]

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
        fused = fuse(sparse, dense)
        # reranked in every mode, so the inspector's "fused rank" means one thing; sentence vectors are cached
        fused_order = self.rerank(sorted(fused, key=fused.get, reverse=True), fused, vector)
        reranked = time.perf_counter()

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
                        "rerank": (reranked - end) * 1000, "total": (time.perf_counter() - start) * 1000},
        )
