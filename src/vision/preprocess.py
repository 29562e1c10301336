"""Turning any image a user or a folder gives us into the model's 32x32 RGB input, safely.

One function, :func:`to_model_image`, is used by upload, examples, training folders and
``evaluate``, so the model sees the same pixels whichever way an image arrives.
Bad files raise :class:`BadImageError` with a message meant for a person, never a traceback.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

#: The model's input side in pixels.
SIZE = 32
#: Uploads larger than this are refused before decoding.
MAX_BYTES = 20 * 1024 * 1024
#: PIL's decompression-bomb limit: larger images raise instead of filling the memory.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class BadImageError(ValueError):
    """The input cannot be used as an image; ``str(error)`` says why in plain words."""


def open_image(source: bytes | str | Path) -> tuple[Image.Image, list[str]]:
    """Decode ``source`` into an RGB PIL image, plus notes on any conversion that was made.

    Handles CMYK, 16-bit, palette, greyscale, RGBA (composited on white) and animated files
    (first frame). Refuses empty, truncated, non-image, oversized and decompression-bomb files.
    """
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source
    if not data:
        raise BadImageError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise BadImageError(f"The file is {len(data) / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # A bomb warning (between 1x and 2x the limit) is treated like the error above 2x.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if getattr(image, "n_frames", 1) > 1:
                notes.append(f"Animated image with {image.n_frames} frames: using the first frame.")
                image = next(iter(ImageSequence.Iterator(image)))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImageError(
            f"The image is too large to decode safely (limit {MAX_PIXELS / 1e6:.0f} megapixels)."
        ) from exc
    except UnidentifiedImageError as exc:
        raise BadImageError("This file is not an image PIL can read (is it renamed from another format?).") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise BadImageError(f"The image file is damaged or truncated ({exc}).") from exc
    return _to_rgb(image, notes), notes


def _to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB, noting what changed."""
    image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit or float greyscale: rescale the actual range to 0..255 instead of clipping.
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
        image = Image.fromarray(arr.astype(np.uint8), "L")
        notes.append(f"{mode} image ({'16-bit' if '16' in mode else 'high bit depth'}): rescaled to 8 bits.")
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
        notes.append("Transparent image: composited on white.")
    elif image.mode == "CMYK":
        notes.append("CMYK image: converted to RGB.")
    elif image.mode not in ("RGB", "L", "P", "RGBA", "LA"):
        notes.append(f"{image.mode} image: converted to RGB.")
    return image.convert("RGB")


def to_model_image(image: Image.Image) -> np.ndarray:
    """Centre-crop to a square and resize to 32x32 (antialiased): (32,32,3) uint8.

    A 32x32 input is passed through unchanged, so CIFAR files keep their exact pixels.
    """
    image = image.convert("RGB")
    if image.size != (SIZE, SIZE):
        image = ImageOps.fit(image, (SIZE, SIZE), method=Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).copy()


def load_for_model(source: bytes | str | Path) -> tuple[np.ndarray, Image.Image, list[str]]:
    """Bytes or a path -> (32x32x3 uint8 model input, the RGB original, conversion notes)."""
    image, notes = open_image(source)
    if min(image.size) < 8:
        notes.append(f"Very small image ({image.size[0]}x{image.size[1]}): upscaled, expect a guess.")
    return to_model_image(image), image, notes


#: Longest side of the preview shown next to the model's input.
PREVIEW_SIDE = 512
#: Shortest side of that preview: a 20000x1 strip is padded to this instead of shrinking to 0 px.
PREVIEW_MIN_SIDE = 16


def preview(image: Image.Image | np.ndarray) -> np.ndarray:
    """An RGB array for display: at most :data:`PREVIEW_SIDE` px long and never thinner than
    :data:`PREVIEW_MIN_SIDE` px (extreme strips are letterboxed on white), so no viewer has to resize a
    side to zero pixels."""
    image = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    w, h = image.size
    scale = min(1.0, PREVIEW_SIDE / max(w, h))
    small = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    canvas_size = (max(small.width, PREVIEW_MIN_SIDE), max(small.height, PREVIEW_MIN_SIDE))
    if canvas_size != small.size:
        canvas = Image.new("RGB", canvas_size, (255, 255, 255))
        canvas.paste(small, ((canvas_size[0] - small.width) // 2, (canvas_size[1] - small.height) // 2))
        small = canvas
    return np.asarray(small.convert("RGB"))
