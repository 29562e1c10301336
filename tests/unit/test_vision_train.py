"""Training on a tiny generated image folder: the airbench pieces behave, and the artifact loads on its own."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from src.core.cards import read_card
from src.vision import data, fit, insights, train
from src.vision.model import Net, NetConfig, normalize
from src.vision.predict import Predictor

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """30 noisy images per class whose class is their dominant colour."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("PORTFOLIO_TRACKING", "0")
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(30):
            pixels = np.clip(np.array(colour) + rng.normal(0, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "set" / name / f"{i}.png")
    return tmp_path / "set"


def _cfg(folder, **kw) -> train.TrainConfig:
    base = dict(data=str(folder), widths=(8, 16, 16), epochs=4, batch_size=20, val_size=15, limit=90, precision="fp32",
                ema_start_epochs=1, whiten_bias_epochs=1, export_onnx=False)
    return train.TrainConfig(**(base | kw))


def test_loss_decreases_in_a_few_steps(folder):
    images = data.load_folder(folder, progress=False)
    torch.manual_seed(0)
    net = Net(NetConfig(widths=(8, 16, 16), num_classes=3)).to(memory_format=torch.channels_last)
    cfg = train.TrainConfig(batch_size=90)
    optimizer = fit.make_optimizer(net, cfg)
    x = normalize(images.images).contiguous(memory_format=torch.channels_last)
    losses = [fit.train_step(net, optimizer, x, images.labels, 0.2, None)[0] for _ in range(10)]
    assert losses[-1] < 0.8 * losses[0], losses


def test_triangle_schedule_shape():
    schedule = fit.triangle(100)
    assert len(schedule) == 101
    assert schedule[0] == pytest.approx(0.2) and schedule.max() == pytest.approx(1.0)
    assert schedule[-1] == pytest.approx(0.07) and int(schedule.argmax()) == 23


def test_weight_decay_is_decoupled_from_the_learning_rate():
    """airbench passes wd / lr to PyTorch, so one SGD step decays weights by wd whatever the lr."""
    net = Net(NetConfig(widths=(8, 16, 16)))
    for lr in (5.0, 20.0):
        optimizer = fit.make_optimizer(net, train.TrainConfig(lr=lr))
        for group in optimizer.param_groups:
            assert group["lr"] * group["weight_decay"] == pytest.approx(0.0153 * 1024 / (1024 * (1 + 1 / 0.15)))


def test_alternating_flip_shows_every_image_both_ways_in_two_epochs():
    images = torch.arange(8 * 3 * 4 * 4, dtype=torch.uint8).view(8, 3, 4, 4)
    batches = data.FlipTranslateBatches(images, torch.arange(8), batch_size=8, translate=0, seed=0)
    (first, y1), (second, y2) = next(iter(batches)), next(iter(batches))
    by_label = {int(label): img for img, label in zip(first, y1, strict=True)}
    for img, label in zip(second, y2, strict=True):
        assert torch.equal(img, by_label[int(label)].flip(-1))
    assert any(not torch.equal(by_label[i], images[i]) for i in range(8))  # some start mirrored
    assert any(torch.equal(by_label[i], images[i]) for i in range(8))  # and some not


def test_translation_moves_by_at_most_two_pixels():
    images = torch.zeros(50, 3, 32, 32, dtype=torch.uint8)
    images[:, :, 16, 16] = 255
    batch, _ = next(iter(data.FlipTranslateBatches(images, torch.zeros(50), 50, translate=2, flip="none")))
    ys, xs = np.nonzero(batch[:, 0].numpy().max(0))
    assert ys.min() >= 14 and ys.max() <= 18 and xs.min() >= 14 and xs.max() <= 18
    assert len(set(zip(ys, xs, strict=True))) > 5  # the offsets vary


def test_train_writes_a_self_describing_artifact(folder, tmp_path):
    out = tmp_path / "model"
    written = train.train(_cfg(folder), out, progress=False)
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "config.json", "README.md", "insights.json"}
    card = read_card(out)
    assert card.headline.value == pytest.approx(written.headline.value)
    assert card.headline.name == "validation accuracy" and "bootstrap" in card.headline.protocol
    extra = card.extra
    lo, hi = extra["bootstrap"]["validation accuracy"]["low"], extra["bootstrap"]["validation accuracy"]["high"]
    assert lo <= card.headline.value <= hi
    assert len(extra["curves"]) == 4 and extra["ece_bins"] == 15
    assert np.array(extra["confusion_matrix"]).sum() == 15
    assert set(extra["per_class_accuracy"]) == set(COLOURS)
    predictor = Predictor.from_artifact(out)
    assert predictor.classes == sorted(COLOURS)
    assert card.headline.value > 0.5  # colours are easy; chance is 1/3
    found = insights.read(out)
    assert len(found["examples"]) == 3 * insights.EXAMPLES_PER_CLASS
    assert all((folder / row["file"]).is_file() for row in found["examples"] + found["mistakes"])
    assert set(found["sweeps"][found["examples"][0]["name"]]) == {"noise", "blur", "brightness", "fgsm"}
    again = train.train(_cfg(folder), tmp_path / "model2", progress=False)  # same seed, same model
    assert again.headline.value == pytest.approx(card.headline.value)


def test_onnx_export_matches_torch_and_records_each_backend(tmp_path):
    pytest.importorskip("onnxruntime")
    from src.vision import export
    from src.vision.backends import BACKENDS_FILE, INT8_FILE, ONNX_FILE, make_backend

    torch.manual_seed(0)
    net = Net(NetConfig(widths=(8, 16, 16))).eval()
    images = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (64,))
    result = export.write(tmp_path, net, images, images[:40], labels[:40])
    assert (tmp_path / ONNX_FILE).is_file() and (tmp_path / INT8_FILE).is_file()
    assert {"torch-fp32", "onnx-fp32", "onnx-int8"} <= set(result["backends"])
    assert result["backends"]["onnx-fp32"]["drop"] == pytest.approx(0.0, abs=0.03)
    assert json.loads((tmp_path / BACKENDS_FILE).read_text())["max_drop"] == export.MAX_DROP
    x = normalize(images[:8]).contiguous(memory_format=torch.channels_last)
    _, onnx_fp32 = make_backend(net, "onnx-fp32", tmp_path)
    torch.testing.assert_close(onnx_fp32(x), net(x).detach(), atol=1e-4, rtol=1e-3)


def test_cli_smoke_writes_to_out(folder, tmp_path):
    out = tmp_path / "gate"
    result = CliRunner().invoke(train.app, ["--smoke", "--data", str(folder), "--out", str(out), "--epochs", "1",
                                            "--precision", "fp32", "--no-insights"])
    assert result.exit_code == 0, result.output
    printed = [json.loads(m) for m in re.findall(r"\{\"[^\n]*\}", result.output)]  # bars may share its line
    assert printed and printed[-1]["out"] == str(out), result.output[-500:]
    config = json.loads((out / "config.json").read_text())
    assert config["net"]["widths"] == [16, 32, 32]  # the smoke preset
    assert read_card(out).config["epochs"] == 2.0  # --smoke fixes its own epochs


def test_thread_tuner_switches_to_the_faster_setting():
    tuner = fit.ThreadTuner(threads=2, every=10, probe=2)
    for step in range(10):
        tuner.before_step(step)
        tuner.after_step(step, 0.5 if tuner.used == 1 else 2.0)  # one thread is faster here
    assert tuner.current == 1
    torch.set_num_threads(2)


def test_int8_calibration_samples_the_whole_split_not_its_first_class(tmp_path, monkeypatch):
    """The mirror stores images class by class; calibrating on the first 1,024 fitted one class only."""
    from src.vision import export

    seen = {}
    monkeypatch.setattr(export, "export_onnx", lambda net, path: path)
    monkeypatch.setattr(export, "quantize_int8", lambda src, out, calibration: seen.setdefault("x", calibration))
    monkeypatch.setattr(export, "backend_accuracies", lambda *args: {})
    # two "classes" in storage order: 1,500 black images, then 1,500 white ones
    images = torch.cat([torch.zeros(1500, 3, 32, 32, dtype=torch.uint8),
                        torch.full((1500, 3, 32, 32), 255, dtype=torch.uint8)])
    export.write(tmp_path, None, images, images[:2], torch.zeros(2, dtype=torch.long))
    calibration = seen["x"]
    assert len(calibration) == export.CALIBRATION_IMAGES
    brightness = calibration.reshape(len(calibration), -1).mean(1)
    assert 0.3 < (brightness > brightness.mean()).mean() < 0.7  # both halves, in proportion
