"""Input checks, sentence splitting, chunking and combination, on texts built here."""

from __future__ import annotations

import pytest

from src.sentiment.model import load_tokenizer
from src.sentiment.text import MAX_CHARS, InputError, check_text, chunk_text, combine, guess_language, split_sentences


@pytest.mark.parametrize("bad", ["", "   \n\t  ", "😀🎉👍", "12345 !!! ???"])
def test_empty_or_wordless_text_is_refused(bad):
    with pytest.raises(InputError):
        check_text(bad)


def test_too_long_text_is_refused_with_the_limit_in_the_message():
    with pytest.raises(InputError, match=f"{MAX_CHARS:,}"):
        check_text("word " * 20_000)  # 100,000 characters


@pytest.mark.parametrize("text", [
    "La comida estaba fría y el servicio fue muy lento, pero el lugar es bonito.",
    "Le service était très lent et le repas pas bon du tout.",
    "Das Essen war nicht gut und der Service war sehr langsam.",
    "这家餐厅的服务很好，菜也很好吃。",
    "Обслуживание было ужасным.",
])
def test_other_languages_are_out_of_scope(text):
    assert guess_language(text) is not None
    with pytest.raises(InputError, match="heuristic"):
        check_text(text)


@pytest.mark.parametrize("text", ["not bad", "Terrible service, cold food, rude waiter.",
                                  "I would happily go back to this place tomorrow."])
def test_english_passes(text):
    assert check_text(text).text == text


def test_control_characters_are_removed_and_reported():
    checked = check_text("Great\x00 phone\x07 case\u200b!")
    assert checked.text == "Great phone case!"
    assert any("control" in note for note in checked.notes)


def test_markup_is_kept_as_text_and_flagged():
    raw = "<script>alert(1)</script> **lovely** [film](http://x)"
    checked = check_text(raw)
    assert checked.text == raw
    assert any("plain text" in note for note in checked.notes)


def test_split_sentences():
    text = "The soup was cold. The bread was fresh! Would I return? Yes.\n\nA new paragraph"
    assert split_sentences(text) == ["The soup was cold.", "The bread was fresh!", "Would I return?", "Yes.",
                                     "A new paragraph"]


def test_chunks_fit_the_budget_and_keep_every_word():
    tokenizer = load_tokenizer()

    def count(s: str) -> int:
        return len(tokenizer(s, add_special_tokens=False)["input_ids"])

    sentences = [f"Sentence number {i} talks about the {'very ' * (i % 7)}friendly staff." for i in range(60)]
    sentences.append("An endless run-on sentence " + "and then more words " * 60 + "ends here.")
    text = " ".join(sentences)
    chunks = chunk_text(text, count, 40)
    assert len(chunks) > 5
    assert all(count(c) <= 40 for c in chunks)
    assert " ".join(chunks).split() == text.split()  # nothing dropped, order kept


def test_combine_weights_confident_long_chunks():
    assert combine([0.9, 0.5], [10, 10]) == pytest.approx(0.9)  # an undecided chunk does not dilute
    assert combine([0.9, 0.2], [10, 40]) < 0.5  # the long confident negative chunk wins
    assert combine([0.5, 0.5], [3, 3]) == 0.5
