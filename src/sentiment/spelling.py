"""Spelling correction of the served model's input: a misspelt word is read as the common word one edit away.

Why: WordPiece splits a misspelt word into unrelated pieces ("wrost" is not "worst" to MiniLM), and the
TF-IDF model's character n-grams share too little with the right word when the typo sits in a short word,
so both parts misread "The wrost meal I have evr had." as positive. SymSpell (the ``symspellpy`` package,
MIT, with its own English frequency list) finds the correction in microseconds.

Conservative by design, because a wrong "correction" can change a correct sentence:

- only a word the full 82,765-word list does not know is touched (names the list knows stay as typed);
- only one edit (insert, delete, replace, or swap of two neighbours: most typos are one edit), and only to a
  *common* word (:data:`MIN_COUNT`, ~22,000 words), so a rare or foreign name is not turned into another
  rare word ("kwame" is left alone instead of becoming "kame");
- a capitalised word inside a sentence is taken for a name and left alone;
- words of fewer than :data:`MIN_LENGTH` letters, with an apostrophe or a letter outside a-z, and words joined
  to a hyphen (parts of compounds, and Penn Treebank escapes such as "-lrb-") are left alone.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: The frequency list shipped inside symspellpy (word, count in its web corpus).
DICTIONARY = "frequency_dictionary_en_82_765.txt"
#: A correction must be a word seen at least this often in that corpus (the ~22,000 most common words).
MIN_COUNT = 1_000_000
MIN_LENGTH = 3
MAX_EDITS = 1
#: Key in the artifact's config.json: present (the settings above) when the models read corrected text.
SPELLING_KEY = "spelling"


def settings() -> dict[str, object]:
    """What an artifact's config records about the correction its figures were measured with."""
    return {"library": "symspellpy", "dictionary": DICTIONARY, "max_edits": MAX_EDITS, "min_count": MIN_COUNT,
            "min_length": MIN_LENGTH}


#: A word: letters (any script, so "cliché" is one word, not "clich" + "é"), with an optional apostrophe part.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SENTENCE_END = re.compile(r"[.!?]")


@dataclass(frozen=True)
class Correction:
    """One word read differently: ``typed`` -> ``read``."""

    typed: str
    read: str


class Speller:
    """Known-word set plus a SymSpell index of the common words (built once, ~0.4 s).

    ``known``: more words to leave alone besides the frequency list (the models' own vocabularies: the list
    is British-leaning and lacks "humor" or "theater", which SST-2 uses).
    """

    def __init__(self, known: Iterable[str] = ()) -> None:
        from symspellpy import SymSpell

        path = importlib.resources.files("symspellpy") / DICTIONARY
        self.known: set[str] = set(known)
        self.sym = SymSpell(max_dictionary_edit_distance=MAX_EDITS, prefix_length=7)
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, count = line.partition(" ")
            self.known.add(word)
            if int(count) >= MIN_COUNT:
                self.sym.create_dictionary_entry(word, int(count))

    def suggest(self, word: str) -> str | None:
        """The common word one edit from an unknown lower-case ``word``, or None."""
        from symspellpy import Verbosity

        if word in self.known:
            return None
        found = self.sym.lookup(word, Verbosity.TOP, max_edit_distance=MAX_EDITS)
        return found[0].term if found else None

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """``text`` with its misspelt words replaced (case of the first letter kept), and what was changed."""
        out, changes, last, previous = [], [], 0, -1
        for match in _WORD.finditer(text):
            word, start = match.group(), match.start()
            # first word of the text, or the first after a full stop, question or exclamation mark
            sentence_start = previous < 0 or bool(_SENTENCE_END.search(text, previous, start))
            previous = match.end()
            hyphen = text[start - 1 : start] == "-" or text[match.end() : match.end() + 1] == "-"
            if ("'" in word or len(word) < MIN_LENGTH or not word.isascii() or hyphen
                    or (word[0].isupper() and not sentence_start) or word[1:] != word[1:].lower()):
                continue
            fixed = self.suggest(word.lower())
            if fixed is None:
                continue
            fixed = fixed.capitalize() if word[0].isupper() else fixed
            out.append(text[last:start] + fixed)
            last = match.end()
            changes.append(Correction(word, fixed))
        return "".join(out) + text[last:], changes

    def correct_many(self, texts: Iterable[str]) -> tuple[list[str], list[list[Correction]]]:
        """:meth:`correct` over ``texts``: (texts as read, corrections per text)."""
        fixed = [self.correct(t) for t in texts]
        return [f[0] for f in fixed], [f[1] for f in fixed]
