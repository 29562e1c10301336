"""Metrics of the committed models on any ``sentence<TAB>label`` file, as JSON.

    python -m src.sentiment.evaluate --data my_reviews.tsv
    python -m src.sentiment.evaluate --data my_reviews.tsv --model transformer

The file needs a header ``sentence<TAB>label``; labels are 0/1 or negative/positive. Texts longer
than the model's window are scored through the same sentence chunking as the app.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from src.core import calibration
from src.core.cli import fail
from src.core.contract import ModelMissingError
from src.sentiment import metrics
from src.sentiment.data import DataFormatError, read_labelled_tsv
from src.sentiment.predict import ARTIFACT, MODEL_TITLES, MODELS, Predictor
from src.sentiment.report import ECE_BINS, ECE_LO

app = typer.Typer(add_completion=False)


def evaluate(predictor: Predictor, sentences: list[str], y: np.ndarray, models: tuple[str, ...] = MODELS) -> dict:
    """Accuracy, F1, confusion, calibration and length breakdown per model.

    Rows that cannot be scored (empty, emoji only, another language...) are counted in ``skipped``
    by reason, so ``n == n_scored + sum(skipped.values())``; with no scored row only the counts come back.
    """
    frame = predictor.predict_many(sentences)
    scored = frame["error"].fillna("") == ""
    out: dict[str, object] = {"n": len(sentences), "n_scored": int(scored.sum()),
                              "skipped": frame.loc[~scored, "error"].value_counts().to_dict()}
    if not scored.any():
        return out
    kept = [s for s, ok in zip(sentences, scored, strict=True) if ok]
    y_kept = y[scored.to_numpy()]
    for name in models:
        conf = frame.loc[scored, f"{name}_confidence"].to_numpy(dtype=float)
        p_pos = np.where(frame.loc[scored, f"{name}_label"] == "positive", conf, 1 - conf)
        result = metrics.classification(y_kept, p_pos)
        result["ece"] = calibration.ece(p_pos, y_kept, ECE_BINS, ECE_LO)
        result["ece_bins"] = calibration.binning(ECE_BINS, ECE_LO)
        result["by_length"] = metrics.accuracy_by_length(kept, y_kept, p_pos)
        out[name] = {"title": MODEL_TITLES[name], **result}
    return out


@app.command()
def main(
    data: Annotated[Path, typer.Option(help="A sentence<TAB>label file (header required).")],
    model: Annotated[list[str] | None, typer.Option(help="Models to report (default: all).")] = None,
    artifact: Annotated[Path | None, typer.Option(help="Artifact folder (default: models/sentiment).")] = None,
) -> None:
    """Print JSON metrics for the file."""
    chosen = tuple(model or MODELS)
    unknown = set(chosen) - set(MODELS)
    if unknown:
        raise typer.BadParameter(f"unknown model(s) {sorted(unknown)}; choose from {list(MODELS)}")
    try:
        frame = read_labelled_tsv(data)
    except (DataFormatError, FileNotFoundError) as exc:
        fail(str(exc))
    start = time.perf_counter()
    try:
        predictor = Predictor.from_artifact(artifact or ARTIFACT)
    except ModelMissingError as exc:
        fail(str(exc))
    result = evaluate(predictor, frame["sentence"].tolist(), frame["label"].to_numpy(), chosen)
    result["file"], result["seconds"] = str(data), round(time.perf_counter() - start, 2)
    typer.echo(json.dumps(result, indent=2))
    if result["n_scored"] == 0:
        reasons = "; ".join(f"{n} x {why}" for why, n in result["skipped"].items()) or "the file has no rows"
        fail(f"No row of {data} could be scored ({reasons}).")


if __name__ == "__main__":
    app()
