"""Train and compare the three sentiment models on SST-2; write ``models/sentiment/`` and its card.

    python -m src.sentiment.train                          # full run (its duration is on the card)
    python -m src.sentiment.train --smoke --out /tmp/s     # the whole pipeline on a sample, in seconds
    python -m src.sentiment.train --method lora --epochs 1 --out /tmp/lora   # the earlier LoRA recipe

The run ends with the served blend (transformer + TF-IDF log-odds, fitted on the held-out slice):
``src.sentiment.report.evaluate_models``, which ``python -m src.sentiment.report refit`` also runs on a
committed artifact without retraining.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import torch

from src.core.cards import artifact_writer, write_card
from src.core.cli import option, train_app
from src.core.hardware import cpu_has_native_bf16
from src.core.settings import model_dir
from src.core.tracking import track_run
from src.sentiment import baselines, report, showcase
from src.sentiment.augment import AugmentSettings, augment
from src.sentiment.data import DATASET, LABELS, checksums, holdout_split, load_split
from src.sentiment.finetune import FitResult, FitSettings, fit, step_seconds
from src.sentiment.model import LoraSettings, TransformerScorer, load_tokenizer, save_weights
from src.sentiment.predict import ADAPTER_DIR, CONFIG_FILE, LINEAR_FILE, Predictor

log = logging.getLogger("sentiment.train")


@dataclass
class TrainConfig:
    """Everything that decides the trained artifact; the CLI's options and defaults are built from it."""

    method: str = option("full", "'full' fine-tuning (every weight but the word embeddings) or 'lora'.")
    epochs: float = option(2.0, "Passes over SST-2 train (fractions allowed); the best epoch on the held-out "
                                "slice is kept.")
    batch_size: int = option(32, "Sentences per step.")
    lr: float = option(5e-5, "Peak AdamW learning rate.")
    weight_decay: float = option(0.01, "AdamW weight decay (not on biases and LayerNorm).")
    warmup: float = option(0.06, "Share of the steps with a linear learning-rate warm-up.")
    lora_rank: int = option(16, "LoRA rank r (method lora).")
    lora_alpha: int = option(32, "LoRA alpha, scale = alpha / r (method lora).")
    lora_dropout: float = option(0.1, "LoRA dropout (method lora).")
    train_max_length: int = option(64, "Token cap while training (SST-2 phrases are short).")
    max_length: int = option(128, "Token window at inference; longer texts are chunked.")
    linear_c: float = option(4.0, "Inverse regularisation of the TF-IDF logistic regression.")
    holdout: int = option(600, "Whole sentences of train held out to pick the epoch and calibrate.")
    bf16: bool | None = option(None, "bf16 autocast (default: only on CPUs with native bf16).")
    train_limit: int = option(0, "Use a random subset of this many train phrases (0 = all).")
    seed: int = option(0, "Seed for sampling, batches and the head.")
    max_minutes: float = option(24.0, "Wall-clock budget for fine-tuning in minutes (0 = none); past it the "
                                     "run stops early and says so on the card.")
    evals_per_epoch: int = option(2, "Held-out evaluations per epoch; the best point's weights are kept.")
    aug_negation: float = option(0.05, "Generated negation rows for the transformer, as a share of the fit set.")
    aug_typos: float = option(0.10, "Misspelt copies of fit-set phrases for the transformer, as a share of it.")
    aug_neutral: float = option(0.025, "Neutral template sentences (soft 0.5 target), as a share of the fit set.")
    threads: int = option(2, "Torch threads.")
    smoke_run: bool = option(False, "Set by --smoke.", cli=False)

    def __post_init__(self) -> None:
        if self.bf16 is None:
            self.bf16 = cpu_has_native_bf16()

    def smoke(self) -> TrainConfig:
        """The same pipeline on a sample, well under a minute (checks wiring, not quality)."""
        return dataclasses.replace(self, epochs=1.0, train_limit=600, holdout=64, smoke_run=True)

    def fit_settings(self) -> FitSettings:
        """The subset the training loop needs."""
        return FitSettings(self.method, self.epochs, self.batch_size, self.lr, self.weight_decay, self.warmup,
                           LoraSettings(self.lora_rank, self.lora_alpha, self.lora_dropout),
                           self.train_max_length, bool(self.bf16), self.seed, self.max_minutes,
                           self.evals_per_epoch)

    def augment_settings(self, n_fit: int) -> AugmentSettings:
        """How many generated rows the transformer trains on besides the ``n_fit`` SST-2 phrases."""
        return AugmentSettings(*(round(share * n_fit) for share in (self.aug_negation, self.aug_typos,
                                                                    self.aug_neutral)))


def split_data(cfg: TrainConfig, train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit set, held-out slice) of SST-2 train, after the optional random subset."""
    if cfg.train_limit:
        train = train.sample(n=min(cfg.train_limit, len(train)), random_state=cfg.seed).reset_index(drop=True)
    fit_set, held = holdout_split(train, cfg.holdout, cfg.seed, min_words=3 if cfg.train_limit else 6)
    log.info("SST-2 train: %d phrases to fit, %d held-out sentences (%d sub-phrases removed)",
             len(fit_set), len(held), len(train) - len(fit_set) - len(held))
    return fit_set, held


def fit_transformer(cfg: TrainConfig, fit_set: pd.DataFrame, held: pd.DataFrame, run) -> tuple[FitResult, dict]:
    """Fine-tune on ``fit_set`` (SST-2 plus generated rows), selecting the epoch on the held-out slice; plus the
    fp32/bf16 step timings."""
    tokenizer = load_tokenizer()
    settings = cfg.fit_settings()

    def score(model: torch.nn.Module) -> float:
        scorer = TransformerScorer(model, tokenizer, cfg.max_length, "bf16" if cfg.bf16 else "fp32")
        z = scorer.logits(held["sentence"].tolist())
        return float(((z > 0).astype(int) == held["label"].to_numpy()).mean())

    result = fit(fit_set, tokenizer, settings, score,
                 lambda row: run.log_metrics({k: v for k, v in row.items() if k != "steps"}, step=int(row["steps"])))
    ids = tokenizer(fit_set["sentence"].tolist(), truncation=True, max_length=cfg.train_max_length)["input_ids"]
    labels = torch.tensor(fit_set["label"].to_numpy(dtype="float32"))
    steps = 3 if cfg.train_limit else 8
    timing = {"fp32": step_seconds(result.model, tokenizer, settings, ids, labels, bf16=False, steps=steps)}
    if cfg.bf16:
        timing["bf16"] = step_seconds(result.model, tokenizer, settings, ids, labels, bf16=True, steps=steps)
    return result, timing


def write_artifact(cfg: TrainConfig, folder: Path, result: FitResult, linear, data: dict[str, pd.DataFrame],
                   started: float, timing: dict) -> report.Card:
    """Save the three models, calibrate on the held-out slice, evaluate on dev, write the card."""
    with artifact_writer(folder) as tmp:
        save_weights(result.model, tmp / ADAPTER_DIR)
        baselines.save_linear(linear, tmp / LINEAR_FILE)
        config = {"labels": list(LABELS), "max_length": cfg.max_length, "calibration": {}}
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        # Evaluate exactly what ships, on the reference backend (the same figures on every CPU).
        predictor = Predictor.from_artifact(tmp, backend=report.REFERENCE_BACKEND)
        results = report.evaluate_models(predictor, data["held"], data["dev"])
        (tmp / CONFIG_FILE).write_text(json.dumps(predictor.config, indent=2))
        showcase.try_write(tmp)  # the page's examples and behaviour suite, scored here, not on each cold visit
        sizes = {"transformer": sum(p.stat().st_size for p in (tmp / ADAPTER_DIR).iterdir()),
                 "linear": (tmp / LINEAR_FILE).stat().st_size, "vader": 0}
        duration = time.perf_counter() - started  # the whole run: split, both fits, calibration, evaluation
        generated = len(data["rows"]) - len(data["fit"])
        run_info = {"duration": duration, "transformer_seconds": result.seconds, "timing": timing,
                    "augmented": f" (+ {generated:,} generated rows for the transformer)" if generated else "",
                    "history": result.history, "best_epoch": result.best_epoch,
                    "n_fit": len(data["fit"]), "n_held": len(data["held"]), "sizes": sizes}
        card = report.build_card(asdict(cfg), results, run_info)
        write_card(card, tmp)
    return card


def run(cfg: TrainConfig, train: pd.DataFrame, dev: pd.DataFrame, out: Path) -> report.Card:
    """Fit all three models on ``train`` (minus a held-out slice), evaluate on ``dev``, write ``out``."""
    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    with track_run("sentiment", cfg, data_sha256=checksums().get(f"{DATASET}/train.tsv")) as tracked:
        fit_set, held = split_data(cfg, train)
        log.info("TF-IDF + logistic regression on %d phrases", len(fit_set))
        linear = baselines.build_linear(cfg.linear_c, cfg.seed).fit(fit_set["sentence"].tolist(),
                                                                   fit_set["label"].to_numpy())
        rows = augment(fit_set, cfg.augment_settings(len(fit_set)), cfg.seed)
        log.info("transformer trains on %d rows (%d SST-2 phrases + %d generated)", len(rows), len(fit_set),
                 len(rows) - len(fit_set))
        result, timing = fit_transformer(cfg, rows, held, tracked)
        # A copy outside the artifact, so a failure while evaluating does not cost the fine-tuning.
        save_weights(result.model, Path(tempfile.gettempdir()) / f"sentiment-fit-{os.getpid()}")
        timing["load_average"] = os.getloadavg()[1]  # CPU contention while training (5-min average)
        data = {"fit": fit_set, "rows": rows, "held": held, "dev": dev}
        card = write_artifact(cfg, out, result, linear, data, started, timing)
        tracked.log_card(out)
    return card


#: Where ``--smoke`` writes unless ``--out`` says otherwise (never over the committed model).
SMOKE_DIR = Path(tempfile.gettempdir()) / "sentiment-smoke"


def train(cfg: TrainConfig, out: Path) -> report.Card:
    """The command's work: SST-2 train and dev from the cache or mirror, then :func:`run` into ``out``."""
    torch.set_num_threads(cfg.threads)
    if cfg.smoke_run and Path(out) == model_dir("sentiment"):
        out = SMOKE_DIR  # a smoke model must never replace the committed one
    return run(cfg, load_split("train"), load_split("dev"), out)


app = train_app("sentiment", TrainConfig, train,
                lambda card: {m.name: round(m.value, 4) for m in card.metrics if m.name.startswith("dev accuracy")})


if __name__ == "__main__":
    app()
