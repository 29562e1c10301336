"""Images: the Classify chapter, the shared loader and ``src.vision.predict`` against the corpus (issue 16 #7)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from src.vision import predict as vision_predict
from src.vision.preprocess import BadImageError, load_for_model
from tests.badinput.checks import assert_clear, attempt, page_texts
from tests.badinput.corpus import image_cases

#: Hang and memory guards per image: the 900-megapixel PNG bomb must be refused before it is decoded.
SECONDS = 10
PEAK_MB = 200


@pytest.fixture(scope="module")
def model():
    try:
        return vision_predict.Predictor.from_artifact()
    except FileNotFoundError as exc:
        pytest.skip(f"no committed vision model: {exc}")


@pytest.mark.parametrize("case", image_cases(), ids=str)
def test_the_loader_accepts_or_refuses_clearly_within_budget(case):
    loaded, error, usage = attempt(lambda: load_for_model(case.payload), BadImageError, memory=True)
    assert usage.within(SECONDS) and usage.peak_mb < PEAK_MB, usage
    if error is None:
        image, _, notes = loaded
        assert image.shape == (32, 32, 3)
        if case.expect:
            assert any(case.expect in n.lower() for n in notes), f"no '{case.expect}' note: {notes}"
    else:
        assert not case.extra.get("ok"), f"{case.name} should be accepted: {error}"
        assert_clear(error, case.expect)


def test_the_cli_prints_one_json_line_per_file(model, tmp_path, capsys):
    paths = []
    for case in image_cases():
        path = tmp_path / case.name
        path.write_bytes(case.payload)
        paths.append(str(path))
    code = vision_predict.main([*paths, str(tmp_path / "missing.png")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1 and len(lines) == len(paths) + 1
    for line in lines:
        if "error" in line:
            assert_clear(line["error"])
        else:
            assert len(line["top3"]) == 3


def _classify_page(name: str, data: bytes) -> None:
    import streamlit as st

    from src.ui import vision_widgets
    from src.ui.chrome import guard
    from tests.badinput.checks import fake_uploads

    st.session_state["vision_source"] = "Upload"
    with fake_uploads([(name, data)]), guard("the classifier"):
        vision_widgets.classify(vision_widgets.predictor, None)


@pytest.mark.parametrize("case", [c for c in image_cases() if c.name in ("20000x1.png", "1x1.png", "truncated.jpg",
                                                                         "bomb_30000x30000.png", "png_named.jpg")],
                         ids=str)
def test_the_classify_chapter_gives_the_clis_message(case, model):
    at = AppTest.from_function(_classify_page, args=(case.name, case.payload), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = page_texts(at)
    assert "failed to load" not in shown, f"issue 16 #7: {shown[:400]}"
    for el in [*at.error, *at.warning]:
        assert_clear(str(el.value))
    if case.expect:
        assert case.expect in shown.lower(), shown[:400]
