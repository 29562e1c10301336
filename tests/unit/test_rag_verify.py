"""Verification checks the whole claim: a subject glued onto another clause's predicate is not verified.

The case that started it (session 9): asked "Which model serves the sentiment page?", SmolLM2 wrote
"The model serving the sentiment page is a fine-tuned transformer." and it was shown as a verified,
cited lead, although the passage says the page serves a calibrated blend.
"""

from __future__ import annotations

import pytest

from src.rag.chat import Assistant
from src.rag.chunking import split_sentences
from src.rag.compose import NO_LEAD
from src.rag.embed import shared
from src.rag.retrieve import Index
from src.rag.verify import verify, whole_claim
from tests.conftest import rag_index
from tests.unit.test_rag_chat import RecordingGenerator

SENTIMENT = ("Three sentiment models side by side on the same sentences: a lexicon, a linear model and a fine-tuned "
             "transformer, plus the model the app actually serves, a calibrated blend of the transformer and the "
             "linear model.")
CHURN = ("The churn model is validated with stratified 5-fold cross-validation and a fixed seed, and every candidate "
         "model is scored on the same folds.")
FERRY = "Two ferries cross the bay: the small ferry runs every hour, and the large one runs twice a day."


def _verified(claim: str, passage: str) -> bool:
    sentences = split_sentences(passage)
    vectors = shared().encode([*sentences, claim])
    return verify(claim, vectors[-1], passage, sentences, vectors[:-1]).verified


@pytest.mark.parametrize("claim", [
    "The model serving the sentiment page is a fine-tuned transformer.",  # "page" is not in the passage
    "The model deployed for sentiment is a fine-tuned transformer.",  # nor "deployed"
    "The served model is a fine-tuned transformer.",  # every word is there, in two different clauses
])
def test_a_subject_the_passage_does_not_give_this_predicate_is_not_verified(claim):
    assert not _verified(claim, SENTIMENT)


@pytest.mark.parametrize(("claim", "passage"), [
    ("The churn model is validated with stratified 5-fold cross-validation.", CHURN),
    ("The small ferry runs every hour.", FERRY),
    ("There are three sentiment models side by side on the same sentences.", SENTIMENT),
])
def test_a_claim_one_sentence_says_whole_is_still_verified(claim, passage):
    assert _verified(claim, passage)


def test_whole_claim_names_the_words_no_passage_sentence_gives_it():
    sentences = split_sentences(f"{SENTIMENT} {CHURN}")
    assert whole_claim("The model serving the sentiment page is a fine-tuned transformer.", sentences) == (-1, ["page"])
    # all words in one sentence, but far apart: no word is missing, the claim still fails
    assert whole_claim("The served model is a fine-tuned transformer.", sentences) == (-1, [])
    assert whole_claim("Fine tuned transformers and linear models are compared.", sentences)[0] == -1  # "compar"
    assert whole_claim("Churn models are validated with stratified 5-fold cross-validation.", sentences) == (1, [])


@pytest.fixture(scope="module")
def index() -> Index:
    return rag_index({"sentiment.md": f"# Sentiment\n\n## What the page shows\n\n{SENTIMENT}",
                      "churn.md": f"# Churn\n\n## Validation\n\n{CHURN}"})


def test_a_glued_lead_is_replaced_by_the_quoted_passage(index):
    gen = RecordingGenerator("The model serving the sentiment page is a fine-tuned transformer.")
    turn = Assistant(index, gen, tools={}).ask("Which model serves the sentiment page?")
    assert turn.kind == "rag", turn.answer
    assert all(s.kind != "lead" for s in turn.shown.sentences), turn.answer
    assert turn.shown.sentences[0].text == NO_LEAD, "the quotes are labelled as the documents' words"
    assert any(s.kind == "quote" and "calibrated blend" in s.text for s in turn.shown.sentences), turn.answer
    assert not turn.attribution.sentences[0].supported
    assert "fine-tuned transformer." not in turn.answer.split("“")[0]


def test_a_lead_one_sentence_says_whole_is_still_shown(index):
    gen = RecordingGenerator("The churn model is validated with stratified 5-fold cross-validation.")
    turn = Assistant(index, gen, tools={}).ask("How is the churn model validated?")
    lead = turn.shown.sentences[0]
    assert lead.kind == "lead" and lead.text == gen.answer and lead.verified, turn.answer


def test_a_verified_lead_about_something_else_is_not_shown_as_the_answer(index):
    """A true sentence is not an answer when it is about another topic than the question."""
    gen = RecordingGenerator("There are three sentiment models side by side on the same sentences.")
    turn = Assistant(index, gen, tools={}).ask("Is the churn model checked for fairness across customer groups?")
    assert turn.attribution.sentences and turn.attribution.sentences[0].supported, "the sentence itself is true"
    assert all(s.kind != "lead" for s in turn.shown.sentences), turn.answer
