"""Sentence-level citations for text the model wrote, checked by :mod:`src.rag.verify`.

Each sentence is verified against every retrieved passage; its citation is the passage that
verifies it (the most similar one when several do), or, when none does, the closest passage, with
the reason it failed. This is what the "What the model wrote (unverified)" panel shows, and what
:mod:`src.rag.compose` uses to decide which generated sentence may be shown as the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from src.rag.chunking import split_sentences
from src.rag.embed import Embedder
from src.rag.prompt import Evidence
from src.rag.verify import Verdict, talks_about_evidence, verify

_CLAUSE = re.compile(r",\s+(?:with|and|but|which|while|where|whereas|so|because|including|using)\b|;|\s[-–—]\s")
_ABSTAIN = re.compile(r"documents? (don't|do not|doesn't|does not) (say|cover)", re.IGNORECASE)
#: Why a sentence that speaks about the passage fails, whatever its support (see :func:`talks_about_evidence`).
META_NOTE = "talks about the passage instead of answering"


@dataclass
class CitedSentence:
    """One sentence of an answer and the passage that best supports it."""

    text: str
    citation: int | None  # evidence number, None when nothing is close
    similarity: float
    supported: bool
    #: Why a sentence is unsupported, or "abstains" for "the documents don't say".
    note: str = ""
    #: Index of the closest sentence in the cited passage (-1 when none): the quoted fallback.
    closest: int = -1
    #: For an unsupported sentence whose first clause verifies alone: that clause, and its passage.
    kept: str = ""
    kept_citation: int | None = None


class Faithful:
    """Faithfulness, defined once for the raw answer (:class:`Attribution`) and the shown one.

    A subclass has ``sentences`` and says which of them are claims (``is_claim``) and which claims
    check out (``backed``), both as ``staticmethod``s of one sentence.
    """

    sentences: list[Any]
    is_claim: ClassVar[Callable[[Any], bool]]
    backed: ClassVar[Callable[[Any], bool]]

    @property
    def claims(self) -> list[Any]:
        """The sentences that assert something (not abstentions or the app's own notes)."""
        return [s for s in self.sentences if self.is_claim(s)]

    @property
    def faithfulness(self) -> float | None:
        """Share of claim sentences that check out; None when the text makes no claim."""
        claims = self.claims
        return sum(self.backed(s) for s in claims) / len(claims) if claims else None


@dataclass
class Attribution(Faithful):
    """Citations for a whole text: a claim is any sentence that does not abstain, backed when supported."""

    sentences: list[CitedSentence]
    is_claim = staticmethod(lambda s: s.note != "abstains")
    backed = staticmethod(lambda s: s.supported)


def split_answer(text: str) -> list[str]:
    """The sentences of a generated text (blank and punctuation-only pieces dropped)."""
    return [s for s in split_sentences(text.replace("\n", " ")) if re.search(r"\w", s)]


def _check(sentence: str, vector: np.ndarray, ev: Evidence) -> tuple[Verdict, int | None]:
    """Verify against a passage without its flagged sentences (an injected sentence never backs a claim).

    Returns the verdict and the index (in the whole passage) of the closest kept sentence, or None.
    """
    kept = [i for i in range(len(ev.sentences)) if i not in ev.excluded]
    if not kept:
        return Verdict(False, 0.0, 0.0, -1, "only flagged text"), None
    text = "\n".join([ev.chunk.title, ev.chunk.heading, *(ev.sentences[i] for i in kept)])
    verdict = verify(sentence, vector, text, [ev.sentences[i] for i in kept], ev.vectors[kept])
    return verdict, kept[verdict.best_sentence]


def _best(sentence: str, vector: np.ndarray, evidence: list[Evidence]) -> tuple[Verdict, Evidence, int] | None:
    """The passage that verifies the sentence (the most similar when several do), else the closest one."""
    rows = [(v, ev, i) for ev in evidence for v, i in [_check(sentence, vector, ev)] if i is not None]
    return max(rows, key=lambda row: (row[0].verified, row[0].similarity)) if rows else None


def first_clause(sentence: str) -> str:
    """The sentence up to its first clause break ("X reaches 90.4%, with a precision of 50%" -> "X reaches 90.4%.")."""
    match = _CLAUSE.search(sentence)
    if not match or len(sentence[:match.start()].split()) < 4:
        return ""
    return sentence[:match.start()].rstrip(" ,;:-") + "."


def attribute(answer: str, evidence: list[Evidence], embedder: Embedder) -> Attribution:
    """Verify every sentence of ``answer`` against the passages and cite the one that backs it.

    A small model often tacks an invented clause onto a true statement; when a sentence fails but its
    first clause verifies on its own, that clause is kept (:attr:`CitedSentence.kept`).
    """
    sentences = split_answer(answer)
    if not sentences:
        return Attribution([])
    clauses = [first_clause(s) for s in sentences]
    vectors = embedder.encode(sentences + [c for c in clauses if c])
    clause_vectors = iter(vectors[len(sentences):])
    cited = []
    for sentence, clause, vec in zip(sentences, clauses, vectors, strict=False):
        clause_vec = next(clause_vectors) if clause else None
        if _ABSTAIN.search(sentence):
            cited.append(CitedSentence(sentence, None, 0.0, True, "abstains"))
            continue
        best = _best(sentence, vec, evidence)
        if best is None:
            cited.append(CitedSentence(sentence, None, 0.0, False, "no passage to support it"))
            continue
        verdict, ev, closest = best
        item = CitedSentence(sentence, ev.number, verdict.similarity, verdict.verified, verdict.reason, closest)
        if talks_about_evidence(sentence, ev.chunk.text):
            # copying the passage makes it "supported", but the claim is about a quote, not an answer
            item.supported, item.note = False, META_NOTE
        if not item.supported and clause_vec is not None:
            part = _best(clause, clause_vec, evidence)
            if part is not None and part[0].verified and not talks_about_evidence(clause, part[1].chunk.text):
                item.kept, item.kept_citation = clause, part[1].number
        cited.append(item)
    return Attribution(cited)
