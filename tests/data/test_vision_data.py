"""The real CIFAR-10 image folder (mirror or cache): shape, balance, and a reproducible stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from src.vision import data
from tests.conftest import require_dataset

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def cifar() -> data.ImageSet:
    require_dataset("cifar10")
    return data.load("mirror", progress=False)


def test_fifty_thousand_balanced_32x32_images(cifar):
    assert cifar.images.shape == (50_000, 3, 32, 32)
    assert cifar.classes == list(data.CIFAR10_CLASSES)
    assert np.bincount(cifar.labels.numpy()).tolist() == [5000] * 10
    assert cifar.skipped == []


def test_images_are_not_blank(cifar):
    sample = cifar.images[::997].float()
    assert 80 < sample.mean() < 180
    assert (sample.flatten(1).std(1) > 5).all()


def test_validation_split_is_stratified_and_fixed(cifar):
    train_idx, val_idx = data.stratified_split(cifar.labels, 5000, seed=0)
    assert len(val_idx) == 5000 and len(np.intersect1d(train_idx, val_idx)) == 0
    assert np.bincount(cifar.labels.numpy()[val_idx]).tolist() == [500] * 10
    assert np.array_equal(val_idx, data.stratified_split(cifar.labels, 5000, seed=0)[1])
