""""Simulate production": replay traffic through the real predictors, marked as simulated in the log.

A fresh hosted app has an empty log, so the page offers one click that scores
- a **clean** window: a sample of what each model was trained or validated on;
- drifted windows: a **price rise** with a shift towards month-to-month contracts (churn), **darker,
  noisier images** (vision), and **long, misspelt reviews** (sentiment).
Each demo's ``[monitoring]`` table (``src.core.demos.Monitoring``) names its drifted scenario and its
replay, ``simulate(predictor, reference, scenario, n, version, rng) -> rows``. Rows are batch-scored, so
their latency is the batch time per row; every row carries ``simulated=1`` and its scenario, so the page
can filter them out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from src.mlops import summaries

if TYPE_CHECKING:
    from src.core.demos import Monitoring

CLEAN = "clean"
CLEAN_TEXT = "clean sample of the training distribution"
#: Seconds between simulated rows, so a window spreads over time on the traffic chart.
SPACING_S = 3.0


def scenarios(monitored: Collection[Monitoring]) -> dict[str, str]:
    """Every scenario and what it does: clean (every demo), then each replayed demo's drifted one."""
    return {CLEAN: CLEAN_TEXT, **{m.scenario: f"{m.demo}: {m.scenario_text}" for m in monitored if m.simulate}}


def _stamps(n: int, end: float | None = None) -> np.ndarray:
    end = time.time() if end is None else end
    return end - SPACING_S * np.arange(n)[::-1]


def _timed(score: Callable[[Any], Any], batch: Any) -> tuple[Any, float]:
    """``score(batch)`` and the milliseconds it took per item: the latency every simulated row logs."""
    start = time.perf_counter()
    out = score(batch)
    return out, (time.perf_counter() - start) * 1000 / max(len(batch), 1)


def _row(demo: str, version: str, scenario: str, ts: float, latency_ms: float, inputs: dict[str, Any],
         output: str, confidence: float) -> dict[str, Any]:
    """One simulated prediction as :func:`src.core.prediction_log.log_many` takes it."""
    return {"ts": ts, "demo": demo, "model_version": version, "latency_ms": latency_ms, "inputs": inputs,
            "output": output, "confidence": confidence, "simulated": True, "scenario": scenario}


def churn_window(reference: pd.DataFrame, scenario: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` training rows, shifted as the scenario says."""
    window = reference.sample(n, replace=len(reference) < n, random_state=int(rng.integers(2**31))).copy()
    if scenario == "price_rise":
        window["MonthlyCharges"] = (window["MonthlyCharges"] * 1.25).round(2)
        longer = window.index[window["Contract"] != "Month-to-month"]
        moved = rng.choice(longer, int(0.4 * len(longer)), replace=False) if len(longer) else []
        window.loc[moved, "Contract"] = "Month-to-month"
        window["TotalCharges"] = (window["tenure"] * window["MonthlyCharges"]).round(2)
    return window.reset_index(drop=True)


def simulate_churn(predictor: Any, reference: pd.DataFrame, scenario: str, n: int, version: str,
                   rng: np.random.Generator) -> list[dict[str, Any]]:
    """Score a churn window with the committed model; rows for :func:`src.core.prediction_log.log_many`."""
    from src.churn.data import FEATURES

    window = churn_window(reference[FEATURES], scenario, n, rng)
    p, per_row = _timed(predictor.predict_proba, window)
    return [_row("churn", version, scenario, ts, per_row, summaries.churn_inputs(row),
                 predictor.risk_band(float(prob)), float(prob))
            for ts, (_, row), prob in zip(_stamps(len(window)), window.iterrows(), p, strict=True)]


def misspell(text: str, rng: np.random.Generator, share: float = 1 / 6) -> str:
    """Swap two inner letters in about ``share`` of the words longer than three letters."""
    words = text.split()
    for i, word in enumerate(words):
        if len(word) > 3 and rng.random() < share:
            j = int(rng.integers(1, len(word) - 2))
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:]
    return " ".join(words)


def sentiment_texts(sentences: list[str], scenario: str, n: int, rng: np.random.Generator) -> list[str]:
    """``n`` dev sentences, or ``n`` long misspelt reviews made of three of them."""
    pick = rng.choice(len(sentences), size=(n, 3 if scenario == "long_misspelt" else 1))
    if scenario == "long_misspelt":
        return [misspell(" ".join(sentences[i] for i in row), rng) for row in pick]
    return [sentences[row[0]] for row in pick]


def simulate_sentiment(predictor: Any, reference: pd.DataFrame, scenario: str, n: int, version: str,
                       rng: np.random.Generator, vocabulary: Collection[str] | None = None,
                       sentences: list[str] | None = None) -> list[dict[str, Any]]:
    """Score SST-2 dev texts (or ``sentences``) with the committed models; the served model's label and
    confidence are logged, as the page logs them. ``reference`` (summaries, not texts) is not used."""
    if sentences is None:
        from src.sentiment.data import load_split

        sentences = load_split("dev")["sentence"].tolist()
    from src.sentiment.predict import SERVED  # here: the module is imported by pages that never replay sentiment

    texts = sentiment_texts(sentences, scenario, n, rng)
    scored, per_row = _timed(predictor.predict_many, texts)
    return [_row("sentiment", version, scenario, ts, per_row, summaries.sentiment_inputs(text, vocabulary),
                 r[f"{SERVED}_label"], float(r[f"{SERVED}_confidence"]))
            for ts, text, (_, r) in zip(_stamps(len(texts)), texts, scored.iterrows(), strict=True)
            if not r.get("error")]


def vision_images(scenario: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` CIFAR-10 training images (never the drift reference's files), darkened and noised for ``dark_noisy``."""
    from src.mlops.reference import VISION_PER_CLASS, cifar_files, read_image

    files = cifar_files(4 * VISION_PER_CLASS, from_end=False)
    chosen = rng.choice(len(files), size=min(n, len(files)), replace=False)
    images = np.stack([read_image(files[i]) for i in chosen]).astype(np.float32)
    if scenario == "dark_noisy":
        images = images * 0.5 + rng.normal(0, 20, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8)


def simulate_vision(predictor: Any, reference: pd.DataFrame, scenario: str, n: int, version: str,
                    rng: np.random.Generator) -> list[dict[str, Any]]:
    """Score images with the committed CNN (calibrated, with its test-time augmentation); ``reference``
    (the drift sample's summaries) is not used: the images are files the reference never reads."""
    images = vision_images(scenario, n, rng)
    probs, per_row = _timed(predictor.predict_batch, images)
    return [_row("vision", version, scenario, ts, per_row, summaries.vision_inputs(img),
                 predictor.classes[int(p.argmax())], float(p.max()))
            for ts, img, p in zip(_stamps(len(images)), images, probs, strict=True)]
