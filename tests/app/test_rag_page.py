"""AppTest for the RAG page: a real chat turn with the local model, refusal, feedback across a restart, chapters."""

from __future__ import annotations

import pytest

from tests.conftest import open_page

PAGE = "app_pages/rag.py"


@pytest.fixture
def feedback_db(tmp_path, monkeypatch):
    path = tmp_path / "feedback.sqlite3"
    monkeypatch.setenv("RAG_FEEDBACK_DB", str(path))
    return path


def _assistant_text(at) -> str:
    messages = [m for m in at.chat_message if m.name == "assistant"]
    assert messages, "no assistant message"
    return " ".join(md.value for md in messages[-1].markdown)


def _chapter(at, slug: str):
    return at.segmented_control(key="_chapter_control").set_value(slug).run()


def test_chat_turn_is_cited_rated_and_the_rating_survives_a_restart(feedback_db):
    at = open_page(PAGE, timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    at.chat_input(key="rag_question").set_value("How was the churn model validated?").run()
    assert not at.exception, [e.value for e in at.exception]
    text = _assistant_text(at)
    assert "Faithfulness" in text and "stratified 5-fold cross-validation" in text, text
    assert "from this portfolio" in text, "every citation carries its provenance"
    assert any(e.label == "What the model wrote (unverified)" for e in at.expander), "raw generation panel missing"
    assert any("BM25 rank" in df.value.columns for df in at.dataframe), "retrieval inspector missing"

    at.feedback[0].set_value(1).run()
    assert not at.exception
    assert feedback_db.is_file()

    restarted = _chapter(open_page(PAGE, timeout=300), "feedback")
    assert not restarted.exception
    ratings = {m.label: m.value for m in restarted.metric}
    assert ratings["Ratings"] == "1" and ratings["Helpful"] == "1"

    at.button(key="rag_clear").click().run()
    assert not [m for m in at.chat_message]


def test_off_topic_question_is_refused_with_the_closest_passages(feedback_db):
    at = open_page(PAGE, timeout=300)
    at.chat_input(key="rag_question").set_value("What is the boiling point of tungsten?").run()
    assert not at.exception
    assert "don't seem to cover this" in _assistant_text(at)
    assert len(at.expander) >= 3


def test_other_chapters_render(feedback_db):
    at = _chapter(open_page(PAGE, timeout=300), "documents")
    assert not at.exception and at.selectbox(key="rag_chunk_doc").options
    at = _chapter(at, "evaluation")
    assert not at.exception
    # the committed card's shown-answer figures, held-out sets included
    assert any("refused" in df.value.columns and len(df.value) >= 3 for df in at.dataframe)
    at.button(key="rag_run_eval").click().run()
    assert not at.exception and any("hit@5" in df.value.columns for df in at.dataframe)


def test_an_example_pill_asks_its_question_through_the_router(feedback_db):
    at = open_page(PAGE, timeout=300)
    pills = at.button_group(key="rag_example")
    at = pills.set_value(next(o for o in pills.options if "churn risk" in o)).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _assistant_text(at)
    assert "churn model" in text or "not trained" in " ".join(i.value for i in at.info)


def test_a_question_sent_while_another_is_answered_is_answered_too_in_order(feedback_db):
    """A new question interrupts the run answering the previous one; the interrupted one must not be lost."""
    at = open_page(PAGE, timeout=300)
    at.session_state["rag_queue"] = ["How was the churn model validated?"]  # as an interrupted run leaves it
    at.chat_input(key="rag_question").set_value("What is the boiling point of tungsten?").run()
    assert not at.exception, [e.value for e in at.exception]
    asked = [m["content"] for m in at.session_state["rag_messages"] if m["role"] == "user"]
    assert asked == ["How was the churn model validated?", "What is the boiling point of tungsten?"]
    assert at.session_state["rag_queue"] == []
    assert len([m for m in at.chat_message if m.name == "assistant"]) == 2


def test_a_visitor_with_too_many_questions_waiting_is_told_so(feedback_db, monkeypatch):
    from src.ui import rag_widgets

    at = open_page(PAGE, timeout=300)
    waiting = [f"question {i}" for i in range(rag_widgets.MAX_QUEUED)]
    monkeypatch.setattr(rag_widgets, "_answer", lambda question, settings, config: None)  # keep them waiting
    at.session_state["rag_queue"] = list(waiting)
    at.chat_input(key="rag_question").set_value("one more").run()
    assert not at.exception
    assert at.session_state["rag_queue"] == waiting
    assert any("was not added" in w.value for w in at.warning)


def test_a_question_that_fails_leaves_the_queue_with_a_message(feedback_db, monkeypatch):
    from src.ui import rag_widgets

    def broken(question, settings, config):
        raise RuntimeError("index went away")

    at = open_page(PAGE, timeout=300)
    monkeypatch.setattr(rag_widgets, "_answer", broken)
    at.chat_input(key="rag_question").set_value("How was the churn model validated?").run()
    assert not at.exception
    assert at.session_state["rag_queue"] == []  # not retried (and failed) on every later rerun
    assert any("could not be answered" in e.value for e in at.error)
    assert not any("index went away" in e.value for e in at.error)
