"""What the page shows that costs time to compute, computed once at training time into ``insights.json``.

* ``examples``: the first validation images of every class, by file name, so the page decodes a
  handful of JPEGs instead of the whole dataset;
* ``mistakes``: the validation images the model gets most confidently wrong (file, truth, prediction,
  calibrated confidence), so the report chapter scores nothing;
* ``sweeps``: each robustness perturbation swept over its range for every example image, so the
  robustness lab only computes live for an uploaded photo;
* ``screens``: every example image's calibrated prediction and its top class's Grad-CAM maps at the
  layers the chapters open on, so a cold visit draws its first screen without importing PyTorch
  (1.5-2 s of the 3 s goal); the model loads in the background for whatever the visitor does next.

File names are paths inside the dataset folder ("cat/0042.jpg"): no pixels are stored.

    python -m src.vision.insights                 # (re)write insights.json for the committed model
"""

from __future__ import annotations

import base64
import hashlib
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
from src.vision.prediction import Prediction

if TYPE_CHECKING:  # the page reads insights without the training data module (scikit-learn) or PyTorch
    from src.vision.data import ImageSet
    from src.vision.model import Net
    from src.vision.predict import Predictor

log = logging.getLogger(__name__)

INSIGHTS_FILE = "insights.json"
MODEL_DIR = model_dir("vision")
#: Mistakes kept for the gallery (it shows 12; the rest are spare for a later page).
MISTAKES = 24
#: Validation examples per class in the image picker.
EXAMPLES_PER_CLASS = 2
#: Grad-CAM layers stored for every example: the one *Classify* opens on, and the robustness lab's.
SCREEN_LAYERS = ("layer3", "layer2")
EMPTY: dict[str, Any] = {"examples": [], "mistakes": [], "sweeps": {}, "screens": {}}


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


def image_key(image: np.ndarray) -> str:
    """A short hash of a 32x32 input: a stored screen is used only for the very pixels it was computed on."""
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()[:16]


def _encode_heat(heat: np.ndarray) -> str:
    # stored as the 8-bit map the overlay draws anyway (explain.overlay quantises to uint8), base64 in JSON
    return base64.b64encode((np.clip(heat, 0, 1) * 255).astype(np.uint8).tobytes()).decode()


def _decode_heat(text: str) -> np.ndarray:
    side = int(len(base64.b64decode(text)) ** 0.5)
    # the +0.5 makes overlay's (heat * 255).astype(uint8) give back exactly the stored byte
    return (np.frombuffer(base64.b64decode(text), np.uint8).reshape(side, side) + 0.5) / 255


def screen_rows(predictor: Predictor, images: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Each named image's first screen: calibrated probabilities, energy and its top class's Grad-CAM maps."""
    from src.vision import explain

    rows = {}
    for name, image in images.items():
        pred = predictor.predict_image(image)
        top = int(pred.probs.argmax())
        rows[name] = {"image": image_key(image), "probs": [float(p) for p in pred.probs], "energy": float(pred.energy),
                      "heat": {layer: _encode_heat(explain.grad_cam(predictor, image, top, layer))
                               for layer in SCREEN_LAYERS}}
    return rows


def stored_screen(insights: dict[str, Any], name: str | None, image: np.ndarray,
                  classes: list[str]) -> tuple[Prediction, dict[str, np.ndarray]] | None:
    """The stored prediction and Grad-CAM maps (layer -> map, for the top class) of this example, or None."""
    row = insights.get("screens", {}).get(name or "")
    if row is None or row.get("image") != image_key(image) or len(row.get("probs", [])) != len(classes):
        return None
    heats = {layer: _decode_heat(text) for layer, text in row["heat"].items()}
    return Prediction(np.asarray(row["probs"]), list(classes), float(row["energy"])), heats


def build(net: Net, val: ImageSet, probs: np.ndarray, temperature: float, tta_level: int) -> dict[str, Any]:
    """The whole insights document for a trained net and its validation split."""
    from src.vision.predict import Predictor

    predictor = Predictor(net, val.classes, temperature, tta_level)
    examples = example_rows(val) if val.files else []
    images = {row["name"]: val.images[row["index"]].permute(1, 2, 0).numpy() for row in examples}
    images |= {e.name: e.image for e in generated_examples()}
    return {
        "examples": examples,
        "mistakes": mistake_rows(val, probs) if val.files else [],
        "sweeps": sweep_rows(predictor, images),
        "screens": screen_rows(predictor, images),
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
        return {**EMPTY, **json.loads(path.read_text())}
    except (OSError, ValueError, TypeError):
        return dict(EMPTY)


app = typer.Typer(add_completion=False)


@app.command()
def main(folder: Annotated[Path, typer.Option(help="Artifact folder.")] = MODEL_DIR) -> None:
    """Recompute insights.json for an existing artifact (decodes the dataset, scores validation)."""
    from src.core import calibration
    from src.core.logs import setup_logging
    from src.vision.data import validation_split
    from src.vision.model import batched_logits
    from src.vision.predict import Predictor

    setup_logging()
    predictor = Predictor.from_artifact(folder)
    config = json.loads((folder / CONFIG_FILE).read_text())
    val = validation_split(int(config["val_size"]), int(config["seed"]))
    logits = batched_logits(predictor.net, val.images, tta=predictor.tta_level).numpy()
    write(folder, predictor.net, val, calibration.probabilities(logits, predictor.temperature), predictor.temperature,
          predictor.tta_level)


if __name__ == "__main__":
    app()
