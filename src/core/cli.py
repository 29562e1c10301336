"""Typer commands whose options come from a ``TrainConfig`` dataclass, so each default lives once.

    @dataclass
    class TrainConfig:
        folds: int = option(5, "Outer CV folds (stratified).")

    @config_command(app, TrainConfig)
    def main(cfg: TrainConfig, out: Annotated[Path, typer.Option(help="...")] = ARTIFACT) -> None:
        ...

Every dataclass field becomes ``--field-name`` with the field's default and help text; the
command's own parameters after ``cfg`` keep their own options. ``--smoke`` (when the config has a
``smoke()`` preset) and ``--verbose`` are added, and logging is configured once
(:func:`src.core.logs.setup_logging`) before the command runs.

Why Typer and not tyro: every other command here (data, predict, evaluate) is Typer, so one CLI
library, one help style and one test runner (``typer.testing.CliRunner``) serve all of them;
tyro would add a dependency and a second dialect for the same ~50 lines.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from src.core.datasets import DataMissingError
from src.core.logs import setup_logging
from src.core.settings import model_dir

C = TypeVar("C")
R = TypeVar("R")


def option(default: Any, help: str, *, cli: bool = True) -> Any:
    """A dataclass field with its command-line help (``cli=False`` keeps it out of the CLI)."""
    return dataclasses.field(default=default, metadata={"help": help, "cli": cli})


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise TypeError(f"field {f.name} needs a default to become a command-line option")


def config_parameters(config_cls: type, exclude: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """One keyword-only Typer option per init field of the dataclass (except ``exclude`` and ``cli=False``)."""
    hints = typing.get_type_hints(config_cls)
    params = []
    for f in dataclasses.fields(config_cls):
        if not f.init or f.name in exclude or f.metadata.get("cli") is False:
            continue
        annotation = Annotated[hints[f.name], typer.Option(help=f.metadata.get("help", ""))]
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=_default(f),
                                        annotation=annotation))
    return params


def config_command(app: typer.Typer, config_cls: type[C], *, exclude: tuple[str, ...] = (),
                   name: str | None = None) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Register ``fn(cfg, **rest)`` on ``app`` with the dataclass fields as options; returns ``fn`` unchanged."""

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        fields = config_parameters(config_cls, exclude)
        names = {p.name for p in fields}
        extra: list[inspect.Parameter] = []
        has_smoke = callable(getattr(config_cls, "smoke", None)) and "smoke" not in names | {p.name for p in own}
        if has_smoke:
            extra.append(inspect.Parameter("smoke", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
                bool, typer.Option("--smoke", help="Tiny preset that runs the whole pipeline in seconds.")]))
        extra.append(inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--verbose", "-v", help="Debug logging.")]))

        @functools.wraps(fn)
        def command(**kwargs: Any) -> R:
            setup_logging(kwargs.pop("verbose"))
            cfg = config_cls(**{n: kwargs.pop(n) for n in names})
            if has_smoke and kwargs.pop("smoke"):
                cfg = cfg.smoke()  # type: ignore[attr-defined]
            return fn(cfg, **kwargs)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in (*fields, *own, *extra)]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        del command.__wrapped__  # Typer must read the new signature, not fn's
        app.command(name)(command)
        return fn

    return decorate


def fail(message: str) -> NoReturn:
    """One red line on stderr and exit code 2: what a CLI user sees instead of a traceback."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def read_input(path: Path) -> bytes:
    """The bytes of a file named on the command line, or :func:`fail` saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


def train_app(demo: str, config_cls: type[C], run: Callable[[C, Path], Any],
              summary: Callable[[Any], dict[str, Any]] | None = None) -> typer.Typer:
    """The contract's training entry point: ``python -m src.<demo>.train [--smoke] [--out DIR] [options]``.

    ``run(cfg, out)`` trains and returns the card it wrote into ``out`` (default ``models/<demo>/``).
    A missing dataset exits with code 2 and the command that fetches it; success prints one JSON
    line: the headline metric, the duration, the folder, and whatever ``summary(card)`` adds.
    """
    app = typer.Typer(add_completion=False)
    default_out = model_dir(demo)
    out_help = f"Artifact folder (default {default_out.parent.name}/{demo}; the retrain gate trains elsewhere)."

    def main(cfg: C, out: Path = default_out) -> None:
        try:
            card = run(cfg, out)
        except DataMissingError as exc:
            fail(str(exc))
        head = card.headline
        line = {**(summary(card) if summary else {}), head.name: head.formatted(),
                "seconds": round(card.duration_s, 1), "out": str(out)}
        typer.echo(json.dumps(line))

    module_doc = getattr(inspect.getmodule(run), "__doc__", None)  # None under python -OO
    main.__doc__ = (module_doc or f"Train the {demo} model.").strip().splitlines()[0]
    # Real objects, not strings: the help text is a local, which string annotations could not see.
    main.__annotations__ = {"cfg": config_cls, "out": Annotated[Path, typer.Option(help=out_help)], "return": None}
    config_command(app, config_cls)(main)
    return app
