"""The load-time choice of the transformer's inference backend (no model needed)."""

from __future__ import annotations

import pytest

from src.sentiment import backend


@pytest.fixture
def card(monkeypatch):
    """Pretend the card holds these dev accuracies per backend."""
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)

    def use(acc: dict[str, float]) -> None:
        monkeypatch.setattr(backend, "backend_accuracy", lambda folder=None: acc)
    return use


@pytest.mark.parametrize("native", [True, False])
def test_int8_serves_while_within_0_2_points_of_fp32(card, native):
    card({"fp32": 0.900, "int8": 0.898, "bf16": 0.900})
    assert backend.choose_backend(native_bf16=native) == "int8"
    assert "-0.20 points" in backend.backend_reason("int8")
    card({"fp32": 0.900, "int8": 0.8975, "bf16": 0.900})
    assert backend.choose_backend(native_bf16=native) == ("bf16" if native else "fp32")
    assert "lost more than 0.2 points" in backend.backend_reason(backend.choose_backend(native_bf16=native))


def test_without_a_card_the_cpu_decides_and_the_environment_overrides(card, monkeypatch):
    card({})
    assert backend.choose_backend(native_bf16=True) == "bf16"
    assert backend.choose_backend(native_bf16=False) == "int8"
    monkeypatch.setenv(backend.BACKEND_ENV, "fp32")
    assert backend.choose_backend(native_bf16=True) == "fp32" and "forced" in backend.backend_reason("fp32")
    monkeypatch.setenv(backend.BACKEND_ENV, "fp64")
    with pytest.raises(ValueError, match="choose one of"):
        backend.choose_backend()


def test_the_card_is_read_from_the_artifact_folder(tmp_path):
    assert backend.backend_accuracy(tmp_path) == {}  # no card: nothing measured
