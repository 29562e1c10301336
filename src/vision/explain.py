"""Grad-CAM heat maps for the vision model.

Grad-CAM weights a conv layer's feature maps by the gradient of the class score and keeps the
positive part: where the evidence for that class sits. Our maps are small (layer1 15x15, layer2
7x7, layer3 3x3), so later layers are coarser but more about the class.

Written out here (a forward hook and one ``torch.autograd.grad``) rather than imported from
pytorch-grad-cam: importing that package pulls in torchvision (and with it torch._dynamo), OpenCV,
matplotlib and scikit-learn, 1.9 s of CPU that every cold visit of the vision page paid, about
two thirds of its 3 s goal. ``tests/unit/test_vision_model.py`` checks these maps against
pytorch-grad-cam's ``GradCAM`` on the committed model, so the library stays the reference.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:  # torch is imported where a map is computed: overlays of stored maps draw without it
    import torch

    from src.vision.predict import Predictor

#: Layer name -> what the page says about it.
LAYERS = {
    "layer3": "last conv group (3x3 map: coarse, most class-specific)",
    "layer2": "middle conv group (7x7 map)",
    "layer1": "first conv group (15x15 map: fine, mostly edges and colour)",
}

# Grad-CAM registers hooks on the shared net, so one explanation runs at a time.
_LOCK = threading.Lock()


def _own_output(acts: list[torch.Tensor]):
    """A forward hook that keeps the layer's output of the calling thread's forward pass only.

    The hooked net is shared: other visitors' predictions (the bf16 backend and TTA run this same net)
    pass through the hook while it is registered, and taking one of their activations failed the
    explanation ("differentiated Tensor ... not used in the graph", issue 16 load test, 7 of 10 visits).
    """
    me = threading.get_ident()

    def hook(_module: object, _inputs: object, output: torch.Tensor) -> None:
        if threading.get_ident() == me:
            acts.append(output)
    return hook


def grad_cam(predictor: Predictor, image: np.ndarray, class_index: int, layer: str = "layer3") -> np.ndarray:
    """A (32,32) float map in [0,1] for ``class_index`` on one 32x32x3 uint8 image."""
    import torch
    import torch.nn.functional as F

    if layer not in LAYERS:
        raise ValueError(f"Unknown layer '{layer}'; choose one of {', '.join(LAYERS)}.")
    net, acts = predictor.net, []
    hook = getattr(net, layer).register_forward_hook(_own_output(acts))
    with _LOCK, torch.enable_grad():
        try:
            x = predictor.normalized(image).requires_grad_(True)  # a graph even when the weights are frozen
            score = net(x)[0, class_index]
            (grads,) = torch.autograd.grad(score, acts[0])
        finally:
            hook.remove()
    weights = grads.mean(dim=(2, 3), keepdim=True)  # one weight per feature map: its mean gradient
    cam = F.relu((weights * acts[0]).sum(dim=1))[0].detach().float()
    big = F.interpolate(_scaled(cam)[None, None], size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)
    return _scaled(big[0, 0]).numpy()  # scaled before and after resizing, as pytorch-grad-cam does


def _scaled(cam: torch.Tensor) -> torch.Tensor:
    """Shifted and divided into [0, 1] (an all-zero map stays zero)."""
    cam = cam - cam.min()
    return cam / (cam.max() + 1e-7)


def jet(values: np.ndarray) -> np.ndarray:
    """The jet colour map (blue, cyan, yellow, red) of values in [0, 1], as float RGB in [0, 1]."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    return np.clip(1.5 - np.abs(4 * v - np.array([3.0, 2.0, 1.0])), 0.0, 1.0)


def overlay(image: np.ndarray, heat: np.ndarray, opacity: float = 0.5, size: int = 256) -> np.ndarray:
    """The 32x32 image enlarged with nearest-neighbour, with the heat map (bilinear) on top."""
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST), dtype=np.float32) / 255
    heat_img = Image.fromarray((heat * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    heat_big = np.asarray(heat_img, dtype=np.float32) / 255
    cam = opacity * jet(heat_big) + (1 - opacity) * big
    return np.uint8(255 * cam / cam.max())


def enlarge(image: np.ndarray, size: int = 256) -> np.ndarray:
    """What the model sees: the 32x32 input scaled up with nearest-neighbour (no smoothing)."""
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST))
