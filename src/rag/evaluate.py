"""Retrieval quality on any documents: hit@1, hit@5 and MRR for BM25, dense and hybrid.

    python -m src.rag.evaluate                  # the committed QA set over the portfolio's own documents
    python -m src.rag.evaluate --json           # the same figures as JSON
    python -m src.rag.evaluate --docs data/eval/pydocs/docs --qa data/eval/pydocs/qa.jsonl
                                                # any folder, ingested exactly as the page ingests uploads
    python -m src.rag.evaluate --answers 12     # also generate 12 answers (figures from src.rag.answer_eval)
    python -m src.rag.evaluate --write-card     # write models/rag/README.md over every committed QA set
    python -m src.rag.evaluate --write-card --answers 80
                                                # ... with generated answers on every set (see answer_suite)

A question is a hit at k when one of the top k chunks comes from the question's source file (or a
file listed in its ``also``, for facts that a model card restates) and contains its key phrase (case,
whitespace and ``[hh:mm:ss]`` timestamps ignored), so "right file, wrong passage" is a miss. A key
phrase that the chunker cut across two chunks makes its question unanswerable whatever the
retriever does; those questions are counted and listed, never silently dropped.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Annotated

import typer

from src.core.settings import DATA_DIR, ROOT
from src.core.tables import markdown_table
from src.rag.chunking import Chunk, ChunkSettings
from src.rag.corpus import default_documents, load_or_build, with_uploads
from src.rag.documents import Document, add_uploads
from src.rag.embed import Embedder, shared
from src.rag.retrieve import MODES, Index

logger = logging.getLogger(__name__)

QA_FILE = Path(__file__).with_name("qa_set.jsonl")
#: Questions the default corpus does not answer: held out (written before any answer was generated for them,
#: never used to change anything), and a first set seen while fixing answers (see data/eval/unanswerable/README.md).
UNANSWERABLE_FILE = ROOT / "data/eval/unanswerable/heldout.jsonl"
UNANSWERABLE_SEEN_FILE = ROOT / "data/eval/unanswerable/questions.jsonl"
DEPTH = 10  # MRR looks this deep; a miss beyond it scores 0
#: The page stores an upload as ``upload/<file name>``; QA files name the file only.
UPLOAD_PREFIX = "upload/"
#: Chunk vectors of evaluated folders (apart from the page's own cache, so they never evict it).
EVAL_CACHE = DATA_DIR / "cache" / "rag-eval"
_TIMESTAMP = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\]")


@dataclass(frozen=True)
class QA:
    """One question of a QA set."""

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


@dataclass
class SetReport:
    """Everything measured on one QA set over one collection of documents."""

    name: str
    scores: list[Scores]
    per_question: list[dict]
    #: Questions whose key is in the source document but in none of its chunks (cut at a boundary).
    cut: list[dict] = field(default_factory=list)
    #: Questions whose key or source is not in the documents at all (a broken QA row).
    unusable: list[dict] = field(default_factory=list)
    retrieval_ms_p50: float | None = None
    chunks: int = 0

    def by_mode(self) -> dict[str, Scores]:
        """Scores keyed by mode."""
        return {s.mode: s for s in self.scores}

    def hybrid_margin(self) -> float:
        """Hybrid hit@5 minus the better of BM25 and dense (the issue's "does fusion pay" figure)."""
        by = self.by_mode()
        return by["hybrid"].hit5 - max(by["bm25"].hit5, by["dense"].hit5)

    def as_dict(self) -> dict:
        """JSON-ready figures (per-question ranks included)."""
        return {"name": self.name, "scores": [asdict(s) for s in self.scores],
                "hybrid_minus_best_hit5": self.hybrid_margin(), "retrieval_ms_p50": self.retrieval_ms_p50,
                "chunks": self.chunks, "key_cut_at_chunk_boundary": {"count": len(self.cut), "questions": self.cut},
                "unusable": self.unusable, "per_question": self.per_question}


def load_qa(path: Path = QA_FILE) -> list[QA]:
    """A QA set: one JSON object per line with question, source and key (``also`` optional)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [QA(**{**row, "also": tuple(row.get("also", ()))}) for row in rows]


def _norm(text: str) -> str:
    return " ".join(_TIMESTAMP.sub(" ", text).lower().replace("`", "").split())


def is_hit(chunk: Chunk, qa: QA) -> bool:
    """Right file (or one listed in ``also``) and the key phrase inside the chunk."""
    return chunk.source in (qa.source, *qa.also) and _norm(qa.key) in _norm(chunk.text)


def first_hit_rank(index: Index, qa: QA, mode: str) -> int | None:
    """1-based rank of the first correct chunk within :data:`DEPTH`, or None."""
    hits = index.search(qa.question, k=DEPTH, mode=mode).hits
    return next((rank for rank, hit in enumerate(hits, 1) if is_hit(hit.chunk, qa)), None)


def evaluate(index: Index, qa_set: list[QA]) -> tuple[list[Scores], list[dict]]:
    """Scores per mode, and each question's rank per mode (questions whose source is absent are skipped)."""
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


def boundary_check(docs: list[Document], chunks: list[Chunk], qa_set: list[QA]) -> tuple[list[dict], list[dict]]:
    """(cut, unusable): keys present in their document but in none of its chunks, and rows that match nothing."""
    texts = {d.source: _norm(d.text) for d in docs}
    by_source: dict[str, list[str]] = {}
    for chunk in chunks:
        by_source.setdefault(chunk.source, []).append(_norm(chunk.text))
    cut, unusable = [], []
    for qa in qa_set:
        key = _norm(qa.key)
        row = {"question": qa.question, "source": qa.source, "key": qa.key}
        answering = [s for s in (qa.source, *qa.also) if key in texts.get(s, "")]
        if not answering:
            unusable.append({**row, "reason": "source missing" if qa.source not in texts else "key not in source"})
        elif not any(key in text for s in answering for text in by_source.get(s, [])):
            cut.append(row)
    return cut, unusable


def retrieval_p50(index: Index, qa_set: list[QA], n: int = 20) -> float:
    """Median hybrid search time in ms over the first ``n`` questions (each run once after a warm-up)."""
    questions = [qa.question for qa in qa_set[:n]]
    if not questions:
        return 0.0
    index.search(questions[0])
    times = []
    for question in questions:
        start = time.perf_counter()
        index.search(question)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def report(name: str, index: Index, docs: list[Document], qa_set: list[QA]) -> SetReport:
    """Every retrieval figure of one QA set over ``index`` (built from ``docs`` plus anything else)."""
    scores, per_question = evaluate(index, qa_set)
    cut, unusable = boundary_check(docs, index.chunks, qa_set)
    return SetReport(name, scores, per_question, cut, unusable, retrieval_p50(index, qa_set), len(index.chunks))


# --- documents as uploads ------------------------------------------------------------------------


def upload_folder(folder: Path) -> tuple[list[Document], list[str]]:
    """Every file in ``folder`` read by the page's own upload path; returns (documents, error messages)."""
    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]
    collection, messages = add_uploads({}, files)
    return list(collection.values()), [text for level, text in messages if level == "error"]


def as_uploads(qa_set: list[QA]) -> list[QA]:
    """QA rows naming a file, renamed to the source an upload of that file gets."""
    return [replace(qa, source=UPLOAD_PREFIX + qa.source, also=tuple(UPLOAD_PREFIX + s for s in qa.also))
            for qa in qa_set]


def uploaded_index(docs: list[Document], settings: ChunkSettings, embedder: Embedder,
                   cache_dir: Path | None = EVAL_CACHE) -> Index:
    """The portfolio's index plus ``docs``, exactly as a session with these uploads searches.

    With ``cache_dir`` the uploads' chunk vectors come from a disk cache keyed by their content
    (the same chunks :func:`src.rag.corpus.with_uploads` makes), so re-running an evaluation does
    not re-embed unchanged documents; ``None`` embeds them the way the page does.
    """
    base, _ = load_or_build(default_documents(), settings, embedder)
    if cache_dir is None:
        return with_uploads(base, docs, settings)
    uploads, _ = load_or_build(docs, settings, embedder, cache_dir=cache_dir)
    index = base.extend(uploads.chunks, uploads.embeddings)
    index.adopt_sentences(uploads)
    return index


@dataclass(frozen=True)
class QASet:
    """A committed QA set over a committed folder of documents (evaluated as uploads)."""

    name: str
    docs: Path
    qa: Path


#: The unseen-document sets the card and the bench report next to the portfolio's own set.
EXTRA_SETS = (
    QASet("pydocs (Python 3.11 docs, markdown)", ROOT / "data/eval/pydocs/docs", ROOT / "data/eval/pydocs/qa.jsonl"),
    QASet("pydocs transcripts (same text, lower case, no punctuation, timestamps)",
          ROOT / "data/eval/pydocs/transcripts", ROOT / "data/eval/pydocs/qa_transcripts.jsonl"),
)


def evaluate_folder(name: str, folder: Path, qa_path: Path, settings: ChunkSettings,
                    embedder: Embedder) -> tuple[SetReport, Index, list[QA], list[str]]:
    """Ingest ``folder`` as uploads and evaluate ``qa_path`` on it; also the index, QA rows and ingest errors."""
    docs, errors = upload_folder(folder)
    index = uploaded_index(docs, settings, embedder)
    qa_set = as_uploads(load_qa(qa_path))
    return report(name, index, docs, qa_set), index, qa_set, errors


# --- generated answers ---------------------------------------------------------------------------


def answer_figures(index: Index, qa_set: list[QA] | list[dict], n: int) -> dict:
    """Faithfulness, key fact in the shown answer and latency of ``n`` generated answers.

    The figures are defined by :mod:`src.rag.answer_eval` (owned with the answering code, so the
    definition of "shown answer" lives next to the code that shows it). Until that module exists
    this says so instead of measuring something else.
    """
    try:
        from src.rag import answer_eval
    except ModuleNotFoundError as exc:
        if exc.name != "src.rag.answer_eval":
            raise  # a broken import inside it is a bug to see, not a missing module
        logger.warning("src/rag/answer_eval.py is not there yet; answers were not evaluated")
        return {"answers": 0, "note": "src.rag.answer_eval not available"}
    return answer_eval.evaluate_answers([qa if isinstance(qa, dict) else asdict(qa) for qa in qa_set], index, n)


def load_unanswerable(path: Path = UNANSWERABLE_FILE) -> list[dict]:
    """The unanswerable questions as answer items (no key phrase: only refusals count)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"question": row["question"], "source": "", "key": "", "kind": row.get("kind", "")} for row in rows]


def answer_suite(n: int, settings: ChunkSettings, embedder: Embedder) -> dict[str, dict]:
    """Generated answers on every committed set, keyed by set.

    ``portfolio``: the first ``n`` questions of ``qa_set.jsonl`` over the default corpus, where the
    answer rules (extraction, verification, refusal) were tuned; ``pydocs``: the first ``n`` of the
    held-out pydocs set over its pages ingested as uploads; ``unanswerable``: every held-out question
    the default corpus does not answer (a refusal is the right answer there); ``unanswerable_seen``: the
    first such set, seen while the answer rules were fixed (reported, not held out).
    """
    index, _ = load_or_build(default_documents(), settings, embedder)
    held = EXTRA_SETS[0]
    _, held_index, held_qa, _ = evaluate_folder(held.name, held.docs, held.qa, settings, embedder)
    return {
        "portfolio": answer_figures(index, load_qa(QA_FILE), n),
        "pydocs": answer_figures(held_index, held_qa, n),
        "unanswerable": answer_figures(index, load_unanswerable(), len(load_unanswerable())),
        "unanswerable_seen": answer_figures(index, load_unanswerable(UNANSWERABLE_SEEN_FILE),
                                            len(load_unanswerable(UNANSWERABLE_SEEN_FILE))),
    }


# --- output --------------------------------------------------------------------------------------


def table(scores: list[Scores]) -> str:
    """A markdown table of the scores."""
    return markdown_table(("retriever", "hit@1", "hit@5", "MRR"), [(s.mode, s.hit1, s.hit5, s.mrr) for s in scores])


def describe(rep: SetReport) -> str:
    """The human-readable block of one set: table, margin, boundary cuts and latency."""
    n = rep.by_mode()["hybrid"].n
    lines = [f"### {rep.name} ({n} questions, {rep.chunks} chunks)", "", table(rep.scores), "",
             f"hybrid hit@5 minus the better of BM25 and dense: {rep.hybrid_margin():+.3f}",
             f"retrieval p50 (hybrid): {rep.retrieval_ms_p50:.1f} ms",
             f"key phrase cut across a chunk boundary: {len(rep.cut)}"]
    lines += [f"  - {c['source']}: {c['question']} (key: {c['key']!r})" for c in rep.cut]
    if rep.unusable:
        lines.append(f"unusable QA rows (key or source not in the documents): {len(rep.unusable)}")
        lines += [f"  - {u['source']}: {u['question']} ({u['reason']})" for u in rep.unusable]
    return "\n".join(lines)


def main(
    docs: Annotated[Path | None, typer.Option(help="Folder of documents, ingested as uploads.")] = None,
    qa: Annotated[Path | None, typer.Option(help="QA file (JSON lines: question, source, key).")] = None,
    write_card_: Annotated[bool, typer.Option("--write-card", help="Write models/rag/README.md.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    answers: Annotated[int, typer.Option(help="Also generate this many answers with the local model.")] = 0,
    size: Annotated[int, typer.Option(help="Chunk size in characters.")] = ChunkSettings().size,
    overlap: Annotated[int, typer.Option(help="Chunk overlap in characters.")] = ChunkSettings().overlap,
) -> None:
    """Evaluate BM25, dense and hybrid retrieval (and optionally answers) on a QA set."""
    start = time.perf_counter()
    settings = ChunkSettings(size, overlap)
    embedder = shared()
    if docs is not None and not docs.is_dir():
        raise typer.BadParameter(f"{docs} is not a folder", param_hint="--docs")
    if qa is not None and not qa.is_file():
        raise typer.BadParameter(f"{qa} is not a file", param_hint="--qa")
    if docs is not None and qa is None:
        raise typer.BadParameter("--docs needs a QA file (--qa) about those documents", param_hint="--qa")
    errors: list[str] = []
    if docs is not None:
        rep, index, qa_set, errors = evaluate_folder(docs.name, docs, qa, settings, embedder)
    else:
        qa_path = qa or QA_FILE
        corpus_docs = default_documents()
        index, _ = load_or_build(corpus_docs, settings, embedder)
        qa_set = load_qa(qa_path)
        rep = report(qa_path.name, index, corpus_docs, qa_set)
    quality = answer_figures(index, qa_set, answers) if answers and not write_card_ else None
    if as_json:
        typer.echo(json.dumps({**rep.as_dict(), "ingest_errors": errors, "answers": quality}, indent=2))
    else:
        typer.echo(describe(rep))
        for error in errors:
            typer.echo(f"not ingested: {error}")
        if quality:  # the per-question answers are in --json; the table view keeps to the figures
            typer.echo(json.dumps({k: v for k, v in quality.items() if k != "per_question"}, indent=2))
    if write_card_:
        from src.rag.rag_card import write_rag_card

        # the card reports answers on every set, the held-out ones included (not only the set asked for)
        suite = answer_suite(answers, settings, embedder) if answers else None
        for name, figures in (suite or {}).items():
            typer.echo(f"answers, {name}: " + json.dumps({k: v for k, v in figures.items() if k != "per_question"}))
        write_rag_card(settings, embedder, answers=suite, started=start)
        typer.echo("wrote models/rag/README.md")


if __name__ == "__main__":
    typer.run(main)
