"""Which inference backend the transformer runs with on this CPU (no torch import: pages read it first).

The rule (issue 15: the fastest path that keeps accuracy within 0.2 points): int8 dynamic quantisation
when the card shows the served blend's accuracy under int8 within :data:`INT8_TOLERANCE` of fp32's on
both the held-out slice and dev (older cards: the transformer's dev accuracy), because batched it was
the fastest path measured on this CPU, ahead of native bf16 too (``make bench`` prints all three);
otherwise bf16 where it is native, else fp32. Without a card the CPU alone decides (bf16 where native,
else int8).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from src.core.cards import read_card
from src.core.contract import CARD_FILE
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import model_dir

#: Inference backends: bf16 autocast (CPUs with native bf16), int8 dynamic quantisation of every
#: Linear layer, or plain fp32.
BACKENDS = ("bf16", "int8", "fp32")
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


def int8_loss(acc: dict[str, dict[str, float]]) -> float | None:
    """How many accuracy points (as a fraction) int8 loses against fp32 on its worst split, or None when
    the card does not say."""
    if "int8" not in acc or "fp32" not in acc:
        return None
    splits = set(acc["int8"]) & set(acc["fp32"])
    return max((acc["fp32"][s] - acc["int8"][s] for s in splits), default=None)


def choose_backend(folder: Path | None = None, native_bf16: bool | None = None) -> str:
    """The backend for this CPU and the artifact in ``folder`` (default the committed one); see the module doc.

    ``native_bf16`` answers for another kind of CPU (default: this one's). ``SENTIMENT_BACKEND`` overrides.
    """
    forced = _forced()
    if forced:
        return forced
    native = cpu_has_native_bf16() if native_bf16 is None else native_bf16
    loss = int8_loss(backend_accuracy(folder))
    if loss is not None:
        return "int8" if loss <= INT8_TOLERANCE + 1e-9 else ("bf16" if native else "fp32")
    return "bf16" if native else "int8"


def backend_reason(backend: str, folder: Path | None = None) -> str:
    """Why :func:`choose_backend` picks ``backend``, as a phrase for the page."""
    if _forced():
        return f"forced by {BACKEND_ENV}"
    loss = int8_loss(backend_accuracy(folder))
    known = loss is not None
    if backend == "int8":
        if known:
            return (f"int8 dynamic quantisation of the Linear layers: the fastest batched path measured, "
                    f"{-loss * 100:+.2f} points of accuracy against fp32 on its worst split, within the "
                    f"{INT8_TOLERANCE * 100:.1f}-point limit")
        return "int8 dynamic quantisation of the Linear layers, because this CPU has no native bf16"
    if backend == "bf16":
        return "this CPU has native bf16" + (f"; int8 lost more than {INT8_TOLERANCE * 100:.1f} points" if known
                                             else "")
    return f"int8 lost more than {INT8_TOLERANCE * 100:.1f} points and this CPU has no native bf16"
