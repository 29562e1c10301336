"""Which inference backend the transformer runs with on this CPU (no torch import: pages read it first)."""

from __future__ import annotations

import os

from src.core.hardware import cpu_has_native_bf16

#: Inference backends: bf16 autocast (CPUs with native bf16), int8 dynamic quantisation of every
#: Linear layer (the rest of the time), or plain fp32 (forced, for comparisons).
BACKENDS = ("bf16", "int8", "fp32")
#: Set to one of BACKENDS to force a backend (benchmarks and tests use it).
BACKEND_ENV = "SENTIMENT_BACKEND"


def choose_backend() -> str:
    """The backend for this CPU: bf16 where it is native, else int8 (``SENTIMENT_BACKEND`` overrides)."""
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced:
        if forced not in BACKENDS:
            raise ValueError(f"{BACKEND_ENV}={forced!r}; choose one of {BACKENDS}")
        return forced
    return "bf16" if cpu_has_native_bf16() else "int8"
