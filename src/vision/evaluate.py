"""Evaluate the committed model on any image folder (one sub-folder per class) and print JSON.

    python -m src.vision.evaluate --data FOLDER
    python -m src.vision.evaluate --data FOLDER --model models/vision --limit 2000

Images pass through the same preprocessing as uploads (:func:`src.vision.preprocess.load_for_model`).
Folder class names must be among the model's classes; unreadable files are listed, never dropped silently.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
import typer

from src.core import calibration
from src.core.cli import fail
from src.core.contract import ModelMissingError
from src.core.settings import model_dir
from src.vision.data import ImageSet, load_folder
from src.vision.predict import Predictor

MODEL_DIR = model_dir("vision")


def evaluate(predictor: Predictor, images: ImageSet, *, threads: int = 2) -> dict[str, Any]:
    """Accuracy, per-class accuracy, ECE (calibrated and raw) and images/s of ``predictor`` on ``images``."""
    unknown = sorted(set(images.classes) - set(predictor.classes))
    if unknown:
        raise ValueError(f"Folder classes not known to the model: {', '.join(unknown)}. "
                         f"Model classes: {', '.join(predictor.classes)}.")
    torch.set_num_threads(threads)
    # Map the folder's label ids onto the model's class order.
    mapping = torch.tensor([predictor.classes.index(c) for c in images.classes])
    labels = mapping[images.labels]
    start = time.perf_counter()
    logits = predictor.logits(images.images)
    seconds = time.perf_counter() - start
    z, y = logits.numpy(), labels.numpy()
    probs = calibration.probabilities(z, predictor.temperature)
    correct = (probs.argmax(1) == y).astype(float)
    per_class = {name: float(correct[y == i].mean()) for i, name in enumerate(predictor.classes) if (y == i).any()}
    has = len(y) > 0
    return {
        "n_images": len(y),
        "accuracy": float(correct.mean()) if has else float("nan"),
        "per_class_accuracy": per_class,
        "ece": calibration.ece(probs, y) if has else float("nan"),
        "ece_bins": calibration.binning(),
        "ece_before_temperature": calibration.ece(calibration.probabilities(z), y) if has else float("nan"),
        "nll": calibration.nll(z, y, predictor.temperature) if has else float("nan"),
        "images_per_s": len(labels) / seconds if seconds > 0 else float("nan"),
        "tta_level": predictor.tta_level,
        "backend": predictor.backend_name,
        "temperature": predictor.temperature,
        "skipped": [{"file": f, "reason": r} for f, r in images.skipped],
    }


app = typer.Typer(add_completion=False)


@app.command()
def main(
    data: Annotated[Path, typer.Option(help="Image folder with one sub-folder per class.")],
    model: Annotated[Path, typer.Option(help="Artifact folder.")] = MODEL_DIR,
    limit: Annotated[int, typer.Option(help="Evaluate a random subset of this size (0 = all).")] = 0,
    seed: Annotated[int, typer.Option(help="Seed for --limit.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads.")] = 2,
    cache: Annotated[bool, typer.Option(help="Cache the decoded folder under data/cache/vision.")] = True,
) -> None:
    """Print accuracy, per-class accuracy, ECE and images/s as JSON."""
    try:
        predictor = Predictor.from_artifact(model)
        images = load_folder(data, cache=cache, progress=False)
    except (ModelMissingError, ValueError, OSError) as exc:
        fail(str(exc))
    if limit and limit < len(images):
        images = images.subset(np.sort(np.random.default_rng(seed).choice(len(images), limit, replace=False)))
    try:
        result = evaluate(predictor, images, threads=threads)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(json.dumps({"data": str(data), "model": str(model), **result}, indent=2))


if __name__ == "__main__":
    app()
