"""The load-time choice of the transformer's inference backend (no model needed)."""

from __future__ import annotations

import pytest

from src.core import hardware
from src.sentiment import backend


@pytest.fixture
def card(monkeypatch):
    """Pretend the card holds these accuracies of the served blend per backend and split."""
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)

    def use(acc: dict[str, dict[str, float]]) -> None:
        monkeypatch.setattr(backend, "backend_accuracy", lambda folder=None: acc)
    return use


def _acc(int8_held: float, int8_dev: float) -> dict[str, dict[str, float]]:
    return {"fp32": {"held": 0.900, "dev": 0.910}, "int8": {"held": int8_held, "dev": int8_dev},
            "bf16": {"held": 0.900, "dev": 0.910}}


@pytest.mark.parametrize("native", [True, False])
def test_int8_serves_only_while_within_0_2_points_of_fp32_on_every_split(card, native):
    card(_acc(0.898, 0.908))
    assert backend.choose_backend(native_bf16=native) == "int8"
    assert "-0.20 points" in backend.backend_reason("int8")
    card(_acc(0.898, 0.9075))  # dev 0.25 points down: over the limit although held-out is within it
    assert backend.choose_backend(native_bf16=native) == ("bf16" if native else "fp32")
    assert "lost more than 0.2 points" in backend.backend_reason(backend.choose_backend(native_bf16=native))
    card(_acc(0.8975, 0.910))  # held-out over the limit, dev not
    assert backend.choose_backend(native_bf16=native) == ("bf16" if native else "fp32")


def test_forced_fp32_cpu_takes_the_path_of_a_cpu_without_native_bf16(card, monkeypatch):
    monkeypatch.setenv(hardware.FORCE_FP32_ENV, "1")
    hardware.cpu_has_native_bf16.cache_clear()
    try:
        card(_acc(0.880, 0.900))  # int8 loses 2 points: fp32, never bf16, on such a CPU
        assert backend.choose_backend() == "fp32"
        card(_acc(0.899, 0.910))
        assert backend.choose_backend() == "int8"
    finally:
        monkeypatch.delenv(hardware.FORCE_FP32_ENV)
        hardware.cpu_has_native_bf16.cache_clear()


def test_older_cards_with_only_the_transformers_dev_accuracy_still_decide(tmp_path, monkeypatch):
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    monkeypatch.setattr(backend, "read_card", lambda folder: type("C", (), {"extra": {"results": {"transformer": {
        "backends": {"fp32": 0.90, "int8": 0.8977, "bf16": 0.90}}}}})())
    backend._card_accuracy.cache_clear()
    (tmp_path / "README.md").write_text("card")
    assert backend.backend_accuracy(tmp_path)["int8"] == {"dev": 0.8977}
    assert backend.choose_backend(tmp_path, native_bf16=False) == "fp32"  # 0.23 points lost


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


def _with_onnx(int8_dev: float) -> dict[str, dict[str, float]]:
    return _acc(0.880, 0.900) | {"onnx-int8": {"held": 0.900, "dev": int8_dev},
                                 "onnx-fp32": {"held": 0.900, "dev": 0.910}}


def test_without_native_bf16_the_fastest_backend_within_the_limit_wins(card, monkeypatch):
    monkeypatch.setattr(backend, "_onnx_available", lambda: True)
    card(_with_onnx(0.909))
    assert backend.choose_backend(native_bf16=False) == "onnx-int8"
    assert "re-scored in float32" in backend.backend_reason("onnx-int8")
    card(_with_onnx(0.905))  # ONNX int8 over the limit, PyTorch int8 too: ONNX float32 is next
    assert backend.choose_backend(native_bf16=False) == "onnx-fp32"
    assert "lost more than 0.2 points" in backend.backend_reason("onnx-fp32", native_bf16=False)
    assert backend.choose_backend(native_bf16=True) == "bf16"  # ONNX is not in a native-bf16 CPU's order
    monkeypatch.setattr(backend, "_onnx_available", lambda: False)
    card(_with_onnx(0.909))
    assert backend.choose_backend(native_bf16=False) == "fp32"  # no onnxruntime: PyTorch's paths only
