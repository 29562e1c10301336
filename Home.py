"""The portfolio's entry point: navigation over every page, and the landing page.

    streamlit run Home.py
"""

from __future__ import annotations

import streamlit as st

from src.core.demos import DEMOS
from src.core.settings import portfolio
from src.ui import landing

st.set_page_config(page_title=portfolio()["site"]["title"], page_icon=":material/neurology:", layout="wide")

home = st.Page(landing.render, title="Home", icon=":material/home:", url_path="home", default=True)
demo_pages = [st.Page(f"app_pages/{d.slug}.py", title=d.title, icon=d.icon, url_path=d.url_path) for d in DEMOS]
cards = st.Page("app_pages/model_cards.py", title="Model cards", icon=":material/description:", url_path="model-cards")

st.navigation({"Portfolio": [home], "Demos": demo_pages, "Under the hood": [cards]}).run()
