"""Train the CIFAR-10 CNN on a CPU with the airbench94 recipe and write ``models/vision/``.

    python -m src.vision.train                      # the committed model
    python -m src.vision.train --epochs 10          # another number of epochs (fractions allowed)
    python -m src.vision.train --source torchvision # CIFAR10(download=True) instead of the mirror
    python -m src.vision.train --data FOLDER        # any folder with one sub-folder per class
    python -m src.vision.train --out DIR            # write the artifact somewhere else (the MLOps retrain gate)
    python -m src.vision.train --smoke              # tiny preset: a few hundred images, seconds

Steps: :func:`prepare_data` (decode, stratified split), :func:`build_net` (PCA whitening from 5,000
training images), :class:`src.vision.fit.Trainer` (the airbench94 loop), then
:func:`src.vision.report.evaluate` (TTA, temperature, bootstrap interval, ECE) and
:func:`src.vision.report.write_artifact` (weights, config, card, the page's precomputed insights).
Every run is tracked with :func:`src.core.tracking.track_run`.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from src.core import cards, datasets
from src.core.cli import option, train_app
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import ROOT, model_dir
from src.core.tracking import track_run
from src.vision import report
from src.vision.data import ImageSet, load, spread_sample, stratified_split
from src.vision.fit import Trainer, fp32_slowdown, keep_freed_memory
from src.vision.model import Net, NetConfig, init_whitening, normalize

log = logging.getLogger(__name__)

#: Where ``--smoke`` writes unless ``--out`` says otherwise (never over the committed model).
SMOKE_DIR = ROOT / "checkpoints" / "vision-smoke-model"
MODEL_DIR = model_dir("vision")
#: Images used to estimate the patch covariance of the whitening layer (airbench: 5,000).
WHITENING_IMAGES = 5000


@dataclass
class TrainConfig:
    """Everything that defines a run: the CLI options (one default each) and the card's config."""

    source: str = option("mirror", "'mirror' (verified folder) or 'torchvision' (download).")
    data: str | None = option(None, "Train on this folder (one sub-folder per class) instead.")
    widths: tuple[int, int, int] = option((64, 256, 256), "Channels of the three conv groups (airbench94).")
    epochs: float = option(16.0, "Training epochs (fractions allowed); airbench94 uses 9.9 on clean PNGs.")
    batch_size: int = option(1024, "Images per step (airbench94: 1024).")
    lr: float = option(11.5, "Learning rate per 1024 examples (airbench's decoupled form).")
    momentum: float = option(0.85, "Nesterov momentum.")
    weight_decay: float = option(0.0153, "Weight decay per 1024 examples, decoupled from the learning rate.")
    bias_scaler: float = option(64.0, "BatchNorm biases learn this many times faster (1 = off).")
    label_smoothing: float = option(0.2, "Label smoothing of the cross-entropy.")
    whiten_bias_epochs: int = option(3, "Train the whitening layer's bias for this many epochs only.")
    lookahead: bool = option(True, "Lookahead/EMA of the weights.")
    ema_start_epochs: int = option(3, "Epoch at which the Lookahead/EMA starts.")
    ema_decay_base: float = option(0.95, "Lookahead decay base (raised to the update interval).")
    ema_decay_pow: float = option(3.0, "Lookahead decay grows as (step / total) to this power.")
    ema_every: int = option(5, "Steps between Lookahead updates.")
    translate: int = option(2, "Random translation in pixels (reflect padding).")
    flip: str = option("alternating", "'alternating' (derandomised), 'random' or 'none'.")
    whiten: bool = option(True, "Frozen patch-whitening first layer (off: a learned, randomly initialised one).")
    dirac: bool = option(True, "Partial identity (dirac) initialisation of the 3x3 convs.")
    bn_scale: bool = option(False, "Learn a BatchNorm scale (airbench has none).")
    tta_level: int = option(2, "Test-time augmentation: 0 none, 1 mirror, 2 mirror + 1 px translations.")
    val_size: int = option(5000, "Images held out for validation and calibration (stratified).")
    seed: int = option(0, "Random seed for split, init and augmentation.")
    precision: str = option("auto", "'auto' (bf16 where the CPU has it natively), 'bf16' or 'fp32'.")
    threads: int = option(2, "CPU threads.")
    limit: int = option(0, "Use only this many images (0 = all).")
    insights: bool = option(True, "Precompute the page's mistakes and robustness sweeps into the artifact.")
    export_onnx: bool = option(True, "Also export ONNX float32 and int8 graphs and check their accuracy.")
    fp32_probe: bool = option(True, "Time a few float32 steps to estimate training without native bf16.",
                              cli=False)
    #: Set by :meth:`smoke`, so a smoke run without ``--out`` never overwrites the committed model.
    smoke_preset: bool = option(False, "Set by --smoke.", cli=False)

    def smoke(self) -> TrainConfig:
        """The ``--smoke`` preset: 600 images, small widths, 2 epochs (written to ``checkpoints/`` unless ``--out``)."""
        return dataclasses.replace(self, widths=(16, 32, 32), limit=self.limit or 600, val_size=100,
                                   batch_size=100, epochs=2.0, smoke_preset=True)

    def net_config(self, num_classes: int) -> NetConfig:
        return NetConfig(widths=tuple(self.widths), num_classes=num_classes, dirac=self.dirac,
                         bn_scale=self.bn_scale)


def pick_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype, or None for float32: "auto" is bf16 only where the CPU has it natively."""
    if precision == "bf16" or (precision == "auto" and cpu_has_native_bf16()):
        return torch.bfloat16
    return None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def prepare_data(cfg: TrainConfig, progress: bool = True) -> tuple[ImageSet, ImageSet, ImageSet]:
    """(all images, train split, validation split), stratified by class and fixed by the seed."""
    full = load(cfg.source, Path(cfg.data) if cfg.data else None, progress=progress)
    if cfg.limit and cfg.limit < len(full):
        _, keep = stratified_split(full.labels, cfg.limit, cfg.seed)
        full = full.subset(keep)
    val_size = min(cfg.val_size, len(full) // 2)  # a tiny --data folder under --smoke keeps half for training
    train_idx, val_idx = stratified_split(full.labels, val_size, cfg.seed)
    return full, full.subset(train_idx), full.subset(val_idx)


def build_net(cfg: TrainConfig, train_set: ImageSet, num_classes: int) -> Net:
    """The net, its first layer whitened on a seeded sample of the training images (or left to learn, for the
    ablation). airbench takes "the first 5,000", which in its shuffled tensor is a random sample; here the
    split is stored class by class, so the first 5,000 would be 90% airplanes."""
    net = Net(cfg.net_config(num_classes))
    if cfg.whiten:
        sample = spread_sample(len(train_set.images), WHITENING_IMAGES, cfg.seed)
        init_whitening(net, normalize(train_set.images[sample]))
    else:
        net.whiten.weight.requires_grad_(True)
    return net.to(memory_format=torch.channels_last)


def data_sha256(cfg: TrainConfig) -> str | None:
    """The registry checksum of the training data when it came from the verified mirror."""
    return str(datasets.get("cifar10").tree_sha256) if cfg.source == "mirror" and not cfg.data else None


def train(cfg: TrainConfig, out: Path = MODEL_DIR, *, progress: bool = True) -> cards.Card:
    """Run training end to end, write the artifact to ``out`` and return its card."""
    wall_start = time.time()
    keep_freed_memory()
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    dtype = pick_dtype(cfg.precision)
    if cfg.smoke_preset and Path(out) == MODEL_DIR:
        out = SMOKE_DIR  # a smoke model must never replace the committed one
    with track_run("vision", asdict(cfg), data_sha256(cfg)) as run:
        full, train_set, val_set = prepare_data(cfg, progress)
        net = build_net(cfg, train_set, len(full.classes))
        trainer = Trainer(net, train_set, cfg, dtype)
        probe = fp32_slowdown(net, train_set, cfg, dtype) if dtype and cfg.fp32_probe else {}
        log.info("%d train / %d validation images, %g epochs (%d steps), %s", len(train_set), len(val_set),
                 cfg.epochs, trainer.total_steps, dtype or torch.float32)
        trainer.fit(val_set, progress=progress,
                    on_epoch=lambda row: run.log_metrics({k: v for k, v in row.items() if k != "epoch"},
                                                         step=int(row["epoch"])))
        net = net.eval()
        result = report.evaluate(net, val_set, cfg)
        run.log_metrics({"val_accuracy_tta": result.accuracy, "ece_after": result.ece_after})
        info = report.RunInfo(full, train_set, val_set, trainer, dtype, time.time() - wall_start, probe)
        card = report.write_artifact(net, cfg, info, result, Path(out))
        run.log_card(out)
    log.info("wrote %s: %s %s", out, card.headline.name, card.headline.formatted())
    return card


app = train_app("vision", TrainConfig, train, lambda card: {"ci95": card.extra["bootstrap"][report.HEADLINE],
                                                              "ece_after": card.metric("ECE after temperature scaling")
                                                              .value})


if __name__ == "__main__":
    app()
