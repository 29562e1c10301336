"""One chat turn, end to end: guard the question, route it, retrieve, generate, cite.

The page drives three steps so it can stream: :meth:`Assistant.prepare` decides what kind of
answer this is (documents, tool, weak retrieval, other language), :meth:`Assistant.stream` yields
the text, and :meth:`Assistant.finish` links each sentence to its passage and scores faithfulness.
:meth:`Assistant.ask` runs all three for scripts and tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from src.rag import guardrails, router
from src.rag.cite import Attribution, attribute
from src.rag.generate import GenerationError, Generator
from src.rag.prompt import STOP, Evidence, build_messages, select_evidence
from src.rag.retrieve import Index, Results

#: Retrieval strength (calibrated on the QA set against off-topic questions, see the rag write-up):
#: a best cosine similarity of STRONG_DENSE covers a question on its own; between WEAK_DENSE and it,
#: at least MIN_COVERAGE of the question's terms must also appear in the top passages; below, never.
STRONG_DENSE = 0.40
WEAK_DENSE = 0.20
MIN_COVERAGE = 0.5
#: Retrieval depth shown in the inspector.
TOP_K = 5
REFUSAL = "The documents don't seem to cover this, so I won't guess. These are the closest passages I found."

_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|why|so)\b|\b(it|its|it's|that|this|they|them|their|those|these|he|she|his|"
    r"her|the same|the model|the demo)\b", re.I)


def is_follow_up(question: str) -> bool:
    """Short questions or ones leaning on pronouns ("and its calibration?") continue the last turn."""
    return len(question.split()) <= 4 or bool(_FOLLOW_UP.search(question))


def is_weak(results: Results) -> bool:
    """True when the documents don't seem to cover the question (so the model is not asked)."""
    if not results.hits or results.best_dense < WEAK_DENSE:
        return True
    return results.best_dense < STRONG_DENSE and results.coverage < MIN_COVERAGE


@dataclass
class Turn:
    """Everything about one answer: what was asked, retrieved, said, and how well it is supported."""

    question: str
    kind: str  # rag | tool | weak | language | empty
    query: str = ""
    notices: list[str] = field(default_factory=list)
    results: Results | None = None
    evidence: list[Evidence] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    tool: router.ToolAnswer | None = None
    answer: str = ""
    attribution: Attribution | None = None
    error: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def faithfulness(self) -> float | None:
        return self.attribution.faithfulness if self.attribution else None

    @property
    def sources(self) -> list[str]:
        """Chunk labels that back this answer (for feedback records)."""
        return [ev.chunk.label for ev in self.evidence] or (
            [h.chunk.label for h in self.results.hits[:3]] if self.results else [])


class Assistant:
    """Answers questions over an index with a generator and optional tools. Holds no per-session state."""

    def __init__(self, index: Index, generator: Generator | None, tools: dict[str, router.Tool] | None = None,
                 ) -> None:
        self.index = index
        self.generator = generator
        self.tools = router.default_tools() if tools is None else tools

    def prepare(self, question: str, previous_question: str = "", *, mode: str = "hybrid",
                k: int = TOP_K) -> Turn:
        """Everything before generation. Never raises on user input."""
        capped = guardrails.cap_question(question)
        turn = Turn(question=capped.text, kind="rag")
        if capped.was_capped:
            turn.notices.append(f"Your question was {capped.original_length:,} characters; only the first "
                                f"{len(capped.text):,} were used.")
        if not capped.text:
            turn.kind = "empty"
            return turn
        # tools see the visitor's words only, never retrieved text
        route = router.classify(capped.text)
        if route is not None:
            start = time.perf_counter()
            answer = router.run_tool(route, self.tools)
            turn.timings_ms["tool"] = (time.perf_counter() - start) * 1000
            if answer.ok:
                turn.kind, turn.tool = "tool", answer
                return turn
            turn.notices.append(answer.text)
        follow = bool(previous_question) and is_follow_up(capped.text)
        turn.query = f"{previous_question} {capped.text}" if follow else capped.text
        turn.results = self.index.search(turn.query, k=k, mode=mode)
        turn.timings_ms["retrieval"] = turn.results.timings_ms["total"]
        language = guardrails.detect_language(capped.text)
        if language != "English":
            turn.kind = "language"
            turn.notices.append(f"Detected language: {language}.")
            return turn
        if is_weak(turn.results):
            turn.kind = "weak"
            return turn
        start = time.perf_counter()
        turn.evidence = select_evidence(turn.query, turn.results.hits, self.index.embedder,
                                        question_vector=turn.results.vector)
        turn.messages = build_messages(capped.text, turn.evidence, previous_question if follow else "")
        turn.timings_ms["evidence"] = (time.perf_counter() - start) * 1000
        return turn

    def stream(self, turn: Turn, *, max_tokens: int = 100) -> Iterator[str]:
        """The answer text, piece by piece; canned text for tool, refusal and language turns."""
        if turn.kind == "empty":
            yield "Please type a question about the portfolio."
        elif turn.kind == "tool" and turn.tool is not None:
            yield turn.tool.text
        elif turn.kind == "weak":
            yield REFUSAL
        elif turn.kind == "language":
            yield ("Your question doesn't seem to be in English. The documents here are in English and the local "
                   "model is only reliable in English, so I won't pretend to answer. Please ask in English; "
                   "the closest passages are below.")
        elif self.generator is None:
            turn.error = "No language model is configured."
            yield turn.error
        else:
            start = time.perf_counter()
            try:
                for i, piece in enumerate(self.generator.stream(turn.messages, max_tokens=max_tokens, stop=STOP)):
                    if i == 0:
                        turn.timings_ms["first_token"] = (time.perf_counter() - start) * 1000
                    yield piece
            except GenerationError as exc:
                turn.error = str(exc)
                yield f"\n\n{exc}"
            turn.timings_ms["generation"] = (time.perf_counter() - start) * 1000

    def finish(self, turn: Turn, answer: str) -> Turn:
        """Store the answer and, for generated answers, its sentence citations and faithfulness."""
        turn.answer = answer.strip()
        if turn.kind == "rag" and not turn.error:
            start = time.perf_counter()
            turn.attribution = attribute(turn.answer, turn.evidence, self.index.embedder)
            turn.timings_ms["citations"] = (time.perf_counter() - start) * 1000
        return turn

    def ask(self, question: str, previous_question: str = "", **kwargs) -> Turn:
        """Prepare, generate and cite in one call (no streaming)."""
        turn = self.prepare(question, previous_question, **kwargs)
        return self.finish(turn, "".join(self.stream(turn)))
