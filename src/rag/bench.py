"""Speed and quality of the RAG demo: ``python -m src.bench rag`` (or ``make bench``).

Measures retrieval quality on the QA set, index build, ingest of a generated 50-page PDF,
retrieval latency, and the local model's first token and full answer.
"""

from __future__ import annotations

import statistics
import time

from src.core.benchmark import Row, print_table, time_ms
from src.rag.chat import Assistant
from src.rag.chunking import ChunkSettings, chunk_document
from src.rag.corpus import default_documents, load_or_build
from src.rag.documents import load_bytes
from src.rag.embed import shared
from src.rag.evaluate import evaluate, load_qa
from src.rag.generate import LlamaCppGenerator
from src.rag.pdfgen import text_pdf

ANSWER_QUESTIONS = 8


def _pdf_pages(n: int) -> list[str]:
    """Distinct pages of plain prose, about 1,800 characters each."""
    return [" ".join(f"Section {page}.{i}: the survey of coastal lighthouse number {page * 10 + i} recorded its "
                     f"lamp, its keeper's log and the state of the stone tower in year {1900 + i}."
                     for i in range(12)) for page in range(n)]


def main() -> None:
    """Print the benchmark table."""
    start = time.perf_counter()
    embedder = shared()
    load_s = time.perf_counter() - start
    docs = default_documents()
    settings = ChunkSettings()

    start = time.perf_counter()
    index, _ = load_or_build(docs, settings, embedder, cache_dir=None)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    load_or_build(docs, settings, embedder)  # fill the disk cache, then time a warm start from it
    start = time.perf_counter()
    load_or_build(docs, settings, embedder)
    warm_s = time.perf_counter() - start

    pdf = text_pdf(_pdf_pages(50))
    start = time.perf_counter()
    doc = load_bytes("survey.pdf", pdf)
    index.extend(chunk_document(doc, settings))
    ingest_s = time.perf_counter() - start

    qa_set = load_qa()
    scores = {s.mode: s for s in evaluate(index, qa_set)[0]}
    questions = [qa.question for qa in qa_set]
    retrieval = statistics.median(time_ms(lambda q=q: index.search(q), repeat=3, warmup=1) for q in questions[:20])

    assistant = Assistant(index, LlamaCppGenerator(), tools={})
    assistant.ask(questions[0])  # warm-up: load and first prompt
    first, full = [], []
    for question in questions[1:1 + ANSWER_QUESTIONS]:
        start = time.perf_counter()
        turn = assistant.prepare(question)
        pieces = []
        for piece in assistant.stream(turn):
            if not pieces:
                first.append(time.perf_counter() - start)
            pieces.append(piece)
        assistant.finish(turn, "".join(pieces))  # citations and faithfulness are part of the answer
        full.append(time.perf_counter() - start)
    first_p50, full_p50 = statistics.median(first), statistics.median(full)

    hybrid, bm25 = scores["hybrid"], scores["bm25"]
    print_table("Ask this portfolio (RAG)", [
        Row("hit@5 hybrid (BM25 / dense)", f"{hybrid.hit5:.3f} ({bm25.hit5:.3f} / {scores['dense'].hit5:.3f}), "
            f"{hybrid.n} questions", ">= 0.95, beating BM25 (floor 0.85)",
            hybrid.hit5 >= 0.95 and hybrid.hit5 > bm25.hit5),
        Row("MRR@10 hybrid (BM25 / dense)", f"{hybrid.mrr:.3f} ({bm25.mrr:.3f} / {scores['dense'].mrr:.3f})"),
        Row("index build, default corpus (embed + BM25 + Qdrant)",
            f"{build_s:.2f} s for {len(index.chunks)} chunks (+{load_s:.1f} s model load; {warm_s:.2f} s from "
            "disk cache)", "<= 10 s", build_s <= 10),
        Row("ingest a 50-page PDF (parse + chunk + embed + index)", f"{ingest_s:.2f} s", "<= 20 s", ingest_s <= 20),
        Row("retrieval, hybrid (p50 over 20 questions)", f"{retrieval:.1f} ms", "<= 50 ms", retrieval <= 50),
        Row("first token, local SmolLM2 (p50, incl. retrieval + evidence)", f"{first_p50:.2f} s", "<= 0.5 s",
            first_p50 <= 0.5),
        Row(f"full answer p50 incl. citations, local model ({len(full)} questions)", f"{full_p50:.2f} s",
            "<= 1.5 s (floor 4 s)", full_p50 <= 1.5),
    ])


if __name__ == "__main__":
    main()
