"""The IBM Telco churn data: schema, loading and cleaning, shared by the churn and EDA demos."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from src.core import datasets

DATASET = "telco"
ID_COLUMN = "customerID"
TARGET = "Churn"
NUMERIC = ["tenure", "MonthlyCharges", "TotalCharges"]
BINARY_NUMERIC = ["SeniorCitizen"]
CATEGORICAL = [
    "gender", "Partner", "Dependents", "PhoneService", "MultipleLines", "InternetService",
    "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
    "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
]
FEATURES = ["gender", "SeniorCitizen", *CATEGORICAL[1:], *NUMERIC]


def load_raw(path: Path | None = None) -> pd.DataFrame:
    """The CSV exactly as published (``TotalCharges`` still a string with 11 blanks)."""
    return pd.read_csv(path or datasets.path(DATASET), dtype={ID_COLUMN: str, "TotalCharges": str})


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Typed frame: ``TotalCharges`` numeric, and ``Churn`` as 0/1 when present.

    The 11 blank ``TotalCharges`` belong to customers with tenure 0 (not billed yet), so they
    are set to 0 rather than imputed.
    """
    frame = raw.copy()
    total = pd.to_numeric(frame["TotalCharges"].astype(str).str.strip().replace("", None), errors="coerce")
    frame["TotalCharges"] = total.where(total.notna() | (frame["tenure"] != 0), 0.0)
    if TARGET in frame:
        frame[TARGET] = (frame[TARGET].astype(str).str.strip() == "Yes").astype(int)
    return frame


def load() -> pd.DataFrame:
    """The verified, cleaned Telco frame (raises ``DataMissingError`` when it is not available)."""
    return clean(load_raw())
