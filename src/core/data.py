"""Fetch and verify the datasets.

    python -m src.core.data fetch            # every dataset
    python -m src.core.data fetch telco      # one dataset
    python -m src.core.data list             # what is cached, mirrored or missing
    python -m src.core.data ensure           # best effort, for `make run`: never fails
"""

from __future__ import annotations

from typing import Annotated

import typer

from src.core import datasets
from src.core.logs import setup_logging
from src.core.settings import MIRROR_ENV, mirror_dir

app = typer.Typer(help="Fetch, verify and list the portfolio's datasets.", no_args_is_help=True)


@app.callback()
def _configure(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    setup_logging(verbose)


@app.command()
def fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Datasets to fetch (default: all).")] = None,
) -> None:
    """Download (or copy from the mirror) and verify each dataset's sha256."""
    failed = False
    for name in names or list(datasets.REGISTRY):
        try:
            where = datasets.fetch(name)
            typer.secho(f"ok  {name}: {where}", fg=typer.colors.GREEN)
        except (datasets.DataMissingError, datasets.ChecksumError, KeyError) as exc:
            typer.secho(f"ERR {name}: {exc}", fg=typer.colors.RED, err=True)
            failed = True
    if failed:
        raise typer.Exit(code=1)


@app.command()
def ensure() -> None:
    """Best effort before serving: fetch and verify each missing dataset (mirror first, then online).

    Offline with no mirror it prints one line and exits 0, so ``make run`` serves anyway; the
    pages that need a dataset then say how to get it. After the first failed download it stops
    trying, so an offline start does not wait for one network timeout per dataset.
    """
    missing = [name for name in datasets.REGISTRY if not datasets.is_cached(name)]
    for i, name in enumerate(missing):
        try:
            datasets.fetch(name)
        except (datasets.DataMissingError, datasets.ChecksumError) as exc:
            rest = ", ".join(missing[i:])
            typer.secho(f"data: could not fetch {rest} ({type(exc).__name__}); serving anyway: pages that need "
                        f"them show how to get them (`make data`, or {MIRROR_ENV}).", fg=typer.colors.YELLOW,
                        err=True)
            return
    typer.echo(f"data: {len(datasets.REGISTRY)} dataset(s) cached and verified.")


@app.command("list")
def list_() -> None:
    """Show each dataset's state and source."""
    typer.echo(f"{MIRROR_ENV}={mirror_dir() or '(not set)'}")
    for name, ds in datasets.REGISTRY.items():
        state = "cached" if datasets.is_cached(name) else "mirror" if datasets.in_mirror(name) else "missing"
        typer.echo(f"{name:8} {state:8} {ds.title} <- {ds.source}")


if __name__ == "__main__":
    app()
