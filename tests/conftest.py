"""Shared fixtures: an isolated data cache, a skip for tests that need the real datasets, a tiny RAG index."""

from __future__ import annotations

import os
import tempfile

import pytest

from src.core import datasets

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Tests never write to the developer's prediction log or MLflow store under data/ (one shared temp store:
# creating MLflow's schema takes seconds, so it is reused between sessions).
_TMP = tempfile.gettempdir()
os.environ.setdefault("PORTFOLIO_PREDICTION_LOG", os.path.join(_TMP, "portfolio-test-predictions.sqlite3"))
os.environ.setdefault("MLFLOW_TRACKING_URI", "sqlite:///" + os.path.join(_TMP, "portfolio-test-mlflow.db"))


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """A fresh, empty cache and no mirror: what a visitor's machine looks like."""
    monkeypatch.setenv("PORTFOLIO_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PORTFOLIO_DATA_MIRROR", raising=False)
    return tmp_path / "cache"


def require_dataset(name: str):
    """Resolve a real dataset or skip with the reason (CI always has the mirror)."""
    if not datasets.is_available(name):
        pytest.skip(f"dataset '{name}' not cached and PORTFOLIO_DATA_MIRROR not set; run `make data`")
    return datasets.path(name, progress=False)


def rag_index(texts: dict[str, str]):
    """A RAG index over ``{file name: markdown}`` built here with the packaged embedder (one per test module)."""
    from src.rag.chunking import chunk_documents
    from src.rag.documents import Document
    from src.rag.embed import shared
    from src.rag.retrieve import Index

    return Index.build(chunk_documents([Document(source=n, title=n, text=t) for n, t in texts.items()]), shared())


def open_page(page: str | None = None, timeout: float = 120, chapter: str | None = None):
    """Run the app through ``Home.py`` (so navigation exists) and switch to ``app_pages/<page>.py``,
    deep-linked to ``?chapter=<chapter>`` when one is given."""
    from streamlit.testing.v1 import AppTest

    from src.core.settings import ROOT

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=timeout).run()
    if chapter is not None:
        at.query_params["chapter"] = chapter
    if page is not None:
        at.switch_page(page).run()
    return at


def shows_info(at, text: str) -> bool:
    """True when the page ran without an exception and an info box contains ``text``."""
    return not at.exception and any(text in i.value for i in at.info)


def shown_text(at, kinds: tuple[str, ...] = ("markdown", "caption", "success", "warning", "info")) -> str:
    """The text of the page's elements of these kinds, space-joined: what a visitor reads there."""
    return " ".join(str(e.value) for kind in kinds for e in getattr(at, kind))
