"""Paths and settings shared by every demo (one place, cookiecutter-data-science style)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
DOCS_DIR = DATA_DIR / "docs"
MODELS_DIR = ROOT / "models"
ARTIFACTS_DIR = ROOT / "artifacts"
PORTFOLIO_FILE = ROOT / "portfolio.toml"

#: Environment variable naming a local folder laid out like ``../shared/data``.
MIRROR_ENV = "PORTFOLIO_DATA_MIRROR"
#: Optional override of where downloads are cached (defaults to ``data/raw``).
CACHE_ENV = "PORTFOLIO_DATA_CACHE"

# Models load from packaged files only; the hub must never be contacted at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def raw_dir() -> Path:
    """Where verified datasets are cached."""
    return Path(os.environ.get(CACHE_ENV) or RAW_DIR)


def mirror_dir() -> Path | None:
    """The offline mirror folder, when the environment names one that exists."""
    value = os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def model_dir(demo: str) -> Path:
    """The committed artifact folder of one demo."""
    return MODELS_DIR / demo


@lru_cache(maxsize=1)
def portfolio() -> dict[str, Any]:
    """The owner's profile from ``portfolio.toml`` (the one file a job seeker edits)."""
    with PORTFOLIO_FILE.open("rb") as fh:
        return tomllib.load(fh)


def lookup(registry: Mapping[str, T], key: str, what: str) -> T:
    """``registry[key]``, or a KeyError that names what was asked for and lists the known keys."""
    try:
        return registry[key]
    except KeyError:
        raise KeyError(f"Unknown {what} '{key}'. Known: {', '.join(registry)}") from None
