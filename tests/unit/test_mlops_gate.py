"""The champion/challenger gate keeps a worse challenger, promotes a better one, and never leaves a
half-swapped model folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from src import pipeline
from src.core.cards import Card, Metric, read_card, write_card
from src.mlops import gate


def _card(value: float, std: float | None = 0.01, demo: str = "churn", protocol: str = "5-fold CV") -> Card:
    return Card(demo=demo, title="t", summary="s", metrics=[Metric("CV ROC-AUC", value, protocol, std)], data=[],
                config={"seed": 0}, command="python -m src.churn.train", duration_s=1.0, versions={}, git_commit="x",
                hardware="cpu")


def _write(folder: Path, card: Card, marker: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_card(card, folder)
    (folder / "weights.bin").write_text(marker)


def _fake_runner(value: float, std: float = 0.01):
    def run(demo: str, out: Path, smoke: bool) -> None:
        _write(out, _card(value, std, demo), "challenger")
    return run


@pytest.fixture
def models(tmp_path):
    _write(tmp_path / "churn", _card(0.85, 0.012), "champion")
    return tmp_path


def test_worse_challenger_keeps_the_champion(models):
    decision = pipeline.retrain_one("churn", models_dir=models, runner=_fake_runner(0.80), record=False)
    assert not decision.promote and decision.label == "kept champion"
    assert "worse by 0.0500" in decision.reason and "0.8500" in decision.reason and "0.8000" in decision.reason
    assert (models / "churn" / "weights.bin").read_text() == "champion"


def test_better_challenger_is_promoted(models):
    decision = pipeline.retrain_one("churn", models_dir=models, runner=_fake_runner(0.90), record=False)
    assert decision.promote and "better" in decision.reason
    assert (models / "churn" / "weights.bin").read_text() == "challenger"
    assert read_card(models / "churn").headline.value == pytest.approx(0.90)
    assert not [p for p in models.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


def test_a_tie_within_the_noise_is_not_worse(models):
    decision = pipeline.retrain_one("churn", models_dir=models, runner=_fake_runner(0.845), record=False)
    assert decision.promote and "within the noise" in decision.reason


def test_a_failed_training_leaves_the_champion_untouched(models):
    def crash(demo: str, out: Path, smoke: bool) -> None:
        out.mkdir(parents=True)
        (out / "weights.bin").write_text("half-written")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        pipeline.retrain_one("churn", models_dir=models, runner=crash, record=False)
    assert (models / "churn" / "weights.bin").read_text() == "champion"
    assert not [p for p in models.iterdir() if p.name.startswith(".")]


def test_an_interrupted_swap_is_undone_by_the_next_run(models):
    (models / "churn").rename(models / ".churn.old-123")  # killed between the two renames
    assert pipeline.recover(models / "churn")
    assert (models / "churn" / "weights.bin").read_text() == "champion"


def test_noise_is_the_fold_std_or_the_bootstrap_interval():
    churn = _card(0.85, 0.012)
    assert gate.noise_of(churn, churn.headline) == (0.012, "std over CV folds")
    boot = _card(0.90, None, "vision", "validation split (5,000 images)")
    boot.extra["bootstrap"] = {"CV ROC-AUC": {"low": 0.89, "high": 0.91}}
    assert gate.noise_of(boot, boot.headline)[0] == pytest.approx(0.01)
    sentiment = _card(0.88, 0.011, "sentiment", "SST-2 dev, 872 sentences; bootstrap 95% interval 0.86-0.90")
    assert gate.noise_of(sentiment, sentiment.headline)[0] == pytest.approx(1.96 * 0.011)
    plain = _card(0.90, None, "vision", "a stratified validation split (5,000 images, seed 0)")
    noise, kind = gate.noise_of(plain, plain.headline)
    assert noise == pytest.approx(1.96 * (0.9 * 0.1 / 5000) ** 0.5) and "n=5,000" in kind


def test_lower_is_better_metrics_are_judged_the_right_way():
    old = _card(0.85)
    old.metrics = [Metric("CV log loss", 0.41, "", 0.01)]
    new = _card(0.85)
    new.metrics = [Metric("CV log loss", 0.30, "", 0.01)]
    assert gate.decide(old, new).promote
    assert not gate.decide(new, old).promote


def test_smoke_challengers_never_replace_a_committed_model(monkeypatch, models):
    monkeypatch.setattr(pipeline, "MODELS_DIR", models)
    decision = pipeline.retrain_one("churn", smoke=True, models_dir=models, runner=_fake_runner(0.95), record=False)
    assert not decision.promote and "--smoke" in decision.reason
    assert (models / "churn" / "weights.bin").read_text() == "champion"


def test_a_noisy_challenger_does_not_widen_the_gate():
    # champion 0.85 ± 0.012; a challenger 0.80 with a huge spread of its own must still be kept out
    decision = gate.decide(_card(0.85, 0.012), _card(0.80, 0.2))
    assert not decision.promote and "the champion's" in decision.reason
