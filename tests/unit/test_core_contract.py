"""The demo contract: one missing-model error, a card hash as the version, lazy loaders."""

from __future__ import annotations

import inspect
import sys
import types

import pytest

from src.core import contract, demos
from src.core.contract import CARD_FILE, ModelArtifact, ModelMissingError, card_version, check_loader


def test_missing_model_error_names_the_demo_folder_and_command(tmp_path):
    exc = ModelMissingError("churn", tmp_path)
    assert isinstance(exc, FileNotFoundError)
    assert exc.demo == "churn" and exc.command == "python -m src.churn.train"
    assert str(tmp_path) in str(exc) and "`python -m src.churn.train`" in str(exc)


def test_card_version_is_a_short_hash_that_follows_the_card(tmp_path):
    assert card_version(tmp_path) == contract.NO_VERSION
    (tmp_path / CARD_FILE).write_text("---\na: 1\n---\n")
    first = card_version(tmp_path)
    assert len(first) == 12 and int(first, 16) >= 0
    (tmp_path / CARD_FILE).write_text("---\na: 2\n---\nlonger\n")
    assert card_version(tmp_path) != first


def test_artifact_requires_every_file_and_says_which_are_missing(tmp_path):
    art = ModelArtifact("toy", ("weights.bin",), "json:loads")
    with pytest.raises(ModelMissingError, match=r"missing: README.md, weights.bin"):
        art.require(tmp_path)
    (tmp_path / CARD_FILE).write_text("card")
    (tmp_path / "weights.bin").write_bytes(b"w")
    assert art.require(tmp_path) == tmp_path


def test_load_calls_the_named_loader_with_the_folder(tmp_path, monkeypatch):
    (tmp_path / CARD_FILE).write_text("card")
    toy = types.ModuleType("toy_predict")
    toy.load = lambda folder: ("loaded", folder)
    monkeypatch.setitem(sys.modules, "toy_predict", toy)
    art = ModelArtifact("toy", (), "toy_predict:load")
    assert art.load(tmp_path) == ("loaded", tmp_path)


def _folder_only(folder): ...
def _folder_and_options(folder, *, backend=None, threads=None): ...
def _named_path(path): ...
def _positional_option(folder, backend=None): ...


def test_a_loader_takes_the_folder_and_keyword_only_options():
    assert check_loader(_folder_only) is _folder_only
    assert check_loader(_folder_and_options) is _folder_and_options
    for wrong in (_named_path, _positional_option):
        with pytest.raises(TypeError, match="one positional parameter named 'folder'"):
            check_loader(wrong)


def test_every_model_demo_loads_with_one_signature():
    for art in contract.MODELS.values():
        params = list(inspect.signature(art.load_function()).parameters.values())
        assert params[0].name == "folder" and params[0].default == art.folder, art.loader
        assert all(p.kind is p.KEYWORD_ONLY for p in params[1:]), art.loader


def test_every_model_demo_fills_the_contract():
    for slug, art in contract.MODELS.items():
        assert demos.get(slug).train_command == art.command
        assert callable(art.load_function())  # the loader named in the registry exists


def test_committed_artifacts_are_complete():
    for art in contract.MODELS.values():
        assert art.missing() == [], f"{art.demo}: {art.missing()}"
        assert art.version() != contract.NO_VERSION


def test_unknown_names_list_the_known_ones():
    with pytest.raises(KeyError, match=r"Unknown demo 'nope'\. Known: eda, churn"):
        demos.get("nope")
    with pytest.raises(KeyError, match="Known: churn, vision, sentiment"):
        contract.get("eda")  # the EDA has no trained artifact


#: Settings the CPU decides at run time (bf16 where native), not the recipe.
MACHINE_SETTINGS = {"bf16", "precision", "threads"}


@pytest.mark.parametrize("demo", ["churn", "vision", "sentiment"])
def test_the_bare_train_command_reproduces_the_committed_model(demo):
    """``python -m src.<demo>.train`` with no options trains what the committed card records: every
    recipe setting the card's config holds equals the TrainConfig default (the CLI's single source)."""
    import dataclasses
    import importlib

    from src.core.cards import load_card

    card = load_card(demo)
    if card is None:
        pytest.skip(f"no committed {demo} model")
    defaults = importlib.import_module(f"src.{demo}.train").TrainConfig()
    differ = {}
    for field in dataclasses.fields(defaults):
        value = getattr(defaults, field.name)
        value = list(value) if isinstance(value, tuple) else value
        if field.name in card.config and field.name not in MACHINE_SETTINGS and card.config[field.name] != value:
            differ[field.name] = (value, card.config[field.name])
    assert not differ, f"default vs committed card: {differ}"
