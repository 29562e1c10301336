"""Sentiment demo: three models side by side, why they decide, long texts, batch files and behaviour tests."""

import streamlit as st

from src.sentiment.text import MAX_CHARS
from src.ui import sentiment_widgets as sw
from src.ui.chrome import chapter_switcher, model_card_panel, page_header, run_chapter
from src.ui.loader import model_ready, preload

page_header("sentiment", sw.how_it_works())
chapter = chapter_switcher("sentiment")
card = model_card_panel("sentiment")
sw.backend_note()


def text_chapter(kind: str) -> None:
    """The analyse, why and long chapters share one text form."""
    default = sw.LONG_EXAMPLE if kind == "long" else sw.EXAMPLE
    with st.form(f"text-{kind}"):
        text = st.text_area("Text", default, height=260 if kind == "long" else 100,
                            help=f"Up to {MAX_CHARS:,} characters. HTML and markdown are shown as plain text.")
        st.form_submit_button("Analyse", type="primary")
    if kind == "why":
        sw.why(text)
    elif (analysis := sw.analyse_or_warn(text)) is not None:
        sw.verdicts(analysis)
        if kind == "long" or analysis.chunked:
            st.markdown(f"**{len(analysis.chunks)} chunk(s)**, each scored by every model:")
            sw.chunk_table(analysis)


if model_ready("sentiment"):
    run_chapter("sentiment", chapter, {
        "analyse": lambda: text_chapter("analyse"), "why": lambda: text_chapter("why"),
        "long": lambda: text_chapter("long"), "batch": sw.batch, "behaviour": sw.behaviour_tests,
        "report": lambda: sw.model_report(card),
    })
    preload("sentiment")  # the examples above were stored at training time; the visitor's own text needs the model
