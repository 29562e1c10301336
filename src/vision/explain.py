"""Grad-CAM heat maps (pytorch-grad-cam) for the vision model.

Grad-CAM weights a conv layer's feature maps by the gradient of the class score and keeps the
positive part: where the evidence for that class sits. Our maps are small (layer1 15x15, layer2
7x7, layer3 3x3), so later layers are coarser but more about the class.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import show_cam_on_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from src.vision.predict import Predictor

#: Layer name -> what the page says about it.
LAYERS = {
    "layer3": "last conv group (3x3 map: coarse, most class-specific)",
    "layer2": "middle conv group (7x7 map)",
    "layer1": "first conv group (15x15 map: fine, mostly edges and colour)",
}

# Grad-CAM registers hooks on the shared net, so one explanation runs at a time.
_LOCK = threading.Lock()


def grad_cam(predictor: Predictor, image: np.ndarray, class_index: int, layer: str = "layer3") -> np.ndarray:
    """A (32,32) float map in [0,1] for ``class_index`` on one 32x32x3 uint8 image."""
    if layer not in LAYERS:
        raise ValueError(f"Unknown layer '{layer}'; choose one of {', '.join(LAYERS)}.")
    x = predictor.normalized(image)
    with _LOCK, GradCAM(model=predictor.net, target_layers=[getattr(predictor.net, layer)]) as cam:
        heat = cam(input_tensor=x, targets=[ClassifierOutputTarget(class_index)])
    predictor.net.zero_grad(set_to_none=True)
    return heat[0]


def overlay(image: np.ndarray, heat: np.ndarray, opacity: float = 0.5, size: int = 256) -> np.ndarray:
    """The 32x32 image enlarged with nearest-neighbour, with the heat map (bilinear) on top."""
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST), dtype=np.float32) / 255
    heat_img = Image.fromarray((heat * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    heat_big = np.asarray(heat_img, dtype=np.float32) / 255
    return show_cam_on_image(big, heat_big, use_rgb=True, image_weight=1 - opacity)


def enlarge(image: np.ndarray, size: int = 256) -> np.ndarray:
    """What the model sees: the 32x32 input scaled up with nearest-neighbour (no smoothing)."""
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST))
