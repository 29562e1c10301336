"""A Telco-shaped frame with planted effects, so tests run the whole story without the real data.

The values are random; only the column names and categories follow the published CSV. Churn is
planted on the contract and tenure, and nothing else, so a test knows what the rules must find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from src.eda.data import ADD_ONS


def telco_like(n: int = 600, seed: int = 0, *, contracts: tuple[str, ...] = ("Month-to-month", "One year", "Two year"),
               internet: tuple[str, ...] = ("DSL", "Fiber optic", "No")) -> pd.DataFrame:
    """``n`` rows in the published layout (TotalCharges as text, blanks for tenure 0, Churn Yes/No)."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(contracts, n)
    tenure = rng.integers(0, 73, n)
    tenure[:3] = 0  # a few brand-new customers, whose TotalCharges is blank as in the real file
    net = rng.choice(internet, n)
    monthly = np.round(rng.uniform(20, 110, n), 2)
    p = np.where(contract == "Month-to-month", 0.55, 0.08) * np.where(tenure < 12, 1.4, 0.8)
    churn = rng.random(n) < np.clip(p, 0, 1)
    frame = pd.DataFrame({
        "customerID": [f"{i:04d}-SYNTH" for i in range(n)],
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": rng.integers(0, 2, n),
        "Partner": rng.choice(["Yes", "No"], n),
        "Dependents": rng.choice(["Yes", "No"], n),
        "tenure": tenure,
        "PhoneService": rng.choice(["Yes", "No"], n, p=[0.9, 0.1]),
    })
    frame["MultipleLines"] = np.where(frame["PhoneService"] == "No", "No phone service", rng.choice(["Yes", "No"], n))
    frame["InternetService"] = net
    for column in ADD_ONS:
        frame[column] = np.where(net == "No", "No internet service", rng.choice(["Yes", "No"], n))
    frame["Contract"] = contract
    frame["PaperlessBilling"] = rng.choice(["Yes", "No"], n)
    frame["PaymentMethod"] = rng.choice(
        ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"], n)
    frame["MonthlyCharges"] = monthly
    frame["TotalCharges"] = [" " if t == 0 else f"{t * m:.2f}" for t, m in zip(tenure, monthly, strict=True)]
    frame["Churn"] = np.where(churn, "Yes", "No")
    return frame
