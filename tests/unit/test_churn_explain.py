"""SHAP explanations add up, reasons follow the SHAP signs, and offers touch only actionable features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV

from src.churn import data, model
from src.churn.explain import ACTIONABLE, IMMUTABLE, ShapExplainer, batch_reasons, reason, retention_offers

FRAME = data.synthetic(600, seed=3)
X, Y = FRAME[data.FEATURES], FRAME[data.TARGET].to_numpy()
BACKGROUND, WEIGHTS = X.iloc[:20].reset_index(drop=True), np.full(20, 1 / 20)


def _log_odds_of(estimator, rows):
    p = estimator.predict_proba(rows)[:, 1]
    return np.log(p / (1 - p))


@pytest.mark.parametrize("build", [model.logistic_splines, model.gradient_boosting])
def test_shap_values_add_up_to_the_log_odds(build):
    fitted = build().fit(X, Y)
    expl = ShapExplainer(fitted, BACKGROUND, WEIGHTS).explain(X.iloc[:25])
    assert expl.values.shape == (25, len(data.FEATURES))
    np.testing.assert_allclose(expl.base + expl.values.sum(axis=1), _log_odds_of(fitted, X.iloc[:25]), atol=1e-3)


def test_calibrated_models_are_explained_through_their_base_model():
    fitted = CalibratedClassifierCV(model.logistic(), cv=3, ensemble=False).fit(X, Y)
    base = fitted.calibrated_classifiers_[0].estimator
    expl = ShapExplainer(fitted, BACKGROUND, WEIGHTS).explain(X.iloc[:5])
    np.testing.assert_allclose(expl.base + expl.values.sum(axis=1), base.decision_function(X.iloc[:5]), atol=1e-6)


def test_reasons_follow_the_sign_and_size():
    assert reason("Contract", "Month-to-month", 0.9) == (
        "A month-to-month contract strongly raises the churn risk (+0.90 log-odds)."
    )
    assert "slightly lowers" in reason("TechSupport", "Yes", -0.05)
    assert reason("tenure", 1.0, -0.3).startswith("1 month as a customer lowers")


def test_batch_reasons_are_the_three_largest_contributions():
    fitted = model.logistic().fit(X, Y)
    expl = ShapExplainer(fitted, BACKGROUND, WEIGHTS).explain(X.iloc[:3])
    reasons = batch_reasons(expl, k=3)
    top = data.FEATURES[int(np.argmax(np.abs(expl.values[0])))]
    assert len(reasons) == 3 and all(len(r) == 3 for r in reasons)
    assert expl.for_row(0).loc[0, "feature"] == top
    assert f"{expl.values[0, data.FEATURES.index(top)]:+.2f}" in reasons[0][0]


def test_counterfactual_never_changes_protected_or_immutable_features():
    fitted = model.logistic().fit(X, Y)
    customer = {**X.iloc[0].to_dict(), "Contract": "Month-to-month", "InternetService": "Fiber optic",
                "OnlineSecurity": "No", "TechSupport": "No", "PaymentMethod": "Electronic check"}
    result = retention_offers(lambda f: fitted.predict_proba(f)[:, 1], customer, threshold=0.01)
    assert result.tried, "no candidate offers were generated"
    for offer in result.tried:
        assert set(offer.changes) <= set(ACTIONABLE) and not set(offer.changes) & set(IMMUTABLE)
        assert 1 <= len(offer.changes) <= 3


def test_counterfactual_picks_the_fewest_changes_that_work():
    # A toy scorer: churn risk falls only with a two-year contract.
    def scorer(frame: pd.DataFrame) -> np.ndarray:
        return np.where(frame["Contract"] == "Two year", 0.1, 0.8)

    customer = {**X.iloc[0].to_dict(), "Contract": "Month-to-month", "InternetService": "DSL"}
    best = retention_offers(scorer, customer, threshold=0.5).best
    assert best is not None and best.below_threshold
    assert best.changes == {"Contract": ("Month-to-month", "Two year")}
    assert best.before == pytest.approx(0.8) and best.after == pytest.approx(0.1)


def test_add_ons_are_not_offered_without_internet():
    fitted = model.logistic().fit(X, Y)
    customer = {**X.iloc[0].to_dict(), "InternetService": "No"}
    for col in ("OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport"):
        customer[col] = "No internet service"
    result = retention_offers(lambda f: fitted.predict_proba(f)[:, 1], customer, threshold=0.5)
    assert all(set(o.changes) <= {"Contract", "PaymentMethod", "PaperlessBilling"} for o in result.tried)


def test_soft_vote_is_explained_as_the_average_of_member_log_odds():
    fitted = model.soft_vote().fit(X, Y)
    expl = ShapExplainer(fitted, BACKGROUND, WEIGHTS).explain(X.iloc[:10])
    members = np.mean([_log_odds_of(m, X.iloc[:10]) for m in fitted.estimators_], axis=0)
    np.testing.assert_allclose(expl.base + expl.values.sum(axis=1), members, atol=1e-3)
