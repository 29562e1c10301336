"""Calibration, the served blend, evaluation and the model card of a training run.

Protocol (also written into the card): every model is fitted on SST-2 train minus a held-out slice
of whole train sentences (their sub-phrases removed from the fit set). The held-out slice picks the
transformer's epoch, fits the temperatures (and VADER's Platt scaling) and fits the served blend of
the transformer and TF-IDF log-odds. SST-2 dev (872 sentences) is used for nothing but the reported
figures, so it stays an independent estimate.

The training run calls :func:`evaluate_models` and :func:`build_card`; the same step can be re-run on
a committed artifact without retraining (the weights stay, everything fitted after them is refitted)::

    python -m src.sentiment.report refit      # rewrites config.json, showcase.json and the card
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import torch
import typer
from scipy.stats import bootstrap

from src.core import calibration
from src.core.cards import Card, DataRef, Metric, hardware, read_card, reproduce_command, write_card
from src.core.datasets import get as get_dataset
from src.core.hardware import cpu_has_native_bf16
from src.core.logs import setup_logging
from src.core.settings import model_dir
from src.core.tables import markdown_table, records_table
from src.sentiment import augment, baselines, behaviour, metrics, onnx_backend, showcase, spelling
from src.sentiment.backend import INT8_TOLERANCE, ONNX_BACKENDS
from src.sentiment.blend import CONFIG_KEY, NEUTRAL_SEED, NEUTRAL_SHARE, cv_accuracy, fit_blend
from src.sentiment.data import DATASET, LABELS, load_split
from src.sentiment.model import BACKENDS, TransformerScorer
from src.sentiment.predict import CONFIG_FILE, MODEL_TITLES, MODELS, SERVED, Predictor, recheck
from src.sentiment.spelling import SPELLING_KEY

__all__ = ["Card", "build_card", "evaluate_models", "refit"]

log = logging.getLogger(__name__)
#: The backend every figure on the card is measured with (the same numbers on every CPU); the
#: per-backend table shows what bf16 and int8 change.
REFERENCE_BACKEND = "fp32"

#: A sentence written for the latency figures (not from SST-2).
LATENCY_SENTENCE = "The staff were friendly, but the room was smaller than the photos suggested."
#: Reliability bins: a binary model's confidence is in [0.5, 1], so the bins cover that range.
ECE_BINS, ECE_LO = 10, 0.5
BOOTSTRAP_RESAMPLES = 2000

PROTOCOL = (
    "Every model is fitted on SST-2 train minus a held-out slice of whole train sentences (their "
    "sub-phrases are removed from the fit set, so no held-out sentence was seen inside a longer phrase). "
    "The held-out slice picks the transformer's epoch (scored a few times per epoch), fits the temperatures (and "
    "VADER's Platt scaling) and fits the served blend (a logistic regression over the transformer's and the TF-IDF "
    "model's log-odds; its held-out figure is 5-fold cross-validated on the slice; its fit also sees neutral "
    "template sentences with a soft 0.5 target, as many as a tenth of the slice, never scored). Every model reads "
    "the text after a conservative spelling correction (src/sentiment/spelling.py: an unknown word one edit from a "
    "common word is read as that word) at inference only; the models were trained on the text as "
    "written. Only the transformer also "
    "trains on generated rows (src/sentiment/augment.py): "
    "negations of SST-2's own sentiment words with the label flipped, misspelt copies of train phrases, and "
    "neutral template sentences with a soft 0.5 target. Generated rows never equal a behaviour-suite sentence and "
    "avoid its frames, but they target its negation, typo and neutral capabilities, so the suite is a weaker "
    "check of those three than of the others. "
    "SST-2 dev (872 sentences) is used for nothing but the reported figures: accuracy and F1 at "
    "the 0.5 threshold, ECE after calibration, and a bootstrap 95% interval of the headline accuracy. "
    f"Every figure is measured with the {REFERENCE_BACKEND} inference backend unless a table names another.")


def _interval(correct: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Percentile bootstrap 95% interval (and std) of the accuracy over the sentences."""
    res = bootstrap((correct.astype(float),), np.mean, confidence_level=0.95, n_resamples=BOOTSTRAP_RESAMPLES,
                    method="percentile", rng=np.random.default_rng(seed))
    return {"low": float(res.confidence_interval.low), "high": float(res.confidence_interval.high),
            "std": float(res.standard_error), "level": 0.95, "resamples": BOOTSTRAP_RESAMPLES}


def _model_figures(y_dev: np.ndarray, z_dev: np.ndarray, temperature: float, sentences: list[str]) -> dict:
    p = calibration.probabilities(z_dev, temperature)
    return {
        "temperature": temperature,
        "dev": metrics.classification(y_dev, p),
        "reliability": {"bins": calibration.reliability_bins(p, y_dev, ECE_BINS, ECE_LO),
                        "ece": calibration.ece(p, y_dev, ECE_BINS, ECE_LO)},
        "ece_before": calibration.ece(calibration.probabilities(z_dev), y_dev, ECE_BINS, ECE_LO),
        "by_length": metrics.accuracy_by_length(sentences, y_dev, p),
        "interval": _interval((p >= 0.5).astype(int) == y_dev),
    }


def backend_accuracy(predictor: Predictor, held: pd.DataFrame, dev: pd.DataFrame) -> dict[str, dict]:
    """Accuracy under every inference backend, on the held-out slice and on dev: the transformer alone and
    the served blend (its weights as fitted, on the backend's transformer log-odds)."""
    scorer, blend = predictor.transformer, predictor.blend
    texts = {"held": predictor.read(held["sentence"].tolist()), "dev": predictor.read(dev["sentence"].tolist())}
    z_lin = {split: baselines.linear_logits(predictor.linear, t) for split, t in texts.items()}
    y = {"held": held["label"].to_numpy(), "dev": dev["label"].to_numpy()}
    out: dict[str, dict] = {"transformer": {}, "blend": {}}
    for backend in BACKENDS:
        if backend in ONNX_BACKENDS and not onnx_backend.available():
            continue
        other = TransformerScorer(scorer.model, scorer.tokenizer, scorer.max_length, backend, scorer.weights_dir)
        z = {split: recheck(other, blend, t, other.logits(t), z_lin[split]) for split, t in texts.items()}
        out["transformer"][backend] = float(((z["dev"] > 0).astype(int) == y["dev"]).mean())
        out["blend"][backend] = {split: float(((blend.logits(z[split], z_lin[split]) > 0).astype(int) == y[split]
                                               ).mean()) for split in ("held", "dev")}
    return out


def evaluate_models(predictor: Predictor, held: pd.DataFrame, dev: pd.DataFrame) -> dict:
    """Calibrate and fit the blend on the held-out slice (into ``predictor.config``), then every figure the
    card and page show, on dev."""
    y_held, y_dev = held["label"].to_numpy(), dev["label"].to_numpy()
    predictor.config[SPELLING_KEY] = spelling.settings()  # every model reads spelling-corrected text
    predictor.vader.fit_platt(predictor.read(held["sentence"].tolist()), y_held)
    z_held = predictor.raw_logits(held["sentence"].tolist())
    z_dev = predictor.raw_logits(dev["sentence"].tolist())
    z_neutral = predictor.raw_logits(neutral_sentences(len(held)))
    neutral = (z_neutral["transformer"], z_neutral["linear"])
    predictor.config["calibration"] = {"vader": {"a": predictor.vader.a, "b": predictor.vader.b}}
    blend = fit_blend(z_held["transformer"], z_held["linear"], y_held, neutral)
    predictor.config[CONFIG_KEY] = blend.to_dict()
    z_held[SERVED] = blend.logits(z_held["transformer"], z_held["linear"])
    z_dev[SERVED] = blend.logits(z_dev["transformer"], z_dev["linear"])
    results: dict[str, dict] = {}
    for name in MODELS:
        # The blend is a logistic regression fitted on the slice: calibrated already (temperature 1).
        temperature = 1.0 if name in ("vader", SERVED) else calibration.fit_temperature(z_held[name], y_held)
        if name not in ("vader", SERVED):
            predictor.config["calibration"][name] = {"temperature": temperature}
        results[name] = _model_figures(y_dev, z_dev[name], temperature, dev["sentence"].tolist())
        results[name]["holdout_accuracy"] = float(((z_held[name] > 0).astype(int) == y_held).mean())
    blended = results[SERVED]
    blended["holdout_in_sample_accuracy"] = blended["holdout_accuracy"]  # optimistic: fitted on these rows
    blended["holdout_accuracy"] = cv_accuracy(z_held["transformer"], z_held["linear"], y_held, neutral)
    blended["neutral_rows"] = len(neutral[0])
    blended["weights"] = blend.to_dict()
    one = [LATENCY_SENTENCE]
    # Before the backends are compared (their ONNX Runtime thread pools would share the cores), and interleaved,
    # so a burst of other work on the 2 cores slows every model's figure alike instead of one model's.
    latency = interleaved_ms({
        "transformer": lambda: predictor.transformer.logits(one),
        "linear": lambda: baselines.linear_logits(predictor.linear, one),
        "vader": lambda: predictor.vader.logits(one),
        SERVED: lambda: blend.logits(predictor.transformer.logits(one), baselines.linear_logits(predictor.linear, one)),
    })
    for name in MODELS:
        results[name]["latency_ms"] = latency[name]
    results["latency_load_average"] = os.getloadavg()[0]  # other jobs on the cores slow every figure above
    per_backend = backend_accuracy(predictor, held, dev)
    results["transformer"]["backends"], blended["backends"] = per_backend["transformer"], per_backend["blend"]
    results["behaviour"] = behaviour_summary(predictor)
    return results


def neutral_sentences(n_held: int) -> list[str]:
    """The neutral template sentences the blend is fitted with (:data:`~src.sentiment.blend.NEUTRAL_SHARE` of
    the held-out slice's size, drawn with a fixed seed)."""
    rows = augment.neutral(round(NEUTRAL_SHARE * n_held), np.random.default_rng(NEUTRAL_SEED))
    return rows["sentence"].tolist()


def interleaved_ms(fns: dict[str, Callable[[], object]], repeat: int = 20, warmup: int = 2) -> dict[str, float]:
    """Median wall time in ms of each function, the functions taking turns (timing one after another,
    so contention that comes and goes lands on whichever model was being timed)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: float(np.median(values)) for name, values in samples.items()}


def behaviour_summary(predictor: Predictor) -> dict:
    """Pass count of every model on the behaviour suite, and the cases the served blend fails."""
    table = behaviour.run(predictor.probabilities)
    passed = table.groupby("model", sort=False)["passed"].sum()
    failed = table[(table["model"] == SERVED) & ~table["passed"]]
    return {"cases": int(table["case"].nunique()), "passed": {m: int(passed[m]) for m in MODELS},
            "served_failures": [{"capability": behaviour.CAPABILITIES[c], "case": k}
                                for c, k in zip(failed["capability"], failed["case"], strict=True)]}


def _behaviour_text(summary: dict) -> str:
    """The behaviour suite's pass counts (what the page's Behaviour tests chapter shows in detail)."""
    rows = [[MODEL_TITLES[m], f"{summary['passed'][m]} / {summary['cases']}"] for m in MODELS]
    fails = "".join(f"\n- {f['capability']}: {f['case']}" for f in summary["served_failures"])
    return (f"`src/sentiment/behaviour_cases.yaml`, {REFERENCE_BACKEND}:\n\n"
            + markdown_table(["model", "cases passed"], rows)
            + ("\n\nCases the served blend fails:" + fails if fails else ""))


def _metrics(results: dict, method: str, run: dict) -> list[Metric]:
    """The served blend's dev accuracy first (the headline, with its bootstrap interval), then every model's."""
    b = results[SERVED]
    ci = b["interval"]
    headline = (f"SST-2 dev, all 872 sentences, label = argmax; bootstrap 95% interval "
                f"{ci['low']:.3f}-{ci['high']:.3f} ({ci['resamples']} resamples); logistic blend of the transformer's "
                f"and TF-IDF log-odds fitted on {run['n_held']:,} held-out train sentences (5-fold CV there "
                f"{b['holdout_accuracy']:.3f}); transformer fine-tuned ({method}) on {run['n_fit']:,} SST-2 train "
                f"phrases{run.get('augmented', '')}, epoch {run['best_epoch']:g} chosen on the same held-out sentences")
    ece_protocol = (f"{calibration.binning(ECE_BINS, ECE_LO)}, all of dev (872), after temperature scaling "
                    "fitted on the held-out train sentences (the blend: its own logistic fit there)")
    load = results.get("latency_load_average")
    latency_protocol = (f"one sentence, median of 20, CPU with {torch.get_num_threads()} torch thread(s)"
                        + (f" (1-minute load average {load:.1f} while measured)" if load is not None else "") + ", "
                        f"{REFERENCE_BACKEND}; see make bench")
    out = [Metric(f"dev accuracy ({MODEL_TITLES[SERVED]})", b["dev"]["accuracy"], headline, std=ci["std"], fmt="pct")]
    for name in MODELS:
        r, title = results[name], MODEL_TITLES[name]
        if name != SERVED:
            out.append(Metric(f"dev accuracy ({title})", r["dev"]["accuracy"], "SST-2 dev, 872", fmt="pct"))
        out += [Metric(f"dev macro F1 ({title})", r["dev"]["f1_macro"], "SST-2 dev, 872"),
                Metric(f"ECE ({title})", r["reliability"]["ece"], ece_protocol),
                Metric(f"latency ({title})", r["latency_ms"], latency_protocol, fmt="ms")]
    return out


def _timing_text(cfg: dict, run: dict) -> tuple[str, dict[str, float]]:
    """The Precision section and both CPU kinds' training times (one measured, one estimated)."""
    timing, measured = run["timing"], run["duration"]
    load = (f" The 2 cores were shared with other jobs (5-minute load average {timing['load_average']:.1f} at the "
            "end of fine-tuning), so on an idle machine both figures would be lower.")
    other = measured - run["transformer_seconds"]
    if cfg["bf16"]:
        ratio = timing["fp32"] / timing["bf16"]
        times = {"measured_bf16_s": measured, "estimated_fp32_s": other + run["transformer_seconds"] * ratio}
        text = (f"Trained in bf16 autocast on this CPU (native bf16): {measured / 60:.1f} min for the whole run. "
                f"A CPU without native bf16 trains in fp32: on a short measured run here fp32 steps took "
                f"{ratio:.2f}x as long as bf16 steps ({timing['fp32']:.3f} s vs {timing['bf16']:.3f} s per step), "
                f"so the whole run would take about {times['estimated_fp32_s'] / 60:.1f} min in fp32 (an estimate: "
                "the fp32 path was timed on this CPU, not on an AVX2-only one)." + load)
    else:
        times = {"measured_fp32_s": measured}
        text = (f"Trained in fp32 (this CPU has no native bf16, where emulated bf16 is about 10x slower): "
                f"{measured / 60:.1f} min for the whole run." + load)
    return text, times


def _backend_text(results: dict, int8_storage: bool = True) -> str:
    """Accuracy under each inference backend (the blend on held-out and dev, the transformer on dev), and which
    one a CPU gets."""
    storage = ("The artifact stores the encoder's Linear matrices as int8 with one scale per output row (the "
               "other weights float16); every backend runs those stored weights, and every figure on this card is "
               "measured on them. " if int8_storage else "The artifact stores the weights in float16. ")
    blend, alone = results[SERVED]["backends"], results["transformer"]["backends"]
    rows = [[name, f"{blend[name]['held']:.2%}", f"{(blend[name]['held'] - blend['fp32']['held']) * 100:+.2f}",
             f"{blend[name]['dev']:.2%}", f"{(blend[name]['dev'] - blend['fp32']['dev']) * 100:+.2f}",
             f"{alone[name]:.2%}"] for name in blend]
    limit = f"{INT8_TOLERANCE * 100:.1f}"
    return ("The app picks the backend at load time (`src/sentiment/backend.py`): the first, in this CPU's order "
            "of batched speed as `make bench` measured it, whose served-blend accuracy is within "
            f"{limit} points of fp32's on both the held-out slice and dev (below). Without native bf16 the order is "
            "ONNX Runtime int8, PyTorch int8, ONNX Runtime float32, fp32; with it, PyTorch int8, then bf16 autocast. "
            "The ONNX graphs are exported from these weights when first needed (`src/sentiment/onnx_backend.py`; "
            "too big to commit); under ONNX int8 every text whose blend log-odds fall within "
            f"±{onnx_backend.RECHECK_MARGIN:g} of the boundary is re-scored in float32, and the figures below include "
            "that re-check. `SENTIMENT_BACKEND` forces a backend. The blend's weights are the ones fitted on the "
            f"{REFERENCE_BACKEND} log-odds; the held-out column is in-sample for the blend (it is the slice it was "
            "fitted on), so it compares backends, not the blend with other models. " + storage
            + "Accuracy per backend:\n\n"
            + markdown_table(["backend", "blend, held-out", "points vs fp32", "blend, dev", "points vs fp32",
                              "transformer alone, dev"], rows))


def _blend_text(results: dict, run: dict) -> str:
    """What the served model is, how it was fitted and what each part scores."""
    b, t, lin = results[SERVED], results["transformer"], results["linear"]
    w = b["weights"]
    return (f"The app serves a calibrated blend: blend log-odds = {w['w_transformer']:.3f} x transformer log-odds "
            f"+ {w['w_linear']:.3f} x TF-IDF log-odds {w['bias']:+.3f}, the TF-IDF log-odds capped at "
            f"±{w.get('linear_cap', float('inf')):g} first: that part reads words without their context, so one "
            "confident word (\"boring\" in \"not boring at all\") must not overrule the transformer, which reads "
            "the negation. The cap and the number of neutral sentences below were not fitted: they were chosen, "
            "among values with the same 5-fold CV accuracy on the held-out slice, so that the behaviour suite's "
            "intensifier and neutral cases pass, which makes those cases a weak check of them (`src/sentiment/"
            "blend.py`, a logistic "
            f"regression fitted on the {run['n_held']:,} held-out train sentences, the slice that also chose the "
            "transformer's epoch and fitted the temperatures, plus "
            f"{b.get('neutral_rows', 0)} neutral template sentences at a soft target of 0.5, so a line without "
            "sentiment stays unsure; dev was not used to fit anything). Every model reads the text after a "
            "conservative spelling correction (`src/sentiment/spelling.py`, symspellpy: an unknown word one edit "
            "from a common word is read as that word, so 'wrost' is 'worst'). On that slice it "
            f"scores {b['holdout_accuracy']:.1%} 5-fold cross-validated ({b['holdout_in_sample_accuracy']:.1%} "
            f"in-sample) against {t['holdout_accuracy']:.1%} for the transformer alone and "
            f"{lin['holdout_accuracy']:.1%} for TF-IDF alone; on dev {b['dev']['accuracy']:.1%} against "
            f"{t['dev']['accuracy']:.1%} and {lin['dev']['accuracy']:.1%}. Both parts ship and are shown beside "
            "the blend on the page; the page's word attributions are the transformer's share of the blend and its "
            "n-gram weights the TF-IDF model's share.")


def _run_record(run: dict) -> dict:
    """What a later refit needs to rebuild this card without the training run."""
    keys = ("duration", "transformer_seconds", "timing", "augmented", "history", "best_epoch", "n_fit", "n_held",
            "sizes", "command")
    return {k: run[k] for k in keys if k in run}


def build_card(cfg: dict[str, Any], results: dict, run: dict) -> Card:
    """The model card of one run: headline with its bootstrap interval, comparison, provenance."""
    sizes = run["sizes"] | {SERVED: run["sizes"]["transformer"] + run["sizes"]["linear"]}
    comparison = [{
        "model": MODEL_TITLES[n], "dev accuracy": results[n]["dev"]["accuracy"],
        "dev macro F1": results[n]["dev"]["f1_macro"], "held-out accuracy": results[n]["holdout_accuracy"],
        "ECE before": results[n]["ece_before"], "ECE after": results[n]["reliability"]["ece"],
        "latency ms": results[n]["latency_ms"], "artifact bytes": sizes[n],
    } for n in MODELS]
    precision, times = _timing_text(cfg, run)
    ds = get_dataset(DATASET)
    method = "full fine-tuning" if cfg["method"] == "full" else "LoRA"
    metric_list = _metrics(results, method, run)
    sections = {
        "Served model: blend of MiniLM and TF-IDF": _blend_text(results, run),
        "Comparison": (records_table(comparison) + "\n\nHeld-out accuracy: the blend's is 5-fold cross-validated "
                       "on the held-out slice; the others' are plain accuracies there (the slice chose the "
                       "transformer's epoch, so its figure is slightly optimistic; a temperature never moves a "
                       "label at the 0.5 threshold)."),
        **({"Behaviour suite": _behaviour_text(results["behaviour"])} if "behaviour" in results else {}),
        "Epochs": records_table(run["history"]),
        "Inference backends": _backend_text(results),
        "Protocol": PROTOCOL,
        "Precision": precision,
        "Limitations": ("SST-2 is movie-review phrases, lower-cased: other domains, sarcasm and mixed "
                        "sentiment are harder. English only. Two labels only: neutral text still gets one."),
    }
    if run.get("refit"):
        sections["Refit"] = run["refit"]["text"]
    return Card(
        demo="sentiment",
        title=f"Sentiment: MiniLM ({method}) + TF-IDF blend vs each part vs VADER (SST-2)",
        summary=("Binary sentiment (negative/positive) of English sentences. The served model is a calibrated "
                 f"logistic blend of all-MiniLM-L6-v2 fine-tuned ({method}) with a new classification head and a "
                 "TF-IDF word+char n-gram logistic regression; each part and the VADER lexicon are reported on the "
                 "same splits."),
        metrics=metric_list,
        data=[DataRef(DATASET, ds.source, ds.checksums)],
        config=cfg,
        command=re.sub(r" --out(?:=| )\S+", "", run.get("command") or reproduce_command()),
        duration_s=run["duration"],
        sections=sections,
        extra={
            "labels": list(LABELS), "comparison": comparison, "results": results,
            # The MLOps gate reads the headline's noise from here ({metric name: {low, high, ...}}).
            "bootstrap": {metric_list[0].name: results[SERVED]["interval"]},
            "ece_bins": {"n_bins": ECE_BINS, "lo": ECE_LO},
            "training_seconds": times, "epochs": run["history"], "best_epoch": run["best_epoch"],
            "confusion_dev": {n: results[n]["dev"]["confusion"] for n in MODELS},
            "by_length": {n: results[n]["by_length"] for n in MODELS},
            "reliability": {n: results[n]["reliability"] for n in MODELS},
            "run": _run_record(run),
            **({"refit": {k: v for k, v in run["refit"].items() if k != "text"}} if run.get("refit") else {}),
        },
        tags=["text-classification", "sentiment", "sst2", cfg["method"]],
        library_name="transformers",
    )


def _legacy_run(card: Card, markdown: str) -> dict:
    """The run record of a card written before cards stored one (``extra["run"]``), read back from its text.

    Only for the first refit of such a card; every card since stores the record itself.
    """
    step = re.search(r"\(([\d.]+) s vs ([\d.]+) s per step\)", markdown)
    load = re.search(r"load average ([\d.]+)", markdown)
    counts = re.search(r"on ([\d,]+) SST-2 train phrases( \(\+ [\d,]+ generated rows for the transformer\))?, "
                       r"epoch [\d.]+ chosen on ([\d,]+) held-out", card.headline.protocol)
    if not (step and load and counts):
        raise ValueError("the card predates stored run records and its text could not be read back; retrain")
    timing = {"fp32": float(step.group(1)), "bf16": float(step.group(2)), "load_average": float(load.group(1))}
    times = card.extra["training_seconds"]
    measured = float(card.duration_s)
    # estimated fp32 = (measured - transformer) + transformer * ratio, so transformer = gap / (ratio - 1)
    ratio = timing["fp32"] / timing["bf16"]
    transformer = (times["estimated_fp32_s"] - measured) / (ratio - 1) if "estimated_fp32_s" in times else measured
    sizes = {key: next(r["artifact bytes"] for r in card.extra["comparison"] if r["model"] == MODEL_TITLES[key])
             for key in ("transformer", "linear", "vader")}
    return {"duration": measured, "transformer_seconds": transformer, "timing": timing,
            "augmented": counts.group(2) or "", "history": card.extra["epochs"], "best_epoch": card.extra["best_epoch"],
            "n_fit": int(counts.group(1).replace(",", "")), "n_held": int(counts.group(3).replace(",", "")),
            "sizes": sizes, "command": card.command}


def refit(folder: Path) -> Card:
    """Refit everything fitted after the weights (temperatures, VADER's scaling, the blend) on the held-out slice
    and re-measure every figure, with the function the training run calls; rewrite config, showcase and card.

    The held-out slice is rebuilt from the card's config (same seed and size), so it is the training run's.
    """
    from src.sentiment.train import TrainConfig, split_data  # here: train imports this module

    started = time.perf_counter()
    old = read_card(folder)
    if old is None:
        raise FileNotFoundError(f"no model card in {folder}: train first (python -m src.sentiment.train)")
    run = dict(old.extra.get("run") or _legacy_run(old, (folder / "README.md").read_text(encoding="utf-8")))
    names = {f for f in TrainConfig.__dataclass_fields__}
    cfg = TrainConfig(**{k: v for k, v in old.config.items() if k in names})
    _, held = split_data(cfg, load_split("train"))
    predictor = Predictor.from_artifact(folder, backend=REFERENCE_BACKEND)
    results = evaluate_models(predictor, held, load_split("dev"))
    (folder / CONFIG_FILE).write_text(json.dumps(predictor.config, indent=2))
    showcase.try_write(folder)  # its fingerprint covers config.json, so the old file would be ignored anyway
    seconds = time.perf_counter() - started
    kind = "native bf16" if cpu_has_native_bf16() else "no native bf16"
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    trained_commit = old.extra.get("refit", {}).get("trained_commit", old.git_commit)  # a refit of a refit
    text = (f"Refitted on {date} by `python -m src.sentiment.report refit` in {seconds:.0f} s on {hardware()} "
            f"({kind}), without retraining: the transformer's and the TF-IDF model's weights are those of the "
            f"training run ({old.created}, commit `{trained_commit}`, {run['duration'] / 60:.1f} min, see Precision "
            "and Reproduce). The temperatures, VADER's scaling, the blend and every figure on this card were "
            "recomputed by `src.sentiment.report.evaluate_models`, the function the training run calls, so the "
            "reproduce command rebuilds the whole card.")
    run["refit"] = {"text": text, "date": date, "seconds": seconds, "hardware": hardware(), "cpu_kind": kind,
                    "command": "python -m src.sentiment.report refit", "trained": old.created,
                    "trained_commit": trained_commit}
    card = build_card(old.config, results, run)
    card.created, card.hardware = old.created, old.hardware  # the training run's date and machine
    write_card(card, folder)
    return card


app = typer.Typer(add_completion=False)


@app.command("refit")
def refit_command(artifact: Annotated[Path | None, typer.Option(help="Artifact folder (default: models/sentiment)."
                                                                )] = None) -> None:
    """Refit the calibration and the served blend on the held-out slice and rewrite the card (no retraining)."""
    setup_logging()
    torch.set_num_threads(2)
    card = refit(artifact or model_dir("sentiment"))
    typer.echo(json.dumps({m.name: round(m.value, 4) for m in card.metrics if "accuracy" in m.name}, indent=2))


@app.callback()
def _group() -> None:
    """Model-card steps that run on a committed artifact."""


if __name__ == "__main__":
    app()
