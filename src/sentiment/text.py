"""Input checks, sentence splitting and token-budget chunking: the text side, with no model inside.

Nothing here truncates: a text too long for the model is split into chunks on sentence
boundaries, and a text too long for the app is refused with a message that says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

#: The longest text the app accepts (about 40 pages of prose would be ~100k characters).
MAX_CHARS = 20_000

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n\s*\n|\n(?=\s*[-*•\d])")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|\[[^\]]*\]\([^)]*\)|(^|\n)\s*#{1,6}\s|\*\*[^*]+\*\*|`[^`]+`")


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words for a rough "is this English?" check. A heuristic, not a language model: it
# counts very common words of a few languages that rarely appear in English text.
_ENGLISH = _vocab("the a an and or but of to in on at for with is are was were be been it this that these "
                  "those i you he she we they my your not no very so too have has had do does did")
_OTHER = {
    "Spanish": _vocab("el los las del una por para con pero muy es está esta estoy fue y que"),
    "French": _vocab("le les des une est et pas très avec pour dans sur mais ce cette je nous vous était"),
    "German": _vocab("der das und ist nicht ein eine sehr mit für auf ich wir sie aber zu den dem"),
    "Italian": _vocab("il gli della una è non molto con per che sono era ma questo questa"),
    "Portuguese": _vocab("os uma não muito com para é que são foi mas este esta isso"),
    "Dutch": _vocab("het een niet zeer met voor ik wij zij maar dit deze zijn en van"),
}


class InputError(ValueError):
    """The text cannot be scored; ``str(exc)`` is a message for the person who typed it."""


@dataclass
class CheckedText:
    """A text that passed the checks, plus notes on what was changed or flagged."""

    text: str
    notes: list[str] = field(default_factory=list)


def _letters(text: str) -> list[str]:
    return [ch for ch in text if ch.isalpha()]


def guess_language(text: str) -> str | None:
    """A heuristic guess at a non-English language, or None when the text looks English.

    Two signals: the share of letters outside the Latin script, and whether common function words
    of another language outnumber English ones. Short texts are given the benefit of the doubt.
    """
    letters = _letters(text)
    if letters:
        non_latin = sum(1 for ch in letters if "LATIN" not in unicodedata.name(ch, "")) / len(letters)
        if non_latin > 0.3:
            return "a non-Latin script"
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(w in _ENGLISH for w in words)
    best, hits = max(((lang, sum(w in vocab for w in words)) for lang, vocab in _OTHER.items()),
                     key=lambda pair: pair[1])
    if hits >= 2 and hits > 2 * english:
        return best
    return None


def has_markup(text: str) -> bool:
    """True when the text contains HTML tags or markdown syntax (the app shows it as plain text)."""
    return bool(_MARKUP.search(text))


def check_text(text: object, *, max_chars: int = MAX_CHARS) -> CheckedText:
    """Validate and clean one text, or raise :class:`InputError` with a message a visitor understands."""
    if not isinstance(text, str):
        raise InputError("Expected text, got " + type(text).__name__ + ".")
    notes: list[str] = []
    control = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t")
    if control:
        text = "".join(ch for ch in text if not (unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t"))
        notes.append(f"Removed {control} invisible control character{'s' * (control > 1)}.")
    text = text.strip()
    if not text:
        raise InputError("The text is empty. Type or paste a sentence or a review.")
    if len(text) > max_chars:
        raise InputError(f"The text has {len(text):,} characters; the limit is {max_chars:,}. "
                         "Paste a shorter excerpt (nothing was analysed, so nothing was cut without telling you).")
    if not _WORD.search(text):
        raise InputError("There are no words to read here (only emoji, digits or symbols). "
                         "These models read English words; emoji are not part of their training data.")
    language = guess_language(text)
    if language is not None:
        raise InputError(f"This looks like {language}, not English (a simple heuristic on scripts and common "
                         "words). The models were trained on English movie reviews only, so any label would be "
                         "a guess: this is out of scope.")
    if has_markup(text):
        notes.append("The text contains HTML or markdown; it is analysed and shown as plain text.")
    return CheckedText(text, notes)


def split_sentences(text: str) -> list[str]:
    """Split on sentence-final punctuation, blank lines and list items (a light rule, no model)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunk_text(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Pack whole sentences greedily into chunks of at most ``max_tokens`` tokens.

    A single sentence longer than the budget is split into word windows; every word ends up in
    exactly one chunk, in order, so nothing is dropped.
    """
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        for piece in _fit(sentence, count_tokens, max_tokens):
            size = count_tokens(piece)
            if current and used + size > max_tokens:
                chunks.append(" ".join(current))
                current, used = [], 0
            current.append(piece)
            used += size
    if current:
        chunks.append(" ".join(current))
    return chunks


def _fit(sentence: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """The sentence itself, or word windows of it when it alone exceeds the budget."""
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    pieces, window = [], []
    for word in sentence.split():
        if window and count_tokens(" ".join([*window, word])) > max_tokens:
            pieces.append(" ".join(window))
            window = []
        window.append(word)
    if window:
        pieces.append(" ".join(window))
    return pieces


def combine(probs: list[float], sizes: list[int]) -> float:
    """Confidence-weighted P(positive) of several chunks.

    Each chunk weighs its token count times its confidence ``|2p - 1|``: a long, clear chunk
    counts more than a short or undecided one. All-undecided chunks give 0.5.
    """
    weights = [n * abs(2 * p - 1) for p, n in zip(probs, sizes, strict=True)]
    total = sum(weights)
    if total == 0:
        return 0.5
    return sum(w * p for w, p in zip(weights, probs, strict=True)) / total
