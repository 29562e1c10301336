"""The frames the story reads, the columns it derives, and the sidebar filter.

Loading and cleaning belong to ``src.churn.data`` (shared with the churn demo); this module adds
only what the story needs on top: readable labels, tenure bands, a service count, and filtering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from src.churn import data as telco

TARGET = telco.TARGET
OUTCOME = "Outcome"
CHURNED, STAYED = "Churned", "Stayed"
SENIOR = "Senior"
TENURE_BAND = "TenureBand"
SERVICE_COUNT = "ServiceCount"

#: Upper edges (months, inclusive) and labels of the tenure bands in "Who leaves".
TENURE_BANDS: tuple[tuple[float, str], ...] = (
    (6, "0–6 months"),
    (12, "7–12 months"),
    (24, "13–24 months"),
    (48, "25–48 months"),
    (np.inf, "49+ months"),
)
#: The services a customer can hold (``src.churn.data`` lists the Telco column groups); ServiceCount counts them.
SERVICES = telco.SERVICES

#: Categorical columns the rule engine tests (SeniorCitizen as its readable label).
CATEGORICAL = (SENIOR, *[c for c in telco.CATEGORICAL])
NUMERIC = tuple(telco.NUMERIC)

#: Readable names: the raw columns' from ``src.churn.data``, plus the columns this module derives.
LABELS = {**telco.LABELS, SENIOR: "Senior status", TENURE_BAND: "Tenure band", SERVICE_COUNT: "Number of services"}


def label(column: str) -> str:
    """A column's readable name."""
    return LABELS.get(column, column)


def load_raw() -> pd.DataFrame:
    """The CSV as published (raises ``DataMissingError`` when the data is not on this machine)."""
    return telco.load_raw()


def prepare(raw: pd.DataFrame) -> pd.DataFrame:
    """The cleaned frame plus the story's derived columns."""
    frame = telco.clean(raw)
    frame[SENIOR] = np.where(frame["SeniorCitizen"] == 1, "Senior", "Not senior")
    edges = [-np.inf, *[edge for edge, _ in TENURE_BANDS]]
    frame[TENURE_BAND] = pd.cut(frame["tenure"], edges, labels=[name for _, name in TENURE_BANDS])
    has = pd.DataFrame({s: ~frame[s].isin(["No", "No phone service", "No internet service"]) for s in SERVICES})
    frame[SERVICE_COUNT] = has.sum(axis=1).astype(int)
    frame[OUTCOME] = np.where(frame[TARGET] == 1, CHURNED, STAYED)
    return frame


SENIOR_CHOICES = ("All", "Seniors only", "Non-seniors only")


@dataclass(frozen=True)
class Filter:
    """The sidebar filter. Empty tuples mean "any"; frozen so it can key a cache."""

    contracts: tuple[str, ...] = ()
    internet: tuple[str, ...] = ()
    senior: str = "All"

    @property
    def is_empty(self) -> bool:
        return not self.contracts and not self.internet and self.senior == "All"

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows that pass (works on the raw and the prepared frame alike)."""
        keep = pd.Series(True, index=frame.index)
        if self.contracts:
            keep &= frame["Contract"].isin(self.contracts)
        if self.internet:
            keep &= frame["InternetService"].isin(self.internet)
        if self.senior != "All":
            keep &= frame["SeniorCitizen"] == (1 if self.senior == SENIOR_CHOICES[1] else 0)
        return frame[keep]

    def describe(self) -> str:
        """The filter in words, to go inside a sentence: "customers on a month-to-month contract"."""
        if self.is_empty:
            return "all customers"
        parts = []
        if self.senior != "All":
            parts.append("senior" if self.senior == SENIOR_CHOICES[1] else "non-senior")
        parts.append("customers")
        if self.contracts:
            parts.append("on a " + _or([c.lower() for c in self.contracts]) + " contract")
        if self.internet:
            kinds = [i for i in self.internet if i != "No"]
            bits = [f"{_or([k if k == 'DSL' else k.lower() for k in kinds])} internet"] if kinds else []
            bits += ["no internet"] if "No" in self.internet else []
            parts.append("with " + " or ".join(bits))
        return " ".join(parts)


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
