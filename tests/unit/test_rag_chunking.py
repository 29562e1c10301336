"""Chunking: boundaries follow the structure, sizes hold, and neighbours overlap by whole sentences."""

from __future__ import annotations

import itertools

import pytest

from src.rag.chunking import ChunkSettings, chunk_document, split_sentences
from src.rag.documents import Document


def _doc(text: str) -> Document:
    return Document(source="t.md", title="T", text=text)


def _sentences(n: int, tag: str) -> str:
    return " ".join(f"Sentence {tag}{i} says something about topic {tag} number {i}." for i in range(n))


def test_chunks_never_cross_a_heading_and_carry_the_heading_path():
    text = (f"# Guide\n\nIntro line.\n\n## Install\n\n{_sentences(3, 'a')}\n\n"
            "### Linux\n\nUse apt.\n\n## Usage\n\nRun it.")
    chunks = chunk_document(_doc(text), ChunkSettings(300, 40))
    headings = [c.heading for c in chunks]
    assert headings == ["Guide", "Guide > Install", "Guide > Install > Linux", "Guide > Usage"]
    assert chunks[2].text == "Use apt."
    assert "Guide > Usage" in chunks[3].indexed_text


def test_a_hash_inside_a_code_fence_is_not_a_heading():
    text = "## Setup\n\n```bash\n# install the tools\nmake run\n```\n\nDone."
    chunks = chunk_document(_doc(text))
    assert [c.heading for c in chunks] == ["Setup"]
    assert "# install the tools" in chunks[0].text


@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (300, 60), (500, 120)])
def test_chunk_bodies_respect_the_size(size, overlap):
    text = "## Long\n\n" + "\n\n".join(_sentences(6, p) for p in "abcd")
    chunks = chunk_document(_doc(text), ChunkSettings(size, overlap))
    assert len(chunks) > 2
    assert all(len(c.text) <= size for c in chunks)


def test_neighbours_share_whole_sentences_up_to_the_overlap():
    text = "## Long\n\n" + _sentences(12, "x")
    chunks = chunk_document(_doc(text), ChunkSettings(300, 120))
    assert len(chunks) >= 3
    for left, right in itertools.pairwise(chunks):
        first = split_sentences(right.text.replace("\n", " "))[0]
        assert first in left.text, "the next chunk must start with a sentence repeated from the previous one"
        shared = [s for s in split_sentences(right.text.replace("\n", " ")) if s in left.text]
        assert 0 < sum(len(s) for s in shared) <= 120


def test_zero_overlap_repeats_nothing_and_loses_nothing():
    body = _sentences(12, "y")
    chunks = chunk_document(_doc("## S\n\n" + body), ChunkSettings(250, 0))
    pieces = [s for c in chunks for s in split_sentences(c.text.replace("\n", " "))]
    assert pieces == split_sentences(body)


def test_no_overlap_across_sections():
    text = "## A\n\n" + _sentences(8, "a") + "\n\n## B\n\n" + _sentences(8, "b")
    chunks = chunk_document(_doc(text), ChunkSettings(250, 100))
    assert not any("Sentence a" in c.text for c in chunks if c.heading == "B")


def test_an_unbreakable_token_is_cut_into_pieces_without_losing_any():
    chunks = chunk_document(_doc("x" * 1000), ChunkSettings(200, 0))
    assert all(len(c.text) <= 200 for c in chunks)
    assert sum(c.text.count("x") for c in chunks) == 1000


def test_settings_are_validated():
    with pytest.raises(ValueError):
        ChunkSettings(50, 0)
    with pytest.raises(ValueError):
        ChunkSettings(300, 200)


def test_a_long_table_is_split_between_rows():
    rows = "\n".join(f"| model {i} | score {i} | a long protocol description number {i} |" for i in range(20))
    chunks = chunk_document(_doc("## Results\n\n" + rows), ChunkSettings(300, 0))
    assert len(chunks) > 1
    assert all(line.startswith("| model") and line.endswith("|") for c in chunks for line in c.text.splitlines())
