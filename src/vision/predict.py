"""Load the committed model and classify images: ``Predictor.from_artifact(models/vision)``.

    python -m src.vision.predict photo.jpg            # prints the calibrated top-3 as JSON

Every path into the model (upload, camera, examples, evaluate) goes through
:func:`src.vision.preprocess.load_for_model`, then :meth:`Predictor.predict_batch`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from src.core.contract import CONFIG_FILE, WEIGHTS_FILE, ModelMissingError
from src.core.settings import model_dir
from src.vision.backends import make_backend
from src.vision.model import LEGACY_TTA, Net, NetConfig, combine_views, normalize, tta_logits, tta_views
from src.vision.prediction import DEFAULT_THRESHOLD, Prediction
from src.vision.preprocess import BadImageError, load_for_model

__all__ = ["DEFAULT_THRESHOLD", "ModelMissingError", "Prediction", "Predictor"]

#: The committed artifact folder, :meth:`Predictor.from_artifact`'s default.
ARTIFACT = model_dir("vision")


def as_batch(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(32,32,3) or (N,32,32,3) uint8 HWC, or (N,3,32,32) uint8 CHW -> (N,3,32,32) uint8 tensor."""
    x = images if isinstance(images, torch.Tensor) else torch.tensor(np.asarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.shape[-1] == 3 and x.shape[1] != 3:
        x = x.permute(0, 3, 1, 2)
    return x.contiguous()


class Predictor:
    """A read-only classifier around the trained net (safe to share between Streamlit sessions).

    ``net`` (float32, unfolded) serves the explanations; batched inference goes through ``backend``
    (see :mod:`src.vision.backends`), chosen at load time from the CPU's features unless named.
    """

    def __init__(self, net: Net, classes: list[str], temperature: float, tta_level: int = 2,
                 backend: str = "auto", folder: Path | None = None) -> None:
        self.net = net.eval()
        self.classes = classes
        self.temperature = temperature
        self.tta_level = int(tta_level)
        self.backend_name, self._forward = make_backend(self.net, backend, folder)

    @property
    def tta(self) -> bool:
        """Whether predictions average test-time views (setting it switches between level 2 and none)."""
        return self.tta_level > 0

    @tta.setter
    def tta(self, on: bool) -> None:
        self.tta_level = 2 if on else 0

    @classmethod
    def from_artifact(cls, folder: Path = ARTIFACT, *, threads: int | None = None,
                      backend: str = "auto") -> Predictor:
        """Rebuild the model from its folder alone: config.json + model.safetensors."""
        folder = Path(folder)
        if not (folder / WEIGHTS_FILE).is_file() or not (folder / CONFIG_FILE).is_file():
            raise ModelMissingError("vision", folder)
        if threads:
            torch.set_num_threads(threads)
        config = json.loads((folder / CONFIG_FILE).read_text())
        net = Net(NetConfig.from_dict(config["net"]))
        net.load_state_dict(load_file(folder / WEIGHTS_FILE))
        net = net.to(memory_format=torch.channels_last).eval()
        level = config.get("tta_level", LEGACY_TTA if config.get("tta", True) else 0)
        return cls(net, config["classes"], float(config["temperature"]), level, backend, folder)

    @torch.no_grad()
    def logits(self, images: np.ndarray | torch.Tensor, *, batch_size: int = 1000) -> torch.Tensor:
        """Raw (uncalibrated) logits for a batch of uint8 images, all TTA views of a chunk in one forward call."""
        batch = as_batch(images)
        out = []
        for start in range(0, len(batch), batch_size):
            x = normalize(batch[start : start + batch_size]).contiguous(memory_format=torch.channels_last)
            views, weights = tta_views(x, self.tta_level)
            out.append(combine_views(self._forward(views), weights))
        return torch.cat(out) if out else torch.empty(0, len(self.classes))

    def logits_with_grad(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for normalised float input that keep the autograd graph (FGSM, Grad-CAM)."""
        return tta_logits(self.net, x, self.tta_level)

    def predict_batch(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """Calibrated probabilities, (N, num_classes)."""
        return torch.softmax(self.logits(images) / self.temperature, dim=1).numpy()

    def predict_image(self, image: np.ndarray, notes: list[str] | None = None) -> Prediction:
        """One 32x32x3 uint8 image -> :class:`Prediction`."""
        logits = self.logits(image)[0]
        probs = torch.softmax(logits / self.temperature, dim=0).numpy()
        energy = float(-self.temperature * torch.logsumexp(logits / self.temperature, dim=0))
        return Prediction(probs, self.classes, energy, list(notes or []))

    def predict(self, source: bytes | str | Path) -> Prediction:
        """Bytes or a path of any image PIL reads -> :class:`Prediction` (raises BadImageError)."""
        image, _, notes = load_for_model(source)
        return self.predict_image(image, notes)

    def normalized(self, image: np.ndarray) -> torch.Tensor:
        """One uint8 image as the (1,3,32,32) float tensor the net takes."""
        return normalize(as_batch(image)).contiguous(memory_format=torch.channels_last)


def main(paths: list[str]) -> int:
    """One JSON line per file: the prediction, or the reason it could not be read. Exit code 1 if any failed."""
    try:
        predictor = Predictor.from_artifact()
    except ModelMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            pred = predictor.predict(path)
        except (BadImageError, OSError) as exc:
            failed += 1
            print(json.dumps({"file": path, "error": str(exc)}))
            continue
        print(json.dumps({"file": path, "top3": pred.top_k(3), "rejected": pred.rejected(), "notes": pred.notes}))
    return 1 if failed else 0


def cli(argv: list[str] | None = None) -> int:
    """``python -m src.vision.predict FILE...``: ``--help`` prints usage; bad options exit 2 with a usage line."""
    parser = argparse.ArgumentParser(
        prog="python -m src.vision.predict",
        description="Classify image files with the committed CIFAR-10 model: one JSON line per file.")
    parser.add_argument("paths", nargs="*", metavar="FILE", help="image files, any format Pillow reads")
    args, unknown = parser.parse_known_args(argv)
    # Unknown options first, so "--typo" is named in the message rather than "FILE is required".
    if unknown:
        parser.error(f"unrecognised arguments: {' '.join(unknown)}")
    if not args.paths:
        parser.error("give at least one image FILE")
    return main(args.paths)


if __name__ == "__main__":
    sys.exit(cli())
