"""Training on a tiny generated image folder: the loss falls, and the artifact loads on its own."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from src.core.cards import read_card
from src.vision import data, train
from src.vision.model import Net, NetConfig, normalize
from src.vision.predict import Predictor

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """30 noisy images per class whose class is their dominant colour."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(train, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(30):
            pixels = np.clip(np.array(colour) + rng.normal(0, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "set" / name / f"{i}.png")
    return tmp_path / "set"


def _cfg(folder, out, **kw) -> train.TrainConfig:
    return train.TrainConfig(data=str(folder), widths=(8, 16, 16), epochs=3, batch_size=20, val_size=15,
                             limit=90, out=str(out), precision="fp32", lookahead=False, **kw)


def test_loss_decreases_in_a_few_steps(folder):
    images = data.load_folder(folder, progress=False)
    torch.manual_seed(0)
    net = Net(NetConfig(widths=(8, 16, 16), num_classes=3)).to(memory_format=torch.channels_last)
    cfg = train.TrainConfig(batch_size=90)
    optimizer = train.make_optimizer(net, cfg)
    x = normalize(images.images).contiguous(memory_format=torch.channels_last)
    losses = [train._step(net, optimizer, x, images.labels, cfg, None)[0] for _ in range(10)]
    assert losses[-1] < 0.8 * losses[0], losses


def test_triangle_schedule_shape():
    schedule = train.triangle(100)
    assert len(schedule) == 101
    assert schedule[0] == pytest.approx(0.2) and schedule.max() == pytest.approx(1.0)
    assert schedule[-1] == pytest.approx(0.07)


def test_train_writes_a_self_describing_artifact_and_resumes(folder, tmp_path):
    out = tmp_path / "model"
    summary = train.train(_cfg(folder, out), progress=False)
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "config.json", "README.md"}
    card = read_card(out)
    assert card.headline.name == "validation accuracy" and card.headline.protocol
    extra = card.extra
    assert len(extra["curves"]) == 3
    assert np.array(extra["confusion_matrix"]).sum() == 15
    assert set(extra["per_class_accuracy"]) == set(COLOURS)
    assert {"reliability_before", "reliability_after", "coverage_after"} <= set(extra)
    predictor = Predictor.from_artifact(out)
    assert predictor.classes == sorted(COLOURS)
    assert summary["val_accuracy"] > 0.5  # colours are easy; chance is 1/3
    # a second run with the same config resumes from the finished checkpoint instead of retraining
    again = train.train(_cfg(folder, tmp_path / "model2"), progress=False)
    assert again["val_accuracy"] == pytest.approx(summary["val_accuracy"])
    assert read_card(tmp_path / "model2").extra["curves"] == extra["curves"]


def test_thread_tuner_switches_to_the_faster_setting():
    tuner = train.ThreadTuner(threads=2, every=10, probe=2)
    for step in range(10):
        tuner.before_step(step)
        tuner.after_step(step, 0.5 if tuner.used == 1 else 2.0)  # one thread is faster here
    assert tuner.current == 1
    torch.set_num_threads(2)
