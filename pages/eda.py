"""eda demo page (placeholder until its demo issue lands)."""

import streamlit as st

from src.ui.chrome import model_card_panel, page_header

page_header(
    "eda",
    "A data story about why customers leave, in six chapters: the question, data quality, who leaves, money, segments and what it means.",
)
st.info("Coming next: every number computed live from the verified Telco data, each claim with its test statistic and effect size.", icon=":material/construction:")
model_card_panel("eda")
