"""SST-2 from the mirror: schema, sizes, labels, and the calibration split."""

from __future__ import annotations

import pytest

from src.sentiment.data import DataFormatError, calibration_split, load_split, read_labelled_tsv
from tests.conftest import require_dataset

pytestmark = pytest.mark.data


def test_sst2_splits_have_the_documented_shape():
    require_dataset("sst2")
    train, dev = load_split("train"), load_split("dev")
    assert len(train) == 67_349 and len(dev) == 872
    assert int(train["label"].sum()) == 37_569 and int(dev["label"].sum()) == 444
    assert train["sentence"].str.len().min() > 0 and not dev["sentence"].duplicated().any()


def test_calibration_split_is_a_stratified_partition():
    require_dataset("sst2")
    dev = load_split("dev")
    calib, report = calibration_split(dev)
    assert len(calib) + len(report) == len(dev)
    assert not set(calib["sentence"]) & set(report["sentence"])
    assert abs(calib["label"].mean() - report["label"].mean()) < 0.01


def test_bad_label_file_is_reported(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("sentence\tlabel\nfine words\tmaybe\n")
    with pytest.raises(DataFormatError, match="labels"):
        read_labelled_tsv(path)
    path.write_text("text\tstars\nfine words\t5\n")
    with pytest.raises(DataFormatError, match="header"):
        read_labelled_tsv(path)
