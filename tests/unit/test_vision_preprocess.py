"""Every bad input gets a clear message or a sane conversion, and preprocessing is shared."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from src.vision import data
from src.vision.preprocess import (
    PREVIEW_MIN_SIDE,
    PREVIEW_SIDE,
    BadImageError,
    load_for_model,
    open_image,
    preview,
    to_model_image,
)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _rgb(w: int = 40, h: int = 30, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def _bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (what a decompression bomb looks like)."""
    raw = bytearray(_png(Image.new("L", (1, 1))))
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(raw[ihdr : ihdr + 17])) & 0xFFFFFFFF
    raw[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(raw)


def test_rgb_image_becomes_32x32_uint8():
    image, original, notes = load_for_model(_png(_rgb(64, 48)))
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert original.size == (64, 48)
    assert notes == []


def test_32x32_input_keeps_its_exact_pixels():
    pixels = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    image, _, _ = load_for_model(_png(Image.fromarray(pixels)))
    assert np.array_equal(image, pixels)


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (b"%PDF-1.4 this is not an image at all", "not an image"),
])
def test_non_images_are_refused_with_a_message(payload, message):
    with pytest.raises(BadImageError, match=message):
        open_image(payload)


def test_truncated_jpeg_is_refused():
    buf = io.BytesIO()
    _rgb(200, 200).save(buf, format="JPEG")
    with pytest.raises(BadImageError, match="damaged or truncated"):
        open_image(buf.getvalue()[: len(buf.getvalue()) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(BadImageError, match="too large"):
        open_image(_bomb_png())


def test_one_pixel_image_is_upscaled_with_a_note():
    image, _, notes = load_for_model(_png(Image.new("RGB", (1, 1), (200, 10, 10))))
    assert image.shape == (32, 32, 3)
    assert (image == [200, 10, 10]).all()
    assert any("small" in n for n in notes)


def test_16bit_png_is_rescaled_not_clipped():
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    image, original, notes = load_for_model(_png(Image.fromarray(ramp)))
    assert original.mode == "RGB"
    assert image.min() < 20 and image.max() > 235  # the full 16-bit range maps onto 0..255
    assert any("16-bit" in n for n in notes)


def test_cmyk_jpeg_is_converted():
    buf = io.BytesIO()
    Image.new("CMYK", (48, 48), (0, 255, 255, 0)).save(buf, format="JPEG")  # pure red in CMYK
    image, _, notes = load_for_model(buf.getvalue())
    assert any("CMYK" in n for n in notes)
    r, g, b = image.reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60


def test_rgba_is_composited_on_white():
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    image, _, notes = load_for_model(_png(rgba))
    assert (image == 255).all()
    assert any("Transparent" in n for n in notes)


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image, _, notes = load_for_model(buf.getvalue())
    assert any("Animated" in n for n in notes)
    assert image[..., 0].mean() > 200 and image[..., 2].mean() < 50


def test_upload_and_folder_preprocessing_are_identical(tmp_path, monkeypatch):
    """The same file gives the same model input whether uploaded as bytes or read by evaluate's folder loader."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    originals = [_rgb(50 + 7 * i, 40 + 3 * i, seed=i) for i in range(3)]
    for i, img in enumerate(originals):
        (tmp_path / "set" / "cat").mkdir(parents=True, exist_ok=True)
        img.save(tmp_path / "set" / "cat" / f"{i}.png")
    folder = data.load_folder(tmp_path / "set", progress=False)
    for i in range(3):
        uploaded, _, _ = load_for_model((tmp_path / "set" / "cat" / f"{i}.png").read_bytes())
        assert np.array_equal(folder.images[i].permute(1, 2, 0).numpy(), uploaded)
        assert np.array_equal(uploaded, to_model_image(originals[i]))


def test_folder_loader_reports_bad_files_instead_of_dropping_them(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    (tmp_path / "set" / "dog").mkdir(parents=True)
    _rgb().save(tmp_path / "set" / "dog" / "ok.png")
    (tmp_path / "set" / "dog" / "fake.jpg").write_text("hello")
    loaded = data.load_folder(tmp_path / "set", progress=False)
    assert len(loaded) == 1
    assert loaded.skipped[0][0].endswith("fake.jpg")


@pytest.mark.parametrize("size", [(20000, 1), (1, 20000), (1, 1), (3000, 2000)])
def test_extreme_strips_give_a_note_and_a_viewable_preview(size):
    """Issue 16 #7: a 20000x1 image got "height and width must be > 0" on the page; now it is classified with
    the CLI's "very small image" note, and its preview has no zero-pixel side."""
    image, original, notes = load_for_model(_png(Image.new("RGB", size, (200, 30, 30))))
    assert image.shape == (32, 32, 3)
    if min(size) < 8:
        assert any("Very small image" in n for n in notes)
    shown = preview(original)
    assert shown.ndim == 3 and min(shown.shape[:2]) >= PREVIEW_MIN_SIDE and max(shown.shape[:2]) <= PREVIEW_SIDE
    Image.fromarray(shown).resize((shown.shape[1] // 2 or 1, max(1, shown.shape[0] // 2)))  # a viewer can shrink it
