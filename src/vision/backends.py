"""Inference backends for the CNN, chosen at load time by the CPU's features.

Each backend maps a normalised, channels_last (N,3,32,32) float batch to (N, classes) float logits:

* ``torch-bf16``: eager PyTorch under bf16 autocast, on CPUs with native bf16 (AVX512-BF16/AMX);
* ``onnx-int8``: ONNX Runtime on the int8 graph (static quantisation, :mod:`src.vision.export`), used on
  CPUs without native bf16 when the artifact records that it stays within 0.2 points of float32;
* ``onnx-fp32``: ONNX Runtime, all graph optimisations, on the folded float32 graph;
* ``torch-fp32``: eager PyTorch in float32 with every BatchNorm folded into the conv before it.
  airbench's BN has no learned scale, so its per-channel scale 1/sqrt(var + eps) is positive and the
  BN after a max-pool commutes with the pool: all six BNs fold, and the net becomes convs, pools and GELUs.

The explanations (Grad-CAM, FGSM) always use the unfolded float32 net, which keeps its layer names.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from src.core.onnx_session import open_session
from src.vision.backend_choice import BACKENDS, BACKENDS_FILE, INT8_FILE, ONNX_FILE, ONNX_FILES, auto_backend
from src.vision.model import ConvGroup, Net

log = logging.getLogger(__name__)

Backend = Callable[[torch.Tensor], torch.Tensor]
__all__ = ["BACKENDS", "BACKENDS_FILE", "INT8_FILE", "ONNX_FILE", "auto_backend", "fold_batchnorm", "make_backend"]


def _fold(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> nn.Conv2d:
    """A conv with bias equal to conv followed by eval-mode ``norm`` (also across a max-pool: scale > 0)."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    if bool((scale <= 0).any()):
        raise ValueError("BatchNorm with a non-positive scale cannot be folded across a max-pool")
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, padding=conv.padding, bias=True)
    with torch.no_grad():
        fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
        fused.bias.copy_(norm.bias - norm.running_mean * scale)
    return fused


@torch.no_grad()
def fold_batchnorm(net: Net) -> Net:
    """A copy of ``net`` (eval mode) with every BatchNorm folded into its conv; same logits up to rounding."""
    folded = copy.deepcopy(net).eval()
    for group in (folded.layer1, folded.layer2, folded.layer3):
        assert isinstance(group, ConvGroup)
        group.conv1, group.norm1 = _fold(group.conv1, group.norm1), nn.Identity()
        group.conv2, group.norm2 = _fold(group.conv2, group.norm2), nn.Identity()
    for p in folded.parameters():
        p.requires_grad_(False)
    return folded.to(memory_format=torch.channels_last)


def _onnx_backend(path: Path, threads: int) -> Backend:
    session = open_session(path, threads)

    def run(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {"x": x.contiguous().numpy()})[0])
    return run


def make_backend(net: Net, name: str = "auto", folder: Path | None = None) -> tuple[str, Backend]:
    """(resolved name, callable) for ``name`` in :data:`BACKENDS` or "auto" (ONNX files come from ``folder``)."""
    name = auto_backend(folder) if name == "auto" else name
    if name == "torch-bf16":
        def bf16(x: torch.Tensor) -> torch.Tensor:
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                return net(x).float()
        return name, bf16
    if name == "torch-fp32":
        folded = fold_batchnorm(net)

        def fp32(x: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return folded(x)
        return name, fp32
    if name in ONNX_FILES:
        if folder is None or not (Path(folder) / ONNX_FILES[name]).is_file():
            raise ValueError(f"Backend '{name}' needs {ONNX_FILES[name]} in the artifact folder.")
        return name, _onnx_backend(Path(folder) / ONNX_FILES[name], torch.get_num_threads())
    raise ValueError(f"Unknown backend '{name}'; choose one of {', '.join(BACKENDS)} or 'auto'.")
