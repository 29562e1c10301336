"""The model version used by MLOps: a short sha256 of the demo's card, cached until the file changes.

``src.core.contract.card_version`` is the shared definition; until it exists this module computes the
same thing itself (first 12 hex digits of the sha256 of ``models/<demo>/README.md``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from src.core.cards import CARD_FILE
from src.core.settings import model_dir


def _local_card_version(folder: Path) -> str:
    path = Path(folder) / CARD_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "untrained"


try:  # the contract helper's shared definition, when it is there
    from src.core.contract import card_version as _card_version
except ImportError:  # pragma: no cover - depends on the contract module landing
    _card_version = _local_card_version


@lru_cache(maxsize=64)
def _cached(folder: str, mtime_ns: int) -> str:
    try:
        return _card_version(Path(folder))
    except (OSError, ValueError):
        return "untrained"


def card_version(folder: Path) -> str:
    """Short sha256 of the card in ``folder`` ("untrained" when there is none)."""
    path = Path(folder) / CARD_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return "untrained"
    return _cached(str(folder), mtime)


def demo_version(demo: str) -> str:
    """The version of the committed model of ``demo``."""
    return card_version(model_dir(demo))
