"""Typer options built from a TrainConfig dataclass: defaults and help live once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from typer.testing import CliRunner

from src.core.cli import config_command, option
from src.core.tables import markdown_table, records_table


@dataclass
class ToyConfig:
    folds: int = option(5, "Outer CV folds.")
    rate: float = option(0.1, "Learning rate.")
    name: str = option("base", "A name.")
    fast: bool = option(False, "Go fast.")
    hidden: int = option(7, "Not on the command line.", cli=False)

    def smoke(self) -> ToyConfig:
        return replace(self, folds=2)


def _app(seen: list) -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @config_command(app, ToyConfig)
    def main(cfg: ToyConfig, out: Annotated[Path, typer.Option(help="Where.")] = Path("x")) -> None:
        """Toy command."""
        seen.append((cfg, out))

    return app


def test_defaults_come_from_the_dataclass():
    seen: list = []
    result = CliRunner().invoke(_app(seen), [])
    assert result.exit_code == 0, result.output
    assert seen == [(ToyConfig(), Path("x"))]


def test_options_set_fields_and_extra_parameters_pass_through():
    seen: list = []
    result = CliRunner().invoke(_app(seen), ["--folds", "3", "--rate", "0.5", "--name", "n", "--fast", "--out", "y"])
    assert result.exit_code == 0, result.output
    cfg, out = seen[0]
    assert (cfg.folds, cfg.rate, cfg.name, cfg.fast, cfg.hidden, out) == (3, 0.5, "n", True, 7, Path("y"))


def test_smoke_preset_and_help_text():
    seen: list = []
    assert CliRunner().invoke(_app(seen), ["--smoke"]).exit_code == 0
    assert seen[0][0].folds == 2
    help_text = CliRunner().invoke(_app([]), ["--help"]).output
    assert "Outer CV folds." in help_text and "--verbose" in help_text and "--hidden" not in help_text


def test_the_command_configures_logging_once():
    CliRunner().invoke(_app([]), ["--verbose"])
    assert logging.getLogger().level == logging.DEBUG
    CliRunner().invoke(_app([]), [])
    assert logging.getLogger().level == logging.INFO and len(logging.getLogger().handlers) == 1


def test_markdown_table_formats_floats_and_escapes_pipes():
    table = markdown_table(["a", "b"], [[0.12345, "x|y"], [1, "z"]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 0.123 | x\\|y |", "| 1 | z |"]
    assert records_table([{"m": "lr", "auc": 0.8, "std": 0.01}], columns=["m", "auc"],
                         formats={"auc": lambda r: f"{r['auc']:.2f} ± {r['std']:.2f}"}).endswith("| lr | 0.80 ± 0.01 |")


def test_train_app_writes_to_out_and_prints_the_headline(tmp_path):
    from src.core.cards import Card, Metric
    from src.core.cli import train_app

    def run(cfg: ToyConfig, out: Path) -> Card:
        out.mkdir()
        return Card(demo="toy", title="t", summary="s", metrics=[Metric("acc", 0.5 + cfg.folds / 100)], data=[],
                    config={}, command="c", duration_s=1.0)

    result = CliRunner().invoke(train_app("toy", ToyConfig, run, lambda card: {"demo": card.demo}),
                                ["--smoke", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m").is_dir() and '"acc": "0.520"' in result.stdout and '"demo": "toy"' in result.stdout
