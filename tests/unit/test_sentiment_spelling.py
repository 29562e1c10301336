"""Spelling correction of the sentiment models' input (symspellpy; no model needed)."""

from __future__ import annotations

import pytest

from src.sentiment.spelling import Speller


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(known=["kwame"])


def test_misspelt_words_one_edit_away_are_read_as_the_common_word(speller):
    read, fixes = speller.correct("The wrost meal I have evr had.")
    assert read == "The worst meal I have ever had."
    assert [(f.typed, f.read) for f in fixes] == [("wrost", "worst"), ("evr", "ever")]


def test_a_misspelt_first_word_keeps_its_capital(speller):
    assert speller.correct("Fantastc sound.")[0] == "Fantastic sound."


@pytest.mark.parametrize("text", [
    "Meryl Streep was there.",            # a capitalised word inside a sentence is a name
    "Our waiter, Kwame, was kind.",       # a word the caller knows (the models' vocabularies)
    "It was x-menn all over -lrb- sic -rrb-",  # joined to a hyphen
    "We watched it in the theatre at 8pm.",    # known words, digits
])
def test_known_words_names_and_hyphenated_parts_are_left_alone(speller, text):
    read, fixes = speller.correct(text)
    changed = {f.typed for f in fixes}
    assert not changed & {"Streep", "Kwame", "menn", "lrb", "rrb", "theatre", "pm"}
    assert len(read.split()) == len(text.split())


def test_correction_is_idempotent_and_keeps_everything_else(speller):
    once, _ = speller.correct("A borring,  predictible story!! 10/10")
    assert once == "A boring,  predictable story!! 10/10"
    assert speller.correct(once) == (once, [])


def test_a_word_with_no_common_neighbour_is_left_as_typed(speller):
    assert speller.correct("Oluwaseun sang.")[0] == "Oluwaseun sang."
