"""Input guardrails: cap questions, spot other languages, and flag instructions hidden in documents.

Documents are data. Text in a retrieved passage that reads like an instruction to the model
("ignore previous instructions...") is flagged and kept out of the prompt, and the quoting in
:mod:`src.rag.prompt` stops a passage from closing its own quote block. Tool routing looks at the
visitor's question only, never at document text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Longest question we process; longer input is cut and the visitor is told.
MAX_QUESTION_CHARS = 1000

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|system|your)\b.{0,30}"
    r"\b(instructions?|prompts?|rules?|messages?|context)\b"
    r"|\b(you are now|act as|pretend to be|new instructions?|system prompt|developer mode|jailbreak)\b"
    r"|^\W*(please\s+)?(call|use|invoke|run)\b.{0,30}\b(tool|function|predictor)\b"
    r"|\b(reply|respond|answer|say|print|output)\b.{0,20}\b(only|exactly|with)\b.{0,20}[\"'“]",
    re.IGNORECASE | re.DOTALL | re.MULTILINE,
)

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Small function-word lists: enough to tell a question's language, not a general-purpose detector.
_FUNCTION_WORDS = {
    "English": _words("the is are was what how why which who does do did of and to in for with on can you this that "
                      "a an as at be by from it not or so"),
    "Spanish": _words("el la los las es son qué cómo por para con una del que está fue cuál modelo datos"),
    "French": _words("le la les est sont que quoi comment pourquoi pour avec une des du qui quel quelle été"),
    "German": _words("der die das ist sind was wie warum für mit ein eine und nicht wurde welche wer den dem"),
    "Portuguese": _words("o a os as é são que como por para com uma do da qual foi não está"),
    "Italian": _words("il lo la gli le è sono che come perché per con una del della quale stato"),
    "Dutch": _words("de het is zijn wat hoe waarom voor met een van niet welke wie"),
}
_SCRIPTS = {"CJK": "Chinese/Japanese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Korean",
            "CYRILLIC": "Russian or another Cyrillic-script language", "ARABIC": "Arabic", "HEBREW": "Hebrew",
            "GREEK": "Greek", "DEVANAGARI": "Hindi or another Devanagari-script language", "THAI": "Thai"}


@dataclass(frozen=True)
class CappedText:
    """A question after capping, with whether it was cut."""

    text: str
    was_capped: bool
    original_length: int


def cap_question(text: str, limit: int = MAX_QUESTION_CHARS) -> CappedText:
    """Strip control characters and cut to ``limit`` characters at a word boundary."""
    clean = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if len(clean) <= limit:
        return CappedText(clean, False, len(text))
    cut = clean[:limit]
    cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2:] else cut
    return CappedText(cut.strip(), True, len(text))


def detect_language(text: str) -> str:
    """Best guess of the question's language ("English" when unsure: we never refuse English by mistake)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "English"
    scripts: dict[str, int] = {}
    for ch in letters:
        if ord(ch) < 0x250:
            continue
        name = unicodedata.name(ch, "")
        for key in _SCRIPTS:
            if name.startswith(key) or f" {key}" in name:
                scripts[key] = scripts.get(key, 0) + 1
                break
    if scripts and sum(scripts.values()) > 0.3 * len(letters):
        return _SCRIPTS[max(scripts, key=scripts.get)]
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 3:
        return "English"
    # a word English also uses ("a", "as", "is", "was") is no evidence of another language: "Can a model be
    # used as a service?" counted three Portuguese words and was refused
    english = _FUNCTION_WORDS["English"]
    counts = {lang: sum(w in vocab and (lang == "English" or w not in english) for w in words)
              for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(counts, key=counts.get)
    if best != "English" and counts[best] >= 2 and counts[best] > 1.5 * counts["English"]:
        return best
    return "English"


def looks_like_injection(text: str) -> bool:
    """True when text reads like an instruction aimed at the model rather than content."""
    return bool(_INJECTION.search(text))
