"""The network, its predictor, Grad-CAM and the perturbations, on tiny untrained models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from src.core.contract import ModelMissingError
from src.vision import explain, robustness
from src.vision.backends import fold_batchnorm, make_backend
from src.vision.model import (
    LEGACY_TTA,
    TTA_PASSES,
    Net,
    NetConfig,
    count_parameters,
    init_whitening,
    normalize,
    tta_views,
)
from src.vision.predict import Predictor

TINY = NetConfig(widths=(8, 16, 16))
CLASSES = [f"c{i}" for i in range(10)]


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    torch.manual_seed(0)
    return Predictor(Net(TINY).eval(), CLASSES, temperature=1.5)


def _image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)


def test_forward_shape_and_feature_map():
    net = Net(NetConfig())
    x = torch.randn(4, 3, 32, 32)
    assert net(x).shape == (4, 10)
    assert net.features(x).shape == (4, 256, 3, 3)
    assert 1.0e6 < count_parameters(net) < 2.5e6  # weights stay well under 10 MB in float32


def test_whitening_decorrelates_patches():
    net = Net(TINY)
    images = normalize(torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8))
    init_whitening(net, images)
    out = torch.nn.functional.conv2d(images, net.whiten.weight[:12])  # the 12 positive filters
    flat = out.permute(1, 0, 2, 3).reshape(12, -1)
    cov = flat @ flat.T / flat.shape[1]
    off_diagonal = cov - torch.diag(torch.diag(cov))
    assert off_diagonal.abs().max() < 0.05 * torch.diag(cov).mean()


def test_predictor_round_trips_through_its_folder(tmp_path, predictor):
    save_file(predictor.net.state_dict(), tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps(
        {"net": TINY.to_dict(), "classes": CLASSES, "temperature": 1.5, "tta": True, "tta_level": 2}))
    loaded = Predictor.from_artifact(tmp_path)
    batch = np.stack([_image(i) for i in range(3)])
    np.testing.assert_allclose(loaded.predict_batch(batch), predictor.predict_batch(batch), atol=1e-5)
    # an artifact from before the airbench port (no tta_level) keeps the vertical-shift TTA its card describes
    (tmp_path / "config.json").write_text(json.dumps(
        {"net": {k: v for k, v in TINY.to_dict().items() if k not in ("dirac", "bn_scale")}, "classes": CLASSES,
         "temperature": 1.5, "tta": True}))
    assert Predictor.from_artifact(tmp_path).tta_level == LEGACY_TTA


def test_missing_artifact_names_the_training_command(tmp_path):
    with pytest.raises(ModelMissingError, match=r"src\.vision\.train"):
        Predictor.from_artifact(tmp_path)


def test_prediction_is_calibrated_probabilities(predictor):
    image = _image()
    pred = predictor.predict_image(image)
    assert pred.probs.shape == (10,) and abs(pred.probs.sum() - 1) < 1e-5
    assert pred.top_k(3)[0][0] == pred.label
    assert pred.rejected(threshold=1.01) and not pred.rejected(threshold=0.0)


def test_mirror_tta_is_mirror_invariant():
    torch.manual_seed(0)
    mirror_only = Predictor(Net(TINY).eval(), CLASSES, temperature=1.0, tta_level=1, backend="torch-fp32")
    image = _image()
    np.testing.assert_allclose(mirror_only.predict_batch(image[:, ::-1].copy()),
                               mirror_only.predict_batch(image), atol=1e-5)


def test_tta_views_follow_airbench():
    x = torch.randn(2, 3, 32, 32)
    views, weights = tta_views(x, 2)
    assert views.shape == (12, 3, 32, 32) and len(weights) == TTA_PASSES == 6
    assert float(weights.sum()) == pytest.approx(1.0)
    assert torch.equal(views[2:4], x.flip(-1))  # the mirror
    assert torch.equal(views[4:6, :, 1:, 1:], x[:, :, :-1, :-1])  # shifted one pixel down and right
    assert torch.equal(views[8:10, :, :-1, :-1], x[:, :, 1:, 1:])  # and one pixel up and left
    assert tta_views(x, 0)[0].shape == (2, 3, 32, 32)


def test_folded_batchnorm_gives_the_same_logits():
    torch.manual_seed(0)
    net = Net(TINY)
    net.train()
    for _ in range(3):  # give the BN layers non-trivial running statistics and biases
        net(torch.randn(16, 3, 32, 32) * 2 + 0.5)
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.bias.data.uniform_(-0.5, 0.5)
    net.eval()
    x = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(fold_batchnorm(net)(x), net(x), atol=1e-4, rtol=1e-4)
    name, forward = make_backend(net, "torch-fp32")
    assert name == "torch-fp32"
    torch.testing.assert_close(forward(x), net(x).detach(), atol=1e-4, rtol=1e-4)


def test_batch_and_single_predictions_agree(predictor):
    images = np.stack([_image(i) for i in range(5)])
    batch = predictor.predict_batch(images)
    for i in range(5):
        np.testing.assert_allclose(predictor.predict_image(images[i]).probs, batch[i], atol=1e-5)


@pytest.mark.parametrize("layer", list(explain.LAYERS))
def test_grad_cam_is_a_normalised_32x32_map(predictor, layer):
    heat = explain.grad_cam(predictor, _image(), 3, layer)
    assert heat.shape == (32, 32)
    assert heat.min() >= 0 and heat.max() <= 1 + 1e-6
    assert explain.overlay(_image(), heat, 0.4).shape == (256, 256, 3)


@pytest.mark.parametrize("layer", list(explain.LAYERS))
def test_grad_cam_matches_pytorch_grad_cam(predictor, layer):
    """The page's own Grad-CAM (written out to spare a cold page the library's imports) equals the library's."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    for seed, target in ((0, 3), (1, 7)):
        ours = explain.grad_cam(predictor, _image(seed), target, layer)
        with GradCAM(model=predictor.net, target_layers=[getattr(predictor.net, layer)]) as cam:
            ref = cam(input_tensor=predictor.normalized(_image(seed)), targets=[ClassifierOutputTarget(target)])[0]
        predictor.net.zero_grad(set_to_none=True)
        assert ours.max() > 0, "a flat map would match trivially"
        np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_grad_cam_rejects_unknown_layers(predictor):
    with pytest.raises(ValueError, match="layer"):
        explain.grad_cam(predictor, _image(), 0, "head")


def test_perturbations_are_neutral_at_zero_and_bounded(predictor):
    image = _image()
    assert np.array_equal(robustness.gaussian_noise(image, 0), image)
    assert np.array_equal(robustness.blur(image, 0), image)
    assert np.array_equal(robustness.brightness(image, 1.0), image)
    assert robustness.brightness(image, 0.5).mean() < image.mean()
    direction = robustness.fgsm_direction(predictor, image)
    attacked = robustness.fgsm(image, direction, 4)
    assert np.abs(attacked.astype(int) - image.astype(int)).max() <= 4
    assert not np.array_equal(attacked, image)


def test_fgsm_lowers_confidence_in_the_clean_label(predictor):
    image = _image(3)
    clean = predictor.predict_image(image)
    attacked = robustness.fgsm(image, robustness.fgsm_direction(predictor, image), 8)
    assert predictor.predict_batch(attacked)[0][CLASSES.index(clean.label)] < clean.confidence


@pytest.mark.parametrize("name", list(robustness.PERTURBATIONS))
def test_sweep_reports_the_first_flip(predictor, name):
    result = robustness.sweep(predictor, _image(5), name, steps=9)
    assert len(result.labels) == len(result.strengths) == 9
    if result.flip_at is not None:
        assert result.labels[result.strengths.index(result.flip_at)] != result.clean_label
    else:
        assert set(result.labels) == {result.clean_label}


def test_predict_cli_reports_unreadable_files_and_keeps_going(predictor, monkeypatch, tmp_path, capsys):
    from PIL import Image

    from src.vision import predict as predict_cli

    monkeypatch.setattr(Predictor, "from_artifact", classmethod(lambda cls: predictor))
    good, empty = tmp_path / "good.png", tmp_path / "empty.jpg"
    Image.fromarray(_image()).save(good)
    empty.write_bytes(b"")
    assert predict_cli.main([str(empty), str(good)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"file": str(empty), "error": "The file is empty."}
    assert lines[1]["file"] == str(good) and len(lines[1]["top3"]) == 3


def test_whitening_sample_spans_every_class_of_a_class_sorted_split(monkeypatch):
    """The mirror is stored class by class: whitening on "the first k" images would see one class only."""
    from src.vision import train
    from src.vision.data import ImageSet, spread_sample

    generator = torch.Generator().manual_seed(0)
    dark = torch.randint(0, 40, (50, 3, 32, 32), generator=generator, dtype=torch.uint8)
    bright = torch.randint(100, 255, (50, 3, 32, 32), generator=generator, dtype=torch.uint8)
    labels = torch.tensor([0] * 50 + [1] * 50)
    images = ImageSet(torch.cat([dark, bright]), labels, ["dark", "bright"], "test", [])
    monkeypatch.setattr(train, "WHITENING_IMAGES", 20)
    cfg = train.TrainConfig(widths=(8, 8, 8), seed=3)

    picked = spread_sample(100, 20, seed=3)
    assert set(labels[picked].tolist()) == {0, 1}
    net = train.build_net(cfg, images, 2)
    expected, first_k = Net(cfg.net_config(2)), Net(cfg.net_config(2))
    init_whitening(expected, normalize(images.images[picked]))
    init_whitening(first_k, normalize(images.images[:20]))
    assert torch.allclose(net.whiten.weight, expected.whiten.weight)
    assert not torch.allclose(net.whiten.weight, first_k.whiten.weight, atol=1e-3)


def test_evaluate_cli_without_a_model_says_how_to_train_one(tmp_path):
    from typer.testing import CliRunner

    from src.vision.evaluate import app

    result = CliRunner().invoke(app, ["--data", str(tmp_path), "--model", str(tmp_path / "none")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: No trained vision model" in result.output and "python -m src.vision.train" in result.output


def test_stored_screens_give_back_the_live_prediction_and_overlay(predictor):
    """insights' stored first screens: same probabilities, the same overlay pixels, and only for the same image."""
    from src.vision import insights

    image = _image(3)
    rows = {"screens": insights.screen_rows(predictor, {"example": image})}
    stored = insights.stored_screen(rows, "example", image, CLASSES)
    assert stored is not None
    pred, heats = stored
    live = predictor.predict_image(image)
    np.testing.assert_allclose(pred.probs, live.probs, atol=1e-6)
    assert pred.label == live.label and pred.energy == pytest.approx(live.energy)
    assert set(heats) == set(insights.SCREEN_LAYERS)
    for layer, heat in heats.items():
        live_heat = explain.grad_cam(predictor, image, int(live.probs.argmax()), layer)
        assert np.array_equal(explain.overlay(image, heat), explain.overlay(image, live_heat)), layer
    assert insights.stored_screen(rows, "example", _image(4), CLASSES) is None, "other pixels, same name"
    assert insights.stored_screen(rows, "other", image, CLASSES) is None
    assert insights.stored_screen(rows, "example", image, CLASSES[:5]) is None, "another model's classes"
