"""The committed QA set over the default corpus: every question is usable and hybrid retrieval holds its floor."""

from __future__ import annotations

import pytest

from src.rag.corpus import default_documents, default_index
from src.rag.evaluate import evaluate, is_hit, load_qa

pytestmark = pytest.mark.slow


def test_qa_set_is_large_enough_and_every_key_exists_in_its_source():
    qa_set = load_qa()
    assert len(qa_set) >= 40
    texts = {d.source: " ".join(d.text.lower().replace("`", "").split()) for d in default_documents()}
    for qa in qa_set:
        assert qa.source in texts, f"{qa.source} is not in the corpus"
        assert " ".join(qa.key.lower().replace("`", "").split()) in texts[qa.source], qa


def test_hybrid_reaches_the_floor_and_beats_bm25():
    index = default_index()
    scores = {s.mode: s for s in evaluate(index, load_qa())[0]}
    assert scores["hybrid"].n >= 40
    assert scores["hybrid"].hit5 >= 0.85
    assert scores["hybrid"].hit5 >= scores["bm25"].hit5 and scores["hybrid"].mrr > scores["bm25"].mrr
    # a hit means the key phrase itself was retrieved, not just the right file
    top = index.search(load_qa()[0].question, k=5).hits
    assert any(is_hit(h.chunk, load_qa()[0]) for h in top)
