"""The model version used by MLOps: ``src.core.contract.card_version`` (a short sha256 of the card)."""

from __future__ import annotations

from pathlib import Path

from src.core.contract import card_version
from src.core.settings import model_dir

__all__ = ["card_version", "demo_version"]


def demo_version(demo: str) -> str:
    """The version of the committed model of ``demo`` (cached by the contract until the card changes)."""
    return card_version(Path(model_dir(demo)))
