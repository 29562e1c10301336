"""Which inference backend the transformer runs with on this CPU (no torch import: pages read it first).

The rule (issue 15: the fastest path that keeps accuracy within 0.2 points): the first backend in this CPU's
order of speed (:data:`SPEED_ORDER`, as measured by ``make bench``) whose served-blend accuracy on the card
is within :data:`INT8_TOLERANCE` of fp32's on both the held-out slice and dev; fp32 itself always qualifies.
A backend the card has no figures for is never chosen (ONNX ones also need onnxruntime). Without a card the
CPU alone decides (bf16 where native, else PyTorch int8), as before cards measured backends.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from src.core.cards import read_card
from src.core.contract import CARD_FILE
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import model_dir

#: Inference backends: bf16 autocast (CPUs with native bf16), PyTorch int8 dynamic quantisation of every
#: Linear layer, plain fp32, and ONNX Runtime (:mod:`src.sentiment.onnx_backend`): its fused float32 graph,
#: and its int8 graph with the texts near the blend's boundary re-scored in float32.
BACKENDS = ("bf16", "int8", "fp32", "onnx-int8", "onnx-fp32")
ONNX_BACKENDS = ("onnx-int8", "onnx-fp32")
#: Fastest first, batched, as measured by make bench on a 2-core AMD EPYC (onnx-int8 with its float32
#: re-check ~600 sentences/s, PyTorch int8 ~590, onnx-fp32 ~350, fp32 ~320; bf16 ~570 where native).
SPEED_ORDER = {True: ("int8", "bf16", "fp32"), False: ("onnx-int8", "int8", "onnx-fp32", "fp32")}
#: Set to one of BACKENDS to force a backend (benchmarks and tests use it).
BACKEND_ENV = "SENTIMENT_BACKEND"
#: int8 serves only while its dev accuracy is within this much of fp32's (0.2 points).
INT8_TOLERANCE = 0.002


@functools.lru_cache(maxsize=8)
def _card_accuracy(folder: Path, mtime: float) -> dict[str, dict[str, float]]:
    card = read_card(folder)
    results = card.extra.get("results", {}) if card else {}
    served = results.get("blend", {}).get("backends")
    if served:  # {backend: {"held": acc, "dev": acc}}
        return {name: dict(acc) for name, acc in served.items()}
    older = results.get("transformer", {}).get("backends", {})  # {backend: dev acc}
    return {name: {"dev": float(acc)} for name, acc in older.items()}


def backend_accuracy(folder: Path | None = None) -> dict[str, dict[str, float]]:
    """Accuracy per backend and split (``{"int8": {"held": .., "dev": ..}}``) of the served model, from the
    artifact's card ({} without a card); re-read when the card changes."""
    folder = folder if folder is not None else model_dir("sentiment")
    try:
        mtime = (folder / CARD_FILE).stat().st_mtime
    except OSError:
        return {}
    return _card_accuracy(folder, mtime)


def _forced() -> str:
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced and forced not in BACKENDS:
        raise ValueError(f"{BACKEND_ENV}={forced!r}; choose one of {BACKENDS}")
    return forced


def loss(acc: dict[str, dict[str, float]], backend: str) -> float | None:
    """How many accuracy points (as a fraction) ``backend`` loses against fp32 on its worst split, or None when
    the card does not say."""
    if backend not in acc or "fp32" not in acc:
        return None
    splits = set(acc[backend]) & set(acc["fp32"])
    return max((acc["fp32"][s] - acc[backend][s] for s in splits), default=None)


def int8_loss(acc: dict[str, dict[str, float]]) -> float | None:
    """:func:`loss` of PyTorch's int8 backend."""
    return loss(acc, "int8")


def _within(acc: dict[str, dict[str, float]], backend: str) -> bool:
    lost = loss(acc, backend)
    return lost is not None and lost <= INT8_TOLERANCE + 1e-9


def _onnx_available() -> bool:
    from src.sentiment.onnx_backend import available

    return available()


def choose_backend(folder: Path | None = None, native_bf16: bool | None = None) -> str:
    """The backend for this CPU and the artifact in ``folder`` (default the committed one); see the module doc.

    ``native_bf16`` answers for another kind of CPU (default: this one's). ``SENTIMENT_BACKEND`` overrides.
    """
    forced = _forced()
    if forced:
        return forced
    native = cpu_has_native_bf16() if native_bf16 is None else native_bf16
    acc = backend_accuracy(folder)
    if not acc:
        return "bf16" if native else "int8"
    for name in SPEED_ORDER[native]:
        if name in ("fp32", "bf16"):  # the reference, and native bf16: always allowed
            return name
        if name in ONNX_BACKENDS and not _onnx_available():
            continue
        if _within(acc, name):
            return name
    return "fp32"


def backend_reason(backend: str, folder: Path | None = None, native_bf16: bool | None = None) -> str:
    """Why :func:`choose_backend` picks ``backend``, as a phrase for the page (``native_bf16``: as there)."""
    if _forced():
        return f"forced by {BACKEND_ENV}"
    acc = backend_accuracy(folder)
    limit = f"{INT8_TOLERANCE * 100:.1f}"
    lost = loss(acc, backend)
    if not acc:
        return ("int8 dynamic quantisation of the Linear layers, because this CPU has no native bf16"
                if backend == "int8" else "this CPU has native bf16" if backend == "bf16" else "")
    measured = (f"{-lost * 100 + 0.0:+.2f} points of accuracy against fp32 on its worst split, within the "
                f"{limit}-point limit") if lost is not None else "accuracy not measured on the card"
    order = SPEED_ORDER[cpu_has_native_bf16() if native_bf16 is None else native_bf16]
    faster = order[: order.index(backend)] if backend in order else ()
    why_not = (f"; the faster {', '.join(faster)} lost more than {limit} points or cannot run here" if faster else "")
    if backend == "onnx-int8":
        return ("ONNX Runtime int8 (dynamic quantisation), texts near the decision boundary re-scored in float32: "
                f"the fastest batched path measured, {measured}")
    if backend == "int8":
        return f"PyTorch int8 dynamic quantisation of the Linear layers: {measured}{why_not}"
    if backend == "onnx-fp32":
        return f"ONNX Runtime float32 with fused attention: {measured}{why_not}"
    if backend == "bf16":
        return "this CPU has native bf16" + why_not
    return "plain float32" + why_not
