"""Structure-aware chunking: split on headings, then paragraphs, then sentences, then lines, then words.

A chunk never crosses a heading, so every chunk belongs to one section and carries that
section's heading path ("Churn model > Validation"), which both retrievers see. Inside a section,
paragraphs are packed greedily up to ``size`` characters; a paragraph that is too long is split
into sentences. Consecutive chunks of one section share up to ``overlap`` characters of whole
units, so an answer that straddles a boundary is still found in one piece.

Text with no sentence boundaries (speech-to-text transcripts, long code blocks) falls back to its
line breaks, and a line still too long to fit to windows of words no longer than ``overlap``: the
chunks stay bounded *and* overlap, where cutting into chunk-sized pieces would leave none.
:func:`phrase_status` tells whether a key phrase was cut across a boundary.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from src.rag.documents import Document

DEFAULT_SIZE = 700
DEFAULT_OVERLAP = 120
#: Bumped whenever the same text and settings would be cut differently (it keys the embedding cache).
CHUNKER_VERSION = 2

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
    #: Transcripts only: "hh:mm:ss" where the chunk's first caption line starts in the recording.
    start: str = ""

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


def word_windows(text: str, piece: int) -> list[str]:
    """Windows of whole words no longer than ``piece``; a longer "word" (a hash, a URL) is cut into pieces.

    Also how ``src.rag.pdfgen`` wraps its lines (a greedy word wrap)."""
    words = [w[i:i + piece] for w in text.split() for i in range(0, len(w), piece)]
    windows: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > piece:
            windows.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*windows, current] if current else windows


def _units(paragraph: str, settings: ChunkSettings) -> list[str]:
    """Break a paragraph into pieces no longer than the chunk size: sentences, then lines, then words."""
    size = settings.size
    if len(paragraph) <= size:
        return [paragraph]
    lines = paragraph.splitlines()
    if len(lines) > 1 and sum(line.lstrip().startswith(("|", "-", "*")) for line in lines) > len(lines) // 2:
        # a table or a list: its rows are the natural units (a row is never cut mid-way if it fits)
        return [unit for line in lines for unit in _units(line, settings)]
    units = []
    for sentence in split_sentences(paragraph):
        if len(sentence) <= size:
            units.append(sentence)
        elif "\n" in sentence:
            # no sentence boundary within a chunk: the line breaks are the next best (caption lines, code)
            units.extend(unit for line in sentence.splitlines() if line.strip() for unit in _units(line, settings))
        else:
            # small windows, so that the packer can carry one or two of them over as overlap
            units.extend(word_windows(sentence, settings.overlap or size))
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
    length = 0  # of "\n".join(current) plus one: kept as a running total, since a chunk of one-character
    # lines holds hundreds of units and summing them for every unit made a 400 KB file take 12 s
    for unit in units:
        if current and length + len(unit) > settings.size and fresh:
            chunks.append("\n".join(current))
            current = _tail(current, settings.overlap)
            length = sum(len(u) + 1 for u in current)
            # the overlap must leave room for the new unit
            while current and length + len(unit) > settings.size:
                length -= len(current.pop(0)) + 1
            fresh = 0
        current.append(unit)
        length += len(unit) + 1
        fresh += 1
    if current and fresh:
        chunks.append("\n".join(current))
    return chunks


def _start_times(doc: Document, bodies: list[str]) -> list[str]:
    """Where each chunk body starts in a transcript's timeline ("" when the document has none)."""
    if not doc.timeline:
        return [""] * len(bodies)
    offsets = [at for at, _ in doc.timeline]
    starts, cursor = [], 0
    for body in bodies:
        words = body.split()[:8]
        # a body joins units with newlines, and word windows with spaces: match on the words alone
        found = re.compile(r"\s+".join(map(re.escape, words))).search(doc.text, cursor) if words else None
        cursor = found.start() if found else cursor
        index = bisect.bisect_right(offsets, cursor) - 1
        starts.append(doc.timeline[index][1] if index >= 0 else doc.timeline[0][1])
    return starts


def chunk_document(doc: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    """Cut one document into chunks, section by section."""
    settings = settings or ChunkSettings()
    cut: list[tuple[str, str]] = []
    for heading, body in _sections(doc.text):
        units = [u for p in _paragraphs(body) for u in _units(p, settings)]
        cut.extend((heading, text) for text in _pack(units, settings))
    starts = _start_times(doc, [text for _, text in cut])
    return [Chunk(f"{doc.source}#{n}", doc.source, doc.title, heading, text, start)
            for n, ((heading, text), start) in enumerate(zip(cut, starts, strict=True))]


def chunk_documents(docs: list[Document], settings: ChunkSettings | None = None) -> list[Chunk]:
    """Chunks of several documents, in order."""
    return [chunk for doc in docs for chunk in chunk_document(doc, settings)]


# --- key phrases and boundaries ----------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, no backticks, single spaces: how a key phrase is matched against a chunk."""
    return " ".join(text.lower().replace("`", "").split())


def phrase_status(doc: Document, chunks: list[Chunk], phrase: str) -> str:
    """Where ``phrase`` lives once ``doc`` is cut into ``chunks`` (the chunks of that document).

    ``"whole"``: at least one chunk holds it whole. ``"heading"``: only a heading holds it.
    ``"cut"``: the document holds it but no chunk does, so a boundary cut it and no retriever can
    return it in one piece. ``"absent"``: the document never held it (a wrong key, or text lost
    before chunking, such as a truncated upload).
    """
    key = normalise(phrase)
    if any(key in normalise(chunk.text) for chunk in chunks):
        return "whole"
    if any(key in normalise(chunk.heading.replace(" > ", " ")) for chunk in chunks):
        return "heading"
    return "cut" if key in normalise(doc.text) else "absent"
