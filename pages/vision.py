"""vision demo page (placeholder until its demo issue lands)."""

import streamlit as st

from src.ui.chrome import model_card_panel, page_header

page_header(
    "vision",
    "A compact residual CNN trained on CIFAR-10 on a 2-core CPU with bf16 autocast, calibrated with temperature scaling.",
)
st.info("Coming next: upload or pick an image, see top-k, Grad-CAM, rejection of out-of-scope images and a robustness lab.", icon=":material/construction:")
model_card_panel("vision")
