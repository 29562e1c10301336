"""The IBM Telco churn data: schema, loading and cleaning, shared by the churn and EDA demos."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from src.core import datasets
from src.core.safe_csv import to_csv_bytes  # noqa: F401  (re-exported: churn CSVs go through it)
from src.core.uploads import decode_text

DATASET = "telco"
ID_COLUMN = "customerID"
TARGET = "Churn"
NUMERIC = ["tenure", "MonthlyCharges", "TotalCharges"]
BINARY_NUMERIC = ["SeniorCitizen"]
#: The six add-on services that need an internet line ("No internet service" without one).
ADD_ONS: tuple[str, ...] = (
    "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies",
)
#: Each raw column's readable name, for charts, tables and sentences (one place for every demo).
LABELS: dict[str, str] = {
    "gender": "Gender", "SeniorCitizen": "Senior status", "Partner": "Partner", "Dependents": "Dependents",
    "PhoneService": "Phone service", "MultipleLines": "Multiple lines", "InternetService": "Internet service",
    "OnlineSecurity": "Online security", "OnlineBackup": "Online backup", "DeviceProtection": "Device protection",
    "TechSupport": "Tech support", "StreamingTV": "Streaming TV", "StreamingMovies": "Streaming movies",
    "Contract": "Contract", "PaperlessBilling": "Paperless billing", "PaymentMethod": "Payment method",
    "tenure": "Tenure (months)", "MonthlyCharges": "Monthly charges ($)", "TotalCharges": "Total charges ($)",
}
#: Every service a customer can hold: phone, lines, internet and the add-ons.
SERVICES: tuple[str, ...] = ("PhoneService", "MultipleLines", "InternetService", *ADD_ONS)
CATEGORICAL = [
    "gender", "Partner", "Dependents", *SERVICES, "Contract", "PaperlessBilling", "PaymentMethod",
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


# --- the published schema, and checks on files people upload --------------------------------

_SERVICE = ("No", "No internet service", "Yes")
_YES_NO = ("No", "Yes")
#: Allowed values of every categorical column, as IBM publishes them.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "gender": ("Female", "Male"),
    "Partner": _YES_NO,
    "Dependents": _YES_NO,
    "PhoneService": _YES_NO,
    "MultipleLines": ("No", "No phone service", "Yes"),
    "InternetService": ("DSL", "Fiber optic", "No"),
    **dict.fromkeys(ADD_ONS, _SERVICE),
    "Contract": ("Month-to-month", "One year", "Two year"),
    "PaperlessBilling": _YES_NO,
    "PaymentMethod": ("Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check"),
}
#: Human-readable type of every feature, for the schema table and error messages.
DESCRIPTIONS: dict[str, str] = {
    "SeniorCitizen": "0 or 1",
    "tenure": "months with the company, a number >= 0",
    "MonthlyCharges": "dollars per month, a number >= 0",
    "TotalCharges": "dollars billed so far, a number >= 0 (may be blank when tenure is 0)",
    **{c: " | ".join(v) for c, v in CATEGORIES.items()},
}
#: Uploads larger than this are cut here, and the user is told.
MAX_ROWS = 50_000
#: Reserved column :func:`read_upload` adds: what is wrong with the whole line ("" when nothing is).
LINE_PROBLEM = "_line_problem"


class SchemaError(ValueError):
    """The file as a whole cannot be scored (empty, not UTF-8, not a CSV, required columns missing)."""


@dataclass
class Checked:
    """An upload split into typed rows ready to score and rows that failed, each with its reason.

    ``row`` is the row's line number in the uploaded file (the header is line 1), as an editor or a
    spreadsheet numbers it, so people can find it; a frame not read by :func:`read_upload` is
    numbered 1, 2, ... in order.
    """

    valid: pd.DataFrame
    errors: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def read_upload(content: bytes, *, max_rows: int = MAX_ROWS) -> tuple[pd.DataFrame, list[str]]:
    """Read an uploaded CSV as text columns; raise :class:`SchemaError` with a clear message.

    Everything is read as strings so type problems become per-row errors instead of a failed parse.
    The frame's index (named ``line``) holds each row's line number in the file, the header being
    line 1. Blank lines and lines with the wrong number of values stay in as rows with the reason in
    :data:`LINE_PROBLEM`, so :func:`check` lists them as errors: nothing is dropped silently.
    The ``csv`` module reads it (not ``pd.read_csv``) because only it reports where each record starts.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise SchemaError(f"The row cap must be a positive whole number, not {max_rows!r}.")
    if not content.strip():
        raise SchemaError("The file is empty.")
    text = decode_text(content, SchemaError)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header, records, total, trailing = _read_records(reader, max_rows)
    except csv.Error as exc:
        raise SchemaError(f"Line {reader.line_num} could not be read as CSV ({exc}).") from None
    if not records:
        raise SchemaError("The file has a header but no rows.")
    notes = [f"{trailing} empty line(s) at the end of the file were ignored."] if trailing else []
    if total > len(records):
        notes.append(f"The file has {total:,} rows; only the first {max_rows:,} were scored. "
                     "Split it to score the rest.")
    width = len(header)
    cells, problems = [], []
    for _line, values in records:
        if not any(v.strip() for v in values):
            problems.append("The line is blank.")
        elif len(values) != width:
            problems.append(f"The line has {len(values)} values; the header has {width}.")
        else:
            problems.append("")
        cells.append((values + [""] * width)[:width])
    frame = pd.DataFrame(cells, columns=header, index=pd.Index([line for line, _ in records], name="line"), dtype=str)
    frame[LINE_PROBLEM] = problems
    return frame, notes


def _read_records(reader: Any, max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]], int, int]:
    """Header names, up to ``max_rows`` ``(line, values)`` records, the record count, and empty lines at the end.

    Empty lines inside the data are records (they become error rows); empty lines at the end are not.
    """
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    total = pending_empty = 0
    line = 1
    for values in reader:
        start, line = line, reader.line_num + 1
        if header is None:
            if any(v.strip() for v in values):
                header = _header(values)
            continue
        if not values:  # only counted once a later line shows they are not the end of the file
            pending_empty += 1
            if len(records) < max_rows:
                records.append((start, values))
            continue
        total += pending_empty + 1
        pending_empty = 0
        if len(records) < max_rows:
            records.append((start, values))
    if header is None:
        raise SchemaError("The file is empty.")
    while records and not records[-1][1]:
        records.pop()
    return header, records, total, pending_empty


def _header(values: list[str]) -> list[str]:
    """Stripped column names (blank ones named ``unnamed_<n>``); a repeated name is a :class:`SchemaError`."""
    header = [v.strip() or f"unnamed_{i + 1}" for i, v in enumerate(values)]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise SchemaError(f"The header repeats column name(s): {', '.join(repeated)}. Each column needs its own name.")
    return header


def check(frame: pd.DataFrame, categories: dict[str, list[str]] | None = None) -> Checked:
    """Validate a frame of (text or typed) columns against the schema, row by row.

    Missing required columns raise :class:`SchemaError`; extra columns are ignored (and said so);
    every row that fails comes back in ``errors`` with all of its problems.
    """
    allowed = {c: set(v) for c, v in (categories or CATEGORIES).items()}
    missing = [c for c in FEATURES if c not in frame.columns]
    if missing:
        raise SchemaError(f"Missing required column(s): {', '.join(missing)}. Download the template to see the schema.")
    notes = []
    extra = [c for c in frame.columns if c not in (*FEATURES, ID_COLUMN, TARGET, LINE_PROBLEM)]
    if extra:
        notes.append(f"Ignored {len(extra)} extra column(s): {', '.join(map(str, extra))}.")

    typed = pd.DataFrame(index=frame.index)
    problems = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)

    def flag(mask: pd.Series, message: Callable[[object], str], column: str) -> None:
        for i in mask[mask].index:
            problems[i].append(message(frame.at[i, column]))

    for col in CATEGORIES:
        values = frame[col].astype(str).str.strip()
        ok = values.isin(allowed[col])
        flag(values.eq("") | frame[col].isna(), lambda _v, c=col: f"{c} is empty", col)
        flag(~ok & values.ne(""), lambda v, c=col: f"{c}={str(v)[:40]!r} is not one of {sorted(allowed[c])}", col)
        typed[col] = values
    text = {c: frame[c].astype(str).str.strip() for c in (*NUMERIC, *BINARY_NUMERIC)}
    numbers = {c: pd.to_numeric(t, errors="coerce") for c, t in text.items()}
    # A blank TotalCharges means "not billed yet" when tenure is 0, exactly as in :func:`clean`.
    numbers["TotalCharges"] = numbers["TotalCharges"].where(
        text["TotalCharges"].ne("") | numbers["tenure"].ne(0), 0.0
    )
    for col, num in numbers.items():
        blank = text[col].eq("") & num.isna()
        flag(blank, lambda _v, c=col: f"{c} is empty", col)
        flag(num.isna() & ~blank, lambda v, c=col: f"{c}={str(v)[:40]!r} is not a number", col)
        flag(num.notna() & ~np.isfinite(num.fillna(0)), lambda v, c=col: f"{c}={v!r} is not finite", col)
        flag(num < 0, lambda v, c=col: f"{c}={v} is negative", col)
        typed[col] = num
    flag(numbers["SeniorCitizen"].notna() & ~numbers["SeniorCitizen"].isin([0, 1]),
         lambda v: f"SeniorCitizen={v!r} must be 0 or 1", "SeniorCitizen")

    if LINE_PROBLEM in frame:  # a blank or ragged line: that is its one reason, not 19 "is empty"
        for i in frame.index[frame[LINE_PROBLEM].astype(str).ne("")]:
            problems[i] = [frame.at[i, LINE_PROBLEM]]
    checked = _split(frame, typed, problems)
    if len(checked.errors):
        notes.append(f"{len(checked.errors):,} row(s) failed validation; each is listed with its line number and "
                     "reason.")
    checked.notes = notes
    return checked


def _split(frame: pd.DataFrame, typed: pd.DataFrame, problems: pd.Series) -> Checked:
    """Rows without problems, typed and ready to score; the others whole (as uploaded) with every reason."""
    bad = problems.map(bool)
    ids = frame[ID_COLUMN].astype(str) if ID_COLUMN in frame else pd.Series("", index=frame.index)
    from_file = frame.index.name == "line"
    row_number = pd.Series(frame.index if from_file else np.arange(1, len(frame) + 1), index=frame.index)
    errors = frame.loc[bad, [c for c in frame.columns if c not in (ID_COLUMN, LINE_PROBLEM)]].copy()
    errors.insert(0, "row", row_number[bad])
    errors.insert(1, ID_COLUMN, ids[bad])
    errors.insert(2, "reason", problems[bad].map("; ".join))
    valid = typed.loc[~bad, FEATURES].astype({c: float for c in NUMERIC} | {"SeniorCitizen": int})
    valid.insert(0, "row", row_number[~bad])
    valid.insert(1, ID_COLUMN, ids[~bad])
    return Checked(valid.reset_index(drop=True), errors.reset_index(drop=True))


def template(rows: int = 3) -> pd.DataFrame:
    """A CSV template built from the schema alone (made-up customers, never real rows)."""
    out = {ID_COLUMN: [f"EXAMPLE-{i + 1:04d}" for i in range(rows)]}
    for col in FEATURES:
        if col in CATEGORIES:
            options = CATEGORIES[col]
            out[col] = [options[i % len(options)] for i in range(rows)]
        elif col == "SeniorCitizen":
            out[col] = [i % 2 for i in range(rows)]
    out["tenure"] = [1 + 12 * i for i in range(rows)]
    out["MonthlyCharges"] = [round(30.0 + 25.5 * i, 2) for i in range(rows)]
    out["TotalCharges"] = [round(t * m, 2) for t, m in zip(out["tenure"], out["MonthlyCharges"], strict=True)]
    return pd.DataFrame(out)[[ID_COLUMN, *FEATURES]]


def synthetic(n: int = 600, seed: int = 0, *, published: bool = False,
              contracts: tuple[str, ...] = CATEGORIES["Contract"],
              internet: tuple[str, ...] = CATEGORIES["InternetService"]) -> pd.DataFrame:
    """Made-up customers in the Telco schema, for tests and benchmarks that run without the real data.

    The one synthetic Telco generator. Values are random; only the columns, categories and service
    rules follow the published CSV. Churn is planted on the contract and tenure and nothing else, so
    a test knows what the EDA rules must find. ``published=True`` gives the file's layout
    (TotalCharges as text, blank for tenure 0; Churn Yes/No), else the :func:`clean` typed frame.
    """
    rng = np.random.default_rng(seed)
    contract = rng.choice(contracts, n)
    tenure = rng.integers(0, 73, n)
    tenure[:3] = 0  # a few brand-new customers, whose TotalCharges is blank as in the real file
    net = rng.choice(internet, n)
    monthly = np.round(rng.uniform(20, 110, n), 2)
    p = np.where(contract == "Month-to-month", 0.55, 0.08) * np.where(tenure < 12, 1.4, 0.8)
    churn = rng.random(n) < np.clip(p, 0, 1)
    frame = pd.DataFrame({
        ID_COLUMN: [f"{i:04d}-SYNTH" for i in range(n)],
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
    frame[TARGET] = np.where(churn, "Yes", "No")
    if published:
        return frame
    typed = clean(frame)
    typed["tenure"] = typed["tenure"].astype(float)
    return typed[[ID_COLUMN, *FEATURES, TARGET]]
