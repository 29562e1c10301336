"""The default corpus (the portfolio itself) and its index, cached on disk by content hash.

Sources: the README, our write-ups in ``data/docs/``, every committed model card (text only: the
YAML front matter is machine data) and the owner's profile from ``portfolio.toml``. The embeddings
are stored under ``data/cache/rag/`` keyed by the hash of every source's text, the chunk settings
and the embedding model, so the index is rebuilt exactly when a source file changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from src.core.cards import split_front_matter
from src.core.settings import DATA_DIR, DOCS_DIR, MODELS_DIR, ROOT, portfolio
from src.rag.chunking import CHUNKER_VERSION, ChunkSettings, chunk_documents
from src.rag.documents import Document, load_path
from src.rag.embed import Embedder, shared
from src.rag.retrieve import Index

CACHE_DIR = DATA_DIR / "cache" / "rag"
#: Cached index versions kept on disk.
KEEP = 6


def _strip_front_matter(text: str) -> str:
    front, body = split_front_matter(text)
    return body.lstrip() if front else text


def profile_document(config: dict | None = None) -> Document:
    """The owner's profile from ``portfolio.toml`` written out as prose the retrievers can match."""
    config = config or portfolio()
    owner = config.get("owner", {})
    name = owner.get("name", "the owner")
    lines = [f"# About {name}", "",
             f"{name} built this portfolio: {name} is the author and owner of this portfolio and of every demo in it."]
    if owner.get("headline"):
        lines.append(f"Headline: {owner['headline']}.")
    if owner.get("about"):
        lines += ["", " ".join(owner["about"].split())]
    lines += ["", "## Contact and links", ""]
    for key, label in (("location", "Location and availability"), ("email", "Email"), ("github", "GitHub"),
                       ("linkedin", "LinkedIn")):
        if owner.get(key):
            lines.append(f"- {label}: {owner[key]}")
    lines.append(f"- Résumé: {'available as a PDF on the Home page' if owner.get('resume') else 'not published here'}")
    stack = config.get("stack", {})
    if stack:
        lines += ["", f"## Tech stack and skills of {name}", ""]
        lines += [f"- {group}: {', '.join(tools)}." for group, tools in stack.items()]
    return Document(source="portfolio.toml", title=f"Profile of {name}", text="\n".join(lines), kind="profile")


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def default_documents() -> list[Document]:
    """Every source of the default corpus that exists right now, in a stable order."""
    docs: list[Document] = []
    readme = ROOT / "README.md"
    if readme.is_file():
        docs.append(load_path(readme, "README.md"))
    for path in sorted(DOCS_DIR.glob("*.md")):
        docs.append(load_path(path, path.relative_to(ROOT).as_posix()))
    for path in sorted(MODELS_DIR.glob("*/README.md")):
        text = _strip_front_matter(path.read_text(encoding="utf-8"))
        source = path.relative_to(ROOT).as_posix()
        title = f"Model card: {_title(text, path.parent.name)}"
        docs.append(Document(source=source, title=title, text=text, kind="card"))
    docs.append(profile_document())
    for doc in docs:
        if doc.kind == "md":
            doc.title = _title(doc.text, doc.title)
    return docs


def corpus_key(docs: list[Document], settings: ChunkSettings, model: str) -> str:
    """Hash of every source's text, the chunk settings and the embedding model."""
    digest = hashlib.sha256(f"{model}|{settings.size}|{settings.overlap}|v{CHUNKER_VERSION}".encode())
    for doc in docs:
        digest.update(f"{doc.source}|{doc.sha256}|".encode())
    return digest.hexdigest()[:20]


def _save_atomic(path: Path, ids: list[str], embeddings: np.ndarray, counts: np.ndarray,
                 sentences: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, embeddings=embeddings, ids=np.array(json.dumps(ids)), sentence_counts=counts,
                 sentence_vectors=sentences)
    os.replace(tmp, path)


def _from_cache(cache: Path, chunks: list, ids: list[str], embedder: Embedder) -> Index | None:
    """The cached index when the file matches these chunks (and carries their sentence vectors), else None."""
    try:
        with np.load(cache) as data:
            if json.loads(str(data["ids"])) != ids:
                return None
            index = Index(chunks, data["embeddings"].astype(np.float32), embedder)
            loaded = index.load_sentence_table(data["sentence_counts"], data["sentence_vectors"].astype(np.float32))
            return index if loaded else None
    except (OSError, ValueError, KeyError):
        return None  # a corrupt or older cache is rebuilt


def load_or_build(docs: list[Document], settings: ChunkSettings, embedder: Embedder,
                  cache_dir: Path | None = CACHE_DIR) -> tuple[Index, bool]:
    """The index of ``docs``; returns (index, built) where ``built`` is False when the disk cache was used.

    The cache also keeps every chunk's sentence vectors (the hybrid rerank's), so a warm start
    never embeds a sentence; a fresh build embeds them once, here, instead of during a visitor's question.
    """
    chunks = chunk_documents(docs, settings)
    # ids plus a hash of each chunk's text: a changed chunker with the same chunk count must not reuse vectors
    ids = [f"{c.id}|{hashlib.sha256(c.indexed_text.encode()).hexdigest()[:12]}" for c in chunks]
    cache = cache_dir / f"index-{corpus_key(docs, settings, embedder.name)}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        cached = _from_cache(cache, chunks, ids, embedder)
        if cached is not None:
            return cached, False
    index = Index.build(chunks, embedder)
    counts, sentences = index.sentence_table()
    if cache is not None:
        try:
            _save_atomic(cache, ids, index.embeddings, counts, sentences)
            # keep a few versions (chunk settings differ between sessions), drop the rest
            for old in sorted(cache.parent.glob("index-*.npz"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only disk only costs a rebuild next time
    return index, True


def with_uploads(base: Index, uploads: list[Document], settings: ChunkSettings) -> Index:
    """``base`` plus a session's uploaded documents (a new index; ``base`` is shared and stays unchanged)."""
    return base.extend(chunk_documents(uploads, settings))


def default_index(settings: ChunkSettings | None = None, embedder: Embedder | None = None) -> Index:
    """The portfolio's own index, from the disk cache when no source changed."""
    return load_or_build(default_documents(), settings or ChunkSettings(), embedder or shared())[0]
