"""What the CPU can do, for choosing the precision of training and inference."""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

#: Set to 1 to run as on a CPU without native bf16 (every demo takes its float32/int8 path), so the
#: figures of such a CPU can be measured here: ``PORTFOLIO_FORCE_FP32=1 make bench``.
FORCE_FP32_ENV = "PORTFOLIO_FORCE_FP32"


def forced_fp32() -> bool:
    """True when ``PORTFOLIO_FORCE_FP32`` asks to run as on a CPU without native bf16."""
    return os.environ.get(FORCE_FP32_ENV, "").strip() not in ("", "0")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX, unless ``PORTFOLIO_FORCE_FP32=1`` says to behave as without.

    bf16 autocast only pays off there; on plain AVX2 oneDNN emulates it and a training step
    measured about 10x slower than float32.
    """
    if forced_fp32():
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bf16_inference() -> contextlib.AbstractContextManager:
    """bf16 autocast for CPU inference where it is native (batched transformer throughput measured
    about 2.5x fp32 there); a no-op elsewhere, so results never depend on an emulated path."""
    import torch  # here, so the pages that never touch torch don't pay for importing it

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_native_bf16())
