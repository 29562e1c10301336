"""Which inference backend the CNN uses on this CPU: decided from CPU features and artifact files alone.

Kept apart from :mod:`src.vision.backends` (which builds the backends) so that a page can say which
backend it will use without importing PyTorch (1.5-2 s of a cold visit).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from src.core.hardware import cpu_has_native_bf16

#: Every backend :func:`src.vision.backends.make_backend` knows.
BACKENDS = ("torch-bf16", "onnx-int8", "onnx-fp32", "torch-fp32")
#: Artifact files written by :mod:`src.vision.export`.
ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
BACKENDS_FILE = "backends.json"
ONNX_FILES = {"onnx-fp32": ONNX_FILE, "onnx-int8": INT8_FILE}


def available_backends(folder: Path | None) -> list[str]:
    """The backends that can run here: bf16 only with native support, ONNX only with the runtime and files."""
    names = ["torch-fp32"]
    if cpu_has_native_bf16():
        names.append("torch-bf16")
    if folder is not None and importlib.util.find_spec("onnxruntime") is not None:
        names += [name for name, file in ONNX_FILES.items() if (Path(folder) / file).is_file()]
    return names


def _accuracy_ok(folder: Path, name: str) -> bool:
    """True when ``backends.json`` records that ``name`` kept accuracy within the allowed drop."""
    try:
        return bool(json.loads((Path(folder) / BACKENDS_FILE).read_text())["backends"][name]["ok"])
    except (OSError, ValueError, KeyError):
        return False


def auto_backend(folder: Path | None = None) -> str:
    """bf16 where the CPU runs it natively; else the fastest checked ONNX graph; else folded float32 PyTorch."""
    if cpu_has_native_bf16():
        return "torch-bf16"
    available = available_backends(folder)
    for name in ("onnx-int8", "onnx-fp32"):
        if name in available and _accuracy_ok(folder, name):
            return name
    return "torch-fp32"


def max_drop(folder: Path) -> float | None:
    """The accuracy drop a backend was allowed at export time, as ``backends.json`` records it (None if absent)."""
    try:
        return float(json.loads((Path(folder) / BACKENDS_FILE).read_text())["max_drop"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
