"""The answer a visitor reads: a short verified lead, then quoted facts, each with its citation.

Only verified sentences are shown as the answer:

- the model's first sentence that passes :func:`src.rag.verify.verify` against a passage becomes
  the lead; a sentence that fails is replaced by the closest sentence of its passage, quoted
  verbatim with its citation (when that sentence is relevant and not already shown), or dropped;
- the extracted facts (:mod:`src.rag.extract`) follow as verbatim quotes, each cited and labelled
  with its provenance ("from your upload" or "from this portfolio");
- connective notes ("The documents disagree…", "I found only part…") are the app's own words
  about the evidence, not claims taken from it, so they are not counted in faithfulness.

The raw generation is kept, with its own per-sentence verification, for the "What the model
wrote (unverified)" panel. The same path runs whatever the backend, so verification looks the
same for SmolLM2, a larger GGUF or an OpenAI-compatible server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from src.rag.cite import Attribution, Faithful
from src.rag.extract import GENERIC, Candidate, Extraction, content_terms, mentioned
from src.rag.prompt import SHOWN_CHARS, Evidence, ev_sentence
from src.rag.retrieve import tokenize

#: A lead's passage sentence, or a replacement quote, must be at least this close to the question.
RELEVANT = 0.3
#: The "found only part" note appears when the facts cover less than this share of the question's words.
MIN_COVERAGE = 0.6
NO_LEAD = "What the documents say:"
CONFLICT = "The documents disagree on this; both claims are shown with their sources, and neither is preferred:"


@dataclass
class ShownSentence:
    """One sentence of the shown answer."""

    text: str
    kind: str  # lead | quote | note
    citation: int | None = None
    source: str = ""
    provenance: str = ""  # "from your upload" | "from this portfolio"
    verified: bool = True
    role: str = ""  # "" | "conflict" | "replaces a model sentence"


@dataclass
class ShownAnswer(Faithful):
    """The verified answer, sentence by sentence: every sentence but a note is a claim, backed when verified."""

    sentences: list[ShownSentence] = field(default_factory=list)
    is_claim = staticmethod(lambda s: s.kind != "note")
    backed = staticmethod(lambda s: s.verified)

    @property
    def text(self) -> str:
        """Plain text with [n] citations (for feedback records, evaluation and logs)."""
        parts = []
        for s in self.sentences:
            if s.kind == "quote":
                parts.append(f"“{s.text}” [{s.citation}]")
            elif s.kind == "lead":
                parts.append(f"{s.text} [{s.citation}]")
            else:
                parts.append(s.text)
        return " ".join(parts)


def _quote(ev: Evidence, index: int, role: str = "") -> ShownSentence:
    return ShownSentence(ev_sentence(ev, index, SHOWN_CHARS), "quote", ev.number, ev.chunk.source, ev.provenance,
                         True, role)


_MULTI_PART = re.compile(r"\band\b|\bboth\b|\bas well as\b|\balso\b|,|;|\?.+\?", re.IGNORECASE)


def is_multi_part(question: str) -> bool:
    """Questions asking two things ("X, and Y?"): the ones an answer can cover only partly."""
    return bool(_MULTI_PART.search(question))


def restates(sentence: str, question: str) -> bool:
    """True when a sentence only repeats the question's words ("The sentiment model handles long reviews.")."""
    words = set(tokenize(sentence))
    return bool(question) and words <= set(tokenize(question)) | GENERIC


def _on_topic(ev: Evidence, index: int, qvec: np.ndarray | None) -> bool:
    """True when passage sentence ``index`` is at least :data:`RELEVANT` close to the question. A verified
    lead must pass it too: a true sentence about something else ("the leaderboard shows mean and
    standard deviation" for a fairness question) is not an answer."""
    return qvec is None or index < 0 or float(ev.vectors[index] @ qvec) >= RELEVANT


def _lead(raw: Attribution, evidence: list[Evidence], qvec: np.ndarray | None, shown: set[tuple[int, int]],
          question: str) -> tuple[ShownSentence | None, list[ShownSentence]]:
    """The lead (first verified model sentence among the first two) and quoted replacements of failing ones."""
    by_number = {ev.number: ev for ev in evidence}
    lead, replacements = None, []
    for cited in raw.sentences[:2]:
        if cited.note == "abstains" or len(cited.text.split()) < 3 or restates(cited.text, question):
            continue
        ev = by_number.get(cited.citation) if cited.citation else None
        if cited.supported and ev is not None and lead is None and _on_topic(ev, cited.closest, qvec):
            lead = ShownSentence(cited.text, "lead", ev.number, ev.chunk.source, ev.provenance)
            continue
        part = by_number.get(cited.kept_citation) if cited.kept_citation else None
        if cited.kept and part is not None and lead is None and not restates(cited.kept, question):
            lead = ShownSentence(cited.kept, "lead", part.number, part.chunk.source, part.provenance,
                                 role="first clause of a model sentence")
            continue
        if cited.supported or ev is None or cited.closest < 0 or (ev.number, cited.closest) in shown:
            continue
        if cited.closest in ev.excluded:
            continue  # never quote a flagged sentence
        if _on_topic(ev, cited.closest, qvec) and cited.similarity >= 0.5:
            replacements.append(_quote(ev, cited.closest, "replaces a model sentence"))
            shown.add((ev.number, cited.closest))
    return lead, replacements


def unmentioned(missing: list[str], evidence: list[Evidence]) -> list[str]:
    """The question words no passage mentions at all (stems and compounds, :func:`mentioned`).

    The note says "nothing in these passages mentions ...", so it is checked against every passage
    shown, not only the quoted facts: a word the passages use elsewhere is not missing from them.
    """
    words: set[str] = set()
    for ev in evidence:
        kept = [s for i, s in enumerate(ev.sentences) if i not in ev.excluded]
        text = " ".join([ev.chunk.title, ev.chunk.heading, *kept])
        words |= set(tokenize(text)) | set(tokenize(text.replace("-", " ")))
    return [w for w in missing if not any(mentioned(stem, words) for stem in tokenize(w) or [w.lower()])]


def compose(extraction: Extraction, evidence: list[Evidence], raw: Attribution | None,
            qvec: np.ndarray | None = None, question: str = "") -> ShownAnswer:
    """Build the shown answer from the extracted facts and the checked generation."""
    by_number = {ev.number: ev for ev in evidence}
    shown: set[tuple[int, int]] = {(c.passage, c.index) for c in extraction.facts + extraction.conflicts}
    lead, replacements = _lead(raw, evidence, qvec, shown, question) if raw else (None, [])
    question_terms = len(content_terms(question))
    answer = ShownAnswer([lead] if lead else [ShownSentence(NO_LEAD, "note")] if extraction.facts else [])

    def add(candidates: list[Candidate], role: str = "") -> None:
        for c in candidates:
            answer.sentences.append(_quote(by_number[c.passage], c.index, role))

    if extraction.conflicts:
        add(extraction.facts[:1])
        answer.sentences.append(ShownSentence(CONFLICT, "note"))
        add(extraction.conflicts, "conflict")
        add(extraction.facts[1:])
    else:
        add(extraction.facts)
    answer.sentences.extend(replacements)
    missing = unmentioned(extraction.missing, evidence)
    coverage = 1 - len(missing) / question_terms if question_terms else 1.0
    if extraction.facts and ((is_multi_part(question) and coverage < MIN_COVERAGE)
                             or (len(missing) >= 2 and coverage <= 0.5)):
        words = ", ".join(f"“{w}”" for w in missing[:5])
        answer.sentences.append(ShownSentence(
            f"I found only part of the answer: nothing in these passages mentions {words}.", "note"))
    return answer
