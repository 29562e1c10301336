"""What the CPU can do, for choosing a training precision."""

from __future__ import annotations

from pathlib import Path


def cpu_has_native_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX.

    bf16 autocast only pays off there; on plain AVX2 oneDNN emulates it and a training step
    measured about 10x slower than float32.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
