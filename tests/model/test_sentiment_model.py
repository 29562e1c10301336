"""The committed artifact: the adapter loads onto the packaged base model and behaves."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from src.core.settings import model_dir
from src.sentiment import behaviour
from src.sentiment.model import base_classifier, base_model_path, load_classifier
from src.sentiment.predict import ADAPTER_DIR, CONFIG_FILE, Predictor, predict_text
from src.sentiment.text import InputError

ARTIFACT = model_dir("sentiment")
pytestmark = pytest.mark.skipif(not (ARTIFACT / CONFIG_FILE).is_file(), reason="no committed sentiment artifact")


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    torch.set_num_threads(2)
    return Predictor.from_artifact(ARTIFACT)


def test_adapter_is_small_and_loads_onto_the_packaged_base():
    adapter = ARTIFACT / ADAPTER_DIR / "adapter_model.safetensors"
    assert adapter.stat().st_size < 10_000_000
    weights = load_file(adapter)
    assert any("lora_A" in k for k in weights) and any("classifier" in k for k in weights)
    assert (base_model_path() / "model.safetensors").is_file()
    merged = load_classifier(ARTIFACT / ADAPTER_DIR)
    base = base_classifier()
    q = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(merged.state_dict()[q], base.state_dict()[q])  # LoRA changed the merged weight
    assert json.loads((ARTIFACT / ADAPTER_DIR / "adapter_config.json").read_text())["r"] > 0


def test_transformer_passes_negation_and_entity_swaps(predictor):
    results = behaviour.run(predictor.probabilities)
    mine = results[results["model"] == "transformer"]
    for capability in ("negation", "entity_swap"):
        failed = mine[(mine["capability"] == capability) & ~mine["passed"]]
        assert failed.empty, f"{capability} failures:\n{failed[['case', 'p_positive']].to_string()}"


def test_predict_text_contract_and_long_text(predictor, monkeypatch):
    monkeypatch.setattr("src.sentiment.predict.default_predictor", lambda: predictor)
    out = predict_text("I loved this film, it was wonderful.")
    assert out["label"] == "positive" and 0.5 <= out["confidence"] <= 1 and isinstance(out["model"], str)
    assert predict_text("A dull, tedious waste of an evening.")["label"] == "negative"
    long = " ".join(["The rooms were clean and the staff were kind."] * 30 + ["The breakfast was awful."] * 5)
    out = predict_text(long)
    assert out["chunks"] > 1 and any("Nothing was truncated" in n for n in out["notes"])
    with pytest.raises(InputError):
        predict_text("   ")


def test_batch_reports_bad_rows(predictor):
    frame = predictor.predict_many(["Lovely!", "", "🙂🙂", "Awful service."])
    assert frame.loc[0, "transformer_label"] == "positive" and frame.loc[3, "transformer_label"] == "negative"
    assert frame.loc[1, "error"] and frame.loc[2, "error"]
