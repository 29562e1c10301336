"""bf16 inference is switched on only where the CPU has it natively."""

import pytest
import torch

from src.core import hardware


@pytest.mark.parametrize("native", [True, False])
def test_bf16_inference_follows_the_cpu(monkeypatch, native):
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: native)
    layer = torch.nn.Linear(4, 2)
    with hardware.bf16_inference():
        out = layer(torch.ones(1, 4))
    assert out.dtype == (torch.bfloat16 if native else torch.float32)
