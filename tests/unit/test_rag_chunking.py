"""Chunking: boundaries follow the structure, sizes hold, and neighbours overlap by whole sentences."""

from __future__ import annotations

import itertools

import pytest

from src.rag.chunking import ChunkSettings, chunk_document, phrase_status, split_sentences
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


# --- text with no structure (issue 12) ----------------------------------------------------------


def test_unpunctuated_speech_is_cut_into_bounded_overlapping_chunks_losing_no_word():
    words = [f"w{i}" for i in range(1500)]  # one 8,000-character "sentence"
    chunks = chunk_document(_doc(" ".join(words)), ChunkSettings(400, 80))
    assert len(chunks) > 15 and all(len(c.text) <= 400 for c in chunks)
    assert {w for c in chunks for w in c.text.split()} == set(words)
    for left, right in itertools.pairwise(chunks):
        shared = set(left.text.split()) & set(right.text.split())
        assert shared and len(" ".join(shared)) <= 80, "neighbours overlap by at most the overlap"


def test_line_breaks_are_the_boundaries_when_there_are_no_sentences():
    lines = [f"line {i} of a caption with no punctuation at all" for i in range(60)]
    chunks = chunk_document(_doc("\n".join(lines)), ChunkSettings(300, 60))
    assert all(line in lines for c in chunks for line in c.text.splitlines()), "no caption line is cut"
    assert set(lines) == {line for c in chunks for line in c.text.splitlines()}
    for left, right in itertools.pairwise(chunks):
        assert right.text.splitlines()[0] == left.text.splitlines()[-1], "one whole line of overlap"


def test_phrase_status_tells_whole_cut_heading_and_absent():
    text = "## Tides and moons\n\n" + "\n".join(f"line {i} speaks of the sea" for i in range(40))
    doc = _doc(text)
    chunks = chunk_document(doc, ChunkSettings(200, 0))
    first_of_second = chunks[1].text.splitlines()[0]  # "line N speaks of the sea", just after a boundary
    assert phrase_status(doc, chunks, "line 3 speaks") == "whole"
    assert phrase_status(doc, chunks, f"of the sea {first_of_second}") == "cut"
    assert phrase_status(doc, chunks, "tides and moons") == "heading"
    assert phrase_status(doc, chunks, "line 99 speaks") == "absent"


def test_thousands_of_one_character_lines_are_packed_without_losing_any():
    # the packer once summed its current chunk for every unit: quadratic in units per chunk
    lines = ["abcdefghij"[i % 10] for i in range(20_000)]
    chunks = chunk_document(_doc("\n".join(lines)), ChunkSettings(700, 0))
    assert all(len(c.text) <= 700 for c in chunks) and len(chunks) > 50
    assert [line for c in chunks for line in c.text.splitlines()] == lines
