"""Data-quality checks raise the right alert, with the right severity, on planted problems."""

from __future__ import annotations

from src.churn.data import synthetic
from src.eda import quality


def _by_check(alerts, check):
    return [a for a in alerts if a.check == check]


def test_blank_total_charges_are_explained_by_tenure_zero():
    raw = synthetic(200, seed=1, published=True)
    blanks = int((raw["TotalCharges"].str.strip() == "").sum())
    (alert,) = [a for a in _by_check(quality.alerts(raw), "missing") if a.column == "TotalCharges"]
    assert alert.severity == "medium" and alert.count == blanks
    assert "tenure 0" in alert.title and f"all {blanks}" in alert.detail


def test_an_unexplained_blank_is_high_severity():
    raw = synthetic(200, seed=1, published=True)
    raw.loc[50, "TotalCharges"] = " "  # tenure of row 50 is not 0
    assert raw.loc[50, "tenure"] != 0
    (alert,) = [a for a in _by_check(quality.alerts(raw), "missing") if a.column == "TotalCharges"]
    assert alert.severity == "high" and "1 are unexplained" in alert.detail


def test_duplicates_constants_and_types():
    raw = synthetic(200, seed=2, published=True)
    raw.loc[1, "customerID"] = raw.loc[0, "customerID"]
    raw["gender"] = "Female"
    alerts = quality.alerts(raw)
    assert any(a.severity == "high" and "repeated customer IDs" in a.title for a in alerts)
    assert any(a.severity == "high" and a.title == "gender is constant" for a in alerts)
    assert any(a.check == "types" and a.column == "TotalCharges" for a in alerts)
    severities = [quality.SEVERITY_ORDER.index(a.severity) for a in alerts]
    assert severities == sorted(severities)  # most severe first


def test_structure_and_target_are_described():
    raw = synthetic(300, seed=3, published=True)
    alerts = quality.alerts(raw)
    no_net = int((raw["InternetService"] == "No").sum())
    assert any(a.check == "structure" and f"{no_net:,} customers without internet" in a.detail for a in alerts)
    churn = (raw["Churn"] == "Yes").mean()
    assert any(a.check == "target" and f"{churn:.1%}" in a.title for a in alerts)
