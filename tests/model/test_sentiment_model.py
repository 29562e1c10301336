"""The committed artifact: the adapter loads onto the packaged base model and behaves."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from src.core.settings import model_dir
from src.sentiment import behaviour, onnx_backend
from src.sentiment.blend import Blend
from src.sentiment.model import (
    BACKENDS,
    FROZEN,
    SHARD_GLOB,
    TransformerScorer,
    base_classifier,
    base_model_path,
    load_classifier,
)
from src.sentiment.predict import ADAPTER_DIR, BATCH_COLUMNS, CONFIG_FILE, Predictor, predict_text, recheck
from src.sentiment.text import InputError

ARTIFACT = model_dir("sentiment")
pytestmark = pytest.mark.skipif(not (ARTIFACT / CONFIG_FILE).is_file(), reason="no committed sentiment artifact")


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    torch.set_num_threads(2)
    return Predictor.from_artifact(ARTIFACT)


def test_weights_are_small_and_load_onto_the_packaged_base():
    shards = sorted((ARTIFACT / ADAPTER_DIR).glob(SHARD_GLOB))
    assert shards and all(p.stat().st_size < 20_000_000 for p in shards)  # the per-file limit
    weights = {k: v for p in shards for k, v in load_file(p).items()}
    assert "classifier.weight" in weights and not set(FROZEN) & set(weights)
    assert (base_model_path() / "model.safetensors").is_file()
    tuned = load_classifier(ARTIFACT / ADAPTER_DIR)
    base = base_classifier()
    q = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(tuned.state_dict()[q], base.state_dict()[q])  # fine-tuning changed the weight
    emb = FROZEN[0]
    assert torch.equal(tuned.state_dict()[emb], base.state_dict()[emb])  # the word embeddings come from the package


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """ONNX graphs exported into a temporary cache (not the server's data/cache)."""
    pytest.importorskip("onnxruntime")
    mp = pytest.MonkeyPatch()
    mp.setattr(onnx_backend, "CACHE_DIR", tmp_path_factory.mktemp("onnx"))
    yield onnx_backend.CACHE_DIR
    mp.undo()


def test_backends_agree(predictor, onnx_cache):
    texts = ["A warm, funny and moving film.", "Dull, tedious and far too long.", "not bad at all"]
    labels, margins = {}, {}
    for backend in BACKENDS:
        scorer = TransformerScorer(predictor.transformer.model, predictor.transformer.tokenizer, 128, backend,
                                   ARTIFACT / ADAPTER_DIR)
        margins[backend] = scorer.logits(texts)
        labels[backend] = (margins[backend] > 0).tolist()
    assert labels["fp32"] == [True, False, True]
    assert all(v == labels["fp32"] for v in labels.values()), labels
    np.testing.assert_allclose(margins["onnx-fp32"], margins["fp32"], atol=2e-3)  # the same model, fused
    assert len(list(onnx_cache.glob("*/*.onnx"))) == 2  # both graphs, exported once for the two backends


def test_onnx_int8_rechecks_texts_near_the_blends_boundary_in_float32(predictor, onnx_cache):
    scorer = TransformerScorer(predictor.transformer.model, predictor.transformer.tokenizer, 128, "onnx-int8",
                               ARTIFACT / ADAPTER_DIR)
    assert scorer.approximate
    texts = ["A warm, funny and moving film.", "The film is 104 minutes long.", "It was fine, I suppose."]
    approx, exact = scorer.logits(texts), scorer.logits(texts, exact=True)
    z_linear = np.zeros(len(texts))
    blend = Blend(1.0, 0.0, -float(approx[1]))  # the boundary right at the second text: it must be re-checked
    checked = recheck(scorer, blend, texts, approx, z_linear)
    near = np.abs(blend.logits(approx, z_linear)) < onnx_backend.RECHECK_MARGIN
    assert near.any() and not near.all()
    np.testing.assert_allclose(checked[near], exact[near], rtol=1e-6)
    np.testing.assert_array_equal(checked[~near], approx[~near])
    exact_scorer = TransformerScorer(predictor.transformer.model, predictor.transformer.tokenizer, 128, "fp32")
    assert not exact_scorer.approximate and recheck(exact_scorer, blend, texts, approx, z_linear) is approx


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
    frame = predictor.predict_many(["Lovely!", "", "🙂🙂", "Awful service.", "   "])
    assert frame.loc[0, "transformer_label"] == "positive" and frame.loc[3, "transformer_label"] == "negative"
    assert frame.loc[1, "error"] and frame.loc[2, "error"] and frame.loc[4, "error"]
    assert len(frame) == 5 and (frame["error"] == "").sum() == 2  # rows in = rows scored + rows in errors


def test_batch_with_no_usable_row_keeps_its_columns(predictor):
    frame = predictor.predict_many(["", "🙂"])
    assert list(frame.columns) == BATCH_COLUMNS and (frame["error"] != "").all()


def test_one_giant_word_gets_a_note(predictor):
    analysis = predictor.analyse("a" * 19_999)
    assert any("unknown to the model's vocabulary" in n for n in analysis.notes)
    frame = predictor.predict_many(["b" * 5_000, "A lovely film."])
    assert "unknown" in frame.loc[0, "notes"] and frame.loc[1, "notes"] == ""


def test_evaluate_counts_empty_rows_and_explains_a_file_with_none_usable(predictor, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from src.sentiment import evaluate

    out = evaluate.evaluate(predictor, ["A lovely film.", "", "   "], np.array([1, 0, 1]))
    assert out["n"] == 3 and out["n_scored"] == 1 and sum(out["skipped"].values()) == 2
    bad = tmp_path / "empty.tsv"
    bad.write_text("sentence\tlabel\n\t1\n🙂\t0\n", encoding="utf-8")
    monkeypatch.setattr(evaluate.Predictor, "from_artifact", lambda artifact=None: predictor)
    result = CliRunner().invoke(evaluate.app, ["--data", str(bad)])
    assert result.exit_code == 2 and "No row of" in result.output  # a message, then a clean exit
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_predict_csv_of_a_missing_file_is_a_message(tmp_path):
    from typer.testing import CliRunner

    from src.sentiment.predict import app

    result = CliRunner().invoke(app, ["--csv", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "Cannot read" in result.output
    assert not isinstance(result.exception, FileNotFoundError)


def test_the_served_blend_passes_the_whole_behaviour_suite_on_the_reference_backend():
    """Issue 15: the whole suite, typos (read through the spelling correction) and neutral lines included."""
    from src.sentiment.report import REFERENCE_BACKEND

    reference = Predictor.from_artifact(ARTIFACT, backend=REFERENCE_BACKEND)
    results = behaviour.run(reference.probabilities)
    failed = results[(results["model"] == "blend") & ~results["passed"]]
    assert failed.empty, f"served blend failures:\n{failed[['case', 'p_positive']].to_string()}"
