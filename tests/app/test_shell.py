"""AppTest: Home shows one card per demo, and every page runs without an exception."""

from __future__ import annotations

import pytest

from src.core.demos import DEMOS
from tests.conftest import open_page

PAGES = [f"app_pages/{d.slug}.py" for d in DEMOS] + ["app_pages/model_cards.py"]


def test_home_renders_one_card_per_demo():
    at = open_page()
    assert not at.exception
    cards = [m.value for m in at.markdown if m.value.startswith("####")]
    for demo in DEMOS:
        assert sum(demo.title in c for c in cards) == 1, demo.title
    assert any("60-second tour" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} rendered no title"


def _loader_script(folder: str) -> None:
    """An app that loads a made-up demo's model through the shared loader (run by AppTest)."""
    from pathlib import Path

    import streamlit as st

    from src.core import contract
    from src.ui.loader import load_model

    contract.MODELS["toy"] = contract.ModelArtifact("toy", ("weights.bin",), "src.core.contract:card_version")
    contract.ModelArtifact.folder = property(lambda self: Path(folder))  # type: ignore[method-assign]
    st.write(f"loaded: {load_model('toy')}")


def test_one_loader_explains_a_missing_model_and_reloads_a_retrained_one(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from src.core import contract

    monkeypatch.setattr(contract.ModelArtifact, "folder", contract.ModelArtifact.folder)  # restored after
    monkeypatch.setitem(contract.MODELS, "toy", None)
    at = AppTest.from_function(_loader_script, args=(str(tmp_path),)).run()
    assert not at.exception, [e.value for e in at.exception]
    (panel,) = at.info
    assert "No trained toy model yet" in panel.value and "python -m src.toy.train" in panel.value

    (tmp_path / "weights.bin").write_text("w")
    (tmp_path / contract.CARD_FILE).write_text("version one")
    at.run()
    first = contract.card_version(tmp_path)  # the toy "model" is its own version string
    assert not at.info and at.markdown[0].value == f"loaded: {first}"
    (tmp_path / contract.CARD_FILE).write_text("version two, retrained")
    at.run()
    assert at.markdown[0].value == f"loaded: {contract.card_version(tmp_path)}" != f"loaded: {first}"


def test_every_page_switcher_comes_from_the_registry():
    for demo in DEMOS:
        slugs = [slug for slug, _ in demo.chapters]
        assert slugs and len(set(slugs)) == len(slugs), demo.slug
        assert demo.tour_chapter in slugs, demo.slug


def test_guard_shows_a_message_but_never_the_exception_text():
    from streamlit.testing.v1 import AppTest

    def app():
        from src.ui.chrome import guard

        with guard("the demo"):
            raise ValueError("height and width must be > 0 at /srv/app/secret.py")

    at = AppTest.from_function(app).run()
    shown = " ".join(e.value for e in at.error)
    assert not at.exception
    assert "failed to load" in shown
    assert "ValueError" not in shown and "secret.py" not in shown
