"""Sentiment demo: three models side by side, why they decide, long texts, batch files and behaviour tests."""

import streamlit as st

from src.sentiment.text import MAX_CHARS
from src.ui import sentiment_widgets as sw
from src.ui.chrome import chapters, guard, model_card_panel, page_header

demo = page_header("sentiment", sw.how_it_works())
chapter = chapters({"analyse": "Analyse text", "why": "Why", "long": "Long text", "batch": "Batch",
                    "behaviour": "Behaviour tests", "report": "Model report"})
card = model_card_panel("sentiment")
sw.backend_note()

if not sw.artifact_ready():
    st.info(f"The sentiment models are not trained yet. Train them with `{demo.train_command}`.")
elif chapter == "report":
    with guard("the model report"):
        if card is None:
            st.info(f"No model card yet: `{demo.train_command}` writes it.")
        else:
            sw.model_report(card)
elif chapter == "behaviour":
    with guard("the behaviour suite"):
        sw.behaviour_tests()
elif chapter == "batch":
    with guard("batch scoring"):
        sw.batch()
else:
    default = sw.LONG_EXAMPLE if chapter == "long" else sw.EXAMPLE
    with st.form(f"text-{chapter}"):
        text = st.text_area("Text", default, height=260 if chapter == "long" else 100,
                            help=f"Up to {MAX_CHARS:,} characters. HTML and markdown are shown as plain text.")
        st.form_submit_button("Analyse", type="primary")
    with guard("the analysis"):
        if chapter == "why":
            sw.why(text)
        elif (analysis := sw.analyse_or_warn(text)) is not None:
            sw.verdicts(analysis)
            if chapter == "long" or analysis.chunked:
                st.markdown(f"**{len(analysis.chunks)} chunk(s)**, each scored by every model:")
                sw.chunk_table(analysis)
