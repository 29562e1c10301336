"""Speed of the committed vision model: ``python -m src.bench vision`` (or ``make bench``).

Batched inference images/s (with and without test-time augmentation), one uploaded image to prediction, and one
Grad-CAM, against the goals of the vision issue.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from src.core.benchmark import Row, print_table, time_ms
from src.core.cards import load_card
from src.vision import explain
from src.vision.model import TTA_PASSES
from src.vision.predict import ModelMissingError, Predictor


def _photo_bytes(width: int = 640, height: int = 480) -> bytes:
    """A smooth synthetic photo-sized JPEG, like a phone upload."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def main() -> None:
    torch.set_num_threads(2)
    try:
        predictor = Predictor.from_artifact()
    except ModelMissingError as exc:
        print(f"\n### CIFAR-10 CNN\n\n{exc}")
        return
    images = torch.randint(0, 256, (4000, 3, 32, 32), dtype=torch.uint8)
    rows = []
    for tta in (False, True):
        predictor.tta = tta
        ms = time_ms(lambda: predictor.logits(images, batch_size=500), repeat=3, warmup=1)
        per_s = len(images) / ms * 1000
        label = f"with flip + shift TTA ({TTA_PASSES} passes)" if tta else "single pass"
        rows.append(Row(f"batched inference, {label}", f"{per_s:,.0f} images/s", "≥ 3,000 images/s",
                        per_s >= 3000 if not tta else None))
    predictor.tta = True
    photo = _photo_bytes()
    upload_ms = time_ms(lambda: predictor.predict(photo), repeat=30)
    rows.append(Row("one uploaded 640x480 JPEG to prediction (decode, resize, TTA)", f"{upload_ms:.1f} ms",
                    "≤ 20 ms", upload_ms <= 20))
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for layer in ("layer3", "layer1"):
        cam_ms = time_ms(lambda layer=layer: explain.grad_cam(predictor, image, 0, layer), repeat=20)
        rows.append(Row(f"Grad-CAM for one image ({layer})", f"{cam_ms:.1f} ms", "≤ 100 ms", cam_ms <= 100))
    card = load_card("vision")
    if card is not None:
        head = card.headline
        rows.append(Row(head.name, head.formatted(), "≥ 90% (goal 93%)", head.value >= 0.90))
        minutes = card.metric("training time (min)")
        if minutes is not None:
            rows.append(Row("training time", f"{minutes.value:.1f} min", "≤ 30 min (floor 60)", minutes.value <= 30))
        size = card.metric("weights (MB)")
        if size is not None:
            rows.append(Row("weights file", f"{size.value:.1f} MB", "≤ 10 MB", size.value <= 10))
    print_table("CIFAR-10 CNN", rows)


if __name__ == "__main__":
    main()
