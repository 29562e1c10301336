"""Perturbations for the robustness playground: noise, blur, brightness and FGSM.

Each takes a 32x32x3 uint8 image and a strength and returns a uint8 image; :func:`sweep` runs one
perturbation over a range of strengths in a single batch and reports where the label flips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

if TYPE_CHECKING:  # torch is imported by the FGSM gradient only: the lab's first screen draws without it
    from src.vision.predict import Predictor


@dataclass(frozen=True)
class Perturbation:
    """A slider: its label, range and unit."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    unit: str


PERTURBATIONS = {
    p.name: p
    for p in (
        Perturbation("noise", "Gaussian noise (std, of 255)", 0.0, 100.0, 5.0, "/255"),
        Perturbation("blur", "Gaussian blur (radius, px)", 0.0, 3.0, 0.25, "px"),
        Perturbation("brightness", "Brightness (factor)", 0.1, 2.5, 0.1, "x"),
        Perturbation("fgsm", "FGSM attack (epsilon, of 255)", 0.0, 16.0, 1.0, "/255"),
    )
}


def gaussian_noise(image: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    """Add N(0, std) noise (std in 0..255 pixel units); the same noise pattern for a given seed."""
    noise = np.random.default_rng(seed).normal(0, 1, image.shape) * std
    return np.clip(image.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def blur(image: np.ndarray, radius: float) -> np.ndarray:
    """PIL Gaussian blur with ``radius`` pixels."""
    if radius <= 0:
        return image.copy()
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)))


def brightness(image: np.ndarray, factor: float) -> np.ndarray:
    """Scale brightness by ``factor`` (1 = unchanged)."""
    return np.asarray(ImageEnhance.Brightness(Image.fromarray(image)).enhance(factor))


def fgsm_direction(predictor: Predictor, image: np.ndarray) -> np.ndarray:
    """Sign of the loss gradient w.r.t. the pixels, for the currently predicted class (untargeted FGSM)."""
    import torch
    import torch.nn.functional as F

    from src.vision.model import CIFAR_MEAN, CIFAR_STD

    x = torch.as_tensor(image).permute(2, 0, 1).unsqueeze(0).float().div(255).requires_grad_(True)
    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    predictor.net.eval()
    logits = predictor.logits_with_grad(((x - mean) / std).contiguous(memory_format=torch.channels_last))
    loss = F.cross_entropy(logits, logits.argmax(1).detach())
    (grad,) = torch.autograd.grad(loss, x)
    return grad[0].sign().permute(1, 2, 0).numpy()


def fgsm(image: np.ndarray, direction: np.ndarray, epsilon: float) -> np.ndarray:
    """One FGSM step of ``epsilon`` (0..255 units) along a precomputed gradient sign."""
    return np.clip(image.astype(np.float64) + epsilon * direction, 0, 255).round().astype(np.uint8)


def apply(predictor: Predictor, image: np.ndarray, name: str, strength: float,
          direction: np.ndarray | None = None) -> np.ndarray:
    """Apply one named perturbation at ``strength``."""
    if name == "noise":
        return gaussian_noise(image, strength)
    if name == "blur":
        return blur(image, strength)
    if name == "brightness":
        return brightness(image, strength)
    if name == "fgsm":
        return fgsm(image, fgsm_direction(predictor, image) if direction is None else direction, strength)
    raise ValueError(f"Unknown perturbation '{name}'; choose one of {', '.join(PERTURBATIONS)}.")


@dataclass
class Sweep:
    """Predictions along a strength axis, and the first strength whose label differs from the clean one."""

    strengths: list[float]
    labels: list[str]
    confidences: list[float]
    clean_label: str
    flip_at: float | None


def sweep(predictor: Predictor, image: np.ndarray, name: str, steps: int = 17) -> Sweep:
    """Run ``name`` from its mildest to its strongest setting in one batch."""
    spec = PERTURBATIONS[name]
    neutral = 1.0 if name == "brightness" else 0.0
    clean_probs = predictor.predict_batch(image)[0]
    clean = predictor.classes[int(clean_probs.argmax())]
    direction = fgsm_direction(predictor, image) if name == "fgsm" else None
    if name == "brightness":  # walk away from 1 in both directions: darker first, then brighter
        strengths = [round(float(s), 3) for s in np.linspace(spec.lo, spec.hi, steps)]
    else:
        strengths = [round(float(s), 3) for s in np.linspace(neutral, spec.hi, steps)]
    batch = np.stack([apply(predictor, image, name, s, direction) for s in strengths])
    probs = predictor.predict_batch(batch)
    labels = [predictor.classes[i] for i in probs.argmax(1)]
    flips = [s for s, lab in zip(strengths, labels, strict=True) if lab != clean]
    if name == "brightness":
        flips.sort(key=lambda s: abs(s - 1.0))
    return Sweep(strengths, labels, [float(p) for p in probs.max(1)], clean, flips[0] if flips else None)
