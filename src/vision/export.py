"""Export the trained CNN to ONNX (float32 and int8) for CPUs without native bf16, and check its accuracy.

    python -m src.vision.export                    # for the committed model (the training run does it too)

Writes into the artifact folder:

* ``model.onnx``: the BatchNorm-folded float32 graph (ONNX Runtime applies its own graph optimisations);
* ``model.int8.onnx``: static int8 quantisation (QDQ, per-channel weights), calibrated on *training* images;
* ``backends.json``: each backend's single-pass accuracy on the validation split, and whether it stays
  within :data:`MAX_DROP` of float32, so the loader never picks a backend that costs accuracy.
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
import typer

from src.core.contract import CONFIG_FILE
from src.core.settings import model_dir
from src.vision.backends import BACKENDS_FILE, INT8_FILE, ONNX_FILE, fold_batchnorm, make_backend
from src.vision.model import Net, normalize

log = logging.getLogger(__name__)

#: Largest accuracy drop (in accuracy units: 0.002 = 0.2 points) a faster backend may cost against float32.
MAX_DROP = 0.002
MODEL_DIR = model_dir("vision")
#: Training images that calibrate the int8 activation ranges.
CALIBRATION_IMAGES = 1024


def export_onnx(net: Net, path: Path) -> Path:
    """The folded float32 net as ONNX with a dynamic batch axis (TorchScript exporter: no extra dependency)."""
    folded = fold_batchnorm(net).float()
    example = torch.zeros(1, 3, 32, 32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(folded, (example,), str(path), input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}}, dynamo=False, opset_version=17)
    return path


def quantize_int8(fp32_path: Path, out_path: Path, calibration: np.ndarray) -> Path:
    """Static int8 quantisation with ONNX Runtime's tool, activation ranges from ``calibration`` (N,3,32,32)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"x": b} for b in np.array_split(calibration, max(1, len(calibration) // 256))])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32_path), str(pre))
        quantize_static(str(pre), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out_path


def backend_accuracies(net: Net, folder: Path, images: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """Single-pass validation accuracy of every backend that runs here, and whether each is within MAX_DROP."""
    from src.vision.backend_choice import available_backends

    x = normalize(images).contiguous(memory_format=torch.channels_last)
    scores = {}
    for name in available_backends(folder):
        _, forward = make_backend(net, name, folder)
        logits = torch.cat([forward(chunk) for chunk in x.split(1000)])
        scores[name] = float((logits.argmax(1) == labels).float().mean())
    reference = scores["torch-fp32"]
    return {name: {"accuracy": acc, "drop": reference - acc, "ok": reference - acc <= MAX_DROP}
            for name, acc in scores.items()}


def write(folder: Path, net: Net, train_images: torch.Tensor, val_images: torch.Tensor,
          val_labels: torch.Tensor) -> dict[str, Any]:
    """Export both ONNX files into ``folder`` and record every backend's accuracy in ``backends.json``."""
    from src.vision.data import spread_sample  # here, not at the top: the page imports MAX_DROP, not sklearn

    export_onnx(net, folder / ONNX_FILE)
    # A sample across the whole split: the first 1,024 would all be airplanes (see spread_sample).
    calibration = normalize(train_images[spread_sample(len(train_images), CALIBRATION_IMAGES)]).numpy()
    quantize_int8(folder / ONNX_FILE, folder / INT8_FILE, calibration)
    result = {"max_drop": MAX_DROP, "n_images": len(val_labels),
              "backends": backend_accuracies(net, folder, val_images, val_labels)}
    (folder / BACKENDS_FILE).write_text(json.dumps(result, indent=2))
    log.info("backends: %s", {k: f"{v['accuracy']:.4f}" for k, v in result["backends"].items()})
    return result


def main(folder: Annotated[Path, typer.Option(help="Artifact folder.")] = MODEL_DIR) -> None:
    """Export the committed model (scores the validation split: needs the dataset)."""
    from src.core import cards
    from src.core.logs import setup_logging
    from src.vision.data import mirror_splits
    from src.vision.predict import Predictor

    setup_logging()
    predictor = Predictor.from_artifact(folder, backend="torch-fp32")
    config = json.loads((folder / CONFIG_FILE).read_text())
    train_set, val_set = mirror_splits(int(config["val_size"]), int(config["seed"]))
    result = write(folder, predictor.net, train_set.images, val_set.images, val_set.labels)
    card = cards.read_card(folder)
    if card is not None:  # the card records the same figures as backends.json; keep them in step
        from src.vision.report import SECTIONS  # a read card has no prose sections; write them back

        card.extra["backends"] = result["backends"]
        card.sections = {**SECTIONS, **card.sections}
        cards.write_card(card, folder)


if __name__ == "__main__":
    typer.run(main)
