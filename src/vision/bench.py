"""Speed of the committed vision model per inference backend: ``python -m src.bench vision`` (or ``make bench``).

For every backend that runs on this CPU: batched single-pass images/s, one uploaded photo to prediction
with TTA, and (when the dataset is here) single-pass validation accuracy against float32. Prints the CPU
kind, and which backend the page picks here and would pick on a CPU without native bf16.
"""

from __future__ import annotations

import io
import json

import numpy as np
import torch
from PIL import Image

from src.core.benchmark import Row, print_table, time_ms
from src.core.cards import hardware, load_card
from src.core.contract import ModelMissingError
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import model_dir
from src.vision import explain
from src.vision.backend_choice import BACKENDS_FILE, auto_backend, available_backends
from src.vision.model import TTA_PASSES
from src.vision.predict import Predictor

#: Goals from the issue: batched single pass without native bf16, and one photo with TTA on any CPU.
BATCH_GOAL, UPLOAD_GOAL_MS = 1500, 20.0


def _photo_bytes(width: int = 640, height: int = 480) -> bytes:
    """A smooth synthetic photo-sized JPEG, like a phone upload."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def backend_rows(folder, name: str, images: torch.Tensor, photo: bytes) -> list[Row]:
    """Batched single-pass throughput and photo-to-prediction latency of one backend."""
    predictor = Predictor.from_artifact(folder, backend=name)
    predictor.tta_level = 0
    per_s = len(images) / time_ms(lambda: predictor.logits(images, batch_size=500), repeat=3, warmup=1) * 1000
    predictor.tta_level = 2
    upload_ms = time_ms(lambda: predictor.predict(photo), repeat=30)
    fp32_cpu = name != "torch-bf16"
    return [
        Row(f"{name}: batched, single pass", f"{per_s:,.0f} images/s",
            f"≥ {BATCH_GOAL:,} images/s without native bf16" if fp32_cpu else "", per_s >= BATCH_GOAL if fp32_cpu
            else None),
        Row(f"{name}: one 640x480 JPEG to prediction ({TTA_PASSES}-view TTA)", f"{upload_ms:.1f} ms",
            f"≤ {UPLOAD_GOAL_MS:g} ms", upload_ms <= UPLOAD_GOAL_MS),
    ]


def accuracy_rows(folder) -> list[Row]:
    """Each backend's recorded single-pass validation accuracy against float32 (from the export step)."""
    try:
        recorded = json.loads((folder / BACKENDS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [Row(f"{name}: validation accuracy, single pass", f"{v['accuracy']:.2%} ({-v['drop'] * 100:+.2f} pts)",
                f"within {recorded['max_drop'] * 100:.1f} pts of torch-fp32", v["ok"])
            for name, v in recorded["backends"].items()]


def card_rows() -> list[Row]:
    card = load_card("vision")
    if card is None:
        return []
    rows = [Row(card.headline.name, card.headline.formatted(), "test ≥ 92% (goal 94%)", card.headline.value >= 0.93)]
    for name, goal, limit in (("training time (min)", "≤ 30 min with native bf16", 30),
                              ("training time without native bf16 (min)", "≤ 60 min (estimated)", 60)):
        metric = card.metric(name)
        if metric is not None:
            rows.append(Row(name, f"{metric.value:.1f} min", goal, metric.value <= limit))
    return rows


def main() -> None:
    torch.set_num_threads(2)
    folder = model_dir("vision")
    try:
        reference = Predictor.from_artifact(folder, backend="torch-fp32")
    except ModelMissingError as exc:
        print(f"\n### CIFAR-10 CNN\n\n{exc}")
        return
    print(f"\nCPU: {hardware()}; native bf16: {'yes' if cpu_has_native_bf16() else 'no'}; the page picks "
          f"{auto_backend(folder)} here (without native bf16 it would pick the fastest checked ONNX graph).")
    images = torch.randint(0, 256, (2000, 3, 32, 32), dtype=torch.uint8)
    photo = _photo_bytes()
    rows = []
    for name in available_backends(folder):
        rows += backend_rows(folder, name, images, photo)
    rows += accuracy_rows(folder)
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for layer in ("layer3", "layer1"):
        cam_ms = time_ms(lambda layer=layer: explain.grad_cam(reference, image, 0, layer), repeat=20)
        rows.append(Row(f"Grad-CAM for one image ({layer})", f"{cam_ms:.1f} ms", "≤ 100 ms", cam_ms <= 100))
    print_table("CIFAR-10 CNN", rows + card_rows())  # cold chapters: src.bench's table of every page


if __name__ == "__main__":
    main()
