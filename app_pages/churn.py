"""Churn model + SHAP: six chapters over the committed model (layout only; logic in src/churn/)."""

from src.ui import churn_widgets as w
from src.ui.chrome import chapters, guard, model_card_panel, page_header

page_header(
    "churn",
    """
Five models are compared under **stratified 5-fold cross-validation** with a fixed seed (`python -m src.churn.train`);
the simplest one within 0.002 ROC-AUC of the best is refit on all 7,043 customers and committed with its card.
Every curve here comes from the **out-of-fold** predictions stored beside the model, so each customer was scored
by a model that never saw them. Explanations are exact **SHAP** values of the model's log-odds against a k-means
summary of the customers. The retention search tries every combination of up to three changes to what the company
controls and keeps the smallest one that works.
""",
)
CHAPTERS = {
    "performance": ("Performance", w.performance),
    "drivers": ("What drives churn", w.drivers),
    "customer": ("One customer", w.customer),
    "action": ("Retention action", w.action),
    "batch": ("Batch scoring", w.batch),
    "fairness": ("Fairness", w.fairness),
}
pred = w.predictor()
if pred is not None:
    chapter = chapters({slug: title for slug, (title, _) in CHAPTERS.items()})
    with guard(f"the {CHAPTERS[chapter][0].lower()} chapter"):
        CHAPTERS[chapter][1](pred)
model_card_panel("churn")
