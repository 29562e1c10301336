"""One way to open an ONNX Runtime session on the app's CPUs: vision and sentiment both serve ONNX graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_session(path: Path, threads: int, *, spin: bool = True) -> Any:
    """A CPU session with every graph optimisation, ``threads`` intra-op threads and one inter-op thread.

    ``spin=False`` stops idle worker threads busy-waiting between runs: right when several sessions (or
    PyTorch) take turns in one process, since threads left spinning by one hold the cores the next needs.
    onnxruntime is imported here, on first use: pages that never serve a graph never pay for it.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
