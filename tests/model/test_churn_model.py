"""Behaviour of the committed churn model: directional, invariance, minimum functionality and bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from src.churn import data
from src.churn.explain import ACTIONABLE, IMMUTABLE, retention_offers
from src.churn.model import ARTIFACT, MODEL_FILE
from src.churn.predict import Predictor, predict_one

pytestmark = pytest.mark.skipif(not (ARTIFACT / MODEL_FILE).is_file(), reason="run `python -m src.churn.train`")
CUSTOMERS = data.synthetic(400, seed=7)


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.from_artifact()


def test_two_year_contract_never_raises_risk_versus_month_to_month(predictor):
    monthly = CUSTOMERS.assign(Contract="Month-to-month")
    two_year = CUSTOMERS.assign(Contract="Two year")
    assert (predictor.predict_proba(two_year) <= predictor.predict_proba(monthly) + 1e-9).all()


def test_longer_tenure_lowers_risk_for_a_new_monthly_customer(predictor):
    base = {"Contract": "Month-to-month", "InternetService": "Fiber optic", "MonthlyCharges": 80.0}
    new = predictor.predict_one({**base, "tenure": 1, "TotalCharges": 80.0})
    loyal = predictor.predict_one({**base, "tenure": 60, "TotalCharges": 4800.0})
    assert loyal["probability"] < new["probability"]


def test_customer_id_does_not_change_the_prediction(predictor):
    a = predictor.score(CUSTOMERS.head(5))
    b = predictor.score(CUSTOMERS.head(5).assign(customerID="something-else"))
    np.testing.assert_array_equal(a["churn_probability"], b["churn_probability"])


def test_predict_one_with_omitted_features_uses_training_defaults():
    out = predict_one({"Contract": "Month-to-month", "tenure": 2})
    assert set(out) >= {"probability", "risk_band", "reasons"}
    assert 0 < out["probability"] < 1 and out["risk_band"] in {"low", "medium", "high"}
    assert len(out["reasons"]) == 3 and all(isinstance(r, str) and r for r in out["reasons"])
    assert predict_one({})["probability"] != out["probability"]


def test_predict_one_flags_out_of_range_and_rejects_invalid_values():
    out = predict_one({"tenure": 500, "MonthlyCharges": 70})
    assert any("tenure=500 is outside the training range" in n for n in out["notes"])
    with pytest.raises(ValueError, match="Contract='Weekly'"):
        predict_one({"Contract": "Weekly"})
    with pytest.raises(ValueError, match="is not a number"):
        predict_one({"tenure": "a while"})


def test_reasons_come_from_the_largest_shap_values(predictor):
    row, _ = predictor.complete({"Contract": "Month-to-month", "tenure": 1, "InternetService": "Fiber optic"})
    contrib = predictor.explain(row).for_row(0)
    out = predictor.predict_one({"Contract": "Month-to-month", "tenure": 1, "InternetService": "Fiber optic"})
    assert f"{contrib.loc[0, 'shap']:+.2f} log-odds" in out["reasons"][0]


def test_counterfactual_on_the_committed_model_only_touches_actionable_features(predictor):
    row, _ = predictor.complete({"Contract": "Month-to-month", "tenure": 3, "InternetService": "Fiber optic",
                                 "PaymentMethod": "Electronic check", "OnlineSecurity": "No", "TechSupport": "No"})
    customer = row.iloc[0].to_dict()
    result = retention_offers(predictor.predict_proba, customer, predictor.threshold)
    assert result.best is not None and result.best.after < result.best.before
    for offer in result.tried:
        assert set(offer.changes) <= set(ACTIONABLE) and not set(offer.changes) & set(IMMUTABLE)


def test_batch_scoring_keeps_every_row_and_neutralises_formulas(predictor):
    frame = CUSTOMERS.drop(columns=[data.TARGET]).head(20).astype(str)
    frame.loc[0, "tenure"] = "twelve"
    frame.loc[1, data.ID_COLUMN] = '=HYPERLINK("http://evil.example","click")'
    frame["notes"] = "extra"
    result = predictor.score_upload(data.to_csv_bytes(frame).replace(b"'=HYPERLINK", b"=HYPERLINK"))
    assert len(result.scored) + len(result.errors) == 20
    assert result.errors["reason"].str.contains("tenure='twelve' is not a number").any()
    assert any("notes" in n for n in result.notes)
    assert {"churn_probability", "risk_band", "reason_1", "reason_2", "reason_3"} <= set(result.scored.columns)
    exported = data.to_csv_bytes(result.scored).decode()
    assert "'=HYPERLINK" in exported and "\n=HYPERLINK" not in exported


def test_batch_scoring_caps_rows_and_says_so(predictor):
    content = data.to_csv_bytes(data.synthetic(250, seed=1).drop(columns=[data.TARGET]))
    result = predictor.score_upload(content, max_rows=100)
    assert len(result.scored) == 100 and any("250 rows" in n for n in result.notes)


def test_a_200k_row_file_is_capped_at_50k():
    rows = data.synthetic(200, seed=2).drop(columns=[data.TARGET])
    content = data.to_csv_bytes(pd.concat([rows] * 1000, ignore_index=True))
    frame, notes = data.read_upload(content)
    assert len(frame) == data.MAX_ROWS and "200,000 rows" in notes[0]


def test_artifact_holds_no_customer_ids_or_raw_rows():
    arrays = np.load(ARTIFACT / "oof.npz")
    assert set(arrays.files) == {"y", "p", "fold", "male", "senior"}
    text = (ARTIFACT / "README.md").read_text()
    assert not re.search(r"\b\d{4}-[A-Z]{5}\b", text), "a Telco customer ID is in the card"
