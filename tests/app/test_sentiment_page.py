"""AppTest: every chapter of the sentiment page renders, and every bad input gets a message, not a traceback."""

from __future__ import annotations

import pytest

from src.core.settings import model_dir
from src.sentiment.predict import MODEL_TITLES, MODELS, SERVED
from tests.conftest import open_page, shown_text

PAGE = "app_pages/sentiment.py"
trained = pytest.mark.skipif(not (model_dir("sentiment") / "config.json").is_file(), reason="no sentiment artifact")


def _chapter(chapter: str):
    return open_page(PAGE, chapter=chapter)


def _submit(chapter: str, text: str):
    """The chapter with ``text`` typed and its button pressed; the page must not raise."""
    at = _chapter(chapter)
    at.text_area[0].set_value(text)
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("chapter", ["analyse", "why", "long", "batch", "behaviour", "report"])
def test_every_chapter_renders(chapter):
    at = _chapter(chapter)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


@trained
def test_analyse_shows_the_served_blend_first_then_each_model():
    at = _submit("analyse", "What a lovely, warm and funny film.")
    titles = set(MODEL_TITLES.values())
    shown = [m for m in at.metric if m.label in titles]
    assert [m.label for m in shown] == [MODEL_TITLES[n] for n in MODELS] and MODELS[0] == SERVED
    assert all("positive" in m.value or "negative" in m.value for m in shown)


@trained
def test_why_splits_the_served_blend_into_each_parts_share():
    at = _submit("why", "A warm and funny film, though far too long.")
    said = shown_text(at, ("markdown", "caption"))
    assert "The served label comes from the blend" in said and "MiniLM share" in said, said[:400]


@trained
@pytest.mark.parametrize(("text", "expected"), [
    ("   ", "empty"),
    ("x" * 100_000, "limit"),
    ("😀🎉👍", "no words"),
    ("El servicio fue muy lento y la comida no estaba buena.", "out of scope"),
])
def test_bad_input_gets_a_clear_message(text, expected):
    at = _submit("analyse", text)
    assert any(expected in w.value for w in at.warning), [w.value for w in at.warning]


@trained
@pytest.mark.parametrize(("chapter", "text", "hidden", "notes"), [
    ("why", "<img src=x onerror=alert(1)> **great**\x00 film", "<img", ("plain text", "control")),
    ("analyse", "![pwn](http://evil.example/x.png) [click me](http://evil.example) great film", "evil.example",
     ("plain text",)),
])
def test_markup_links_and_control_characters_are_plain_text(chapter, text, hidden, notes):
    at = _submit(chapter, text)
    assert hidden not in shown_text(at, ("markdown", "caption"))  # analysed, never rendered as markdown/HTML
    said = shown_text(at, ("info",))
    assert all(note in said for note in notes), said


@trained
def test_long_text_says_it_was_chunked():
    at = _submit("long", " ".join(["The staff were friendly and the room was quiet."] * 40))
    assert any("Nothing was truncated" in i.value for i in at.info)


@trained
def test_page_names_the_inference_backend():
    at = _chapter("report")
    assert not at.exception
    assert any("inference backend" in c.value for c in at.caption)
