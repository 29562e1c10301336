"""Extractive answers: the sentences of the retrieved passages that answer the question.

A 135M model does not paraphrase reliably, so the facts shown to a visitor are sentences of the
passages, quoted verbatim. Each candidate sentence is scored by its embedding's cosine with the
question plus a sentence-level BM25 score (``rank-bm25`` over the candidates; the heading path
gives a sentence like "It reaches 90.36%." its subject), with a small bonus for passages retrieval
ranked higher. A sentence is read under its heading: its *relevance* is the better of its own
cosine and the cosine of its vector plus its heading's (a list item "Explainability: SHAP, Grad-CAM."
says little alone but answers "What skills does Alex have?" under "Tech stack and skills of Alex").
Sentences below :data:`MIN_SIMILARITY` relevance are never facts. Then:

- the best-scored relevant sentence is the first fact, when it scores at least :data:`RELATIVE_FLOOR`
  of the best-scored sentence overall (else nothing answers, and the turn refuses);
- a sentence that covers question words the facts so far miss is added, so an answer spread over
  two documents gets both (and when words stay uncovered, :attr:`Extraction.missing` says which);
- a sentence from *another document* that speaks of the same thing with different numbers is kept
  as a **conflict**: both claims are shown with their sources, never merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rank_bm25 import BM25Okapi

from src.rag.retrieve import tokenize
from src.rag.vocabulary import QUESTION_WORDS

#: How much the normalised sentence-BM25 score weighs next to the cosine (0..1 each).
BM25_WEIGHT = 0.35
#: Bonus per rank for passages retrieval ranked higher.
RANK_BONUS = 0.02
#: Extra facts must score at least this share of the best fact's score.
RELATIVE_FLOOR = 0.7
MAX_FACTS = 3
#: A list answers as a list: up to this many "Label: value" items (see :func:`list_run`).
MAX_LIST_ITEMS = 6
#: Two sentences this similar say the same thing (the second is not shown).
DUPLICATE = 0.9
#: Two sentences of different documents this similar speak of the same thing (conflict when numbers differ).
SAME_TOPIC = 0.6
#: No sentence this far from the question (relevance, see the module docstring) is an answer; when no
#: sentence reaches it the turn becomes a refusal with the closest passages. Before, only the best-*scored*
#: sentence was checked, so a list item lifted by BM25 on its heading refused the whole answer.
MIN_SIMILARITY = 0.25
#: An extra fact must be at least this close to the question (a shared word alone is not enough).
EXTRA_SIMILARITY = 0.3
#: Sentences shorter than this many words are headings or fragments, not facts, unless they are a
#: "Label: value" line ("Email: alex@example.com" in the profile's contact list).
MIN_WORDS = 4
_LABELLED = re.compile(r"^[A-Z][A-Za-z &/()'-]{0,40}:\s+\S")

#: Words that say what kind of answer is wanted, not what it is about: the question words and the portfolio's own.
GENERIC_WORDS = QUESTION_WORDS | frozenset(str.split(
    "model models demo use used using work works working explain describe mean means happen happens get gets way "
    "handle handles project portfolio app page upload uploaded document documents file files text say says"))
#: Their stems (for :func:`src.rag.compose.restates`).
GENERIC = frozenset(tokenize(" ".join(GENERIC_WORDS)))
#: Who is asked about and the verb that asks: in a portfolio chat "what does the author (this person) know
#: about X" and "what does this portfolio show" ask about X, and a sentence saying "author" or "shows" is no
#: better an answer for it. Phrases, not words: "a photo of a person" keeps its "person".
_ASKING = re.compile(r"\b(?:the|this|that|our|your)\s+(?:author|person|owner|candidate|applicant)\b"
                     r"|\b(?:know|knows|show|shows)\b", re.IGNORECASE)
_INFLECTIONS = ("s", "es", "d", "ed", "ing")
#: A question word this long counts as mentioned by a word it starts ("data" by "dataset", "drift" by "drifted").
MIN_PREFIX = 4


def is_fact_sized(sentence: str) -> bool:
    """True for a sentence long enough to be a fact, or a short "Label: value" line."""
    return len(sentence.split()) >= MIN_WORDS or bool(_LABELLED.match(sentence))


@dataclass(frozen=True)
class Candidate:
    """One sentence of one passage, with its score for the question."""

    passage: int  # evidence number (1-based)
    index: int  # sentence index inside the passage
    text: str
    score: float
    vector: np.ndarray = field(repr=False, compare=False)
    similarity: float = 0.0  # cosine with the question alone
    relevance: float = 0.0  # the better of that and the cosine read under the passage's heading


@dataclass
class Extraction:
    """The facts picked for an answer."""

    facts: list[Candidate]
    conflicts: list[Candidate] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # question words no fact covers


def is_generic(word: str) -> bool:
    """True for a generic question word or an inflection of one ("explained", "uses").

    Matched on the word, not its stem: Snowball stems "explainability" to "explain", which is generic.
    """
    word = word.lower()
    return word in GENERIC_WORDS or any(word.endswith(end) and word[:-len(end)] in GENERIC_WORDS
                                        for end in _INFLECTIONS)


def topic(question: str) -> str:
    """The question without who is asked about and the verb that asks (see :data:`_ASKING`)."""
    return _ASKING.sub(" ", question)


def content_terms(question: str) -> dict[str, str]:
    """Stem -> word for the question's content words (what the answer must be about)."""
    terms: dict[str, str] = {}
    for raw in topic(question).replace("?", " ").split():
        word = raw.strip(".,;:!\"'()").lower()
        if is_generic(word):
            continue
        for stem in tokenize(word):
            terms.setdefault(stem, word)
    return terms


def mentioned(stem: str, words: set[str]) -> bool:
    """True when ``words`` (stems) hold ``stem``, or a longer word built on it ("data" in "dataset").

    Stems already merge inflections (Snowball: "detected"/"detection" -> "detect"); the prefix rule
    adds compounds, which no stemmer joins.
    """
    return stem in words or (len(stem) >= MIN_PREFIX and any(w.startswith(stem) for w in words))


def _in_context(vec: np.ndarray, heading: np.ndarray | None) -> np.ndarray:
    """The sentence's vector read under its heading (their normalised sum), or the vector itself."""
    if heading is None:
        return vec
    both = vec + heading
    norm = float(np.linalg.norm(both))
    return both / norm if norm else vec


def candidates(question: str, qvec: np.ndarray, passages: list[tuple[int, str, list[str], np.ndarray]],
               skip: set[tuple[int, int]] | None = None,
               heading_vectors: dict[int, np.ndarray] | None = None) -> list[Candidate]:
    """Every usable sentence, best first. ``passages`` holds (number, heading path, sentences, vectors);
    ``heading_vectors`` the embedding of each passage's heading path (for :attr:`Candidate.relevance`)."""
    rows = [(number, i, s, vecs[i], heading) for number, heading, sentences, vecs in passages
            for i, s in enumerate(sentences)
            if is_fact_sized(s) and (number, i) not in (skip or set())]
    if not rows:
        return []
    tokens = [tokenize(f"{heading} {s}") or ["_"] for _, _, s, _, heading in rows]
    # "author", "know" or "show" would lift any sentence that uses them
    bm25 = BM25Okapi(tokens).get_scores(tokenize(topic(question)) or tokenize(question) or ["_"])
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / top if top > 0 else np.zeros(len(rows))
    ranks = sorted({number for number, *_ in rows})
    headings = heading_vectors or {}
    scored = []
    for (number, i, s, vec, _), lex in zip(rows, lexical, strict=True):
        similarity = float(vec @ qvec)
        relevance = max(similarity, float(_in_context(vec, headings.get(number)) @ qvec))
        # ranked by the sentence's own cosine: a heading that matches the question would lift every sentence
        # under it alike (measured on the tuning set: "Accuracy, per-class accuracy..." then beat "91.3%")
        score = similarity + BM25_WEIGHT * float(lex) + RANK_BONUS * (len(ranks) - ranks.index(number))
        scored.append(Candidate(number, i, s, score, vec, similarity, relevance))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def _covers(candidate: Candidate, headings: dict[int, str]) -> set[str]:
    text = f"{headings.get(candidate.passage, '')} {candidate.text}"
    # "OpenAI-compatible" covers a question's "OpenAI" too
    return set(tokenize(text)) | set(tokenize(text.replace("-", " ")))


_QUANTITY = re.compile(r"(?<![\w.-])(\d+(?:[.,]\d+)*)\s*(%|[A-Za-z]+)?")


def quantities(text: str) -> dict[str, set[str]]:
    """Numbers grouped by what they count: "%" or the stem of the next word ("24 minutes" -> {"minut": {"24"}})."""
    found: dict[str, set[str]] = {}
    for value, unit in _QUANTITY.findall(text):
        key = "%" if unit == "%" else (tokenize(unit) or [""])[0]
        if key:  # a bare number ("a 2-core CPU") says nothing about what it counts
            found.setdefault(key, set()).add(value.replace(",", ""))
    return found


def _disagrees(best: Candidate, other: Candidate, sources: dict[int, str]) -> bool:
    """Another document saying something about the same thing with other numbers (a conflict, shown as such)."""
    if sources.get(other.passage) == sources.get(best.passage):
        return False
    if float(other.vector @ best.vector) < SAME_TOPIC:
        return False
    mine, theirs = quantities(best.text), quantities(other.text)
    # the same kind of quantity ("% ...", "minutes") with no value in common: "90.36%" against "99%"
    return any(not mine[unit] & theirs[unit] for unit in mine.keys() & theirs.keys())


def answers_nothing(question: str, extraction: Extraction, ignore: frozenset[str] = frozenset()) -> bool:
    """True when the facts mention none of the question's content words (stems in ``ignore`` aside).

    Such facts are near the question in embedding space only: "What languages does Alex speak fluently?"
    drew "Alex Rivera built this portfolio..." (``ignore`` holds the owner's name, which every profile
    sentence mentions). On the tuning set no answered question had facts like that.
    """
    terms = {stem: word for stem, word in content_terms(question).items() if stem not in ignore}
    return bool(terms) and bool(extraction.facts) and all(word in extraction.missing for word in terms.values())


def list_run(best: Candidate, relevant: list[Candidate]) -> list[Candidate]:
    """``best`` and its neighbouring "Label: value" items of the same list, in document order.

    "What skills does Alex have?" is answered by the whole "Tech stack and skills" list, not by the
    three items that happened to score best; an item must still be near the question (EXTRA_SIMILARITY).
    """
    if not _LABELLED.match(best.text):
        return [best]
    items = {c.index: c for c in relevant if c.passage == best.passage and _LABELLED.match(c.text)
             and c.relevance >= EXTRA_SIMILARITY}
    items[best.index] = best
    low = high = best.index
    while high - low + 1 < MAX_LIST_ITEMS and (low - 1 in items or high + 1 in items):
        if high + 1 in items:
            high += 1
        else:
            low -= 1
    return [items[i] for i in range(low, high + 1)]


def pick(question: str, ranked: list[Candidate], sources: dict[int, str], headings: dict[int, str],
         max_facts: int = MAX_FACTS) -> Extraction:
    """Choose facts, missing-part words and conflicts from ranked candidates (see the module docstring)."""
    terms = content_terms(question)
    relevant = [c for c in ranked if c.relevance >= MIN_SIMILARITY]
    if not relevant:
        return Extraction([], missing=list(terms.values()))
    best = relevant[0]
    if best.score < ranked[0].score * RELATIVE_FLOOR:
        # the top-scored sentence is far from the question, and no relevant one scores nearly as well
        return Extraction([], missing=list(terms.values()))
    facts = [best]
    covered = _covers(best, headings)
    floor = best.score * RELATIVE_FLOOR
    for cand in relevant[1:]:
        if len(facts) >= max_facts or cand.score < floor:
            break
        if cand.relevance < EXTRA_SIMILARITY:
            continue
        if any(float(cand.vector @ f.vector) >= DUPLICATE for f in facts):
            continue
        words = _covers(cand, headings)
        adds = any(not mentioned(t, covered) and mentioned(t, words) for t in terms)
        same_passage_next = cand.passage == best.passage and abs(cand.index - best.index) == 1
        if adds or same_passage_next:
            facts.append(cand)
            covered |= _covers(cand, headings)
    run = list_run(best, relevant)
    if len(run) > 1:
        facts = run + [f for f in facts if f not in run][:max(0, max_facts - len(run))]
        covered = set().union(*(_covers(f, headings) for f in facts))
    conflicts = [c for c in ranked[:12] if c is not best and _disagrees(best, c, sources)][:1]
    facts = [f for f in facts if f not in conflicts]
    missing = [word for stem, word in terms.items() if not mentioned(stem, covered)]
    return Extraction(facts, conflicts, missing)
