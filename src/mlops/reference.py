"""Reference samples for drift: what each model saw in training, summarised like the prediction log.

- churn: the Telco training rows (7,043, so Evidently's rules pick Wasserstein / Jensen-Shannon);
- sentiment: the SST-2 dev sentences (872: K-S / chi-square / z-test). Dev, not train, because the
  out-of-vocabulary share against the training vocabulary is 0 by construction on the training text;
- vision: 1,000 CIFAR-10 training images (:data:`VISION_PER_CLASS` per class, the last files of each class
  folder, which the simulation never replays).
Each raises ``DataMissingError`` when its dataset is not on this machine; the page shows the fetch command.
The image and text summaries take seconds to compute, so they are kept as small CSVs under
``data/cache/mlops/`` (gitignored; summaries only, never the images or sentences).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import pandas as pd

from src.core.settings import DATA_DIR
from src.mlops import summaries

CACHE_DIR = DATA_DIR / "cache" / "mlops"

#: Column types for drift (``num`` or ``cat``) of churn; every other demo lists its own in its demo.toml.
CHURN_KINDS: dict[str, str] = {}
VISION_PER_CLASS = 100
#: CIFAR-10's ten classes.
VISION_CLASSES = 10


def loading(text: str) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Mark a reference builder with what the page says while it runs (beside the builder, so the
    figures in it are read from the constants it uses)."""
    def mark(build: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        build.loading = text  # type: ignore[attr-defined]
        return build
    return mark


def churn_kinds() -> dict[str, str]:
    """Numeric features are ``num``; the rest (SeniorCitizen is 0/1) are ``cat``."""
    if not CHURN_KINDS:
        from src.churn.data import FEATURES

        CHURN_KINDS.update({f: "num" if f in summaries.CHURN_NUMERIC else "cat" for f in FEATURES})
    return CHURN_KINDS


@loading("Reading the churn training data…")
def churn_reference() -> pd.DataFrame:
    """The cleaned Telco features (the model's training rows), with ``Churn``."""
    from src.churn import data

    frame = data.load()
    return frame[[*data.FEATURES, data.TARGET]]


def cached(name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()`` once per ``name`` (which carries the version), then read back from a CSV."""
    path = CACHE_DIR / f"{name}.csv"
    if path.is_file():
        try:
            return pd.read_csv(path, keep_default_na=False, na_values=[""])
        except (OSError, ValueError, pd.errors.ParserError):
            path.unlink(missing_ok=True)
    frame = build()
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        frame.to_csv(tmp, index=False)
        tmp.replace(path)
    except OSError:  # a read-only disk only costs the next visit the same seconds
        pass
    return frame


@loading("Summarising the SST-2 dev sentences…")
def sentiment_reference(vocabulary: Collection[str] | None = None) -> pd.DataFrame:
    """Summaries of the SST-2 dev sentences (against the committed model's vocabulary unless one is given)."""
    from src.sentiment.data import load_split

    def build() -> pd.DataFrame:
        return pd.DataFrame([summaries.sentiment_inputs(s, vocabulary) for s in load_split("dev")["sentence"]])

    if vocabulary is not None:
        return build()
    from src.core.datasets import path as dataset_path
    from src.mlops.versions import demo_version

    dataset_path("sst2")  # raises DataMissingError before anything is cached
    return cached(f"sentiment-dev-{demo_version('sentiment')}", build)


def cifar_files(per_class: int, *, from_end: bool) -> list[Path]:
    """``per_class`` JPEGs of each CIFAR-10 class folder, from the start or the end of its sorted list."""
    from src.core import datasets

    root = datasets.path("cifar10")
    root = root / "train" if (root / "train").is_dir() else root
    files: list[Path] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        names = sorted(folder.glob("*.jpg"))
        files += names[-per_class:] if from_end else names[:per_class]
    return files


def read_image(path: Path) -> np.ndarray:
    """One image as the 32x32x3 uint8 model input."""
    from src.vision.preprocess import load_for_model

    return load_for_model(path)[0]


@loading(f"Measuring {VISION_CLASSES * VISION_PER_CLASS:,} CIFAR-10 training images…")
def vision_reference(per_class: int = VISION_PER_CLASS) -> pd.DataFrame:
    """Summaries of ``per_class`` training images of each class (listing 50k files only when not cached)."""
    from src.core.datasets import is_available

    if not is_available("cifar10"):
        from src.core.datasets import DataMissingError

        raise DataMissingError("cifar10")
    return cached(f"vision-cifar10-{per_class}-per-class", lambda: pd.DataFrame(
        [summaries.vision_inputs(read_image(p)) for p in cifar_files(per_class, from_end=True)]))
