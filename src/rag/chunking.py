"""Structure-aware chunking: split on headings, then paragraphs, then sentences, then words.

A chunk never crosses a heading, so every chunk belongs to one section and carries that
section's heading path ("Churn model > Validation"), which both retrievers see. Inside a section,
paragraphs are packed greedily up to ``size`` characters; a paragraph that is too long is split
into sentences, and a sentence that is too long into words. Consecutive chunks of one section
share up to ``overlap`` characters of whole sentences, so an answer that straddles a boundary is
still found in one piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from src.rag.documents import Document

DEFAULT_SIZE = 700
DEFAULT_OVERLAP = 120

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[A-Z0-9`*_-])")


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut: the largest chunk body and the overlap between neighbours, in characters."""

    size: int = DEFAULT_SIZE
    overlap: int = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        if self.size < 100:
            raise ValueError("chunk size must be at least 100 characters")
        if not 0 <= self.overlap < self.size // 2:
            raise ValueError("overlap must be between 0 and half the chunk size")


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, under one heading."""

    id: str  # "<source>#<n>", stable for a given document and settings
    source: str
    title: str
    heading: str  # "A > B" path of the headings above it; "" before the first heading
    text: str

    @property
    def indexed_text(self) -> str:
        """What the retrievers see: the heading path gives short passages their context."""
        where = " > ".join(part for part in (self.title, self.heading) if part)
        return f"{where}\n{self.text}" if where else self.text

    @property
    def label(self) -> str:
        """Short human label, e.g. ``data/docs/churn.md > Validation``."""
        return f"{self.source} > {self.heading}" if self.heading else self.source


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (a regex good enough for our prose; no model needed)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading path, body) pairs in order; code fences are never mistaken for headings."""
    sections: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        if "".join(body).strip():
            sections.append((" > ".join(title for _, title in path), "\n".join(body).strip()))
        body.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        flush()
        level = len(match.group(1))
        path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, match.group(2).strip())]
    flush()
    return sections


def _paragraphs(body: str) -> list[str]:
    """Blank-line separated blocks; a fenced code block stays whole."""
    blocks, current, in_fence = [], [], False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                blocks.append("\n".join(current).strip())
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current).strip())
    return [b for b in blocks if b]


def _units(paragraph: str, size: int) -> list[str]:
    """Break a paragraph into pieces no longer than ``size``: sentences first, then words."""
    if len(paragraph) <= size:
        return [paragraph]
    lines = paragraph.splitlines()
    if len(lines) > 1 and sum(line.lstrip().startswith(("|", "-", "*")) for line in lines) > len(lines) // 2:
        # a table or a list: its rows are the natural units (a row is never cut mid-way if it fits)
        return [unit for line in lines for unit in _units(line, size)]
    units = []
    for sentence in split_sentences(paragraph):
        if len(sentence) <= size:
            units.append(sentence)
            continue
        piece = ""
        # a single "word" longer than a chunk (a hash, a long URL) is cut into chunk-sized pieces
        words = [w[i:i + size] for w in sentence.split() for i in range(0, len(w), size)]
        for word in words:
            if piece and len(piece) + 1 + len(word) > size:
                units.append(piece)
                piece = word
            else:
                piece = f"{piece} {word}" if piece else word
        if piece:
            units.append(piece)
    return units


def _tail(units: list[str], overlap: int) -> list[str]:
    """The trailing whole units of a chunk that fit in ``overlap`` characters."""
    kept: list[str] = []
    total = 0
    for unit in reversed(units):
        if total + len(unit) > overlap:
            break
        kept.insert(0, unit)
        total += len(unit) + 1
    return kept


def _pack(units: list[str], settings: ChunkSettings) -> list[str]:
    """Greedy packing of units into chunk bodies, carrying an overlap tail into the next chunk."""
    chunks: list[str] = []
    current: list[str] = []
    fresh = 0  # units in ``current`` that are not overlap from the previous chunk
    for unit in units:
        length = sum(len(u) + 1 for u in current) + len(unit)
        if current and length > settings.size and fresh:
            chunks.append("\n".join(current))
            current = _tail(current, settings.overlap)
            # the overlap must leave room for the new unit
            while current and sum(len(u) + 1 for u in current) + len(unit) > settings.size:
                current.pop(0)
            fresh = 0
        current.append(unit)
        fresh += 1
    if current and fresh:
        chunks.append("\n".join(current))
    return chunks


def chunk_document(doc: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    """Cut one document into chunks, section by section."""
    settings = settings or ChunkSettings()
    chunks: list[Chunk] = []
    for heading, body in _sections(doc.text):
        units = [u for p in _paragraphs(body) for u in _units(p, settings.size)]
        for text in _pack(units, settings):
            chunks.append(Chunk(f"{doc.source}#{len(chunks)}", doc.source, doc.title, heading, text))
    return chunks


def chunk_documents(docs: list[Document], settings: ChunkSettings | None = None) -> list[Chunk]:
    """Chunks of several documents, in order."""
    return [chunk for doc in docs for chunk in chunk_document(doc, settings)]
