"""What the page shows that costs time to compute, computed once at training time into ``insights.json``.

* ``examples``: the first validation images of every class, by file name, so the page decodes a
  handful of JPEGs instead of the whole dataset;
* ``mistakes``: the validation images the model gets most confidently wrong (file, truth, prediction,
  calibrated confidence), so the report chapter scores nothing;
* ``sweeps``: each robustness perturbation swept over its range for every example image, so the
  robustness lab only computes live for an uploaded photo.

File names are paths inside the dataset folder ("cat/0042.jpg"): no pixels are stored.

    python -m src.vision.insights                 # (re)write insights.json for the committed model
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from src.core.contract import CONFIG_FILE
from src.core.settings import model_dir
from src.vision import robustness
from src.vision.examples import generated_examples
from src.vision.model import Net
from src.vision.predict import Predictor

if TYPE_CHECKING:  # the page reads insights without the training data module (and its scikit-learn import)
    from src.vision.data import ImageSet

log = logging.getLogger(__name__)

INSIGHTS_FILE = "insights.json"
MODEL_DIR = model_dir("vision")
#: Mistakes kept for the gallery (it shows 12; the rest are spare for a later page).
MISTAKES = 24
#: Validation examples per class in the image picker.
EXAMPLES_PER_CLASS = 2


def example_rows(val: ImageSet, per_class: int = EXAMPLES_PER_CLASS) -> list[dict[str, Any]]:
    """The first ``per_class`` validation images of every class: picker name, file and true class."""
    labels = val.labels.numpy()
    rows = []
    for label, name in enumerate(val.classes):
        for n, i in enumerate(np.flatnonzero(labels == label)[:per_class], 1):
            rows.append({"name": f"validation: {name} #{n}", "file": val.files[i], "label": name, "index": int(i)})
    return rows


def mistake_rows(val: ImageSet, probs: np.ndarray, limit: int = MISTAKES) -> list[dict[str, Any]]:
    """The most confident wrong predictions on validation, most confident first."""
    labels = val.labels.numpy()
    predicted, confidence = probs.argmax(1), probs.max(1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:limit]
    return [{"file": val.files[i], "true": val.classes[labels[i]], "predicted": val.classes[predicted[i]],
             "confidence": float(confidence[i])} for i in order]


def sweep_rows(predictor: Any, images: dict[str, np.ndarray]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every robustness perturbation swept for every named image."""
    return {name: {p: asdict(robustness.sweep(predictor, image, p)) for p in robustness.PERTURBATIONS}
            for name, image in images.items()}


def build(net: Net, val: ImageSet, probs: np.ndarray, temperature: float, tta_level: int) -> dict[str, Any]:
    """The whole insights document for a trained net and its validation split."""
    predictor = Predictor(net, val.classes, temperature, tta_level)
    examples = example_rows(val) if val.files else []
    images = {row["name"]: val.images[row["index"]].permute(1, 2, 0).numpy() for row in examples}
    images |= {e.name: e.image for e in generated_examples()}
    return {
        "examples": examples,
        "mistakes": mistake_rows(val, probs) if val.files else [],
        "sweeps": sweep_rows(predictor, images),
    }


def write(folder: Path, net: Net, val: ImageSet, probs: np.ndarray, temperature: float, tta_level: int) -> Path:
    """Write ``insights.json`` into an artifact folder."""
    path = Path(folder) / INSIGHTS_FILE
    path.write_text(json.dumps(build(net, val, probs, temperature, tta_level)))
    log.info("wrote %s", path)
    return path


def read(folder: Path | None = None) -> dict[str, Any]:
    """The insights of an artifact folder; empty sections when the file is missing or unreadable."""
    path = Path(folder or MODEL_DIR) / INSIGHTS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"examples": [], "mistakes": [], "sweeps": {}}


app = typer.Typer(add_completion=False)


@app.command()
def main(folder: Annotated[Path, typer.Option(help="Artifact folder.")] = MODEL_DIR) -> None:
    """Recompute insights.json for an existing artifact (decodes the dataset, scores validation)."""
    from src.core import calibration
    from src.core.logs import setup_logging
    from src.vision.data import validation_split
    from src.vision.model import batched_logits

    setup_logging()
    predictor = Predictor.from_artifact(folder)
    config = json.loads((folder / CONFIG_FILE).read_text())
    val = validation_split(int(config["val_size"]), int(config["seed"]))
    logits = batched_logits(predictor.net, val.images, tta=predictor.tta_level).numpy()
    write(folder, predictor.net, val, calibration.probabilities(logits, predictor.temperature), predictor.temperature,
          predictor.tta_level)


if __name__ == "__main__":
    app()
