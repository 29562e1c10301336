"""Training smoke test: the whole pipeline on 64 generated sentences, in seconds."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from src.core.cards import read_card
from src.sentiment.predict import Predictor
from src.sentiment.train import TrainConfig, run

GOOD = ["wonderful", "delightful", "excellent", "charming", "superb", "lovely", "great", "moving"]
BAD = ["awful", "dreadful", "boring", "terrible", "clumsy", "tedious", "dull", "painful"]
THINGS = ["film", "meal", "hotel", "story"]


def _sentences(words: list[str], label: int) -> list[tuple[str, int]]:
    return [(f"the {thing} was {word}", label) for word, thing in itertools.product(words, THINGS)]


@pytest.mark.slow
def test_train_writes_a_loadable_artifact(tmp_path):
    rows = _sentences(GOOD, 1) + _sentences(BAD, 0)  # 64 sentences
    frame = pd.DataFrame(rows, columns=["sentence", "label"]).sample(frac=1, random_state=0).reset_index(drop=True)
    cfg = TrainConfig(epochs=2, batch_size=16, lr=2e-3, lora_rank=4, lora_alpha=8)
    out = tmp_path / "sentiment"
    card = run(cfg, frame, frame.copy(), out)

    assert (out / "transformer" / "adapter_model.safetensors").stat().st_size < 5_000_000
    config = json.loads((out / "config.json").read_text())
    assert config["calibration"]["transformer"]["temperature"] > 0
    back = read_card(out)
    assert back is not None and back.headline.name.startswith("dev accuracy")
    for key in ("confusion_dev", "by_length", "reliability", "comparison"):
        assert set(back.extra[key] if key != "comparison" else [r["model"] for r in back.extra[key]])
    assert len(card.extra["comparison"]) == 3

    predictor = Predictor.from_artifact(out)
    probs = predictor.probabilities(["the film was wonderful", "the film was awful"])
    assert set(probs) == {"transformer", "linear", "vader"}
    assert probs["linear"][0] > probs["linear"][1]  # the linear model learns this toy task
    assert np.all((probs["transformer"] >= 0) & (probs["transformer"] <= 1))
