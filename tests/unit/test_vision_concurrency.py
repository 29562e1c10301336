"""Grad-CAM on the shared net while another visitor's prediction runs through it (issue 16 load test).

The page's predictor is shared by every session. Grad-CAM hooks a layer of the shared net; a forward
pass from another thread during that window used to land in the hook, and the explanation failed
("differentiated Tensor ... not used in the graph") on 7 of 10 simultaneous vision visits.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from src.vision import explain
from src.vision.model import Net, NetConfig
from src.vision.predict import Predictor

CLASSES = [f"c{i}" for i in range(10)]


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)


def test_grad_cam_ignores_other_threads_forward_passes(monkeypatch):
    torch.manual_seed(0)
    predictor = Predictor(Net(NetConfig(widths=(8, 16, 16))).eval(), CLASSES, temperature=1.5)
    alone = explain.grad_cam(predictor, _image(0), 3)
    own_normalized = predictor.normalized

    def with_a_neighbour(image: np.ndarray) -> torch.Tensor:
        # the hook is registered now: another visitor's prediction runs through the same net, in its thread
        def predict_other() -> None:
            with torch.no_grad():
                predictor.net(own_normalized(_image(1)))
        other = threading.Thread(target=predict_other)
        other.start()
        other.join()
        return own_normalized(image)

    monkeypatch.setattr(predictor, "normalized", with_a_neighbour)
    shared = explain.grad_cam(predictor, _image(0), 3)
    assert alone.max() > 0, "a flat map would match trivially"
    np.testing.assert_allclose(shared, alone, atol=1e-6)
