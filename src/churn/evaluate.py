"""Metrics of the committed model on any CSV in the Telco schema (with its ``Churn`` column), as JSON.

    python -m src.churn.evaluate --data path/to/Telco-Customer-Churn.csv

Note that on the training CSV itself these are in-sample numbers; the honest estimate is the
cross-validated one in the model card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from src.churn import data, metrics
from src.churn.predict import Predictor

app = typer.Typer(add_completion=False)


def evaluate(content: bytes, predictor: Predictor, threshold: float | None = None) -> dict[str, object]:
    """Scores, confusion matrix and counts for a labelled CSV; rows failing validation are counted."""
    frame, notes = data.read_upload(content, max_rows=10**7)
    if data.TARGET not in frame:
        raise data.SchemaError(f"The file has no '{data.TARGET}' column, so there is nothing to evaluate against.")
    labels = frame[data.TARGET].astype(str).str.strip()
    frame = frame[labels.isin(["Yes", "No"])].reset_index(drop=True)
    checked = data.check(frame, predictor.categories)
    if checked.valid.empty:
        raise data.SchemaError("No row passed validation; nothing to evaluate.")
    y = (labels[labels.isin(["Yes", "No"])].reset_index(drop=True).iloc[checked.valid["row"] - 1] == "Yes")
    y = y.to_numpy(dtype=int)
    p = predictor.predict_proba(checked.valid)
    t = predictor.threshold if threshold is None else threshold
    cm = metrics.confusion(y, p, t)
    return {
        "rows_scored": len(y),
        "rows_without_label": int((~labels.isin(["Yes", "No"])).sum()),
        "rows_failed_validation": len(checked.errors),
        "churn_rate": float(np.mean(y)),
        "threshold": t,
        **metrics.scores(y, p, t),
        "precision": cm.precision,
        "recall": cm.recall,
        "confusion": {"tp": cm.tp, "fp": cm.fp, "fn": cm.fn, "tn": cm.tn},
        "notes": notes + checked.notes,
    }


@app.command()
def main(
    data_path: Annotated[Path, typer.Option("--data", help="Labelled CSV in the Telco schema.")],
    threshold: Annotated[float | None, typer.Option(help="Decision threshold (default: the card's).")] = None,
) -> None:
    """Print JSON metrics of the committed model on a labelled CSV."""
    try:
        result = evaluate(data_path.read_bytes(), Predictor.from_artifact(), threshold)
    except (data.SchemaError, OSError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()
