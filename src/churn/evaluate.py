"""Metrics of the committed model on any CSV in the Telco schema (with its ``Churn`` column), as JSON.

    python -m src.churn.evaluate --data path/to/Telco-Customer-Churn.csv [--errors rejected.csv]

``Churn`` may be Yes/No (as IBM publishes it), 1/0 or true/false, in any case. Every data row is
either scored or counted as an error with its reason (rows in = rows scored + rows in errors);
``--errors`` writes those rows to a CSV. Note that on the training CSV itself these are in-sample
numbers; the honest estimate is the cross-validated one in the model card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from src.churn import data, metrics
from src.churn.predict import ModelMissingError, Predictor, default_predictor
from src.core.cli import fail, read_input
from src.core.safe_csv import to_csv_bytes

app = typer.Typer(add_completion=False)

#: Accepted spellings of the label (lower-cased, stripped) and what they mean.
LABELS = {"yes": 1, "no": 0, "1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}


@dataclass
class Evaluation:
    """The metrics, and every row that could not be used with its reason."""

    metrics: dict[str, object]
    errors: pd.DataFrame = field(default_factory=pd.DataFrame)


def _labels(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """0/1 labels of the rows whose ``Churn`` is readable, and the other rows as errors with their reason."""
    if data.TARGET not in frame:
        raise data.SchemaError(f"The file has no '{data.TARGET}' column, so there is nothing to evaluate against.")
    raw = frame[data.TARGET].astype(str).str.strip()
    y = raw.str.lower().map(LABELS)
    blank_line = frame.get(data.LINE_PROBLEM, pd.Series("", index=frame.index)).astype(str).ne("")
    unlabelled = y.isna() & ~blank_line  # blank/ragged lines get their own reason from data.check
    bad = frame.loc[unlabelled, [c for c in frame.columns if c != data.LINE_PROBLEM]].copy()
    bad.insert(0, "row", bad.index)
    bad.insert(1, "reason", [f"{data.TARGET}={v[:40]!r} is not Yes/No, 1/0 or true/false" for v in raw[unlabelled]])
    return y[~unlabelled], bad.reset_index(drop=True)


@dataclass
class Labelled:
    """A labelled upload, scored: probabilities and 0/1 labels of the usable rows; every other row is an error."""

    p: np.ndarray
    y: np.ndarray
    rows_in: int
    unlabelled: int
    failed_validation: int
    errors: pd.DataFrame
    notes: list[str]


def score_labelled(content: bytes, predictor: Predictor, *, max_rows: int = 10**7) -> Labelled:
    """Read, label-check, validate and score a labelled CSV (also used by the Model health page).

    Raises :class:`data.SchemaError` when the file or its labels leave no row to score.
    """
    frame, notes = data.read_upload(content, max_rows=max_rows)
    y_all, unlabelled = _labels(frame)
    checked = data.check(frame.loc[y_all.index], predictor.categories)
    errors = pd.concat([unlabelled, checked.errors], ignore_index=True).sort_values("row", kind="stable")
    if checked.valid.empty:
        found = sorted(frame[data.TARGET].astype(str).str.strip().unique())[:5]
        raise data.SchemaError(
            f"No row can be evaluated: {len(errors):,} of {len(frame):,} failed. The first reason: "
            f"{errors['reason'].iloc[0] if len(errors) else 'none'}. {data.TARGET} values found: {found}."
        )
    if len(unlabelled):
        notes.append(f"{len(unlabelled):,} row(s) have no usable {data.TARGET} label; they are counted as errors.")
    return Labelled(predictor.predict_proba(checked.valid), y_all.loc[checked.valid["row"]].to_numpy(dtype=int),
                    len(frame), len(unlabelled), len(checked.errors), errors.reset_index(drop=True),
                    notes + checked.notes)


def evaluate(content: bytes, predictor: Predictor, threshold: float | None = None) -> Evaluation:
    """Scores, confusion matrix and counts for a labelled CSV; rows that cannot be used are errors, with reasons."""
    s = score_labelled(content, predictor)
    t = predictor.threshold if threshold is None else threshold
    cm = metrics.confusion(s.y, s.p, t)
    return Evaluation({
        "rows_in": s.rows_in,
        "rows_scored": len(s.y),
        "rows_in_errors": len(s.errors),
        "rows_without_label": s.unlabelled,
        "rows_failed_validation": s.failed_validation,
        "churn_rate": float(np.mean(s.y)),
        "threshold": t,
        **metrics.scores(s.y, s.p, t),
        "precision": cm.precision,
        "recall": cm.recall,
        "confusion": {"tp": cm.tp, "fp": cm.fp, "fn": cm.fn, "tn": cm.tn},
        "notes": s.notes,
    }, s.errors)


@app.command()
def main(
    data_path: Annotated[Path, typer.Option("--data", help="Labelled CSV in the Telco schema.")],
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0,
                                                    help="Decision threshold (default: the card's).")] = None,
    errors: Annotated[Path | None, typer.Option(help="Also write the rows that could not be used, with the "
                                                      "reason, to this CSV.")] = None,
) -> None:
    """Print JSON metrics of the committed model on a labelled CSV."""
    content = read_input(data_path)
    try:
        result = evaluate(content, default_predictor(), threshold)
    except (data.SchemaError, ModelMissingError) as exc:
        fail(str(exc))
    if errors is not None:
        try:
            errors.parent.mkdir(parents=True, exist_ok=True)
            errors.write_bytes(to_csv_bytes(result.errors))
        except OSError as exc:
            fail(f"cannot write {errors}: {exc.strerror or exc}")
        result.metrics["errors_file"] = str(errors)
    elif len(result.errors):
        result.metrics["notes"].append(f"Pass --errors PATH to get the {len(result.errors):,} rows with their reason.")
    typer.echo(json.dumps(result.metrics, indent=2))


if __name__ == "__main__":
    app()
