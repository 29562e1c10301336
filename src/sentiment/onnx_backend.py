"""ONNX Runtime backends for the transformer, for CPUs without native bf16 (issue 15: >= 500 sentences/s).

The float32 graph is ~90 MB (the 30,522 x 384 word-embedding table alone is 47 MB), over the 20 MB per-file
limit, so it is not committed: it is exported from the loaded model into ``data/cache/sentiment/onnx/<key>/``
the first time an ONNX backend is asked for (``python -m src.warm`` does it ahead of the first visitor; about
10 s), keyed by the artifact's weights and the onnxruntime version. Two graphs:

* ``model.fp32.onnx``: ONNX Runtime's BERT fusions (fused attention, SkipLayerNorm, BiasGelu) on the float32
  export; the same log-odds as PyTorch up to rounding.
* ``model.int8.onnx``: the fused graph with every MatMul and attention projection dynamically quantised
  (``onnxruntime.quantization.quantize_dynamic``: 7-bit-range int8 weights per output channel, activations per
  batch; :data:`INT8_RECIPE`).
  About twice as fast as float32 here, but it moves ~0.8% of labels near the boundary, more than the 0.2-point
  budget allows; so the predictor re-scores in float32 every text whose *blend* log-odds under int8 are within
  :data:`RECHECK_MARGIN` of the boundary (:meth:`src.sentiment.predict.Predictor.raw_logits`), and only those.

Exported with the eager attention implementation, because ONNX Runtime's fusion does not recognise the
graph of PyTorch's scaled-dot-product attention (no Attention node was fused).
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from src.core.keyed_cache import files_digest
from src.core.onnx_session import open_session
from src.core.settings import DATA_DIR

log = logging.getLogger(__name__)

CACHE_DIR = DATA_DIR / "cache" / "sentiment" / "onnx"
FILES = {"onnx-fp32": "model.fp32.onnx", "onnx-int8": "model.int8.onnx"}
#: Blend log-odds within this of 0 under int8 are re-scored in float32. Measured on 2,600 SST-2 *train*
#: sentences and the bench's 1,024 review sentences (never dev): int8 moved the blend's log-odds by at most 1.31
#: (99.9th percentile 1.04), but a label can only flip where the shift exceeds the distance to the boundary, and
#: with this margin (or 0.5) no label differed from float32's on either set. The margin sets the share re-scored,
#: hence the speed: 10% of the bench's sentences at 0.75, 16% at 1.0, 31% at 1.5.
RECHECK_MARGIN = 0.75
#: How the int8 graph is made; part of the cache key, so a change re-exports. ``reduce_range`` (7-bit weights):
#: ONNX Runtime's advice for CPUs without VNNI (AVX2, e.g. AMD Zen 2/3), whose int8 kernels can saturate with
#: full-range weights; on this VNNI CPU it changed the share of moved labels by nothing measurable (20 vs 22 of
#: 2,600 before the re-check), so one graph serves both kinds.
INT8_RECIPE = {"weight_type": "QInt8", "per_channel": True, "reduce_range": True, "ops": ("MatMul", "Attention")}
#: MiniLM-L6's attention heads and width, for ONNX Runtime's BERT fusion.
HEADS, HIDDEN = 12, 384
_EXPORT_LOCK = threading.Lock()


def available() -> bool:
    """True when onnxruntime is installed (it is pinned in requirements.txt; a slim install may lack it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def cache_key(weights_dir: Path) -> str:
    """Short hash of the artifact's weight files and the onnxruntime version: a new model re-exports."""
    import onnxruntime

    return files_digest(sorted(Path(weights_dir).glob("*")), f"{onnxruntime.__version__} {sorted(INT8_RECIPE.items())}")


def _export_fp32(model, path: Path) -> None:
    """The classifier as ONNX (input_ids, attention_mask -> logits), dynamic batch and length axes."""
    import torch

    eager = copy.deepcopy(model).eval()
    eager.set_attn_implementation("eager")

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = eager

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    axes = {"input_ids": {0: "n", 1: "t"}, "attention_mask": {0: "n", 1: "t"}, "logits": {0: "n"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(Logits(), example, str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes=axes, dynamo=False, opset_version=17)


def export(model, out_dir: Path) -> Path:
    """Write both graphs of ``model`` (the float32 classifier) into ``out_dir`` (atomically: a folder is
    complete or absent)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        _export_fp32(model, raw)
        fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN,
                                         opt_level=1)
        fused.save_model_to_file(str(Path(tmp) / FILES["onnx-fp32"]))
        raw.unlink()
        logging.getLogger("onnxruntime").setLevel(logging.ERROR)  # its "consider pre-processing" hint
        quantize_dynamic(str(Path(tmp) / FILES["onnx-fp32"]), str(Path(tmp) / FILES["onnx-int8"]),
                         weight_type=getattr(QuantType, INT8_RECIPE["weight_type"]),
                         per_channel=INT8_RECIPE["per_channel"], reduce_range=INT8_RECIPE["reduce_range"],
                         op_types_to_quantize=list(INT8_RECIPE["ops"]),
                         extra_options={"DefaultTensorType": 1})  # 1 = float: shapes ORT cannot infer
        final = Path(tmp) / "done"
        final.mkdir()
        for name in FILES.values():
            (Path(tmp) / name).rename(final / name)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        final.rename(out_dir)
    return out_dir


def ensure(model, weights_dir: Path, cache: Path | None = None) -> Path:
    """The folder holding both graphs for the artifact whose weights are in ``weights_dir``, exported now when
    missing (about 10 s; ``python -m src.warm`` does it at build time)."""
    root = cache or CACHE_DIR
    folder = root / cache_key(weights_dir)
    with _EXPORT_LOCK:
        if not all((folder / name).is_file() for name in FILES.values()):
            log.info("exporting the sentiment transformer to ONNX into %s", folder)
            export(model, folder)
            _prune(root, keep=folder)
    return folder


#: Exported models kept in the cache besides the one just exported (each is ~150 MB; retrains add more).
KEEP_OTHERS = 1


def _prune(root: Path, keep: Path) -> None:
    """Remove all but the newest :data:`KEEP_OTHERS` other exports (a retrain or smoke run leaves old ones)."""
    others = sorted((p for p in root.iterdir() if p.is_dir() and p != keep and not p.name.startswith("tmp")),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_OTHERS:]:
        shutil.rmtree(old, ignore_errors=True)


class OnnxRunner:
    """One ONNX Runtime session: padded (input_ids, attention_mask) -> logit[positive] - logit[negative]."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path = Path(path)
        # no busy-waiting: the int8 and float32 sessions take turns (the re-check) and PyTorch shares the process
        self.session = open_session(self.path, threads, spin=False)

    def margins(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Positive-minus-negative logit per row."""
        two = self.session.run(None, {"input_ids": input_ids.astype(np.int64),
                                      "attention_mask": attention_mask.astype(np.int64)})[0]
        return (two[:, 1] - two[:, 0]).astype(np.float32)
