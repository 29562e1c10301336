"""Tiny helpers shared by every demo's ``bench.py``: time a call and print a goal table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from src.core.cards import hardware
from src.core.hardware import FORCE_FP32_ENV, cpu_has_native_bf16, forced_fp32
from src.core.tables import markdown_table


@dataclass
class Row:
    """One benchmark figure against its goal."""

    metric: str
    value: str
    goal: str = ""
    met: bool | None = None


def time_ms(fn: Callable[[], object], *, repeat: int = 20, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in milliseconds, after a warm-up."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def cpu_line() -> str:
    """Which CPU the figures were measured on (bf16 speed depends on it)."""
    if forced_fp32():  # the native flag is hidden on purpose: say so, so the figures are not misread
        return f"CPU: {hardware()}; native bf16: not used ({FORCE_FP32_ENV}=1, measured as on a CPU without it)"
    return f"CPU: {hardware()}; native bf16: {'yes' if cpu_has_native_bf16() else 'no'}"


def print_table(title: str, rows: list[Row]) -> None:
    """Print a markdown table, so the output can go straight into a note or card."""
    met = {None: "", True: "yes", False: "NO"}
    print(f"\n### {title}\n")
    cells = [[r.metric, r.value, r.goal, met[r.met]] for r in rows]
    print(markdown_table(["metric", "measured", "goal", "met"], cells))
