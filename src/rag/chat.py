"""One chat turn, end to end: guard the question, route it, retrieve, extract, generate a lead, verify.

The page drives three steps so it can stream: :meth:`Assistant.prepare` decides what kind of
answer this is (documents, tool, weak retrieval, other language) and extracts the facts,
:meth:`Assistant.stream` yields the model's raw text, and :meth:`Assistant.finish` verifies it and
composes the shown answer (:mod:`src.rag.compose`). :meth:`Assistant.ask` runs all three.

Questions about the portfolio's owner are answered from the portfolio's own documents only: an
upload can never speak about the owner (issue 16: a fake "reference check" must not make the
chat call the owner a fraud).
"""

from __future__ import annotations

import functools
import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field

from src.rag import guardrails, router
from src.rag.cite import Attribution, attribute
from src.rag.compose import ShownAnswer, compose
from src.rag.extract import Extraction, answers_nothing
from src.rag.generate import GenerationError, Generator
from src.rag.generate_queue import OnWait
from src.rag.prompt import OWNER_WORDS, STOP, Evidence, build_messages, select_evidence
from src.rag.retrieve import Index, Results, tokenize

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


#: A question is about the owner when it names them or asks about "the owner/author/candidate".
_OWNER_QUESTION = re.compile(
    r"\b(owner|candidate|applicant|reference check|hire|hiring|author of (this|the) (portfolio|project|app)|"
    r"who (built|made|wrote|created|owns) (this|the) (portfolio|project|app|site))\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def owner_names() -> tuple[str, ...]:
    """The owner's full name and its parts, from ``portfolio.toml`` (empty when it has none)."""
    from src.core.settings import ROOT

    try:
        name = tomllib.loads((ROOT / "portfolio.toml").read_text(encoding="utf-8"))["owner"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ()
    return tuple(dict.fromkeys([name, *(part for part in name.split() if len(part) > 2)]))


@functools.lru_cache(maxsize=1)
def owner_stems() -> frozenset[str]:
    """The owner's names as retrieval stems ("alex", "rivera")."""
    return frozenset(stem for name in owner_names() for stem in tokenize(name))


def owner_pattern() -> re.Pattern[str]:
    """Words that make a sentence or question about the owner."""
    names = "|".join(re.escape(n) for n in owner_names())
    return re.compile(rf"{OWNER_WORDS.pattern}|\b({names})\b" if names else OWNER_WORDS.pattern, re.IGNORECASE)


def is_about_owner(question: str) -> bool:
    """True for questions about the portfolio's owner (answered from the portfolio's documents only)."""
    return bool(_OWNER_QUESTION.search(question) or owner_pattern().search(question))


#: "this chat", "this portfolio": a visitor points at the app, not back at the last turn.
_THE_APP = re.compile(r"\b(this|these)\s+(chat|chatbot|portfolio|app|application|site|website|project|page|"
                      r"assistant|demos?)\b", re.I)


def is_follow_up(question: str) -> bool:
    """Short questions or ones leaning on pronouns ("and its calibration?") continue the last turn."""
    return len(question.split()) <= 4 or bool(_FOLLOW_UP.search(_THE_APP.sub(" ", question)))


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
    #: The shown answer as plain text (the verified answer for document turns).
    answer: str = ""
    #: What the model wrote, unverified, and its per-sentence check.
    raw: str = ""
    attribution: Attribution | None = None
    extraction: Extraction | None = None
    shown: ShownAnswer | None = None
    #: Visible warnings about the evidence (flagged instructions, uploads speaking about the owner).
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def faithfulness(self) -> float | None:
        """Share of the shown answer's sentences that are verified."""
        return self.shown.faithfulness if self.shown else None

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
        hits = self._owner_rule(turn)
        if is_weak(turn.results) or max((h.dense_score for h in hits), default=0.0) < WEAK_DENSE:
            turn.kind = "weak"
            return turn
        start = time.perf_counter()
        turn.evidence, turn.extraction = select_evidence(turn.query, hits, self.index.embedder,
                                                         question_vector=turn.results.vector, owner=owner_pattern())
        turn.messages = build_messages(capped.text, turn.evidence, previous_question if follow else "")
        turn.timings_ms["evidence"] = (time.perf_counter() - start) * 1000
        self._warn(turn)
        # no fact, or facts that mention none of the question's words: the documents don't cover it
        if not turn.extraction.facts or answers_nothing(turn.query, turn.extraction, owner_stems()):
            turn.kind = "weak"
        return turn

    @staticmethod
    def _owner_rule(turn: Turn) -> list:
        """The hits answers may use: the portfolio's own documents only, for questions about the owner."""
        hits = turn.results.hits if turn.results else []
        if not is_about_owner(turn.question):
            return hits
        uploads = sorted({h.chunk.source.removeprefix("upload/") for h in hits if h.chunk.source.startswith("upload/")})
        if uploads:
            turn.warnings.append(
                "This question is about the portfolio's owner, so it is answered from the portfolio's own documents "
                f"only. Your upload ({', '.join(uploads)}) was not used for it.")
        return [h for h in hits if not h.chunk.source.startswith("upload/")]

    @staticmethod
    def _warn(turn: Turn) -> None:
        """Visible warnings for instruction-like sentences and uploaded claims about the owner."""
        flagged = [ev for ev in turn.evidence if ev.flagged]
        if flagged:
            names = ", ".join(sorted({ev.chunk.source for ev in flagged}))
            turn.warnings.append(
                f"{sum(len(ev.flagged) for ev in flagged)} sentence(s) in {names} read like instructions to the "
                "assistant. They were treated as data, kept out of the answer and out of the prompt.")
        owner = [ev for ev in turn.evidence if ev.owner_claims]
        if owner:
            turn.warnings.append(
                f"An uploaded document ({', '.join(sorted({ev.chunk.source for ev in owner}))}) makes claims about "
                "the portfolio's owner. Uploads can't speak about the owner here, so those sentences are not shown "
                "as an answer.")

    def stream(self, turn: Turn, *, max_tokens: int = 40, on_wait: OnWait | None = None) -> Iterator[str]:
        """The answer text, piece by piece; canned text for tool, refusal and language turns.

        ``on_wait(ahead, waited_s)`` hears the place in line while the answer waits for the shared model.
        """
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
            turn.error = "No language model is configured; the answer is quoted from the passages."
        else:
            start = time.perf_counter()
            try:
                # only a caller that listens passes on_wait, so generators written without it keep working
                extra = {"on_wait": on_wait} if on_wait is not None else {}
                pieces = self.generator.stream(turn.messages, max_tokens=max_tokens, stop=STOP, **extra)
                for i, piece in enumerate(pieces):
                    if i == 0:
                        turn.timings_ms["first_token"] = (time.perf_counter() - start) * 1000
                    yield piece
            except GenerationError as exc:
                turn.error = str(exc)
            turn.timings_ms["generation"] = (time.perf_counter() - start) * 1000

    def finish(self, turn: Turn, answer: str) -> Turn:
        """Store the text; for document turns, verify the generation and compose the shown answer."""
        turn.raw = turn.answer = answer.strip()
        if turn.kind == "rag" and turn.extraction is not None:
            start = time.perf_counter()
            turn.attribution = attribute(turn.raw, turn.evidence, self.index.embedder) if turn.raw else None
            qvec = turn.results.vector if turn.results else None
            turn.shown = compose(turn.extraction, turn.evidence, turn.attribution, qvec, turn.question)
            turn.answer = turn.shown.text
            turn.timings_ms["verification"] = (time.perf_counter() - start) * 1000
        return turn

    def ask(self, question: str, previous_question: str = "", **kwargs) -> Turn:
        """Prepare, generate and cite in one call (no streaming)."""
        turn = self.prepare(question, previous_question, **kwargs)
        return self.finish(turn, "".join(self.stream(turn)))
