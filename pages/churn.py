"""churn demo page (placeholder until its demo issue lands)."""

import streamlit as st

from src.ui.chrome import model_card_panel, page_header

page_header(
    "churn",
    "A cross-validated model on the Telco data, explained with SHAP, with a profit-optimal threshold and counterfactual retention offers.",
)
st.info("Coming next: leaderboard, ROC/PR/lift/calibration, SHAP summary and dependence, what-if, batch scoring and fairness.", icon=":material/construction:")
model_card_panel("churn")
