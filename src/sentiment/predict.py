"""Score text with the three committed models.

    python -m src.sentiment.predict "not bad at all"
    echo "the soup was cold" | python -m src.sentiment.predict
    python -m src.sentiment.predict --csv reviews.csv --column text > scored.csv
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from src.core.settings import model_dir
from src.sentiment import baselines
from src.sentiment.data import LABELS
from src.sentiment.metrics import probability
from src.sentiment.model import TransformerScorer, load_classifier, load_tokenizer

CONFIG_FILE = "config.json"
LINEAR_FILE = "linear.skops"
ADAPTER_DIR = "transformer"
#: Display order and names of the three models.
MODELS: tuple[str, ...] = ("transformer", "linear", "vader")
MODEL_TITLES = {"transformer": "MiniLM + LoRA", "linear": "TF-IDF + logistic regression", "vader": "VADER lexicon"}


@dataclass
class Predictor:
    """The three models plus their calibration, loaded from one artifact folder."""

    transformer: TransformerScorer
    linear: Pipeline
    vader: baselines.Vader
    config: dict

    @classmethod
    def from_artifact(cls, path: Path | str | None = None) -> Predictor:
        """Load everything from ``models/sentiment/`` (or ``path``); the base model comes from its package."""
        folder = Path(path) if path is not None else model_dir("sentiment")
        config = json.loads((folder / CONFIG_FILE).read_text())
        scorer = TransformerScorer(load_classifier(folder / ADAPTER_DIR), load_tokenizer(), config["max_length"])
        vader = baselines.Vader(**config["calibration"].get("vader", {}))
        return cls(scorer, baselines.load_linear(folder / LINEAR_FILE), vader, config)

    def temperature(self, name: str) -> float:
        """The fitted temperature of the transformer or the linear model (VADER's scaling is in its logits)."""
        return float(self.config["calibration"].get(name, {}).get("temperature", 1.0))

    def raw_logits(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Uncalibrated log-odds of positive, per model."""
        return {
            "transformer": self.transformer.logits(texts),
            "linear": baselines.linear_logits(self.linear, texts),
            "vader": self.vader.logits(texts),
        }

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated P(positive), per model."""
        return {name: probability(z, self.temperature(name)) for name, z in self.raw_logits(texts).items()}


def label_of(p_pos: float) -> tuple[str, float]:
    """(label, confidence in that label) from P(positive)."""
    return (LABELS[1], p_pos) if p_pos >= 0.5 else (LABELS[0], 1.0 - p_pos)
