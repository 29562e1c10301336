"""Every ``python -m src.<demo>.predict|evaluate|train``: ``--help`` works and bad arguments get a clear line.

The modules run in this process through :mod:`runpy` exactly as ``python -m`` runs them (so torch is
imported once, not per case). Only arguments the parser rejects are used here: nothing may start a
training run. Discovery is by file, so a new demo's CLIs are covered without editing this test.
"""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

import pytest
import typer

from src.core.settings import ROOT
from tests.badinput.checks import assert_clear

# runpy warns that the module was already imported (by the discovery below); that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")

CLIS = sorted(f"src.{p.parent.name}.{p.stem}" for kind in ("predict", "evaluate", "train")
              for p in (ROOT / "src").glob(f"*/{kind}.py"))


def _run(module: str, args: list[str], capsys) -> tuple[int, str]:
    """``python -m module args`` in-process: (exit code, stdout + stderr). Any other exception fails the test."""
    saved = sys.argv
    sys.argv = [module, *args]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    return code, out.out + out.err


def _command(module: str):
    app = getattr(importlib.import_module(module), "app", None)
    return typer.main.get_command(app) if isinstance(app, typer.Typer) else None


def test_every_demo_has_its_clis():
    demos = {m.split(".")[1] for m in CLIS}
    assert {"churn", "sentiment", "vision"} <= demos and len(CLIS) >= 8, CLIS


#: Cases still failing because their owner has not fixed them yet; the lead decides (strict: a fix turns them red).
NOT_FIXED: dict[str, str] = {}


@pytest.mark.parametrize("module", [
    pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=NOT_FIXED[m])) if m in NOT_FIXED else m for m in CLIS])
def test_help_describes_the_command(module, capsys):
    code, text = _run(module, ["--help"], capsys)
    assert code == 0 and "usage" in text.lower(), f"exit {code}: {text[:400]}"
    assert_clear(text)


@pytest.mark.parametrize("module", CLIS)
def test_an_unknown_option_is_refused_clearly(module, capsys):
    code, text = _run(module, ["--no-such-option-xyz"], capsys)
    assert code != 0, f"an unknown option was accepted: {text[:300]}"
    assert_clear(text, "no-such-option-xyz")


def _numeric_options(module: str) -> list[tuple[str, str]]:
    command = _command(module)
    if command is None:
        return []
    return [(module, p.opts[0]) for p in command.params
            if p.param_type_name == "option" and _annotation(p) in (int, float, int | None, float | None)]


def _annotation(param) -> object:
    """The Python type Typer built the option from (Typer 0.29 keeps it on ``type_descriptor``)."""
    return getattr(getattr(param, "type_descriptor", None), "annotation", None)


@pytest.mark.parametrize(("module", "option"), [o for m in CLIS for o in _numeric_options(m)])
def test_a_word_for_a_number_is_refused_before_anything_runs(module, option, capsys):
    code, text = _run(module, [option, "twelve"], capsys)
    assert code == 2, f"{option} twelve: exit {code}: {text[:300]}"
    assert_clear(text, "invalid value")


@pytest.mark.parametrize("module", [m for m in CLIS if (c := _command(m)) and any(p.required for p in c.params)])
def test_a_missing_required_option_is_named(module, capsys):
    code, text = _run(module, [], capsys)
    required = [(p.opts or [p.name])[0] for p in _command(module).params if p.required]
    assert code == 2 and any(r.lower().lstrip("-") in text.lower() for r in required), text[:300]
    assert_clear(text)


def test_cli_list_is_the_files_on_disk():
    assert all((ROOT / Path(*m.split("."))).with_suffix(".py").is_file() for m in CLIS)
