"""Recruiter-style questions the chat got wrong: refusals on covered questions, false "only part" notes,
and a model sentence about "the sentence" shown as the verified lead.

Tiny documents and a fake generator; the real embedder (all-MiniLM-L6-v2) reads them.
"""

from __future__ import annotations

import numpy as np
import pytest

from src.rag.chat import Assistant
from src.rag.cite import META_NOTE
from src.rag.corpus import profile_document
from src.rag.extract import (
    MIN_SIMILARITY,
    Candidate,
    candidates,
    content_terms,
    is_fact_sized,
    list_run,
    mentioned,
    pick,
)
from src.rag.verify import talks_about_evidence
from tests.conftest import rag_index
from tests.unit.test_rag_chat import RecordingGenerator

PROFILE = profile_document({
    "owner": {"name": "Alex Rivera", "headline": "Machine-learning engineer", "email": "alex@example.com"},
    "stack": {"Modelling": ["scikit-learn", "PyTorch", "Transformers"], "Explainability": ["SHAP", "Grad-CAM"],
              "Engineering": ["pytest", "Docker", "ruff"]},
}).text
DOCS = {
    "portfolio.toml": PROFILE,
    "mlops.md": "# Model health (MLOps)\n\nThis demo shows what happens to the models after deployment: every "
                "training run is tracked, and the app watches its own predictions for drift.\n\n## Drift\n\n"
                "A dataset counts as drifted when at least half of its columns drift. Drift follows Evidently's "
                "default test selection, implemented with scipy.",
    "sentiment.md": "# Sentiment analysis\n\nThree sentiment models side by side on the same sentences: a lexicon, a "
                    "linear model and a fine-tuned transformer, plus the model the app actually serves, a calibrated "
                    "blend of the transformer and the linear model.",
    "trains.md": "# Trains\n\nThe night train leaves the central station at ten and arrives at dawn.",
}


@pytest.fixture(scope="module")
def index():
    return rag_index(DOCS)


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# --- 1. refusals on covered questions -------------------------------------------------------------


def test_a_list_item_is_read_under_its_heading():
    question = _unit(1, 0)
    item = _unit(0.2, 0.98)  # "Explainability: SHAP, Grad-CAM." alone says little about "skills"
    heading = _unit(1, 0.05)  # "Tech stack and skills of Alex Rivera" says it all
    ranked = candidates("What skills does Alex have?", question,
                        [(1, "Tech stack and skills of Alex Rivera", ["Explainability: SHAP, Grad-CAM, Captum."],
                          item[None, :])], heading_vectors={1: heading})
    assert ranked[0].similarity < MIN_SIMILARITY <= ranked[0].relevance
    assert pick("What skills does Alex have?", ranked, {1: "portfolio.toml"}, {1: "Tech stack"}).facts


def test_a_far_top_scored_sentence_does_not_refuse_the_whole_answer():
    far = Candidate(1, 0, "Alex Rivera is the author of this portfolio.", 0.9, _unit(0, 1), 0.1, 0.1)
    near = Candidate(2, 0, "Every training run is tracked as an MLflow run.", 0.8, _unit(1, 0), 0.5, 0.5)
    extraction = pick("What does the author know about MLOps?", [far, near], {1: "a", 2: "b"}, {1: "", 2: ""})
    assert [f.text for f in extraction.facts] == [near.text]


def test_a_list_answers_as_a_list_in_document_order():
    texts = ["Modelling: scikit-learn, PyTorch.", "Explainability: SHAP, Grad-CAM.", "Engineering: pytest, Docker.",
             "The list above is kept in portfolio.toml."]
    items = [Candidate(1, i, t, 1.0 - i / 10, _unit(1, 0), 0.2, 0.4) for i, t in enumerate(texts)]
    best = items[1]
    assert [c.index for c in list_run(best, items)] == [0, 1, 2], "the prose sentence is not a list item"
    far = Candidate(1, 2, texts[2], 0.5, _unit(1, 0), 0.1, 0.1)
    assert [c.index for c in list_run(best, [items[0], best, far])] == [0, 1], "an item far from the question stays out"
    prose = Candidate(2, 0, "Every training run is tracked.", 1.0, _unit(1, 0), 0.5, 0.5)
    assert list_run(prose, [prose]) == [prose]


def test_a_question_about_skills_gets_the_whole_list(index):
    turn = Assistant(index, None, tools={}).ask("What skills does Alex have?")
    quoted = " ".join(s.text for s in turn.shown.sentences if s.kind == "quote")
    assert all(group in quoted for group in ("Modelling:", "Explainability:", "Engineering:")), turn.answer


def test_a_relevant_sentence_far_below_the_top_score_does_not_stand_in():
    far = Candidate(1, 0, "The demo pages live in app_pages, not pages.", 1.0, _unit(0, 1), 0.1, 0.1)
    weak = Candidate(2, 0, "It needs no API key and runs fully offline.", 0.5, _unit(1, 0), 0.3, 0.3)
    assert not pick("How do I start the app?", [far, weak], {1: "a", 2: "b"}, {1: "", 2: ""}).facts


def test_who_is_asked_about_is_not_what_the_answer_must_mention():
    assert set(content_terms("What does the author know about MLOps?")) == {"mlop"}
    assert set(content_terms("What does this person know about deep learning?")) == {"deep", "learn"}
    assert "person" in content_terms("What does the vision demo do with a photo of a person?")
    # matched on words, not stems: Snowball stems "explainability" to the generic "explain"
    assert "explain" in content_terms("Which explainability tools are used?")
    assert not content_terms("How is it explained?")


def test_a_short_labelled_line_is_a_fact_but_a_fragment_is_not():
    assert is_fact_sized("Email: alex.rivera@example.com") and is_fact_sized("Explainability: SHAP, Grad-CAM.")
    assert not is_fact_sized("See below.") and not is_fact_sized("mean_faithfulness: 1.0")


def test_the_contact_line_answers_an_email_question(index):
    turn = Assistant(index, None, tools={}).ask("How can I contact the owner by email?")
    assert turn.kind == "rag" and "Email:" in turn.answer, turn.answer


@pytest.mark.parametrize("question", ["What skills does Alex have?", "What is the tech stack?",
                                      "What does the author know about MLOps?"])
def test_covered_recruiter_questions_get_a_cited_answer(index, question):
    turn = Assistant(index, None, tools={}).ask(question)
    assert turn.kind == "rag", turn.answer
    quotes = [s for s in turn.shown.sentences if s.kind == "quote"]
    assert quotes and all(s.verified and s.citation for s in quotes)
    expected = "mlops.md" if "MLOps" in question else "portfolio.toml"
    assert quotes[0].source == expected, turn.answer


def test_off_topic_questions_are_still_refused(index):
    assert Assistant(index, None, tools={}).ask("What is the capital of Peru?").kind == "weak"


# --- 2. "found only part" notes -------------------------------------------------------------------


def test_a_word_counts_as_mentioned_by_its_inflections_and_compounds():
    assert mentioned("data", {"dataset"}) and mentioned("drift", {"drift"})
    assert not mentioned("art", {"articl"}), "short stems need an exact match"
    assert not mentioned("giraff", {"train", "station"})


def test_no_partial_note_when_the_passages_say_it_in_other_forms(index):
    turn = Assistant(index, None, tools={}).ask("What data drift is detected?")
    assert turn.kind == "rag"
    assert not any("only part" in s.text for s in turn.shown.sentences), turn.answer


def test_the_partial_note_still_names_what_no_passage_mentions(index):
    turn = Assistant(index, None, tools={}).ask(
        "When does the night train leave, and which giraffes, volcanoes and submarines travel on it?")
    note = next(s.text for s in turn.shown.sentences if "only part" in s.text)
    assert "giraffes" in note and "train" not in note.split("mentions")[1]


# --- 3. meta-talk is not an answer ----------------------------------------------------------------


@pytest.mark.parametrize("sentence", [
    'The model used in the sentence "Three sentiment models side by side on the same sentences" is a transformer.',
    "The document states that the app serves a calibrated blend.",
    "According to the passage, the app serves a calibrated blend.",
    "The evidence is that the lexicon was trained on a dataset.",
])
def test_talk_about_the_passage_is_recognised(sentence):
    assert talks_about_evidence(sentence)


@pytest.mark.parametrize("sentence", [
    "The churn model was validated using stratified 5-fold cross-validation.",
    "The sentiment page classifies the text of a review.",
    "The page answers 'not one of the 10 classes' instead of forcing a label.",
])
def test_answers_about_the_subject_are_not_meta_talk(sentence):
    assert not talks_about_evidence(sentence)


def test_a_phrase_the_passage_itself_uses_is_its_subject():
    passage = "Every number must appear in the passage it cites."
    assert not talks_about_evidence("Each number must appear in the passage it cites.", passage)


def test_a_sentence_about_the_quoted_sentence_is_never_the_lead(index):
    gen = RecordingGenerator('The model used in the sentence "Three sentiment models side by side on the same '
                             'sentences: a lexicon, a linear model and a fine-tuned transformer" is actually a '
                             "fine-tuned transformer.")
    turn = Assistant(index, gen, tools={}).ask("Which model serves the sentiment page?")
    assert turn.kind == "rag"
    assert not any(s.kind == "lead" for s in turn.shown.sentences), turn.answer
    assert "is actually a fine-tuned transformer" not in turn.answer
    assert turn.attribution.sentences[0].note == META_NOTE
    assert any("calibrated blend" in s.text for s in turn.shown.sentences if s.kind == "quote")


# --- the card reports answers on held-out sets ----------------------------------------------------


def test_the_card_names_each_answer_set_and_its_refusal_rate():
    from src.rag.rag_card import _answer_metrics

    figures = {"answers": 4, "mean_faithfulness": 1.0, "key_fact_in_answer": 0.5, "refusal_rate": 0.25}
    metrics = {m.name: m for m in _answer_metrics({"portfolio": figures, "pydocs": {**figures, "refusal_rate": 0.0},
                                                   "unanswerable": {**figures, "refusal_rate": 0.75}})}
    assert metrics["refusal rate on unanswerable questions"].value == 0.75
    assert metrics["refusal rate on answerable questions, unseen documents"].value == 0.0
    assert "held out" in metrics["key fact in the shown answer, unseen documents"].protocol
    assert "tuned" in metrics["key fact in the shown answer"].protocol


def test_refusal_rate_counts_every_turn_not_answered_from_the_documents(index):
    from src.rag.answer_eval import evaluate_answers

    items = [{"question": "What is the capital of Peru?", "key": ""},
             {"question": "When does the night train leave?", "key": "at ten"}]
    figures = evaluate_answers(items, Assistant(index, None, tools={}), 2)
    assert figures["refusal_rate"] == 0.5 and figures["kinds"] == {"weak": 1, "rag": 1}


@pytest.mark.parametrize("question", ["Can a model be used as a service?",
                                      "Why should a list not be shared as a default value?"])
def test_english_words_other_languages_share_do_not_make_a_question_foreign(question):
    from src.rag.guardrails import detect_language

    assert detect_language(question) == "English"


def test_a_card_whose_answers_hold_dashes_still_reads(tmp_path):
    from src.core.cards import Card, read_card, write_card
    from src.rag.corpus import _strip_front_matter

    answer = "ExceptionGroup: there were problems +-+---------------- 1 ---------------- | OSError"
    card = Card(demo="rag", title="t", summary="s", metrics=[], data=[], config={}, command="c", duration_s=1.0,
                sections={"Body": "text after the front matter"}, extra={"answers": {"pydocs": {"answer": answer}}})
    path = write_card(card, tmp_path)
    assert read_card(tmp_path).extra["answers"]["pydocs"]["answer"] == answer
    body = _strip_front_matter(path.read_text(encoding="utf-8"))
    assert "text after the front matter" in body and "OSError" not in body


def test_facts_that_mention_none_of_the_question_words_are_no_answer():
    from src.rag.extract import Extraction, answers_nothing

    intro = Candidate(1, 0, "Alex Rivera built this portfolio.", 0.5, _unit(1, 0), 0.4, 0.4)
    question = "What languages does Alex speak fluently?"
    nothing = Extraction([intro], missing=["languages", "speak", "fluently"])
    assert answers_nothing(question, nothing, frozenset({"alex", "rivera"}))
    assert not answers_nothing(question, Extraction([intro], missing=["speak", "fluently"]), frozenset({"alex"}))
    assert not answers_nothing("Who is Alex Rivera?", Extraction([intro], missing=[]), frozenset({"alex", "rivera"}))


def test_an_owner_question_the_profile_does_not_answer_is_refused(index, monkeypatch):
    from src.rag import chat

    monkeypatch.setattr(chat, "owner_stems", lambda: frozenset({"alex", "rivera"}))
    for question in ("What languages does Alex Rivera speak?", "What salary does Alex Rivera expect?"):
        turn = Assistant(index, None, tools={}).ask(question)
        assert turn.kind == "weak", turn.answer  # was: "Alex Rivera built this portfolio: ..." as the answer
