"""Quality and speed of the *shown* answers, for ``python -m src.rag.evaluate --answers N``.

    from src.rag.answer_eval import evaluate_answers
    figures = evaluate_answers(items, index_or_assistant, n=30)

``items`` are dicts ``{"question", "source", "key"}`` (a QA file's rows; extra keys are ignored).
The first ``n`` questions are asked through :class:`src.rag.chat.Assistant` exactly as the page
asks them (retrieval, extraction, the model's lead, verification), with no tools, so a question
never turns into a live prediction. When given an :class:`~src.rag.retrieve.Index`, the assistant
uses the configured generator (``RAG_LLM_*`` / ``RAG_GGUF_PATH``, else the packaged SmolLM2 via
llama.cpp); pass an ``Assistant`` to choose another.

Returned figures (``None`` when nothing was measured):

- ``mean_faithfulness``: mean over answered questions of the share of shown sentences verified
  against the passage they cite (connective notes are not claims and are not counted);
- ``key_fact_in_answer``: share of all ``n`` questions whose key phrase (case and whitespace ignored,
  backticks dropped) is in the shown answer (a refusal counts as a miss);
- ``first_token_ms_p50``: median time from the start of generation to the first token;
- ``full_answer_ms_p50``: median time from the question to the finished, verified answer;
- ``kinds``: how many turns were answered (``rag``), refused as weak, etc.;
- ``refusal_rate``: share of the ``n`` questions not answered from the documents (any kind but ``rag``:
  weak retrieval, nothing extracted, a question taken for another language); on answerable questions
  lower is better, on unanswerable ones higher;
- ``per_question``: each question's kind, faithfulness, key hit, latency and shown answer.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from src.rag.chat import Assistant
from src.rag.retrieve import Index


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("`", "").replace("“", "").replace("”", "").split())


def make_assistant(index: Index) -> Assistant:
    """An assistant over ``index`` with the configured generator and no tools."""
    from src.rag.generate import BackendConfig, make_generator

    return Assistant(index, make_generator(BackendConfig.from_sources()), tools={})


def _p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def evaluate_answers(items: list[dict[str, Any]], assistant_or_index: Assistant | Index, n: int) -> dict[str, Any]:
    """Ask the first ``n`` questions and measure the shown answers (see the module docstring)."""
    assistant = assistant_or_index if isinstance(assistant_or_index, Assistant) else make_assistant(assistant_or_index)
    faithful: list[float] = []
    contains: list[bool] = []
    first: list[float] = []
    total: list[float] = []
    kinds: dict[str, int] = {}
    rows = []
    for item in items[:n]:
        start = time.perf_counter()
        turn = assistant.ask(item["question"])
        elapsed = (time.perf_counter() - start) * 1000
        kinds[turn.kind] = kinds.get(turn.kind, 0) + 1
        hit = bool(item.get("key")) and _norm(item["key"]) in _norm(turn.answer)
        contains.append(hit)
        if turn.kind == "rag":
            total.append(elapsed)
            if "first_token" in turn.timings_ms:
                first.append(turn.timings_ms["first_token"])
            if turn.faithfulness is not None:
                faithful.append(turn.faithfulness)
        rows.append({"question": item["question"], "source": item.get("source", ""), "kind": turn.kind,
                     "faithfulness": turn.faithfulness, "key_in_answer": hit, "ms": round(elapsed, 1),
                     "answer": turn.answer, "raw": turn.raw})
    return {
        "answers": len(rows),
        "generator": getattr(assistant.generator, "name", None),
        "mean_faithfulness": round(statistics.fmean(faithful), 4) if faithful else None,
        "key_fact_in_answer": round(statistics.fmean(contains), 4) if contains else None,
        "first_token_ms_p50": _p50(first),
        "full_answer_ms_p50": _p50(total),
        "kinds": kinds,
        "refusal_rate": round(1 - kinds.get("rag", 0) / len(rows), 4) if rows else None,
        "per_question": rows,
    }
