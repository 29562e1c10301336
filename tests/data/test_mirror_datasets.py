"""The real datasets have the shape the demos rely on (skips when neither cache nor mirror has them)."""

from __future__ import annotations

import csv

import pandas as pd

from tests.conftest import require_dataset


def test_telco_shape():
    frame = pd.read_csv(require_dataset("telco"))
    assert frame.shape == (7043, 21)
    assert set(frame["Churn"]) == {"Yes", "No"}


def test_sst2_splits():
    folder = require_dataset("sst2")
    sizes = {}
    for split in ("train", "dev"):
        frame = pd.read_csv(folder / f"{split}.tsv", sep="\t", quoting=csv.QUOTE_NONE)
        assert list(frame.columns) == ["sentence", "label"]
        assert set(frame["label"].unique()) == {0, 1}
        sizes[split] = len(frame)
    assert sizes == {"train": 67349, "dev": 872}


def test_cifar10_tree():
    folder = require_dataset("cifar10")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert len(classes) == 10 and "airplane" in classes
    assert sum(1 for _ in folder.rglob("*.jpg")) + sum(1 for _ in folder.rglob("*.png")) == 50000
