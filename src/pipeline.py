"""Retrain behind a champion/challenger gate, and register the committed models.

    python -m src.pipeline retrain                   # churn, vision, sentiment: full training runs
    python -m src.pipeline retrain churn --smoke     # the smoke preset of one demo (seconds)
    python -m src.pipeline register                  # committed cards -> registry version 1 (idempotent)

Each challenger is trained by its own command (``python -m src.<demo>.train --out TMP``) into a temporary
folder beside ``models/<demo>/``, judged by :mod:`src.mlops.gate` on the card's headline metric and its
noise, and swapped in with two renames only when it is not worse. A killed retrain leaves the committed
folder as it was: the challenger lives under another name until the swap, and a swap interrupted between
its two renames is undone by the next run (:func:`recover`). A ``--smoke`` challenger is judged and
recorded but never replaces a committed model.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from src.core.cards import read_card, swap_into_place
from src.core.demos import MODELS
from src.core.logs import setup_logging
from src.core.settings import MODELS_DIR, ROOT
from src.mlops import gate

log = logging.getLogger(__name__)

#: Every demo with a trained artifact (its ``demo.toml`` has an ``[artifact]`` table).
RETRAINABLE = tuple(MODELS)
#: ``runner(demo, out_folder, smoke)`` trains a challenger into ``out_folder``; tests pass a fake one.
Runner = Callable[[str, Path, bool], None]


def train_command(demo: str, out: Path, smoke: bool) -> list[str]:
    """The demo's own training command, writing into ``out``."""
    return [sys.executable, "-m", f"src.{demo}.train", "--out", str(out), *(["--smoke"] if smoke else [])]


def run_training(demo: str, out: Path, smoke: bool) -> None:
    """Train a challenger with the demo's CLI (output streams to this terminal)."""
    subprocess.run(train_command(demo, out, smoke), cwd=ROOT, check=True)


def recover(target: Path) -> bool:
    """Undo a swap killed between its two renames: put the old folder back. True when something was restored."""
    if target.exists():
        return False
    old = sorted(target.parent.glob(f".{target.name}.old-*"))
    if not old:
        return False
    os.replace(old[-1], target)
    log.warning("restored %s from an interrupted promotion", target)
    return True


def promote(challenger: Path, target: Path) -> None:
    """Swap ``challenger`` in as ``target`` (two renames on one filesystem; the old folder is removed after)."""
    swap_into_place(challenger, target)


def retrain_one(demo: str, *, smoke: bool = False, models_dir: Path = MODELS_DIR, runner: Runner = run_training,
                record: bool = True) -> gate.Decision:
    """Train a challenger, judge it against the champion, promote it if not worse, record the decision."""
    target = models_dir / demo
    recover(target)
    champion = read_card(target)
    work = Path(tempfile.mkdtemp(prefix=f".{demo}.challenger-", dir=models_dir))
    try:
        candidate = work / demo
        runner(demo, candidate, smoke)
        challenger = read_card(candidate)
        if challenger is None:
            raise RuntimeError(f"the {demo} training command wrote no card into {candidate}")
        decision = gate.decide(champion, challenger)
        if smoke and decision.promote and models_dir == MODELS_DIR:
            judged = decision.reason.rsplit(": ", 1)[0]
            decision = gate.Decision(False, decision.champion, decision.challenger,
                                     f"{judged}: not worse, but a --smoke model never replaces a committed one, "
                                     "so the champion stays")
        if record:
            _record(demo, candidate, decision)
        if decision.promote:
            promote(candidate, target)
        return decision
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _record(demo: str, candidate: Path, decision: gate.Decision) -> None:
    try:
        from src.mlops.registry import record_decision

        version = record_decision(demo, candidate, decision)
        log.info("registered %s version %s (%s)", demo, version, decision.label)
    except Exception as exc:  # the registry is a record; a broken store must not block the swap decision
        log.warning("could not record the %s gate decision in the registry (%s: %s)", demo, type(exc).__name__, exc)


app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0] if __doc__ else None)


@app.command()
def retrain(
    demos: Annotated[list[str] | None, typer.Argument(help=f"Demos to retrain (default: {', '.join(RETRAINABLE)}).")]
    = None,
    smoke: Annotated[bool, typer.Option(help="Each demo's smoke preset; judged and recorded, never promoted.")] = False,
) -> None:
    """Retrain, judge each challenger against the champion, promote only when not worse, and print why."""
    setup_logging()
    # A SIGTERM (timeout, CI cancel) unwinds like Ctrl-C, so the challenger's folder is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = False
    for demo in demos or list(RETRAINABLE):
        if demo not in RETRAINABLE:
            typer.secho(f"{demo}: not retrainable (choose from {', '.join(RETRAINABLE)})", fg="red", err=True)
            failed = True
            continue
        try:
            decision = retrain_one(demo, smoke=smoke)
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            typer.secho(f"{demo}: training failed, the committed model is untouched ({exc})", fg="red", err=True)
            failed = True
            continue
        typer.echo(f"{demo}: {decision.label.upper()} -- {decision.reason}")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def register() -> None:
    """Register every committed card the registry does not hold yet (version 1, alias champion)."""
    from src.mlops.registry import register_committed

    setup_logging()
    added = register_committed()
    typer.echo(f"registered: {', '.join(added) or 'nothing new'}")


if __name__ == "__main__":
    app()
