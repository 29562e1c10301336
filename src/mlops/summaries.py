"""The small input summary logged with each prediction, one function per demo.

Summaries hold what drift monitoring needs and nothing a visitor would mind: the churn feature row
(no customer ID), a text's length, language and share of words the model never saw (not the text),
an image's brightness, contrast, edge energy and size (not the pixels), a question's length and how
strongly retrieval matched it (not the question).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

#: The churn features as logged (the model's inputs; same names as the Telco CSV).
CHURN_NUMERIC = ("tenure", "MonthlyCharges", "TotalCharges")
_WORD = re.compile(r"[a-z']+")
_vocabularies: dict[int, frozenset[str]] = {}


def churn_inputs(row: Mapping[str, Any]) -> dict[str, Any]:
    """The feature row (a dict or a pandas row) without the customer ID or label."""
    from src.churn.data import FEATURES

    return {f: (float(row[f]) if f in CHURN_NUMERIC or f == "SeniorCitizen" else str(row[f]))
            for f in FEATURES if f in row}


def vocabulary_of(linear_pipeline: Any) -> frozenset[str]:
    """The single words the sentiment TF-IDF model learnt (its word vectorizer's unigrams), cached per model."""
    key = id(linear_pipeline)
    if key not in _vocabularies:
        words: frozenset[str] = frozenset()
        try:
            for name, vectorizer in linear_pipeline.named_steps["features"].transformer_list:
                if name == "word":
                    words = frozenset(t for t in vectorizer.vocabulary_ if " " not in t)
        except (AttributeError, KeyError):
            pass
        _vocabularies[key] = words
    return _vocabularies[key]


@lru_cache(maxsize=2)
def _default_vocabulary(mtime_ns: int) -> frozenset[str]:
    from src.core.settings import model_dir
    from src.sentiment.baselines import load_linear

    return vocabulary_of(load_linear(model_dir("sentiment") / "linear.joblib"))


def default_vocabulary() -> frozenset[str]:
    """The committed TF-IDF model's words (loaded once per process and model file); empty when untrained."""
    from src.core.settings import model_dir

    path = model_dir("sentiment") / "linear.joblib"
    try:
        return _default_vocabulary(path.stat().st_mtime_ns)
    except (OSError, ValueError, ImportError):
        return frozenset()


def sentiment_inputs(text: str, vocabulary: Collection[str] | None = None) -> dict[str, Any]:
    """Length in characters and words, language guess, and the share of words outside the training
    vocabulary (``vocabulary`` None: the committed TF-IDF model's words)."""
    from src.sentiment.text import guess_language

    vocabulary = default_vocabulary() if vocabulary is None else vocabulary
    words = _WORD.findall(text.lower())
    oov = (sum(w not in vocabulary for w in words) / len(words)) if vocabulary and words else None
    return {"chars": len(text), "words": len(words), "language": guess_language(text) or "en", "oov_share": oov}


def vision_inputs(image: np.ndarray, original_size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Brightness (mean luminance, 0-1), contrast (its std), edge energy (mean absolute neighbour
    difference, which noise raises) of the 32x32 model input, and the uploaded width and height."""
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    luma = rgb[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if rgb.ndim == 3 else rgb
    edges = (np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean()) / 2
    width, height = original_size or (luma.shape[1], luma.shape[0])
    return {"brightness": float(luma.mean()), "contrast": float(luma.std()), "edge_energy": float(edges),
            "width": int(width), "height": int(height)}


def rag_inputs(question: str, retrieval_strength: float | None) -> dict[str, Any]:
    """Question length and the best retrieval score (the question itself is not kept)."""
    return {"chars": len(question), "words": len(question.split()),
            "retrieval_strength": None if retrieval_strength is None else float(retrieval_strength)}
