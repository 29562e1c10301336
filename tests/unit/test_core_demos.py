"""The demo registry is discovered: a new folder with a ``demo.toml`` and one page file is a demo."""

from __future__ import annotations

import sys
import textwrap

import pytest

import src
from src.core import contract, demos
from src.core.settings import ROOT

TOY_SPEC = """
slug = "toy"
order = 7
title = "A toy demo"
icon = ":material/toys:"
pitch = "Made up by a test."
shows = "Nothing."
datasets = []
tour_chapter = "play"
tour_hint = "play"

[chapters]
play = "Play"
rest = "Rest"

[artifact]
files = ["weights.bin"]
loader = "src.toy.predict:load"
"""


def _toy_tree(tmp_path, spec: str = TOY_SPEC, page: bool = True):
    """``<tmp>/src/toy/`` (spec + predict module) and, unless told not to, ``<tmp>/app_pages/toy.py``."""
    package = tmp_path / "src" / "toy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / demos.SPEC_FILE).write_text(textwrap.dedent(spec))
    (package / "predict.py").write_text("def load(folder):\n    return ('toy predictor', folder.name)\n")
    if page:
        (tmp_path / demos.PAGES_DIR).mkdir()
        (tmp_path / demos.PAGES_DIR / "toy.py").write_text("import streamlit as st\n\nst.title('toy')\n")
    return package


def test_a_new_folder_and_page_are_a_demo_with_no_edit_elsewhere(tmp_path, monkeypatch):
    _toy_tree(tmp_path)
    monkeypatch.setattr(src, "__path__", [*src.__path__, str(tmp_path / "src")])  # `src.toy` importable
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # and forgotten after the test
    (toy,) = demos.discover(tmp_path / "src", tmp_path)
    assert (toy.slug, toy.package, toy.page) == ("toy", "toy", "app_pages/toy.py")
    assert toy.chapters == (("play", "Play"), ("rest", "Rest"))
    assert toy.train_command == "python -m src.toy.train"  # from the contract: it ships a model
    folder = tmp_path / "models" / "toy"
    folder.mkdir(parents=True)
    with pytest.raises(contract.ModelMissingError, match=r"weights\.bin"):
        toy.artifact.load(folder)
    (folder / contract.CARD_FILE).write_text("card")
    (folder / "weights.bin").write_bytes(b"w")
    assert toy.artifact.load(folder) == ("toy predictor", "toy")


def test_a_spec_without_its_page_or_with_a_wrong_tour_fails_loudly(tmp_path):
    _toy_tree(tmp_path, page=False)
    with pytest.raises(ValueError, match=r"app_pages/toy\.py does not exist"):
        demos.discover(tmp_path / "src", tmp_path)
    (tmp_path / "src" / "toy" / demos.SPEC_FILE).write_text(TOY_SPEC.replace('tour_chapter = "play"',
                                                                             'tour_chapter = "work"'))
    with pytest.raises(ValueError, match="tour_chapter 'work'"):
        demos.read_spec(tmp_path / "src" / "toy" / demos.SPEC_FILE)
    (tmp_path / "src" / "toy" / demos.SPEC_FILE).write_text('slug = "toy"\ncolour = "red"\n')
    with pytest.raises(ValueError, match="not a demo spec"):
        demos.read_spec(tmp_path / "src" / "toy" / demos.SPEC_FILE)


def test_the_committed_demos_are_every_spec_and_every_page():
    specs = sorted(p.parent.name for p in (ROOT / "src").glob(f"*/{demos.SPEC_FILE}"))
    assert sorted(d.package for d in demos.DEMOS) == specs
    pages = {p.name for p in (ROOT / demos.PAGES_DIR).glob("*.py")} - {"model_cards.py"}
    assert {f"{d.slug}.py" for d in demos.DEMOS} == pages  # no page without its spec
    assert [d.order for d in demos.DEMOS] == sorted(d.order for d in demos.DEMOS)
    assert set(contract.MODELS) == {d.slug for d in demos.DEMOS if d.artifact is not None}
