"""The airbench94 training loop (Jordan 2024), on a CPU.

Every piece of the recipe is here, and each can be switched off by :class:`src.vision.train.TrainConfig`
for the ablation:

* Nesterov SGD at batch 1024, hyper-parameters in airbench's *decoupled* form: the learning rate is
  per 1024 examples and divided by ``1 + 1/(1 - momentum)`` (Nesterov's step gain), weight decay is per
  1024 examples and passed to PyTorch as ``wd / lr`` so its strength does not depend on the learning rate;
* BatchNorm biases learn ``bias_scaler`` (64) times faster, with the same decay;
* a triangular learning-rate schedule (0.2 -> 1 at 23% of the steps -> 0.07);
* label smoothing 0.2 on a summed (not averaged) cross-entropy;
* the whitening layer's bias trains for the first ``whiten_bias_epochs`` epochs only;
* Lookahead / EMA: from epoch ``ema_start_epochs`` on, every 5 steps the weights are pulled onto a slow
  copy whose decay rises as ``0.95**5 * (step / total) ** 3``, and the net ends each epoch on the slow copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from src.vision.data import FlipTranslateBatches, ImageSet
from src.vision.model import Net, batched_logits, normalize

if TYPE_CHECKING:
    from src.vision.train import TrainConfig

log = logging.getLogger(__name__)


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks instead of returning them to the OS.

    Every step allocates and frees the same large activation buffers; by default glibc maps and
    unmaps them each time, and the page faults cost up to half the CPU time on this machine.
    """
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 1 << 30)
        libc.mallopt(m_trim_threshold, 1 << 31)
        libc.mallopt(m_top_pad, 1 << 28)


class Lookahead:
    """airbench's LookaheadState: a slow copy of the weights; each update pulls the net onto it."""

    def __init__(self, net: Net) -> None:
        self.slow = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: Net, decay: float) -> None:
        for slow, fast in zip(self.slow.values(), net.state_dict().values(), strict=True):
            if fast.dtype.is_floating_point:
                slow.lerp_(fast, 1 - decay)
                fast.copy_(slow)


class ThreadTuner:
    """Every ``every`` steps, try the other thread count for ``probe`` steps and keep the faster one.

    On a shared 2-core machine, two threads stall on each other whenever another process takes a
    core (a step can be 3x slower than with one thread); alone, two threads are about 2x faster.
    """

    def __init__(self, threads: int, every: int = 20, probe: int = 2) -> None:
        self.options = sorted({1, threads})
        self.current, self.every, self.probe = threads, every, probe
        self.times: dict[int, list[float]] = {t: [] for t in self.options}
        self.used = threads

    def _other(self) -> int:
        return next((t for t in self.options if t != self.current), self.current)

    def before_step(self, step: int) -> None:
        self.used = self._other() if step % self.every < self.probe else self.current
        torch.set_num_threads(self.used)

    def after_step(self, step: int, seconds: float) -> None:
        self.times[self.used] = [*self.times[self.used][-4:], seconds]
        other = self._other()
        if step % self.every != self.every - 1 or not (self.times[other] and self.times[self.current]):
            return
        if float(np.median(self.times[other][-self.probe:])) < 0.9 * float(np.median(self.times[self.current])):
            self.current = other


def triangle(total: int, start: float = 0.2, peak_at: float = 0.23, end: float = 0.07) -> np.ndarray:
    """airbench's learning-rate multipliers for steps 0..total: linear from ``start`` to 1 at ``peak_at``, then
    linear down to ``end``."""
    return np.interp(np.arange(total + 1), [0, int(peak_at * total), total], [start, 1.0, end])


def make_optimizer(net: Net, cfg: TrainConfig) -> torch.optim.SGD:
    """Nesterov SGD in airbench's decoupled parametrisation (see the module docstring)."""
    kilostep = 1024 * (1 + 1 / (1 - cfg.momentum))
    lr = cfg.lr / kilostep
    wd = cfg.weight_decay * cfg.batch_size / kilostep
    lr_biases = lr * cfg.bias_scaler
    norm_biases = [p for name, p in net.named_parameters() if "norm" in name and p.requires_grad]
    others = [p for name, p in net.named_parameters() if "norm" not in name and p.requires_grad]
    groups = [
        {"params": norm_biases, "lr": lr_biases, "weight_decay": wd / lr_biases},
        {"params": others, "lr": lr, "weight_decay": wd / lr},
    ]
    optimizer = torch.optim.SGD(groups, momentum=cfg.momentum, nesterov=True)
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    return optimizer


def train_step(net: Net, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               label_smoothing: float, dtype: torch.dtype | None) -> tuple[float, int]:
    """One optimisation step on a summed, label-smoothed cross-entropy; returns (summed loss, correct)."""
    net.train()
    with torch.autocast(x.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
        logits = net(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=label_smoothing, reduction="none").sum()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach()), int((logits.argmax(1) == y).sum())


class Trainer:
    """Runs :meth:`fit`; keeps the step count, the Lookahead state and the per-epoch history."""

    def __init__(self, net: Net, train_set: ImageSet, cfg: TrainConfig, dtype: torch.dtype | None) -> None:
        self.net, self.cfg, self.dtype = net, cfg, dtype
        self.batches = FlipTranslateBatches(train_set.images, train_set.labels, cfg.batch_size,
                                            translate=cfg.translate, flip=cfg.flip, seed=cfg.seed)
        self.total_steps = max(1, math.ceil(len(self.batches) * cfg.epochs))
        self.lr_schedule = triangle(self.total_steps)
        self.optimizer = make_optimizer(net, cfg)
        self.lookahead: Lookahead | None = None
        self.tuner = ThreadTuner(cfg.threads)
        self.step, self.trained_s, self.cpu_s = 0, 0.0, 0.0
        self.history: list[dict[str, float]] = []

    def _after_step(self, epoch: int) -> None:
        """airbench's EMA: starts at ``ema_start_epochs``, updates every ``ema_every`` steps."""
        cfg = self.cfg
        if not cfg.lookahead or epoch < cfg.ema_start_epochs or self.step % cfg.ema_every:
            return
        if self.lookahead is None:
            self.lookahead = Lookahead(self.net)
        else:
            decay = cfg.ema_decay_base**cfg.ema_every * (self.step / self.total_steps) ** cfg.ema_decay_pow
            self.lookahead.update(self.net, decay)

    def run_epoch(self, epoch: int, progress: bool) -> tuple[float, float]:
        """One pass over the batches; returns (mean train loss, train accuracy) on the augmented images."""
        self.net.whiten.bias.requires_grad_(epoch < self.cfg.whiten_bias_epochs)
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(self.batches, desc=f"epoch {epoch + 1}/{math.ceil(self.cfg.epochs)}", unit="batch",
                   disable=not progress, leave=False)
        for images, labels in bar:
            for group in self.optimizer.param_groups:
                group["lr"] = group["initial_lr"] * float(self.lr_schedule[self.step])
            x = normalize(images).contiguous(memory_format=torch.channels_last)
            self.tuner.before_step(self.step)
            start = time.perf_counter()
            batch_loss, batch_correct = train_step(self.net, self.optimizer, x, labels, self.cfg.label_smoothing,
                                                   self.dtype)
            self.tuner.after_step(self.step, time.perf_counter() - start)
            self.step += 1
            self._after_step(epoch)
            loss_sum, correct, seen = loss_sum + batch_loss, correct + batch_correct, seen + len(labels)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
            if self.step >= self.total_steps:
                break
        if self.lookahead is not None:
            self.lookahead.update(self.net, decay=1.0)  # end every epoch on the slow weights, as airbench does
        torch.set_num_threads(self.cfg.threads)
        return loss_sum / max(seen, 1), correct / max(seen, 1)

    def fit(self, val_set: ImageSet, *, progress: bool = True,
            on_epoch: Callable[[dict[str, float]], Any] | None = None) -> list[dict[str, float]]:
        """Train for ``cfg.epochs`` (fractions allowed); after each epoch, score validation without TTA."""
        for epoch in range(math.ceil(self.cfg.epochs)):
            start, cpu_start = time.perf_counter(), time.process_time()
            train_loss, train_acc = self.run_epoch(epoch, progress)
            self.trained_s += time.perf_counter() - start
            self.cpu_s += time.process_time() - cpu_start  # CPU seconds of all threads: load-independent
            logits = batched_logits(self.net, val_set.images, tta=0, precision=self.cfg.precision)
            row = {"epoch": epoch + 1, "step": self.step, "train_loss": train_loss, "train_acc": train_acc,
                   "val_loss": float(F.cross_entropy(logits, val_set.labels)),
                   "val_acc": float((logits.argmax(1) == val_set.labels).float().mean()),
                   "lr": float(self.lr_schedule[min(self.step, self.total_steps) - 1]), "elapsed_s": self.trained_s}
            self.history.append(row)
            log.info("epoch %d: train loss %.3f acc %.3f | val loss %.3f acc %.4f | %.1f min", epoch + 1,
                     train_loss, train_acc, row["val_loss"], row["val_acc"], self.trained_s / 60)
            if on_epoch is not None:
                on_epoch(row)
        return self.history


def fp32_slowdown(net: Net, train_set: ImageSet, cfg: TrainConfig, dtype: torch.dtype, batch: int = 256,
                  steps: int = 3) -> dict[str, Any]:
    """How much slower a float32 training step is than one at ``dtype``, measured here on a throw-away copy.

    bf16 and fp32 steps alternate, so a neighbour's load slows both alike and the *ratio* stays meaningful
    on a shared machine; the training time without native bf16 is then estimated as the measured time
    times this ratio. The first step of each kind is a warm-up. On this CPU float32 runs on AVX-512; a
    CPU with only AVX2 will be slower still.
    """
    import copy

    probe = copy.deepcopy(net)
    optimizer = make_optimizer(probe, cfg)
    images = normalize(train_set.images[:batch]).contiguous(memory_format=torch.channels_last)
    labels = train_set.labels[:batch]
    torch.set_num_threads(cfg.threads)
    times: dict[str, list[float]] = {"bf16": [], "fp32": []}
    for _ in range(steps + 1):
        for name, kind in (("bf16", dtype), ("fp32", None)):
            start = time.perf_counter()
            train_step(probe, optimizer, images, labels, cfg.label_smoothing, kind)
            times[name].append(time.perf_counter() - start)
    ratio = float(np.median(times["fp32"][1:]) / np.median(times["bf16"][1:]))
    return {"fp32_slowdown": ratio,
            "fp32_probe": f"the measured training time x {ratio:.2f}, the float32/bf16 step-time ratio timed here "
                          f"({steps} alternating steps of {batch} images each); a CPU with only AVX2 will be slower"}
