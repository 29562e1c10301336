"""Model cards round-trip through HF-style markdown, and artifact writes are atomic."""

from __future__ import annotations

import pytest
import yaml

from src.core.cards import Card, DataRef, Metric, artifact_writer, read_card, render_markdown, write_card


def _card() -> Card:
    return Card(
        demo="toy", title="Toy model", summary="A test card.",
        metrics=[Metric("accuracy", 0.9123, "5-fold CV", std=0.01, fmt="pct"), Metric("latency", 3.2, "p50", fmt="ms")],
        data=[DataRef("toyset", "made in the test", {"toy.csv": "ab" * 32})],
        config={"lr": 0.1, "epochs": 2}, command="python -m src.toy.train --epochs 2", duration_s=12.5,
        extra={"leaderboard": [{"model": "a", "auc": 0.8}]},
    )


def test_card_round_trips(tmp_path):
    write_card(_card(), tmp_path)
    back = read_card(tmp_path)
    assert back is not None
    assert back.headline.name == "accuracy" and back.headline.value == pytest.approx(0.9123)
    assert back.data[0].sha256 == {"toy.csv": "ab" * 32}
    assert back.extra["leaderboard"][0]["model"] == "a"
    assert back.command == "python -m src.toy.train --epochs 2"


def test_markdown_has_hub_front_matter_and_sections():
    text = render_markdown(_card())
    front = yaml.safe_load(text.split("---")[1])
    metrics = front["model-index"][0]["results"][0]["metrics"]
    assert metrics[0]["type"] == "accuracy"
    assert "## Reproduce" in text and "91.2 ± 1.0%" in text


def test_metric_formats():
    assert Metric("a", 0.5, fmt="pct").formatted() == "50.0%"
    assert Metric("b", 12.34, fmt="ms").formatted() == "12.3 ms"
    assert Metric("c", 0.8612, std=0.004).formatted() == "0.861 ± 0.004"
    assert Metric("d", 0.912, std=0.0104, fmt="pct").formatted() == "91.2 ± 1.0%"
    assert Metric("e", 1234.5, std=3.0, fmt="per_s").formatted() == "1,234/s"  # rates and times show no spread
    assert Metric("f", 12.34, std=1.0, fmt="ms").formatted() == "12.3 ms"
    assert Metric("g", 0.5, fmt="unknown").formatted() == "0.500"  # an unknown format reads as a plain float


def test_artifact_writer_swaps_only_on_success(tmp_path):
    target = tmp_path / "models" / "toy"
    with artifact_writer(target) as tmp:
        (tmp / "weights.bin").write_bytes(b"v1")
    assert (target / "weights.bin").read_bytes() == b"v1"

    with pytest.raises(RuntimeError), artifact_writer(target) as tmp:
        (tmp / "weights.bin").write_bytes(b"half")
        raise RuntimeError("training crashed")
    assert (target / "weights.bin").read_bytes() == b"v1"
    assert sorted(p.name for p in target.parent.iterdir()) == ["toy"]


def test_missing_card_reads_as_none(tmp_path):
    assert read_card(tmp_path) is None


def test_artifact_writer_takes_a_folder_not_a_demo_name():
    with pytest.raises(TypeError, match="model_dir"), artifact_writer("churn"):
        pass


def test_dataref_is_keyed_by_registry_name_with_the_title_looked_up(tmp_path):
    ref = DataRef.from_registry("telco")
    assert ref.name == "telco" and ref.title == "IBM Telco Customer Churn"
    assert ref.sha256 == {"telco/Telco-Customer-Churn.csv": ref.sha256["telco/Telco-Customer-Churn.csv"]}
    assert DataRef("toyset", "made in the test", {}).title == "toyset"  # unregistered: the name itself
    card = _card()
    card.data = [ref]
    write_card(card, tmp_path)
    text = (tmp_path / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["datasets"] == ["telco"] and "- **IBM Telco Customer Churn** from" in text
