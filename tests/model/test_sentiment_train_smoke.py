"""Training smoke test: the whole pipeline on 64 generated sentences, in seconds."""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from src.core.cards import read_card
from src.sentiment.backend import BACKENDS
from src.sentiment.predict import MODEL_TITLES, MODELS, Predictor
from src.sentiment.train import TrainConfig, app, run

GOOD = ["wonderful", "delightful", "excellent", "charming", "superb", "lovely", "great", "moving"]
BAD = ["awful", "dreadful", "boring", "terrible", "clumsy", "tedious", "dull", "painful"]
THINGS = ["film", "meal", "hotel", "story"]


def _sentences(words: list[str], label: int) -> list[tuple[str, int]]:
    return [(f"the {thing} was {word}", label) for word, thing in itertools.product(words, THINGS)]


@pytest.mark.slow
def test_train_writes_a_loadable_artifact(tmp_path):
    rows = _sentences(GOOD, 1) + _sentences(BAD, 0)  # 64 sentences
    frame = pd.DataFrame(rows, columns=["sentence", "label"]).sample(frac=1, random_state=0).reset_index(drop=True)
    cfg = TrainConfig(epochs=2, batch_size=16, lr=1e-4, train_limit=64, holdout=16)
    out = tmp_path / "sentiment"
    card = run(cfg, frame, frame.copy(), out)

    shards = list((out / "transformer").glob("weights-*.safetensors"))
    assert shards and all(p.stat().st_size < 20_000_000 for p in shards)
    config = json.loads((out / "config.json").read_text())
    assert config["calibration"]["transformer"]["temperature"] > 0
    back = read_card(out)
    assert back is not None and back.headline.name.startswith("dev accuracy")
    for key in ("confusion_dev", "by_length", "reliability", "comparison"):
        assert set(back.extra[key] if key != "comparison" else [r["model"] for r in back.extra[key]])
    assert [r["model"] for r in card.extra["comparison"]] == [MODEL_TITLES[m] for m in MODELS]
    ci = back.extra["bootstrap"][back.headline.name]  # where the MLOps gate reads the noise
    assert ci["low"] <= back.headline.value <= ci["high"] and ci["level"] == 0.95
    assert back.extra["ece_bins"]["n_bins"] > 0 and f"{back.extra['ece_bins']['n_bins']} equal-width" in \
        back.metric("ECE (TF-IDF + logistic regression)").protocol
    assert [d.name for d in back.data] == ["sst2"]  # the registry key, not a display title
    assert back.duration_s >= back.extra["epochs"][-1]["seconds"]  # the whole run, not only a part
    assert len(back.extra["epochs"]) == 2 * cfg.evals_per_epoch  # held-out scored evals_per_epoch times an epoch
    assert set(back.extra["results"]["transformer"]["backends"]) == set(BACKENDS)  # ONNX ones included
    served = back.extra["results"]["blend"]
    assert set(served["backends"]["int8"]) == {"held", "dev"}  # what the load-time backend rule reads
    assert back.headline.name == "dev accuracy (Served blend: MiniLM + TF-IDF)"
    assert config["blend"] == served["weights"]  # the blend the app serves is the one the card reports

    predictor = Predictor.from_artifact(out)
    probs = predictor.probabilities(["the film was wonderful", "the film was awful"])
    assert set(probs) == {"blend", "transformer", "linear", "vader"}
    assert probs["linear"][0] > probs["linear"][1]  # the linear model learns this toy task
    assert np.all((probs["transformer"] >= 0) & (probs["transformer"] <= 1))


def test_smoke_without_out_never_writes_the_committed_model(monkeypatch):
    from src.sentiment import train as train_module

    written = []
    monkeypatch.setattr(train_module, "load_split", lambda split: pd.DataFrame({"sentence": [], "label": []}))
    monkeypatch.setattr(train_module, "run", lambda cfg, train, dev, out: written.append(out) or _card())
    result = CliRunner().invoke(app, ["--smoke"])
    assert result.exit_code == 0, result.output
    assert written == [train_module.SMOKE_DIR]


def _card() -> SimpleNamespace:
    """Stands in for a Card: what train_app prints of one."""
    headline = SimpleNamespace(name="dev accuracy (Served blend: MiniLM + TF-IDF)", formatted=lambda: "50.0%")
    return SimpleNamespace(duration_s=1.0, headline=headline, metrics=[])


def test_cli_has_the_options_the_retrain_gate_uses():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for flag in ("--out", "--smoke", "--epochs", "--method", "--max-minutes"):
        assert flag in result.output
    assert str(TrainConfig().epochs) in result.output  # the default shown comes from TrainConfig
