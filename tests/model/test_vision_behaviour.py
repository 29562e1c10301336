"""Behaviour of the committed CNN: its size, its card, and (with data) its accuracy and invariances."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from src.core.cards import load_card
from src.core.settings import model_dir
from src.vision.data import CIFAR10_CLASSES, validation_split
from src.vision.predict import Predictor
from tests.conftest import require_dataset

ARTIFACT = model_dir("vision")
pytestmark = pytest.mark.skipif(not (ARTIFACT / "model.safetensors").is_file(),
                                reason="no committed vision model; run `python -m src.vision.train`")


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.from_artifact(ARTIFACT)


@pytest.fixture(scope="module")
def val_sample():
    require_dataset("cifar10")
    val = validation_split(5000, 0)
    index = np.arange(0, 5000, 5)  # 1,000 images, 100 per class
    return val.images[index].permute(0, 2, 3, 1).numpy(), val.labels[index].numpy()


def test_weights_are_small_and_card_is_complete(predictor):
    assert (ARTIFACT / "model.safetensors").stat().st_size <= 10 * 1024 * 1024
    card = load_card("vision")
    assert card.headline.name == "validation accuracy"
    assert "JPEG" in card.headline.protocol and "validation" in card.headline.protocol
    assert predictor.classes == list(CIFAR10_CLASSES)
    for key in ("confusion_matrix", "per_class_accuracy", "reliability_before", "reliability_after", "curves"):
        assert card.extra[key], key


def test_validation_accuracy_matches_the_card(predictor, val_sample):
    images, labels = val_sample
    accuracy = (predictor.predict_batch(images).argmax(1) == labels).mean()
    assert accuracy >= 0.89  # the card says 91.3% on all 5,000; a sample of validation wobbles
    assert abs(accuracy - load_card("vision").headline.value) < 0.03


def test_small_brightness_change_rarely_changes_the_label(predictor, val_sample):
    images, _ = val_sample
    brighter = np.clip(images.astype(int) + 8, 0, 255).astype(np.uint8)
    same = predictor.predict_batch(images).argmax(1) == predictor.predict_batch(brighter).argmax(1)
    assert same.mean() > 0.93


def test_calibrated_confidence_tracks_accuracy(predictor, val_sample):
    images, labels = val_sample
    probs = predictor.predict_batch(images)
    assert abs(probs.max(1).mean() - (probs.argmax(1) == labels).mean()) < 0.05


def test_uniform_grey_image_is_not_a_confident_answer(predictor):
    grey = np.full((32, 32, 3), 128, dtype=np.uint8)
    assert predictor.predict_image(grey).confidence < 0.9


def test_fgsm_at_8_of_255_flips_most_labels(predictor):
    from src.vision import robustness

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    torch.manual_seed(0)
    flipped = 0
    for image in images:
        clean = predictor.predict_image(image).label
        attacked = robustness.fgsm(image, robustness.fgsm_direction(predictor, image), 8)
        flipped += predictor.predict_image(attacked).label != clean
    assert flipped >= 4
