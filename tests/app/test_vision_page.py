"""AppTest: the vision page's three chapters run, and its widgets change what is shown."""

from __future__ import annotations

import pytest

from src.core.settings import model_dir
from tests.conftest import open_page

PAGE = "app_pages/vision.py"
needs_model = pytest.mark.skipif(not (model_dir("vision") / "model.safetensors").is_file(),
                                 reason="no committed vision model; run `python -m src.vision.train`")


def _open(chapter: str):
    at = open_page(PAGE, timeout=180, chapter=chapter)
    assert not at.exception, [e.value for e in at.exception]
    return at


@needs_model
def test_classify_picks_examples_and_moves_the_rejection_threshold():
    at = open_page(PAGE, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    names = at.selectbox(key="vision_example").options
    assert any("out of scope" in n for n in names)
    at.selectbox(key="vision_example").select(names[-1]).run()
    assert not at.exception
    at.slider(key="vision_threshold").set_value(1.0).run()
    assert any("Not one of the 10 classes" in w.value for w in at.warning)
    at.slider(key="vision_threshold").set_value(0.0).run()
    assert not any("Not one of the 10 classes" in w.value for w in at.warning)
    assert any("calibrated confidence" in s.value for s in at.success)


@needs_model
def test_grad_cam_layer_can_change():
    at = open_page(PAGE, timeout=180)
    at.selectbox(key="vision_layer_classify").select("layer1").run()
    assert not at.exception, [e.value for e in at.exception]


@needs_model
def test_robustness_chapter_flips_or_keeps_the_label():
    at = _open("robustness")
    assert len(at.tabs) == 4
    at.slider(key="vision_rb_fgsm").set_value(16.0).run()
    assert not at.exception, [e.value for e in at.exception]
    messages = [m.value for m in at.warning] + [m.value for m in at.success]
    assert any("flips" in m or "stays" in m for m in messages)


@needs_model
def test_model_report_renders_from_the_card():
    at = _open("report")
    headings = [m.value for m in at.markdown]
    for part in ("Confusion matrix", "Per-class accuracy", "Reliability diagram", "Training curves"):
        assert any(part in h for h in headings), part


def test_page_without_a_model_says_how_to_train(monkeypatch, tmp_path):
    import src.core.settings as settings

    monkeypatch.setattr(settings, "MODELS_DIR", tmp_path)
    at = open_page(PAGE, timeout=120)
    assert not at.exception
    assert any("src.vision.train" in i.value for i in at.info)
