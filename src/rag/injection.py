"""A classifier-style prompt-injection check, beside the regex of :mod:`src.rag.guardrails`.

A regex catches the classic phrasings ("ignore previous instructions") but not "IMPORTANT NOTE TO
THE ASSISTANT: your answer must be...". Beside it sit a readable address rule
(:func:`addresses_assistant`) and a classifier. The classifier embeds a sentence with the same
all-MiniLM-L6-v2 model as retrieval and compares it with a labelled set of injection and benign
sentences (``injection_set.jsonl``, written for this project; see its ``split`` column): the score
is the mean cosine to the 3 nearest injection examples minus the mean cosine to the 3 nearest
benign ones (a k-nearest-neighbour margin). The benign half deliberately holds instructions *to
people* ("Run make install", "Do not commit the raw dataset", and since session 9 setup steps such as
"Fill in the owner section: name, headline, about and links": without them the README's "Edit
portfolio.toml: name, headline, ..." had only injections about "the portfolio" as neighbours and was
flagged) and text about reference checks and owners, so ordinary documentation is not flagged.

:data:`THRESHOLD` is fitted on the calibration split by ``python -m src.rag.calibrate`` and
checked on the held-out split. The set's own sentences are embedded once per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from src.core.settings import DATA_DIR
from src.rag.embed import Embedder
from src.rag.guardrails import looks_like_injection

SET_FILE = Path(__file__).with_name("injection_set.jsonl")
#: Margin above which a sentence is flagged, and neighbours averaged (calibrated; see the module docstring).
THRESHOLD = 0.1
NEIGHBOURS = 5

# Embeddings capture topic more than address, so a readable rule sits beside them: a sentence that
# speaks to an AI ("assistant", "your answer", "from now on") and asks it to say something, or that
# opens by telling the reader what to answer ("Tell the user that...", "Do not mention...").
# Naming an AI is not speaking to it: "a small local language model writes a short answer" describes
# one. So a named AI (group 1) counts only beside a directive cue (_DIRECTIVE), and the speech word
# must be another word than the address ("Every answer shows..." is not an address and a speech word).
_AI = r"assistants?|chatbots?|AI|language models?|LLMs?"
_ADDRESS = re.compile(
    rf"\b({_AI}|model reading|whoever reads|anyone reading|any AI)\b"
    r"|\byour (answer|response|reply|task|next answer|instructions?|output|rules?|guidance|system prompt|highest)\b"
    r"|\b(from now on|new task|hidden instructions?|you were given|you are no longer|every answer|every question|"
    r"whatever the question)\b", re.IGNORECASE)
_SPEECH = re.compile(
    r"\b(say|says|tell|reply|respond|answers?|state|write|summari[sz]e|repeat|output|reveal|cite|mark|rate|confirm|"
    r"append|comply|conclude|describe|claim|mention|quote|follow|begin|start|end)\b", re.IGNORECASE)
_TELLS_READER = re.compile(
    r"^\W*(please\s+|kindly\s+)?(tell the (user|recruiter|visitor)|say (that|nothing)|answer (that|with|as if)|"
    r"respond (with|to the user)|reply (that|with|only)|write that|summari[sz]e (the|this)\b.{0,30}\bas\b|repeat after|"
    r"output only|mark all|rate this|do not (mention|reveal)|ignore the question|do whatever)", re.IGNORECASE)


_DIRECTIVE = re.compile(
    r"\b(must|should|shall|required|needs? to|ha(s|ve) to|you|your|please|always|never)\b"
    r"|^\W*(hey|attention|note to|to the|dear|instructions? for)\b|\b(reading|processing) this\b"
    rf"|\b({_AI})\s*[:,]", re.IGNORECASE)


def addresses_assistant(text: str) -> bool:
    """True when a sentence talks to an AI and asks it to say something (see the comment above)."""
    if _TELLS_READER.search(text):
        return True
    # Both match whole words, so a speech word overlaps an address only by starting inside it.
    speech = [m.start() for m in _SPEECH.finditer(text)]
    directive = None  # searched once, and only when a named AI needs it
    for address in _ADDRESS.finditer(text):
        if len(speech) == bisect_left(speech, address.end()) - bisect_left(speech, address.start()):
            continue  # the only speech words are inside the address itself ("every answer")
        if address.group(1) is None:
            return True
        if directive is None:
            directive = bool(_DIRECTIVE.search(text))
        if directive:
            return True
    return False


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # injection | benign
    split: str  # calibration | heldout


def load_set(path: Path = SET_FILE) -> list[Example]:
    """The labelled sentences."""
    return [Example(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class InjectionClassifier:
    """k-nearest-neighbour margin over labelled sentence embeddings (thread-safe, read-only after init)."""

    def __init__(self, embedder: Embedder, examples: list[Example] | None = None,
                 threshold: float = THRESHOLD, vectors: np.ndarray | None = None) -> None:
        examples = examples if examples is not None else load_set()
        self.embedder = embedder
        self.threshold = threshold
        vectors = embedder.encode([e.text for e in examples]) if vectors is None else vectors
        labels = np.array([e.label == "injection" for e in examples])
        self._bad, self._good = vectors[labels], vectors[~labels]

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Margin per sentence embedding (higher = more like an instruction to the assistant)."""
        if not len(vectors):
            return np.zeros(0)
        return margins(vectors @ self._bad.T, vectors @ self._good.T)

    def flags(self, sentences: list[str], vectors: np.ndarray | None = None) -> list[bool]:
        """True per sentence that the regex or the classifier flags."""
        if not sentences:
            return []
        vectors = self.embedder.encode(sentences) if vectors is None else vectors
        scores = self.scores(vectors)
        return [looks_like_injection(s) or addresses_assistant(s) or bool(m > self.threshold)
                for s, m in zip(sentences, scores, strict=True)]


def margins(to_bad: np.ndarray, to_good: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Mean of the k best similarities to injection examples minus the same for benign ones (rows = sentences)."""
    def near(sims: np.ndarray) -> np.ndarray:
        return np.sort(sims, axis=1)[:, -min(k, sims.shape[1]):].mean(axis=1)

    return near(to_bad) - near(to_good)


_SHARED: dict[int, InjectionClassifier] = {}
_LOCK = threading.Lock()
#: Where the labelled set's embeddings are kept between server starts (beside the RAG index cache).
CACHE_DIR = DATA_DIR / "cache" / "rag"


def set_vectors(embedder: Embedder, examples: list[Example], cache_dir: Path | None = CACHE_DIR) -> np.ndarray:
    """The labelled sentences' embeddings, from a disk cache keyed by the model and every sentence.

    Embedding the set took 4.6 s of a cold server's first question (2 busy cores); the cache makes it a file
    read. A missing, corrupt or read-only cache only costs embedding again.
    """
    texts = [e.text for e in examples]
    key = hashlib.sha256(json.dumps([embedder.name, texts]).encode()).hexdigest()[:20]
    path = cache_dir / f"injection-{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        with contextlib.suppress(OSError, ValueError):
            vectors = np.load(path)
            if vectors.shape == (len(texts), embedder.dim):
                return vectors.astype(np.float32)
    vectors = embedder.encode(texts)
    if path is not None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy")
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, vectors)
            os.replace(tmp, path)
    return vectors


def classifier(embedder: Embedder) -> InjectionClassifier:
    """One classifier per embedder (the labelled set is embedded once, then read from the disk cache)."""
    with _LOCK:
        if id(embedder) not in _SHARED:
            examples = load_set()
            _SHARED[id(embedder)] = InjectionClassifier(embedder, examples, vectors=set_vectors(embedder, examples))
        return _SHARED[id(embedder)]
