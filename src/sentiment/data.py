"""SST-2 loading and validation, and the one split everything shares.

GLUE's TSVs have a ``sentence<TAB>label`` header, label 1 = positive, and no quoting, so they
are read with ``quoting=csv.QUOTE_NONE`` (a stray ``"`` inside a phrase must stay a character).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from src.core import datasets

LABELS: tuple[str, str] = ("negative", "positive")
DATASET = "sst2"


class DataFormatError(ValueError):
    """A labelled file does not have the ``sentence<TAB>label`` layout; the message says why."""


def read_labelled_tsv(path: str | Path) -> pd.DataFrame:
    """Read and validate a ``sentence<TAB>label`` file (header required, labels 0/1 or negative/positive).

    Raises :class:`DataFormatError` (also for a missing file) with a message for the person who ran it.
    """
    try:
        frame = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False,
                            encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFormatError(f"{path}: no such file") from exc
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFormatError(f"{path}: not a UTF-8 tab-separated file with a header ({exc})") from exc
    except IsADirectoryError as exc:
        raise DataFormatError(f"{path}: is a folder, not a file") from exc
    missing = {"sentence", "label"} - set(frame.columns)
    if missing:
        raise DataFormatError(f"{path}: needs the header 'sentence<TAB>label'; missing {sorted(missing)}")
    names = {"0": 0, "1": 1, "negative": 0, "positive": 1}
    labels = frame["label"].str.strip().str.lower().map(names)
    bad = labels.isna()
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 2)[:5].tolist()  # +2: header and 1-based lines
        raise DataFormatError(f"{path}: {int(bad.sum())} labels are not 0/1/negative/positive (lines {rows}...)")
    # Empty sentences are kept: evaluation reports them as skipped rows instead of losing them.
    return pd.DataFrame({"sentence": frame["sentence"].str.strip(), "label": labels.astype(int)})


def load_split(split: str) -> pd.DataFrame:
    """The SST-2 ``train`` or ``dev`` split from the verified cache or mirror (raises DataMissingError)."""
    if split not in {"train", "dev"}:
        raise ValueError(f"unknown split {split!r}; SST-2 here has 'train' and 'dev'")
    frame = read_labelled_tsv(datasets.path(DATASET) / f"{split}.tsv")
    return frame[frame["sentence"] != ""].reset_index(drop=True)


def calibration_split(dev: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split dev into two stratified halves: (calibration, report).

    The calibration half fits temperatures (and VADER's Platt scaling); calibration error is
    reported on the other half only.
    """
    rng = np.random.default_rng(seed)
    calib_idx: list[int] = []
    for _, group in dev.groupby("label"):
        idx = group.index.to_numpy()
        calib_idx += rng.permutation(idx)[: len(idx) // 2].tolist()
    mask = dev.index.isin(calib_idx)
    return dev[mask].reset_index(drop=True), dev[~mask].reset_index(drop=True)


def checksums() -> dict[str, str]:
    """The registry's sha256 of each SST-2 file, for the model card."""
    return datasets.get(DATASET).checksums


def _spans(words: list[str], proper: bool, shortest: int = 1) -> set[str]:
    """Every contiguous span of at least ``shortest`` words (without the phrase itself when ``proper``)."""
    n = len(words)
    return {" ".join(words[i:j]) for i in range(n) for j in range(i + shortest, n + 1)
            if not (proper and j - i == n)}


def holdout_split(train: pd.DataFrame, n: int = 1000, seed: int = 0,
                  min_words: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split SST-2 train into (fit, held-out) without phrase leakage.

    SST-2 train holds every labelled sub-phrase of its sentences, so a random slice would be
    scored on phrases the model saw inside longer ones. Held-out items are drawn from *root*
    phrases (contained in no other phrase, i.e. whole sentences, like dev and test), and every
    phrase inside a held-out root is removed from the fit set. Used to select models, so dev
    stays an independent figure.
    """
    text = train["sentence"].str.lower().str.split().str.join(" ")
    inside: set[str] = set()
    for phrase in text[text.str.count(" ") + 1 > min_words]:  # only spans as long as a candidate root matter
        inside |= _spans(phrase.split(), proper=True, shortest=min_words)
    roots = np.flatnonzero((~text.isin(inside)).to_numpy() & (text.str.count(" ") + 1 >= min_words).to_numpy())
    held = np.random.default_rng(seed).choice(roots, size=min(n, len(roots)), replace=False)
    covered: set[str] = set()
    for phrase in text.iloc[held]:
        covered |= _spans(phrase.split(), proper=False)
    fit_mask = ~text.isin(covered).to_numpy()
    return train[fit_mask].reset_index(drop=True), train.iloc[np.sort(held)].reset_index(drop=True)
