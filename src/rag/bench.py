"""Speed and quality of the RAG demo: ``python -m src.bench rag`` (or ``make bench``).

Retrieval quality on every committed QA set (the portfolio's own, where retrieval was tuned, and
the held-out pydocs sets ingested as uploads), fusion against its parts, index build, ingest of a
generated 50-page PDF, retrieval latency, and the generated answers' figures from
:mod:`src.rag.answer_eval` when that module is present.
"""

from __future__ import annotations

import time

from src.core.benchmark import Row, print_table
from src.core.cards import hardware
from src.core.hardware import cpu_has_native_bf16
from src.rag.chunking import ChunkSettings, chunk_document
from src.rag.corpus import default_documents, load_or_build
from src.rag.documents import load_bytes
from src.rag.embed import shared
from src.rag.evaluate import EXTRA_SETS, QA_FILE, SetReport, answer_figures, evaluate_folder, load_qa, report
from src.rag.pdfgen import text_pdf

ANSWER_QUESTIONS = 12
#: Floors and goals of issue 12.
MARGIN_FLOOR, MARGIN_GOAL = 0.0, 0.02
UNSEEN_FLOOR, UNSEEN_GOAL = 0.85, 0.92


def _pdf_pages(n: int) -> list[str]:
    """Distinct pages of plain prose, about 1,800 characters each."""
    return [" ".join(f"Section {page}.{i}: the survey of coastal lighthouse number {page * 10 + i} recorded its "
                     f"lamp, its keeper's log and the state of the stone tower in year {1900 + i}."
                     for i in range(12)) for page in range(n)]


def _set_rows(rep: SetReport, unseen: bool) -> list[Row]:
    by = rep.by_mode()
    figures = "; ".join(f"{m} {by[m].hit1:.3f} / {by[m].hit5:.3f} / {by[m].mrr:.3f}"
                        for m in ("bm25", "dense", "hybrid"))
    margin = rep.hybrid_margin()
    rows = [
        Row(f"{rep.name}: hit@1 / hit@5 / MRR@10 ({by['hybrid'].n} questions)", figures),
        Row(f"{rep.name}: hybrid hit@5 minus best of BM25 and dense", f"{margin:+.3f}",
            f">= {MARGIN_FLOOR:+.2f} (goal {MARGIN_GOAL:+.2f})", margin >= MARGIN_FLOOR),
        Row(f"{rep.name}: key phrases cut across a chunk boundary", str(len(rep.cut)), "0 (else unanswerable)",
            not rep.cut),
    ]
    if unseen:
        hit5 = by["hybrid"].hit5
        rows.append(Row(f"{rep.name}: hybrid hit@5 (held out)", f"{hit5:.3f}",
                        f">= {UNSEEN_FLOOR} (goal {UNSEEN_GOAL})", hit5 >= UNSEEN_FLOOR))
    return rows


def _answer_rows(answers: dict) -> list[Row]:
    if not answers.get("answers"):
        return [Row("generated answers", answers.get("note", "not measured"))]
    n = answers["answers"]

    def fig(key: str, fmt: str) -> str:
        value = answers.get(key)
        return "n/a" if value is None else format(value, fmt)

    return [
        Row(f"mean faithfulness of shown answers ({n} questions, portfolio set)", fig("mean_faithfulness", ".3f"),
            ">= 0.90 (goal 0.97)", (answers.get("mean_faithfulness") or 0) >= 0.90),
        Row("key fact in the shown answer", fig("key_fact_in_answer", ".3f"), ">= 0.50 (goal 0.70)",
            (answers.get("key_fact_in_answer") or 0) >= 0.50),
        Row("first token p50", fig("first_token_ms_p50", ".0f") + " ms"),
        Row("full answer p50", fig("full_answer_ms_p50", ".0f") + " ms", "<= 4,000 ms (goal 2,000)",
            (answers.get("full_answer_ms_p50") or 1e9) <= 4000),
    ]


def main() -> None:
    """Print the benchmark table."""
    kind = "native bf16 (AVX512-BF16/AMX)" if cpu_has_native_bf16() else "no native bf16"
    print(f"CPU: {hardware()}; {kind}")
    start = time.perf_counter()
    embedder = shared()
    load_s = time.perf_counter() - start
    docs = default_documents()
    settings = ChunkSettings()

    start = time.perf_counter()
    index, _ = load_or_build(docs, settings, embedder, cache_dir=None)
    build_s = time.perf_counter() - start
    load_or_build(docs, settings, embedder)  # fill the disk cache, then time a warm start from it
    start = time.perf_counter()
    load_or_build(docs, settings, embedder)
    warm_s = time.perf_counter() - start

    pdf = text_pdf(_pdf_pages(50))
    start = time.perf_counter()
    index.extend(chunk_document(load_bytes("survey.pdf", pdf), settings))
    ingest_s = time.perf_counter() - start

    qa_set = load_qa(QA_FILE)
    own = report("portfolio (tuning set)", index, docs, qa_set)
    held = [evaluate_folder(s.name.split(" (")[0] + " (held out)", s.docs, s.qa, settings, embedder)[0]
            for s in EXTRA_SETS]
    rows = [row for rep, unseen in ((own, False), *((h, True) for h in held)) for row in _set_rows(rep, unseen)]
    retrieval = max(rep.retrieval_ms_p50 or 0.0 for rep in (own, *held))
    rows += [
        Row("index build, default corpus (embed + BM25 + Qdrant)",
            f"{build_s:.2f} s for {len(index.chunks)} chunks (+{load_s:.1f} s model load; {warm_s:.2f} s from "
            "disk cache)", "<= 10 s", build_s <= 10),
        Row("ingest a 50-page PDF (parse + chunk + embed + index)", f"{ingest_s:.2f} s", "<= 20 s", ingest_s <= 20),
        Row("retrieval, hybrid (p50 over 20 questions, worst QA set)", f"{retrieval:.1f} ms", "<= 50 ms",
            retrieval <= 50),
    ]
    rows += _answer_rows(answer_figures(index, qa_set, ANSWER_QUESTIONS))
    print_table("Ask this portfolio (RAG)", rows)


if __name__ == "__main__":
    main()
