"""Automatic data-quality alerts with a severity, computed on the CSV as published.

Each check is a small generator yielding zero or more :class:`Alert`; :func:`alerts` runs them
all. Every number in an alert's text comes from the frame it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd

from src.churn import data as telco
from src.churn.data import ADD_ONS
from src.eda.data import label

Severity = Literal["high", "medium", "low", "info"]
#: The severities, most urgent first (the order of the alerts and of the chapter's counts).
SEVERITY_ORDER: tuple[Severity, ...] = get_args(Severity)

#: A column whose most common value holds at least this share is near-constant...
NEAR_CONSTANT_SHARE = 0.95
#: ...and at least this share, imbalanced (worth knowing, rarely worth fixing).
IMBALANCED_SHARE = 0.90
#: Tukey's fences: beyond this many IQRs outside the quartiles is an outlier.
IQR_FENCE = 1.5
#: TotalCharges further than this (relative) from tenure x MonthlyCharges is flagged as inconsistent.
TOTAL_MISMATCH = 0.25
#: Text columns whose non-blank values parse as numbers at least this often are mistyped numbers.
NUMERIC_TEXT_SHARE = 0.99


@dataclass(frozen=True)
class Alert:
    """One data-quality observation."""

    severity: Severity
    check: str
    title: str
    detail: str
    column: str = ""
    count: int = 0


def is_blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def missing(raw: pd.DataFrame) -> Iterator[Alert]:
    """Blank or missing cells, with the reason when the data explains it."""
    clean = True
    for column in raw.columns:
        blank = is_blank(raw[column])
        n = int(blank.sum())
        if n == 0:
            continue
        clean = False
        if "tenure" in raw and column != "tenure":
            new = int((raw.loc[blank, "tenure"] == 0).sum())
            all_new = int((raw["tenure"] == 0).sum())
            if new == n:
                detail = (f"{n:,} of {len(raw):,} values are blank, and all {n:,} belong to customers with tenure 0 "
                          f"(there are {all_new:,} such customers): they have not been billed yet. The story sets "
                          "them to $0 rather than imputing a value they never had.")
                title = f"{n:,} blank {column}, explained by tenure 0"
                yield Alert("medium", "missing", title, detail, column, n)
                continue
            detail = (f"{n:,} values are blank; {new:,} of them belong to customers with tenure 0 and "
                      f"{n - new:,} are unexplained, so those stay missing.")
        else:
            detail = f"{n:,} of {len(raw):,} values are blank."
        yield Alert("high", "missing", f"{n:,} blank {column}", detail, column, n)
    if clean:
        yield Alert("info", "missing", "No missing values", "Every cell of every column holds a value.")


def duplicates(raw: pd.DataFrame) -> Iterator[Alert]:
    """Repeated IDs (an error) and repeated profiles under different IDs (usually fine; say why)."""
    ids = int(raw[telco.ID_COLUMN].duplicated().sum())
    if ids:
        yield Alert("high", "duplicates", f"{ids:,} repeated customer IDs",
                    f"{ids:,} rows reuse a customerID seen earlier; one row should be one customer.",
                    telco.ID_COLUMN, ids)
    columns = [c for c in raw.columns if c != telco.ID_COLUMN]
    n = int(raw.duplicated(subset=columns).sum())
    if not n:
        yield Alert("info", "duplicates", "No duplicate rows", "Every row is a distinct customer profile.")
        return
    tenure = raw.loc[raw.duplicated(subset=columns, keep=False), "tenure"]
    span = (f"all have a tenure of {tenure.min():,} month{'s' if tenure.min() != 1 else ''}"
            if tenure.min() == tenure.max() else
            f"their tenure runs from {tenure.min():,} to {tenure.max():,} months (median {tenure.median():,.0f})")
    yield Alert(
        "low", "duplicates", f"{n:,} rows repeat another customer's profile",
        f"{n:,} rows match an earlier row on every column except the ID, and {span}. New customers on the "
        "same simple plan look alike, so they are kept as distinct customers.",
        count=n,
    )


def types(raw: pd.DataFrame) -> Iterator[Alert]:
    """Columns stored in a type that hides what they are."""
    for column in raw.columns:
        series = raw[column]
        if pd.api.types.is_numeric_dtype(series) or column == telco.ID_COLUMN:
            continue
        filled = series[~is_blank(series)]
        parsed = pd.to_numeric(filled, errors="coerce")
        if len(filled) and parsed.notna().mean() >= NUMERIC_TEXT_SHARE:
            yield Alert("medium", "types", f"{column} is numbers stored as text",
                        f"{parsed.notna().sum():,} values parse as numbers; converted to float "
                        f"(range {parsed.min():,.2f} to {parsed.max():,.2f}).", column)
    if "SeniorCitizen" in raw and set(raw["SeniorCitizen"].unique()) <= {0, 1}:
        yield Alert("info", "types", "SeniorCitizen is coded 0/1, other flags Yes/No",
                    "Shown as Senior / Not senior so every flag reads the same way.", "SeniorCitizen")
    if telco.TARGET in raw:
        yield Alert("info", "types", "Churn is Yes/No text",
                    "Converted to 1/0 so rates are means.", telco.TARGET)


def outliers(clean: pd.DataFrame) -> Iterator[Alert]:
    """Values beyond Tukey's fences, per numeric column; skewness says why none may show."""
    for column in telco.NUMERIC:
        values = clean[column].dropna()
        q1, q3 = values.quantile([0.25, 0.75])
        reach = IQR_FENCE * (q3 - q1)
        n = int(((values < q1 - reach) | (values > q3 + reach)).sum())
        skew = values.skew()
        if n:
            yield Alert("low", "outliers", f"{n:,} outliers in {column}",
                        f"{n:,} values lie beyond {IQR_FENCE} IQR of the quartiles (skewness {skew:.2f}).",
                        column, n)
        else:
            yield Alert("info", "outliers", f"No outliers in {column}",
                        f"Nothing beyond {IQR_FENCE} IQR of the quartiles ({q1:,.2f} to {q3:,.2f}); "
                        f"skewness {skew:.2f}.", column)


def consistency(clean: pd.DataFrame) -> Iterator[Alert]:
    """TotalCharges should be close to tenure x MonthlyCharges; price changes explain small gaps."""
    billed = clean[clean["tenure"] > 0]
    expected = billed["tenure"] * billed["MonthlyCharges"]
    gap = (billed["TotalCharges"] - expected).abs() / expected
    n = int((gap > TOTAL_MISMATCH).sum())
    detail = (f"For billed customers the median gap between TotalCharges and tenure × MonthlyCharges is "
              f"{gap.median():.1%}; {n:,} customers are more than {TOTAL_MISMATCH:.0%} off, "
              "which fits plan changes over time rather than errors.")
    yield Alert("low" if n else "info", "consistency", f"{n:,} customers with TotalCharges far from "
                "tenure × MonthlyCharges", detail, "TotalCharges", n)


def constant(raw: pd.DataFrame) -> Iterator[Alert]:
    """Constant, near-constant and imbalanced columns, and identifier columns."""
    for column in raw.columns:
        counts = raw[column].value_counts(dropna=False)
        if len(counts) == len(raw) and len(raw) > 1:
            yield Alert("info", "constant", f"{column} is unique per row",
                        f"{len(raw):,} distinct values: an identifier, left out of the analysis.", column)
            continue
        share = counts.iloc[0] / len(raw)
        top = counts.index[0]
        if len(counts) == 1:
            yield Alert("high", "constant", f"{column} is constant",
                        f"Every row holds {top!r}; the column carries no information.", column)
        elif share >= NEAR_CONSTANT_SHARE:
            yield Alert("medium", "constant", f"{column} is near-constant",
                        f"{share:.1%} of rows hold {top!r}.", column, int(counts.iloc[0]))
        elif share >= IMBALANCED_SHARE:
            yield Alert("low", "constant", f"{column} is imbalanced",
                        f"{share:.1%} of rows hold {top!r}; rates for the other values rest on "
                        f"{len(raw) - counts.iloc[0]:,} rows.", column, int(counts.iloc[0]))


def structure(raw: pd.DataFrame) -> Iterator[Alert]:
    """Levels that repeat another column: 'No internet service' in every add-on, 'No phone service'."""
    no_internet = raw["InternetService"] == "No"
    same = [c for c in ADD_ONS if ((raw[c] == "No internet service") == no_internet).all()]
    if same and no_internet.any():
        yield Alert("info", "structure", f"{len(same)} add-on columns repeat InternetService",
                    f"{', '.join(label(c) for c in same)} read 'No internet service' for exactly the "
                    f"{int(no_internet.sum()):,} customers without internet: one fact stored "
                    f"{len(same) + 1} times, so these columns are not independent.")
    no_phone = raw["PhoneService"] == "No"
    if no_phone.any() and ((raw["MultipleLines"] == "No phone service") == no_phone).all():
        yield Alert("info", "structure", "MultipleLines repeats PhoneService",
                    f"'No phone service' marks exactly the {int(no_phone.sum()):,} customers without phone.")


def target(clean: pd.DataFrame) -> Iterator[Alert]:
    """The class balance: what a model or a metric has to cope with."""
    rate = clean[telco.TARGET].mean()
    yield Alert("info", "target", f"Churn is the minority class ({rate:.1%})",
                f"{int(clean[telco.TARGET].sum()):,} of {len(clean):,} customers left; a model that always "
                f"says 'stays' is {1 - rate:.1%} accurate, so accuracy alone would flatter any model.")


RAW_CHECKS: tuple[Callable[[pd.DataFrame], Iterator[Alert]], ...] = (missing, duplicates, types, constant, structure)
CLEAN_CHECKS: tuple[Callable[[pd.DataFrame], Iterator[Alert]], ...] = (outliers, consistency, target)


def alerts(raw: pd.DataFrame) -> list[Alert]:
    """Every check on the published CSV (and its cleaned form), most severe first."""
    clean = telco.clean(raw)
    found = [a for check in RAW_CHECKS for a in check(raw)] + [a for check in CLEAN_CHECKS for a in check(clean)]
    return sorted(found, key=lambda a: SEVERITY_ORDER.index(a.severity))
