"""rag demo page (placeholder until its demo issue lands)."""

import streamlit as st

from src.ui.chrome import model_card_panel, page_header

page_header(
    "rag",
    "Hybrid retrieval (BM25 + MiniLM embeddings fused by reciprocal rank) over this project's own documents, answered by a local SmolLM2.",
)
st.info("Coming next: cited answers with a faithfulness score, a retrieval inspector, uploads and an evaluation table.", icon=":material/construction:")
model_card_panel("rag")
