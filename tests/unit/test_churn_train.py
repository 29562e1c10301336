"""The churn training CLI on made-up customers: --out, --smoke, the card's noise, and the contract's loader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from src.churn import data, train
from src.core import contract
from src.core.cards import read_card


@pytest.fixture
def synthetic_telco(monkeypatch):
    monkeypatch.setenv("PORTFOLIO_TRACKING", "0")
    monkeypatch.setattr(data, "load", lambda: data.synthetic(600, seed=11))


def test_smoke_run_writes_a_loadable_artifact_with_fold_noise(synthetic_telco, tmp_path):
    out = tmp_path / "churn"
    result = CliRunner().invoke(train.app, ["--smoke", "--limit", "400", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["out"] == str(out) and summary["selected"] in {"logistic", "logistic_splines"}

    card = read_card(out)
    assert card.config["folds"] == 3 and card.config["limit"] == 400 and card.extra["rows"] == 400
    assert all(m.std is not None and m.std >= 0 for m in card.metrics)  # the retrain gate's noise
    assert card.data[0].name == "telco" and card.data[0].title == "IBM Telco Customer Churn"
    assert [r["model"] for r in card.extra["leaderboard"]][:2] == ["logistic", "logistic_splines"]

    pred = contract.load("churn", out)
    p = pred.predict_proba(data.synthetic(20, seed=3)[data.FEATURES])
    assert p.shape == (20,) and np.all((p > 0) & (p < 1))
    with np.load(out / contract.OOF_FILE) as oof:
        assert len(oof["y"]) == 400 and set(np.unique(oof["fold"])) == {0, 1, 2}


def test_unknown_candidate_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="known: logistic"):
        train.TrainConfig(candidates="logistic,deep_net").chosen_candidates()


def test_cli_defaults_are_the_dataclass_defaults():
    help_text = CliRunner().invoke(train.app, ["--help"]).output
    for option in ("--folds", "--seed", "--background-size", "--calibration", "--limit", "--out", "--smoke"):
        assert option in help_text
    assert train.TrainConfig().folds == 5 and train.TrainConfig().smoke().folds == 3
