"""Check each piece of the airbench94 recipe on a short run: train with it switched off and compare.

    python -m src.vision.ablation --epochs 5 --limit 25000     # ~20 min on 2 cores with bf16
    python -m src.vision.ablation ... --card models/vision     # also add the table to the model card

Every run uses the same split, seed and budget as the full recipe, so the differences are the pieces'
(up to seed noise, a few tenths of a point at this size). Jordan (2024) measures each piece as the
epochs it saves to reach 94%; on a short run the same pieces show up as accuracy at a fixed budget.
The TTA rows need no training: they are the full run scored at each test-time augmentation level.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from src.core import cards
from src.core.logs import setup_logging
from src.core.tables import markdown_table
from src.vision.report import SECTIONS, TTA_NAMES
from src.vision.train import TrainConfig, train

log = logging.getLogger(__name__)

#: (row name, what airbench does, the override that switches it off).
VARIANTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("full recipe", "all pieces on", {}),
    ("no patch whitening", "frozen PCA-whitening first layer", {"whiten": False}),
    ("no dirac init", "partial identity init of the convs", {"dirac": False}),
    ("BN with learned scale", "BatchNorm without a learned scale", {"bn_scale": True}),
    ("no label smoothing", "label smoothing 0.2", {"label_smoothing": 0.0}),
    ("BN bias lr x1", "BatchNorm biases at 64x the learning rate", {"bias_scaler": 1.0}),
    ("no Lookahead/EMA", "Lookahead average of the weights", {"lookahead": False}),
    ("random flip", "alternating (derandomised) flip", {"flip": "random"}),
)


def run(base: TrainConfig, out_root: Path) -> list[dict[str, Any]]:
    """Train every variant (artifacts under ``out_root``) and return one row each."""
    rows = []
    for name, piece, override in VARIANTS:
        cfg = dataclasses.replace(base, insights=False, fp32_probe=False, export_onnx=False, **override)
        log.info("ablation: %s", name)
        card = train(cfg, out_root / name.replace(" ", "-").replace("/", "-"), progress=False)
        boot = card.extra["bootstrap"][card.headline.name]
        rows.append({"variant": name, "piece": piece, "accuracy": card.headline.value,
                     "ci95": [boot["low"], boot["high"]], "by_tta": card.extra["accuracy_by_tta"],
                     "minutes": card.extra["training_time_s"] / 60})
    return rows


def table(rows: list[dict[str, Any]], base: TrainConfig) -> str:
    """Markdown: each variant's validation accuracy (mirror + translate TTA) and its gap to the full recipe."""
    full = rows[0]["accuracy"]
    body = [(r["variant"], r["piece"], f"{r['accuracy']:.2%}", f"{(r['accuracy'] - full) * 100:+.2f}",
             f"{r['minutes']:.1f}") for r in rows]
    for level, label in TTA_NAMES.items():
        acc = rows[0]["by_tta"].get(label)
        if acc is not None and level != base.tta_level:
            body.append((f"full recipe, {label}", "multi-crop TTA", f"{acc:.2%}", f"{(acc - full) * 100:+.2f}", "0"))
    head = ("variant", "airbench piece switched off", "validation accuracy", "points vs full", "train min")
    return (f"Short runs: {base.epochs:g} epochs on {base.limit - base.val_size:,} training images, the same "
            f"{base.val_size:,} validation images and seed for every row.\n\n" + markdown_table(head, body))


def add_to_card(folder: Path, rows: list[dict[str, Any]], text: str) -> None:
    """Put the ablation into an existing model card (a section and ``extra["ablation"]``)."""
    card = cards.read_card(folder)
    if card is None:
        raise typer.BadParameter(f"no model card in {folder}")
    card.sections = {**SECTIONS, "Ablation (short runs)": text}
    card.extra["ablation"] = rows
    cards.write_card(card, folder)


def main(
    epochs: Annotated[float, typer.Option(help="Epochs of every short run.")] = 5.0,
    limit: Annotated[int, typer.Option(help="Images used (training + validation).")] = 25000,
    val_size: Annotated[int, typer.Option(help="Validation images of every run.")] = 5000,
    out: Annotated[Path, typer.Option(help="Folder for the variants' artifacts and ablation.json.")] = Path(
        "/tmp/vision-ablation"),
    card: Annotated[Path | None, typer.Option(help="Also write the table into this artifact's card.")] = None,
) -> None:
    """Train the full recipe and each variant for a short run; print the table as markdown."""
    setup_logging()
    base = TrainConfig(epochs=epochs, limit=limit, val_size=val_size)
    rows = run(base, out)
    text = table(rows, base)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps({"rows": rows, "table": text}, indent=2))
    if card is not None:
        add_to_card(card, rows, text)
    typer.echo(text)


if __name__ == "__main__":
    typer.run(main)
