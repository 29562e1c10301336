"""The two baselines: VADER (a lexicon, nothing learnt) and TF-IDF n-grams + logistic regression.

Both expose ``logits(texts) -> np.ndarray``: log-odds of *positive*, like the transformer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class Vader:
    """VADER's compound score in [-1, 1], mapped to log-odds by Platt scaling ``a * compound + b``.

    ``a`` and ``b`` are fitted on the calibration half of dev; before that they are (4, 0), which
    keeps VADER's own sign convention (compound > 0 means positive).
    """

    def __init__(self, a: float = 4.0, b: float = 0.0) -> None:
        self.analyzer = SentimentIntensityAnalyzer()
        self.a, self.b = a, b

    def compound(self, texts: Sequence[str]) -> np.ndarray:
        """VADER's raw compound score per text."""
        return np.array([self.analyzer.polarity_scores(t)["compound"] for t in texts], dtype=float)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Platt-scaled log-odds of positive."""
        return self.a * self.compound(texts) + self.b

    def fit_platt(self, texts: Sequence[str], y: np.ndarray) -> tuple[float, float]:
        """Fit (a, b) by a one-feature logistic regression on labelled texts."""
        lr = LogisticRegression(C=1e4).fit(self.compound(texts).reshape(-1, 1), y)
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self.a, self.b


def build_linear(c: float = 4.0, seed: int = 0) -> Pipeline:
    """Word 1-2-grams + character 2-5-grams (within word boundaries), TF-IDF, then logistic regression."""
    features = FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100_000)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                 max_features=150_000)),
    ])
    return Pipeline([("features", features), ("clf", LogisticRegression(C=c, max_iter=2000, random_state=seed))])


def slim(pipeline: Pipeline) -> Pipeline:
    """Drop ``stop_words_`` (every n-gram cut by max_features): unused at predict time and many MB."""
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_
    return pipeline


def save_linear(pipeline: Pipeline, path: Path) -> None:
    """Persist with joblib, compressed.

    Not skops: skops stores each of the ~250k vocabulary entries as its own record, which took
    minutes and ~200 MB here; joblib writes the same pipeline in seconds and a few MB. joblib
    files are pickles, so only load artifacts you trust (this one is committed with the code).
    """
    joblib.dump(slim(pipeline), path, compress=3)


def load_linear(path: Path) -> Pipeline:
    """Load the committed pipeline (a trusted joblib file)."""
    return joblib.load(path)


def linear_words(pipeline: Pipeline) -> list[str]:
    """The alphabetic words in the linear model's word-level vocabulary (for the spelling corrector)."""
    features = pipeline.named_steps["features"]
    parts = [v for _, v in features.transformer_list] if isinstance(features, FeatureUnion) else [features]
    return [w for v in parts if getattr(v, "analyzer", "word") == "word" for w in v.vocabulary_ if w.isalpha()]


def linear_logits(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """The logistic regression's decision function: log-odds of positive."""
    return pipeline.decision_function(list(texts))


@functools.lru_cache(maxsize=4)
def _feature_names(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """(kind, n-gram) of every feature, computed once per pipeline: ``get_feature_names_out`` builds
    ~250k strings and took ~0.4 s, which used to be paid for every row of a batch."""
    names = pipeline.named_steps["features"].get_feature_names_out()
    kind, _, gram = np.char.partition(names.astype(str), "__").T
    return kind, gram


def top_ngrams_many(pipeline: Pipeline, texts: Sequence[str], n: int = 10) -> list[list[dict[str, object]]]:
    """For each text, the n-grams that move the linear model most: tf-idf value x coefficient.

    One ``transform`` for the whole batch, then per row only the row's non-zero entries are ranked.
    """
    if not texts:
        return []
    coef = pipeline.named_steps["clf"].coef_[0]
    x = pipeline.named_steps["features"].transform(list(texts)).tocsr()
    kind, gram = _feature_names(pipeline)
    out = []
    for row in range(x.shape[0]):
        cols = x.indices[x.indptr[row] : x.indptr[row + 1]]
        contrib = x.data[x.indptr[row] : x.indptr[row + 1]] * coef[cols]
        order = np.argsort(-np.abs(contrib), kind="stable")[:n]
        out.append([{"ngram": str(gram[cols[i]]), "kind": str(kind[cols[i]]), "weight": float(contrib[i])}
                    for i in order])
    return out


def top_ngrams(pipeline: Pipeline, text: str, n: int = 10) -> list[dict[str, object]]:
    """The n-grams of ``text`` that move the linear model most (see :func:`top_ngrams_many`)."""
    return top_ngrams_many(pipeline, [text], n)[0]
