"""Every committed model card: metrics with protocol, data checksums, config, provenance, command."""

import streamlit as st

from src.core.demos import DEMOS
from src.ui.chrome import card_details, load_card

st.title("Model cards")
st.markdown(
    "Each card is written by its training run into `models/<demo>/README.md` "
    "(Hugging Face layout: YAML front matter, then text). Nothing here is typed by hand."
)
for demo in DEMOS:
    if not demo.train_command:
        continue
    st.subheader(f"{demo.icon} {demo.title}", anchor=demo.slug)
    card = load_card(demo.slug)
    if card is None:
        st.info(f"Not trained yet. Create it with `{demo.train_command}`.")
        continue
    st.markdown(card.summary)
    card_details(card)
    st.divider()
