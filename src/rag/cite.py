"""Sentence-level citations and a faithfulness score, by embedding similarity (offline, no judge model).

Each answer sentence is compared with every sentence of the retrieved passages. Its citation is
the passage holding the most similar sentence; it counts as supported when that similarity
reaches :data:`SUPPORT_THRESHOLD` (or it is fairly close and nearly all its words are in that
passage) and every number it states also appears in that passage (a tiny model likes to paraphrase
"0.86" into "0.68"). Faithfulness is the share of supported
sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from src.rag.chunking import split_sentences
from src.rag.embed import Embedder
from src.rag.prompt import Evidence
from src.rag.retrieve import tokenize

SUPPORT_THRESHOLD = 0.6
#: A short answer ("Alex Rivera.") embeds far from a whole sentence, so a sentence also counts as
#: supported when it is fairly similar and nearly all of its words are in the passage.
LEXICAL_THRESHOLD = 0.45
LEXICAL_RECALL = 0.8
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ABSTAIN = re.compile(r"documents? (don't|do not|doesn't|does not) (say|cover)", re.IGNORECASE)


@dataclass
class CitedSentence:
    """One sentence of an answer and the passage that best supports it."""

    text: str
    citation: int | None  # evidence number, None when nothing is close
    similarity: float
    supported: bool
    #: Why a sentence is unsupported, or "abstains" for "the documents don't say".
    note: str = ""


@dataclass
class Attribution:
    """Citations for a whole answer."""

    sentences: list[CitedSentence]

    @property
    def claims(self) -> list[CitedSentence]:
        return [s for s in self.sentences if s.note != "abstains"]

    @property
    def faithfulness(self) -> float | None:
        """Share of claim sentences that are supported; None when the answer makes no claim."""
        claims = self.claims
        return sum(s.supported for s in claims) / len(claims) if claims else None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def attribute(answer: str, evidence: list[Evidence], embedder: Embedder,
              threshold: float = SUPPORT_THRESHOLD) -> Attribution:
    """Link every sentence of ``answer`` to its best-supporting passage."""
    sentences = [s for s in split_sentences(answer.replace("\n", " ")) if re.search(r"\w", s)]
    if not sentences:
        return Attribution([])
    pool = [(ev.number, vec) for ev in evidence for vec in ev.vectors]
    vectors = embedder.encode(sentences)
    cited = []
    for sentence, vec in zip(sentences, vectors, strict=True):
        if _ABSTAIN.search(sentence):
            cited.append(CitedSentence(sentence, None, 0.0, True, "abstains"))
            continue
        if not pool:
            cited.append(CitedSentence(sentence, None, 0.0, False, "no passage to support it"))
            continue
        sims = np.array([float(v @ vec) for _, v in pool])
        best = int(sims.argmax())
        number, similarity = pool[best][0], float(sims[best])
        passage = next(ev for ev in evidence if ev.number == number)
        missing = _numbers(sentence) - _numbers(passage.chunk.indexed_text)
        words = set(tokenize(sentence))
        recall = len(words & set(tokenize(passage.chunk.indexed_text))) / len(words) if words else 0.0
        close_enough = similarity >= threshold or (similarity >= LEXICAL_THRESHOLD and recall >= LEXICAL_RECALL)
        if not close_enough:
            cited.append(CitedSentence(sentence, number, similarity, False, "no passage says this"))
        elif missing:
            cited.append(CitedSentence(sentence, number, similarity, False,
                                       f"{', '.join(sorted(missing))} is not in the passage"))
        else:
            cited.append(CitedSentence(sentence, number, similarity, True))
    return Attribution(cited)
