"""The transformer's training loop: AdamW, linear warm-up/decay, length-grouped dynamic padding.

A few times per epoch the model is scored on the held-out slice of train and the best point's weights
are kept (model selection never looks at dev). :func:`step_seconds` times a few steps in a given
precision so the card can estimate the other CPU kind's training time from a short measured run.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from src.sentiment.model import LoraSettings, build_full_classifier, build_lora_classifier

log = logging.getLogger(__name__)


@dataclass
class FitSettings:
    """What the loop needs from the training config."""

    method: str
    epochs: float
    batch_size: int
    lr: float
    weight_decay: float
    warmup: float
    lora: LoraSettings
    max_length: int
    bf16: bool
    seed: int
    #: Wall-clock budget for the loop in minutes (0 = none): the learning rate reaches 0 at the budget
    #: and training stops there.
    max_minutes: float = 0.0
    #: Held-out evaluations per epoch (the best one is kept).
    evals_per_epoch: int = 1


@dataclass
class FitResult:
    """The selected model and what happened on the way."""

    model: torch.nn.Module
    #: The (possibly fractional) epoch of the kept weights.
    best_epoch: float
    #: One dict per evaluation: epoch (fractional), steps, mean loss since the last one, held-out accuracy,
    #: seconds so far.
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def build(settings: FitSettings) -> torch.nn.Module:
    """A fresh model for the chosen method (``full`` or ``lora``)."""
    if settings.method == "lora":
        return build_lora_classifier(settings.lora, settings.seed)
    if settings.method == "full":
        return build_full_classifier(settings.seed)
    raise ValueError(f"method must be 'full' or 'lora', not {settings.method!r}")


def epoch_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Length-grouped batches: shuffle, sort within mega-batches of 50 batches, shuffle the batch order."""
    order = rng.permutation(len(lengths))
    mega = batch_size * 50
    batches = []
    for start in range(0, len(order), mega):
        chunk = order[start : start + mega]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of 2-way logits against P(positive) targets in [0, 1].

    Equal to the usual cross-entropy for 0/1 targets; 0.5 (the neutral augmentation) asks for an unsure
    output. Hand-written because ``BertForSequenceClassification`` treats float labels as regression.
    """
    t = target.to(logits.dtype)
    logp = torch.log_softmax(logits, dim=-1)
    return -(t * logp[:, 1] + (1 - t) * logp[:, 0]).mean()


class Stepper:
    """One optimiser step on a batch of token ids (shared by training and the timing probe)."""

    def __init__(self, model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, settings: FitSettings,
                 total_steps: int) -> None:
        self.model, self.tokenizer, self.bf16 = model, tokenizer, settings.bf16
        self.params = [p for p in model.parameters() if p.requires_grad]
        # No weight decay on biases and LayerNorm weights (the usual BERT fine-tuning recipe).
        decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
        no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
        self.optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                            {"params": no_decay, "weight_decay": 0.0}], lr=settings.lr)
        warm = max(1, int(settings.warmup * total_steps))
        budget = settings.max_minutes * 60
        self.started = time.perf_counter()

        def factor(step: int) -> float:
            # Linear warm-up, then linear decay to 0 at the last step or at the time budget, whichever
            # comes first: a run cut short by its budget still ends with an annealed learning rate.
            if step < warm:
                return (step + 1) / warm
            done = (step - warm) / max(1, total_steps - warm)
            if budget:
                done = max(done, (time.perf_counter() - self.started) / budget)
            return max(0.0, 1.0 - done)

        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimiser, factor)

    def __call__(self, ids: list[list[int]], labels: torch.Tensor) -> float:
        batch = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(**batch).logits
        loss = soft_cross_entropy(logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimiser.step()
        self.schedule.step()
        self.optimiser.zero_grad(set_to_none=True)
        return float(loss.item())


def step_seconds(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, settings: FitSettings,
                 ids: list[list[int]], labels: torch.Tensor, bf16: bool, steps: int = 10) -> float:
    """Mean seconds per training step in the given precision, on a throw-away copy of the model.

    The batches are a fixed random sample, so two precisions are timed on the same work.
    """
    probe = copy.deepcopy(model).train()
    stepper = Stepper(probe, tokenizer, FitSettings(**{**settings.__dict__, "bf16": bf16}), steps + 2)
    rng = np.random.default_rng(settings.seed)
    batches = [rng.choice(len(ids), settings.batch_size, replace=False) for _ in range(steps + 2)]
    times = []
    for i, idx in enumerate(batches):
        start = time.perf_counter()
        stepper([ids[j] for j in idx], labels[idx])
        if i >= 2:  # the first two steps warm up oneDNN
            times.append(time.perf_counter() - start)
    return float(np.mean(times))


def eval_points(total: int, steps_per_epoch: int, per_epoch: int) -> set[int]:
    """Steps after which the held-out slice is scored: ``per_epoch`` evenly spaced times per epoch, and the last."""
    n = max(1, per_epoch)
    points = {round((k / n) * steps_per_epoch) for k in range(1, math.ceil(total * n / steps_per_epoch) + 1)}
    return {p for p in points if 0 < p < total} | {total}


def fit(train: pd.DataFrame, tokenizer: PreTrainedTokenizerBase, settings: FitSettings,
        score_holdout: Callable[[torch.nn.Module], float],
        on_epoch: Callable[[dict[str, float]], None] = lambda row: None) -> FitResult:
    """Train, scoring the held-out slice at :func:`eval_points` (fractional epochs); keep the best point.

    ``train["label"]`` may hold soft targets in [0, 1] (see :mod:`src.sentiment.augment`).
    """
    ids = tokenizer(train["sentence"].tolist(), truncation=True, max_length=settings.max_length)["input_ids"]
    lengths = np.array([len(x) for x in ids])
    labels = torch.tensor(train["label"].to_numpy(dtype=np.float32))
    model = build(settings).train()
    steps_per_epoch = math.ceil(len(ids) / settings.batch_size)
    total = max(1, round(settings.epochs * steps_per_epoch))
    points = eval_points(total, steps_per_epoch, settings.evals_per_epoch)
    stepper = Stepper(model, tokenizer, settings, total)
    rng = np.random.default_rng(settings.seed)
    result = FitResult(model, 0)
    best, best_state, step, start, losses = -1.0, None, 0, time.perf_counter(), []
    bar = tqdm(total=total, desc=f"fine-tuning ({settings.method})", unit="step", mininterval=10)
    deadline = stepper.started + settings.max_minutes * 60 if settings.max_minutes else math.inf
    while step < total:
        for idx in epoch_batches(lengths, settings.batch_size, rng)[: total - step]:
            losses.append(stepper([ids[i] for i in idx], labels[idx]))
            step += 1
            bar.update()
            if step % 200 == 0:
                log.info("step %d/%d, loss %.4f, %.0f s", step, total, np.mean(losses[-200:]),
                         time.perf_counter() - start)
            out_of_time = time.perf_counter() > deadline
            if out_of_time:
                log.warning("time budget of %.0f min reached at step %d of %d", settings.max_minutes, step, total)
            if step in points or out_of_time:
                accuracy = score_holdout(model.eval())
                model.train()
                row = {"epoch": round(step / steps_per_epoch, 2), "steps": step, "loss": float(np.mean(losses)),
                       "holdout_accuracy": accuracy, "seconds": time.perf_counter() - start}
                result.history.append(row)
                on_epoch(row)
                log.info("epoch %.2f: loss %.4f, held-out accuracy %.4f", row["epoch"], row["loss"], accuracy)
                losses = []
                if accuracy > best:
                    best, best_state, result.best_epoch = accuracy, copy.deepcopy(model.state_dict()), row["epoch"]
            if out_of_time:
                step = total
                break
    bar.close()
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - start
    return result
