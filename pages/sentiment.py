"""sentiment demo page (placeholder until its demo issue lands)."""

import streamlit as st

from src.ui.chrome import model_card_panel, page_header

page_header(
    "sentiment",
    "VADER, TF-IDF + logistic regression and a LoRA fine-tuned MiniLM, trained on SST-2 and compared on the same splits.",
)
st.info("Coming next: side-by-side labels, token attributions, long-text chunking, batch scoring and behaviour tests.", icon=":material/construction:")
model_card_panel("sentiment")
