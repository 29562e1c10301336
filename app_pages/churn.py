"""Churn model + SHAP: six chapters over the committed model (layout only; logic in src/churn/)."""

from src.ui import churn_widgets as w
from src.ui.chrome import load_card, model_card_panel, page_header, show_chapter

page_header("churn", w.how_it_works(load_card("churn")))
pred = w.predictor()
if pred is not None:
    show_chapter("churn", w.CHAPTERS, pred)
model_card_panel("churn")
w.preload()  # drawn from the card and stored figures: the fitted model loads now, for the visitor's own input
