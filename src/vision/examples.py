"""Example images for the page: a few validation images when the data is here, plus images made by code.

No dataset image is ever committed: the fallback examples are drawn with PIL here, plus the
portrait that ships inside matplotlib (useful to show rejection of a person).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from src.core import datasets
from src.vision.preprocess import BadImageError, load_for_model, to_model_image

log = logging.getLogger(__name__)


@dataclass
class Example:
    """One example: a name for the picker, the 32x32 input, the original and its true class if known."""

    name: str
    image: np.ndarray
    original: np.ndarray
    label: str | None = None


def dataset_folder(config: dict[str, Any] | None = None) -> Path | None:
    """Where the training images can be read one by one, without copying or decoding the whole set.

    The verified cache when it exists, else the mirror's folder (read only), else a ``--data`` folder the
    model was trained on (from the card's config); None when none is on this machine.
    """
    if config and config.get("data"):
        folder = Path(str(config["data"]))
        return folder if folder.is_dir() else None
    if datasets.is_cached("cifar10"):
        return datasets.cached_path("cifar10")
    mirror, tree = datasets.mirror_dir(), datasets.get("cifar10").tree
    if mirror is not None and tree and (mirror / tree).is_dir():
        return mirror / tree
    return None


def decode_listed(folder: Path, rows: list[dict[str, Any]]) -> list[Example]:
    """Decode only the listed files (``rows`` from :mod:`src.vision.insights`); unreadable ones are logged, skipped."""
    out = []
    for row in rows:
        path = (folder / row["file"]).resolve()
        if not path.is_relative_to(folder.resolve()):  # the file names come from our own artifact; stay inside anyway
            continue
        try:
            image, original, _ = load_for_model(path)
        except (BadImageError, OSError) as exc:
            log.warning("example %s unreadable: %s", row["file"], exc)
            continue
        out.append(Example(row.get("name", row["file"]), image, np.asarray(original), row.get("label")))
    return out


def _canvas(top: tuple[int, int, int], bottom: tuple[int, int, int], size: int = 128) -> Image.Image:
    """A vertical two-colour background (sky over ground, sky over sea...)."""
    image = Image.new("RGB", (size, size), top)
    ImageDraw.Draw(image).rectangle([0, size * 0.6, size, size], fill=bottom)
    return image


def _drawn() -> list[tuple[str, Image.Image]]:
    rng = np.random.default_rng(7)
    plane = _canvas((120, 170, 230), (125, 175, 235))
    d = ImageDraw.Draw(plane)
    d.polygon([(20, 64), (108, 58), (112, 64), (108, 70)], fill=(225, 225, 230))  # fuselage
    d.polygon([(55, 62), (75, 62), (60, 30)], fill=(200, 200, 210))  # wings
    d.polygon([(55, 66), (75, 66), (60, 98)], fill=(200, 200, 210))
    d.polygon([(20, 64), (28, 62), (16, 48)], fill=(200, 200, 210))  # tail

    ship = _canvas((150, 190, 230), (30, 70, 130))
    d = ImageDraw.Draw(ship)
    d.polygon([(24, 72), (104, 72), (92, 88), (34, 88)], fill=(60, 60, 70))  # hull
    d.rectangle([48, 56, 80, 72], fill=(230, 230, 230))  # cabin
    d.rectangle([60, 44, 66, 56], fill=(180, 40, 40))  # funnel

    car = _canvas((170, 200, 220), (90, 90, 95))
    d = ImageDraw.Draw(car)
    d.rectangle([22, 66, 106, 90], fill=(200, 30, 30))  # body
    d.polygon([(40, 66), (50, 48), (82, 48), (92, 66)], fill=(200, 30, 30))  # roof
    d.polygon([(46, 65), (53, 52), (79, 52), (86, 65)], fill=(170, 210, 235))  # windows
    for x in (40, 88):
        d.ellipse([x - 11, 80, x + 11, 102], fill=(20, 20, 20))

    frog = _canvas((70, 110, 50), (60, 100, 40))
    d = ImageDraw.Draw(frog)
    d.ellipse([28, 50, 100, 100], fill=(70, 160, 60))
    for x in (44, 84):
        d.ellipse([x - 10, 40, x + 10, 60], fill=(90, 180, 70))
        d.ellipse([x - 4, 46, x + 4, 54], fill=(10, 10, 10))
    frog = frog.filter(ImageFilter.GaussianBlur(1))

    text = Image.new("RGB", (128, 128), (250, 250, 245))
    d = ImageDraw.Draw(text)
    for row, line in enumerate(("Dear visitor,", "this is text,", "not a cat.", "Thanks!")):
        d.text((8, 14 + row * 26), line, fill=(20, 20, 20), font_size=18)

    noise = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    return [
        ("drawn: aeroplane in the sky", plane),
        ("drawn: ship at sea", ship),
        ("drawn: red car on a road", car),
        ("drawn: green frog", frog),
        ("drawn: a page of text (out of scope)", text),
        ("drawn: random noise (out of scope)", noise),
    ]


def generated_examples() -> list[Example]:
    """Examples that need no dataset: drawings made here and matplotlib's sample portrait."""
    items = _drawn()
    try:
        import matplotlib

        portrait = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        if portrait.is_file():
            photo = Image.open(portrait).convert("RGB")
            items.append(("photo of a person, from matplotlib (out of scope)", photo))
    except ImportError:  # matplotlib is optional; the drawings are enough
        pass
    return [Example(name, to_model_image(img), np.asarray(img)) for name, img in items]
