"""Cold pages stay light: what a first visit imports, checked in fresh interpreters (no timings here:
``python -m src.bench chapters`` measures them).

A page that starts importing torch, transformers or a heavy library again at start-up fails here,
whatever machine the tests run on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from src.core import contract
from src.core.settings import ROOT, model_dir


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter at the repository root; it prints one JSON line last."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


#: Page-widget module -> libraries its import must not pull in.
LIGHT_IMPORTS = {
    "src.ui.sentiment_widgets": ["torch", "transformers", "captum", "peft"],
    "src.ui.rag_widgets": ["torch", "sentence_transformers", "llama_cpp", "qdrant_client"],
    "src.ui.vision_widgets": ["torch", "torchvision", "pytorch_grad_cam", "cv2", "matplotlib", "sklearn"],
    "src.ui.churn_widgets": ["torch", "shap", "skops", "sklearn"],
    "src.ui.eda_widgets": ["torch"],
    "src.ui.model_health_widgets": ["torch", "mlflow"],
    "src.ui.model_health_runs": ["torch", "mlflow"],
}


@pytest.mark.parametrize("module", list(LIGHT_IMPORTS))
def test_importing_a_page_module_leaves_heavy_libraries_alone(module):
    found = _fresh(f"""
        import json, sys
        import {module}
        print(json.dumps([m for m in {LIGHT_IMPORTS[module]!r} if m in sys.modules]))
    """)
    assert found == [], f"{module} imports {found} at start-up"


def test_skops_loads_the_churn_model_without_importing_torch():
    result = _fresh("""
        import json, sys
        from src.churn.predict import Predictor
        Predictor.from_artifact().predict_proba  # the model is loaded here
        print(json.dumps({"torch": "torch" in sys.modules, "skops": "skops.io" in sys.modules,
                          "blocked": "sklearn.externals.array_api_compat.torch" in sys.modules}))
    """)
    assert result == {"torch": False, "skops": True, "blocked": False}


def _chapters_without_loading(page: str, chapters: list[str], patch: str, heavy: list[str]) -> dict:
    """Render each chapter cold with the background warm-up switched off; what each showed and imported."""
    return _fresh(f"""
        import json, sys
        from streamlit.testing.v1 import AppTest
        {patch}
        shown = {{}}
        for chapter in {chapters!r}:
            at = AppTest.from_file("Home.py", default_timeout=300).run()
            at.query_params["chapter"] = chapter
            at.switch_page({page!r}).run()
            assert not at.exception, [e.value for e in at.exception]
            shown[chapter] = [m.label + ": " + m.value for m in at.metric]
        print(json.dumps({{"heavy": [m for m in {heavy!r} if m in sys.modules], "shown": shown}}))
    """)


@pytest.mark.skipif(contract.get("sentiment").missing(), reason="no committed sentiment model")
def test_sentiment_first_screens_come_from_the_stored_showcase_without_torch():
    result = _chapters_without_loading(
        "app_pages/sentiment.py", ["analyse", "why", "long", "behaviour", "report"],
        "import src.ui.loader as loader; loader.preload = lambda demo: None",
        ["torch", "transformers", "captum"])
    assert result["heavy"] == [], "a first screen loaded the transformer"
    from src.sentiment.predict import MODEL_TITLES

    # every model's stored verdict on the example, the served blend's included (the card panel's metrics too)
    verdicts = [v for v in result["shown"]["analyse"] if v.rsplit(": ", 1)[0] in MODEL_TITLES.values()]
    assert len(verdicts) == len(MODEL_TITLES) and all(v.endswith(("positive", "negative")) for v in verdicts), verdicts


def test_committed_showcase_matches_the_committed_sentiment_model():
    from src.sentiment import showcase
    from src.sentiment.backend import BACKENDS

    stored = showcase.load(model_dir("sentiment"))
    assert stored is not None, "showcase.json is missing or from other weights: run python -m src.sentiment.showcase"
    for backend in BACKENDS:
        for text in (showcase.EXAMPLE, showcase.LONG_EXAMPLE):
            assert showcase.analysis(stored, backend, text) is not None, (backend, text[:30])
    assert showcase.attribution(stored, showcase.EXAMPLE, "positive") is not None


def test_a_showcase_from_other_weights_is_ignored(tmp_path):
    import shutil

    from src.sentiment import showcase

    folder = tmp_path / "sentiment"
    shutil.copytree(model_dir("sentiment"), folder)
    assert showcase.load(folder) is not None
    config = folder / contract.CONFIG_FILE
    config.write_text(config.read_text().replace('"max_length"', '"max_length" ', 1))
    assert showcase.load(folder) is None


def test_rag_chat_and_documents_draw_before_any_model_loads():
    result = _chapters_without_loading(
        "app_pages/rag.py", ["chat", "documents"],
        "import src.ui.rag_widgets as rw; rw.warm_up = lambda settings, config: False",
        ["torch", "sentence_transformers", "llama_cpp", "qdrant_client"])
    assert result["heavy"] == [], "the chat or documents chapter loaded a model before a question"



@pytest.mark.skipif(contract.get("vision").missing(), reason="no committed vision model")
def test_vision_chapters_open_on_stored_screens_without_torch():
    """Each chapter's first screen comes from insights.json, and shows what the live model says of that image."""
    result = _fresh("""
        import json, sys
        from streamlit.testing.v1 import AppTest
        import src.ui.loader as loader
        loader.preload = lambda demo: None
        shown = {}
        for chapter in ["classify", "robustness", "report"]:
            at = AppTest.from_file("Home.py", default_timeout=300).run()
            at.query_params["chapter"] = chapter
            at.switch_page("app_pages/vision.py").run()
            assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
            shown[chapter] = [m.value for m in [*at.success, *at.warning]] + [c.value for c in at.caption]
        print(json.dumps({"torch": "torch" in sys.modules, "shown": shown}))
    """)
    assert result["torch"] is False, "a first screen imported PyTorch"
    from src.core.cards import load_card
    from src.vision import insights
    from src.vision.examples import dataset_folder, decode_listed, generated_examples
    from src.vision.predict import Predictor

    folder = dataset_folder(load_card("vision").config)
    rows = insights.read(model_dir("vision"))
    first = ((decode_listed(folder, rows["examples"]) if folder else []) + generated_examples())[0]
    live = Predictor.from_artifact(model_dir("vision")).predict_image(first.image)
    classify = " ".join(result["shown"]["classify"])
    assert f"**{live.label}** with" in classify, classify
    stored_confidence = float(classify.split(f"**{live.label}** with ", 1)[1].split("%", 1)[0]) / 100
    assert abs(stored_confidence - live.confidence) <= 0.02, (stored_confidence, live.confidence)
    lab = " ".join(result["shown"]["robustness"])
    assert f"**{live.label}**" in lab, lab  # "stays **cat**" / "flips from **cat**" of the stored sweeps
