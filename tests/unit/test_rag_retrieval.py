"""BM25, dense and their fusion + rerank on a tiny corpus built here: the planted answer must rank first."""

from __future__ import annotations

import numpy as np
import pytest

from src.rag.chunking import chunk_documents
from src.rag.documents import Document
from src.rag.retrieve import Index, fuse, sentence_units, tokenize, zscores
from src.rag.store import QdrantStore
from tests.conftest import rag_index

DOCS = {
    "fruit.md": "# Fruit\n\n## Ripening\n\nThe quokka-7 protocol ripens green bananas in nine days with ethylene gas.",
    "weather.md": "# Weather\n\nRain is likely on the coast this weekend, with strong winds in the north.",
    "cars.md": "# Cars\n\nThe hatchback has a small petrol engine and seats five adults comfortably.",
    "music.md": "# Music\n\nThe orchestra rehearses the symphony every Thursday evening in the old hall.",
    "cooking.md": "# Cooking\n\nBake the bread at a high temperature for forty minutes until the crust is brown.",
}


@pytest.fixture(scope="module")
def index() -> Index:
    return rag_index(DOCS)


@pytest.mark.parametrize(("mode", "query"), [
    ("bm25", "quokka-7 protocol"),
    ("dense", "How long does it take for unripe fruit to become ready to eat?"),
    ("hybrid", "how does the quokka-7 method make bananas ripe?"),
])
def test_planted_answer_ranks_first(index, mode, query):
    results = index.search(query, k=3, mode=mode)
    assert results.hits[0].chunk.source == "fruit.md"


def test_hits_carry_every_retrievers_ranks(index):
    hit = index.search("quokka-7 bananas ripen", k=3).hits[0]
    assert (hit.bm25_rank, hit.dense_rank, hit.fused_rank) == (1, 1, 1)
    assert hit.bm25_score > 0 and 0 < hit.dense_score <= 1
    assert hit.fused_score == max(h.fused_score for h in index.search("quokka-7 bananas ripen", k=5).hits)


def test_bm25_leaves_out_chunks_without_a_query_term(index):
    ids = [cid for cid, _ in index.bm25("symphony")]
    assert ids == [c.id for c in index.chunks if c.source == "music.md"]


def test_off_topic_query_has_a_low_best_cosine(index):
    on = index.search("ripening bananas with gas").best_dense
    off = index.search("quantum chromodynamics lattice gauge theory").best_dense
    assert off < 0.3 < on


def test_zscores_centre_and_scale_the_pool():
    z = zscores({"a": 3.0, "b": 1.0, "c": 2.0})
    assert z["a"] == pytest.approx(1.2247, abs=1e-4) and z["c"] == pytest.approx(0.0) and z["b"] == -z["a"]
    assert zscores({"only": 7.0}) == {"only": 1.0} and zscores({}) == {}


def test_fusion_rewards_agreement_and_listens_to_the_confident_retriever():
    fused = fuse([("a", 9.0), ("b", 8.0), ("c", 1.0)], [("b", 0.60), ("a", 0.59), ("d", 0.58)])
    assert max(fused, key=fused.get) in {"a", "b"} and fused["a"] > fused["c"] and fused["b"] > fused["d"]
    # BM25's top passage towers over its pool while the embedder's scores are flat: BM25 decides
    towering = fuse([("x", 20.0), ("y", 2.0), ("z", 1.9), ("w", 1.8)], [("y", 0.51), ("x", 0.50), ("z", 0.50)])
    assert max(towering, key=towering.get) == "x"
    # a passage only one retriever found gets the other's lowest z-score, not a free zero
    assert fuse([("a", 2.0), ("b", 1.0)], [("c", 0.9), ("d", 0.1)], bm25_weight=1.0)["c"] == pytest.approx(-1.0)


def test_sentence_units_split_sentences_and_window_unpunctuated_text():
    assert sentence_units("First point here. Second point there.") == ["First point here.", "Second point there."]
    words = " ".join(f"w{i}" for i in range(100))  # a transcript line with no sentence ends
    windows = sentence_units(words)
    assert len(windows) > 1 and all(len(w.split()) <= 40 for w in windows)
    assert " ".join(dict.fromkeys(" ".join(windows).split())) == words  # every word kept, in order


def test_rerank_lifts_the_passage_whose_sentence_answers(index):
    results = index.search("Which gas ripens green bananas?", k=5)
    assert results.hits[0].chunk.source == "fruit.md"
    assert set(results.timings_ms) >= {"bm25", "dense", "rerank", "total"}
    # sentence vectors are cached per passage text and shared with an extended index
    assert index.chunks[0].text in index._sentences
    assert index.extend(chunk_documents([Document(source="z.md", title="z", text="Zebra.")]))._sentences \
        is index._sentences


def test_tokenize_stems_and_drops_stopwords():
    assert tokenize("How was the model validated?") == tokenize("model validation")


def test_qdrant_store_returns_nearest_first():
    store = QdrantStore(3)
    store.add(["x", "y", "z"], np.eye(3, dtype=np.float32))
    assert [cid for cid, _ in store.search(np.array([0.1, 0.9, 0.0], np.float32), 2)] == ["y", "x"]
    assert len(store) == 3


def test_extend_adds_documents_without_touching_the_shared_index(index):
    extra = chunk_documents([Document(source="upload/zebra.md", title="Zebra", text="Zebras sleep standing up.")])
    bigger = index.extend(extra)
    assert len(bigger.chunks) == len(index.chunks) + 1
    assert bigger.search("do zebras sleep standing", k=1).hits[0].chunk.source == "upload/zebra.md"
    assert all(c.source != "upload/zebra.md" for c in index.chunks)


def test_sentence_table_round_trips_and_refuses_a_mismatch(index):
    counts, vectors = index.sentence_table()
    assert len(counts) == len(index.chunks) and int(counts.sum()) == len(vectors)
    fresh = Index(index.chunks, index.embeddings, index.embedder)
    assert fresh.load_sentence_table(counts, vectors)
    text = index.chunks[0].text
    assert np.array_equal(fresh._sentences[text][1], index._sentences[text][1])
    stale = Index(index.chunks, index.embeddings, index.embedder)
    assert not stale.load_sentence_table(counts[:-1], vectors) and not stale._sentences
