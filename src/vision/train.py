"""Train the CIFAR-10 CNN on a CPU and write ``models/vision/`` (weights, config, card).

    python -m src.vision.train                      # the committed model (epochs sized to --budget-min)
    python -m src.vision.train --epochs 10          # a fixed number of epochs
    python -m src.vision.train --source torchvision # CIFAR10(download=True) instead of the mirror
    python -m src.vision.train --data FOLDER        # any folder with one sub-folder per class
    python -m src.vision.train --smoke              # tiny preset: a few hundred images, seconds

The recipe follows airbench94 (Jordan 2024): PCA-whitened first conv, three conv groups with
batch norm and GELU, flip + 2 px translate on whole tensors, label smoothing 0.2, Nesterov SGD with
a triangular schedule, Lookahead weight averaging and flip + 1 px vertical shift test-time augmentation. Then a
temperature is fitted on the validation split. A checkpoint is written after every epoch under
``checkpoints/`` and training resumes from it when the configuration matches.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import math
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
import torch.nn.functional as F
import typer
from safetensors.torch import save_file
from tqdm.auto import tqdm

from src.core import cards, datasets
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import ROOT, model_dir
from src.vision import calibration
from src.vision.data import CIFAR10_CLASSES, ImageSet, augment, load, stratified_split
from src.vision.model import (
    TTA_PASSES,
    Net,
    NetConfig,
    batched_logits,
    count_parameters,
    init_whitening,
    normalize,
)

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CHECKPOINT_DIR = ROOT / "checkpoints"


@dataclass
class TrainConfig:
    """Everything that defines a run (stored in the checkpoint and the card)."""

    source: str = "mirror"
    data: str | None = None
    widths: tuple[int, int, int] = (64, 256, 256)  # airbench94
    #: 0 = size the run from a throughput measurement so it fits ``budget_min``.
    epochs: float = 0.0
    budget_min: float = 22.0
    batch_size: int = 512
    lr: float = 11.5  # per 1024 examples, as in airbench (the loss is a sum, not a mean)
    momentum: float = 0.85
    weight_decay: float = 0.0153
    bias_scaler: float = 64.0  # batch-norm biases learn this much faster (with less decay)
    label_smoothing: float = 0.2
    whiten_bias_fraction: float = 0.3  # train the whitening bias for this share of the run only
    translate: int = 2
    lookahead: bool = True
    val_size: int = 5000
    seed: int = 0
    precision: str = "auto"
    threads: int = 2
    limit: int = 0  # use only this many images (smoke tests); 0 = all
    out: str = str(model_dir("vision"))
    extra: dict[str, Any] = field(default_factory=dict)

    def run_key(self) -> dict[str, Any]:
        """The fields that must match for a checkpoint to be resumed."""
        skip = {"out", "threads", "budget_min", "extra"}
        return {k: v for k, v in asdict(self).items() if k not in skip}


def pick_device() -> torch.device:
    """cuda, then mps, then cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for float32.

    "auto" uses bfloat16 where the hardware has it natively (GPUs; CPUs with AVX512-BF16/AMX).
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16
    if device.type == "cpu" and cpu_has_native_bf16():
        return torch.bfloat16
    return None


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


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Lookahead:
    """Keeps a slow copy of the weights; every few steps the fast weights are pulled onto it."""

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

    def before_step(self, step: int) -> None:
        other = next((t for t in self.options if t != self.current), self.current)
        self.used = other if step % self.every < self.probe else self.current
        torch.set_num_threads(self.used)

    def after_step(self, step: int, seconds: float) -> None:
        self.times[self.used] = [*self.times[self.used][-4:], seconds]
        other = next((t for t in self.options if t != self.current), self.current)
        if step % self.every != self.every - 1 or not (self.times[other] and self.times[self.current]):
            return
        if float(np.median(self.times[other][-self.probe:])) < 0.9 * float(np.median(self.times[self.current])):
            self.current = other


def triangle(total: int, start: float = 0.2, peak_at: float = 0.23, end: float = 0.07) -> torch.Tensor:
    """Learning-rate multipliers: linear warm-up from ``start`` to 1, then linear decay to ``end``."""
    peak = max(1, int(peak_at * total))
    up = torch.linspace(start, 1, peak + 1)[:-1]
    down = torch.linspace(1, end, total - peak + 1)
    return torch.cat([up, down])


def make_optimizer(net: Net, cfg: TrainConfig) -> torch.optim.SGD:
    """Nesterov SGD; batch-norm biases get ``bias_scaler`` times the learning rate, as in airbench."""
    kilostep = 1024 * (1 + 1 / (1 - cfg.momentum))
    lr, wd = cfg.lr / kilostep, cfg.weight_decay * cfg.batch_size / kilostep
    norm_biases = [p for name, p in net.named_parameters() if "norm" in name and p.requires_grad]
    others = [p for name, p in net.named_parameters() if "norm" not in name and p.requires_grad]
    groups = [
        {"params": norm_biases, "lr": lr * cfg.bias_scaler, "weight_decay": wd / cfg.bias_scaler},
        {"params": others, "lr": lr, "weight_decay": wd},
    ]
    optimizer = torch.optim.SGD(groups, momentum=cfg.momentum, nesterov=True)
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    return optimizer


def _step(net: Net, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig,
          dtype: torch.dtype | None) -> tuple[float, int]:
    """One optimisation step; returns the summed loss and the number of correct predictions."""
    net.train()
    with torch.autocast(x.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
        logits = net(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing, reduction="none").sum()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach()), int((logits.argmax(1) == y).sum())


def measure_throughput(net: Net, cfg: TrainConfig, images: torch.Tensor, labels: torch.Tensor,
                       device: torch.device, dtype: torch.dtype | None, steps: int = 3) -> float:
    """Training images per second on a throw-away copy of the net (so the real one is untouched)."""
    probe = copy.deepcopy(net)
    optimizer = make_optimizer(probe, cfg)
    gen = torch.Generator().manual_seed(0)
    times = []
    for i in range(steps + 1):
        idx = torch.arange(i * cfg.batch_size, (i + 1) * cfg.batch_size) % len(images)
        start = time.perf_counter()
        x = augment(normalize(images[idx]), gen, cfg.translate).to(device, memory_format=torch.channels_last)
        _step(probe, optimizer, x, labels[idx].to(device), cfg, dtype)
        times.append(time.perf_counter() - start)
    return cfg.batch_size / float(np.median(times[1:]))


def evaluate_split(net: Net, split: ImageSet, tta: bool = False) -> tuple[float, float, torch.Tensor]:
    """(accuracy, mean cross-entropy, logits) on a split."""
    logits = batched_logits(net, split.images, tta=tta)
    return float((logits.argmax(1) == split.labels).float().mean()), calibration.nll(logits, split.labels), logits


def _checkpoint_path(cfg: TrainConfig) -> Path:
    name = "vision-smoke" if cfg.limit else "vision"
    return CHECKPOINT_DIR / f"{name}.pt"


def train(cfg: TrainConfig, *, progress: bool = True) -> dict[str, Any]:
    """Run training end to end and write the artifact to ``cfg.out``; returns the result summary."""
    wall_start = time.time()
    keep_freed_memory()
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device()
    dtype = pick_dtype(cfg.precision, device)

    full = load(cfg.source, Path(cfg.data) if cfg.data else None, progress=progress)
    if cfg.limit:
        keep, _ = stratified_split(full.labels, len(full) - cfg.limit, cfg.seed) if cfg.limit < len(full) else (
            np.arange(len(full)), None)
        full = full.subset(keep)
    train_idx, val_idx = stratified_split(full.labels, cfg.val_size, cfg.seed)
    train_set, val_set = full.subset(train_idx), full.subset(val_idx)
    steps_per_epoch = max(1, len(train_set) // cfg.batch_size)

    net = Net(NetConfig(widths=tuple(cfg.widths), num_classes=len(full.classes)))
    init_whitening(net, normalize(train_set.images[:5000]))
    net = net.to(device, memory_format=torch.channels_last)

    ckpt_path = _checkpoint_path(cfg)
    state = torch.load(ckpt_path, weights_only=False) if ckpt_path.exists() else None
    if state is not None and state["run_key"] != cfg.run_key():
        tqdm.write(f"ignoring {ckpt_path}: it was written by a different configuration")
        state = None

    if state is not None:
        epochs = state["epochs"]
        throughput = state["throughput"]
    else:
        throughput = measure_throughput(net, cfg, train_set.images, train_set.labels, device, dtype)
        if cfg.epochs > 0:
            epochs = cfg.epochs
        else:
            # Each epoch also pays for one validation pass (about a third of a training step per image).
            epoch_s = len(train_set) / throughput + len(val_set) / (3 * throughput)
            epochs = float(min(40, max(2, math.floor(cfg.budget_min * 60 / epoch_s))))
        tqdm.write(f"{throughput:,.0f} train images/s on {device} ({dtype or torch.float32}); {epochs:g} epochs")

    total_steps = max(1, round(epochs * steps_per_epoch))
    lr_schedule = triangle(total_steps)
    alpha_schedule = 0.95**5 * (torch.arange(total_steps + 1) / total_steps) ** 3
    whiten_bias_steps = math.ceil(cfg.whiten_bias_fraction * total_steps)
    optimizer = make_optimizer(net, cfg)
    lookahead = Lookahead(net) if cfg.lookahead else None
    history: list[dict[str, float]] = []
    step, start_epoch, trained_s = 0, 0, 0.0
    if state is not None:
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        if lookahead is not None:
            lookahead.slow = state["lookahead"]
        history, step, start_epoch, trained_s = state["history"], state["step"], state["epoch"], state["trained_s"]
        torch.set_rng_state(state["rng"])
        tqdm.write(f"resumed from {ckpt_path} at epoch {start_epoch}, step {step}")

    n_epochs = math.ceil(total_steps / steps_per_epoch)
    tuner = ThreadTuner(cfg.threads) if device.type == "cpu" else None
    gen = torch.Generator().manual_seed(cfg.seed)
    for epoch in range(start_epoch, n_epochs):
        epoch_start = time.time()
        gen.manual_seed(cfg.seed * 1000 + epoch)  # the same batches whether or not the run was resumed
        order = torch.randperm(len(train_set), generator=gen)
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{n_epochs}", unit="batch", disable=not progress,
                   leave=False)
        for i in bar:
            if step >= total_steps:
                break
            idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            x = augment(normalize(train_set.images[idx]), gen, cfg.translate)
            x = x.to(device, memory_format=torch.channels_last)
            y = train_set.labels[idx].to(device)
            if step == whiten_bias_steps:
                net.whiten.bias.requires_grad_(False)
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * float(lr_schedule[step])
            if tuner is not None:
                tuner.before_step(step)
            step_start = time.perf_counter()
            batch_loss, batch_correct = _step(net, optimizer, x, y, cfg, dtype)
            if tuner is not None:
                tuner.after_step(step, time.perf_counter() - step_start)
            step += 1
            if lookahead is not None and step % 5 == 0:
                lookahead.update(net, decay=float(alpha_schedule[step]))
            loss_sum, correct, seen = loss_sum + batch_loss, correct + batch_correct, seen + len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}",
                            threads=tuner.used if tuner else "-")
        trained_s += time.time() - epoch_start
        torch.set_num_threads(cfg.threads)
        val_acc, val_loss, _ = evaluate_split(net, val_set)
        history.append({"epoch": epoch + 1, "step": step, "train_loss": loss_sum / max(seen, 1),
                        "train_acc": correct / max(seen, 1), "val_loss": val_loss, "val_acc": val_acc,
                        "lr": float(lr_schedule[min(step, total_steps) - 1]), "elapsed_s": trained_s})
        tqdm.write(f"epoch {epoch + 1}: train loss {loss_sum / max(seen, 1):.3f} acc {correct / max(seen, 1):.3f} | "
                   f"val loss {val_loss:.3f} acc {val_acc:.4f} | {trained_s / 60:.1f} min")
        ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"run_key": cfg.run_key(), "epochs": epochs, "throughput": throughput, "net": net.state_dict(),
                    "optimizer": optimizer.state_dict(), "lookahead": lookahead.slow if lookahead else None,
                    "history": history, "step": step, "epoch": epoch + 1, "trained_s": trained_s,
                    "rng": torch.get_rng_state()}, ckpt_path.with_suffix(".tmp"))
        os.replace(ckpt_path.with_suffix(".tmp"), ckpt_path)

    if lookahead is not None:
        lookahead.update(net, decay=1.0)  # finish on the slow (averaged) weights
    net = net.cpu().eval()
    return write_artifact(net, cfg, full, train_set, val_set, history, epochs, throughput, dtype, trained_s,
                          time.time() - wall_start)


def write_artifact(net: Net, cfg: TrainConfig, full: ImageSet, train_set: ImageSet, val_set: ImageSet,
                   history: list[dict[str, float]], epochs: float, throughput: float, dtype: torch.dtype | None,
                   trained_s: float, wall_s: float) -> dict[str, Any]:
    """Calibrate on validation, then write weights, config and card atomically to ``cfg.out``."""
    start = time.perf_counter()
    logits = batched_logits(net, val_set.images, tta=True)
    infer_per_s = len(val_set) * TTA_PASSES / (time.perf_counter() - start)  # forward passes per second
    labels = val_set.labels
    temperature = calibration.fit_temperature(logits, labels)
    probs_before = torch.softmax(logits, 1)
    probs_after = torch.softmax(logits / temperature, 1)
    predicted = logits.argmax(1)
    accuracy = float((predicted == labels).float().mean())
    no_tta_acc = float((batched_logits(net, val_set.images, tta=False).argmax(1) == labels).float().mean())
    k = len(full.classes)
    confusion = torch.zeros(k, k, dtype=torch.long)
    confusion.index_put_((labels, predicted), torch.ones_like(labels), accumulate=True)
    per_class = (confusion.diag().float() / confusion.sum(1).clamp(min=1)).tolist()
    ece_before, ece_after = calibration.ece(probs_before, labels), calibration.ece(probs_after, labels)
    ece_after_cv = calibration.cross_fitted_ece(logits, labels, cfg.seed)

    net_config = net.config.to_dict()
    config = {"net": net_config, "classes": full.classes, "temperature": temperature, "tta": True,
              "input_size": 32, "val_size": cfg.val_size, "seed": cfg.seed, "source": full.source}
    is_cifar = full.classes == list(CIFAR10_CLASSES)
    from_mirror = cfg.source == "mirror" and not cfg.data
    source_text = (
        f"a stratified validation split ({len(val_set):,} images, seed {cfg.seed}) of the JPEG CIFAR-10 train "
        "images; accuracies on this JPEG re-encoding sit a few points below published CIFAR-10 figures"
        if from_mirror
        else f"a stratified validation split ({len(val_set):,} images, seed {cfg.seed}) of {full.source}"
    )
    metrics = [
        cards.Metric("validation accuracy", accuracy,
                     f"top-1 with flip + 1 px vertical shift test-time augmentation ({TTA_PASSES} views) "
                     f"on {source_text}",
                     fmt="pct"),
        cards.Metric("ECE after temperature scaling", ece_after_cv,
                     "15-bin expected calibration error; T fitted on one half of validation, measured on the other "
                     "(2-fold, averaged)"),
        cards.Metric("ECE before temperature scaling", ece_before, "15-bin expected calibration error, raw softmax"),
        cards.Metric("temperature", temperature, "fitted on the full validation split (NLL)"),
        cards.Metric("accuracy without TTA", no_tta_acc, "same split, one forward pass per image", fmt="pct"),
        cards.Metric("training time (min)", trained_s / 60, f"training loop only; whole command {wall_s / 60:.1f} min"),
        cards.Metric("parameters (M)", count_parameters(net) / 1e6, "all parameters of the network"),
    ]
    with cards.artifact_writer(Path(cfg.out)) as folder:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, folder / WEIGHTS_FILE)
        size_mb = (folder / WEIGHTS_FILE).stat().st_size / 1e6
        metrics.append(cards.Metric("weights (MB)", size_mb, "safetensors file size"))
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        data_ref = (
            [cards.DataRef("cifar10", datasets.get("cifar10").source, datasets.get("cifar10").checksums)]
            if from_mirror
            else [cards.DataRef(full.source, full.source, {})]
        )
        card = cards.Card(
            demo="vision",
            title="CIFAR-10 CNN (airbench-style, CPU-trained)",
            summary=(
                f"A {count_parameters(net) / 1e6:.1f}M-parameter batch-norm convnet in the airbench94 style, trained "
                f"for {epochs:g} epochs on {len(train_set):,} images on this machine's CPU "
                f"({'bfloat16 autocast' if dtype else 'float32'}, channels_last), then calibrated with temperature "
                f"scaling on {len(val_set):,} held-out images."
            ),
            metrics=metrics,
            data=data_ref,
            config={**asdict(cfg), "widths": list(cfg.widths), "epochs_run": epochs,
                    "precision_used": str(dtype or torch.float32).removeprefix("torch."),
                    "device": str(pick_device()), "train_images": len(train_set), "val_images": len(val_set)},
            command=cards.reproduce_command(),
            duration_s=wall_s,
            sections={
                "Intended use": "A teaching demo of a small image classifier for the 10 CIFAR-10 classes. "
                                "It is not meant for anything else: images outside those classes are rejected "
                                "by a confidence threshold, which is a heuristic, not a guarantee.",
                "Limitations": "Trained on 32x32 images: larger photos are shrunk to 32x32 first, so small objects "
                               "vanish. JPEG re-encoding of the training images costs a few points of accuracy "
                               "compared with published CIFAR-10 figures. Unstable under small adversarial "
                               "perturbations (see the robustness chapter).",
            },
            extra={
                "classes": full.classes,
                "per_class_accuracy": dict(zip(full.classes, per_class, strict=True)),
                "confusion_matrix": confusion.tolist(),
                "reliability_before": calibration.reliability_bins(probs_before, labels),
                "reliability_after": calibration.reliability_bins(probs_after, labels),
                "coverage_after": calibration.coverage_curve(probs_after, labels),
                "ece_after_in_sample": ece_after,
                "nll_before": calibration.nll(logits, labels),
                "nll_after": calibration.nll(logits, labels, temperature),
                "curves": history,
                "train_images_per_s": throughput,
                "val_images_per_s_tta": infer_per_s,
                "wall_time_s": wall_s,
                "training_time_s": trained_s,
                "skipped_files": [list(s) for s in full.skipped][:50],
                "is_cifar10": is_cifar,
            },
            tags=["image-classification", "cifar10", "pytorch", "grad-cam", "temperature-scaling"],
            library_name="pytorch",
        )
        cards.write_card(card, folder)
    summary = {"val_accuracy": accuracy, "ece_before": ece_before, "ece_after": ece_after_cv,
               "temperature": temperature, "epochs": epochs, "training_min": trained_s / 60, "weights_mb": size_mb,
               "out": cfg.out}
    tqdm.write(json.dumps(summary, indent=2))
    return summary


app = typer.Typer(add_completion=False)


@app.command()
def main(
    source: Annotated[str, typer.Option(help="'mirror' (verified folder) or 'torchvision' (download).")] = "mirror",
    data: Annotated[Path | None, typer.Option(help="Train on this folder (one sub-folder per class).")] = None,
    epochs: Annotated[float, typer.Option(help="Epochs (fractions allowed); 0 sizes the run to --budget-min.")] = 0.0,
    budget_min: Annotated[float, typer.Option(help="Training-time budget in minutes when --epochs is 0.")] = 22.0,
    batch_size: Annotated[int, typer.Option(help="Images per step.")] = 512,
    widths: Annotated[str, typer.Option(help="Channels of the three conv groups, comma-separated.")] = "64,256,256",
    lr: Annotated[float, typer.Option(help="Learning rate per 1024 examples (airbench convention).")] = 11.5,
    label_smoothing: Annotated[float, typer.Option(help="Label smoothing.")] = 0.2,
    val_size: Annotated[int, typer.Option(help="Images held out for validation (stratified).")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed for split, init and augmentation.")] = 0,
    precision: Annotated[str, typer.Option(help="'auto' (bf16 where native), 'bf16' or 'fp32'.")] = "auto",
    threads: Annotated[int, typer.Option(help="CPU threads.")] = 2,
    limit: Annotated[int, typer.Option(help="Use only this many images (0 = all).")] = 0,
    out: Annotated[Path | None, typer.Option(help="Artifact folder (default models/vision).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an existing checkpoint.")] = False,
    smoke: Annotated[bool, typer.Option("--smoke", help="Tiny preset: 600 images, 2 epochs.")] = False,
) -> None:
    """Train the CNN, calibrate it and write weights + config + model card."""
    cfg = TrainConfig(source=source, data=str(data) if data else None, epochs=epochs, budget_min=budget_min,
                      batch_size=batch_size, widths=tuple(int(w) for w in widths.split(",")), lr=lr,
                      label_smoothing=label_smoothing, val_size=val_size, seed=seed, precision=precision,
                      threads=threads, limit=limit)
    if smoke:
        cfg.widths, cfg.limit, cfg.val_size, cfg.batch_size = (16, 32, 32), limit or 600, 100, 100
        cfg.epochs = epochs or 2
        cfg.out = str(CHECKPOINT_DIR / "vision-smoke-model")
    if out is not None:
        cfg.out = str(out)
    if fresh:
        _checkpoint_path(cfg).unlink(missing_ok=True)
    try:
        train(cfg)
    except datasets.DataMissingError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from exc


if __name__ == "__main__":
    app()
