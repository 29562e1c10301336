"""What the sentiment page shows before a visitor types anything, computed at training time into ``showcase.json``.

The page opens on two hand-written example texts and on the behaviour suite. Scoring them needs
the transformer, and importing torch and loading the model take seconds on a cold server, so
training stores what every model (the served blend too) says about them and the page reads it; anything a visitor
types is scored live. Stored, for each inference backend (bf16, int8, fp32, ONNX: they differ in the
last digits): the analysis of both examples and the behaviour-suite results; once (attributions
always run on the float32 model): the integrated-gradients attributions of the short example
toward each class and the linear model's top n-grams in it. No SST-2 text is stored.

A ``fingerprint`` of the weight files ties the file to the model it was computed with; the page
ignores a file whose fingerprint does not match and scores live instead.

    python -m src.sentiment.showcase             # (re)write it for the committed model
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from src.core import contract
from src.core.keyed_cache import files_digest
from src.core.settings import model_dir
from src.sentiment.backend import BACKENDS, ONNX_BACKENDS

if TYPE_CHECKING:
    from src.sentiment.explain import Attribution
    from src.sentiment.predict import Analysis

log = logging.getLogger(__name__)

SHOWCASE_FILE = "showcase.json"
#: The page's default texts (hand-written for this project).
EXAMPLE = "The acting was great, but the plot was a mess and the ending made no sense."
LONG_EXAMPLE = (
    "We booked this hotel for a long weekend after reading mixed reviews online, and I want to give a fair "
    "account of both sides.\n\nThe location is excellent. You can walk to the old town in ten minutes, the "
    "tram stops right outside, and there are several good bakeries on the same street. Check-in was quick "
    "and the receptionist spoke three languages. Our room was spotless, the bed was comfortable and the "
    "shower had strong, hot water every single morning.\n\nBreakfast, on the other hand, was disappointing. "
    "The coffee was weak, the eggs were cold on two of our three mornings, and the buffet was not refilled "
    "after nine o'clock. The bar downstairs closes early and the music from the club next door kept us awake "
    "on Saturday night until well after two.\n\nOverall I would still recommend it for the price and the "
    "location, and the staff were genuinely kind, but bring earplugs and eat breakfast somewhere else."
)
#: n-grams kept for the linear model's panel (what the page shows).
TOP_NGRAMS = 10


def fingerprint(folder: Path) -> str:
    """Short sha256 over the artifact's config and weight files (what the stored numbers depend on)."""
    return files_digest([folder / contract.CONFIG_FILE, folder / contract.LINEAR_FILE,
                         *sorted((folder / contract.ADAPTER_DIR).glob("*"))])


def compute(folder: Path) -> dict[str, Any]:
    """Every stored figure, from the artifact in ``folder`` (loads the model once per backend)."""
    from src.sentiment import behaviour, explain
    from src.sentiment.data import LABELS
    from src.sentiment.predict import Predictor

    out: dict[str, Any] = {"fingerprint": fingerprint(folder), "backends": {}}
    from src.sentiment.onnx_backend import available

    for backend in BACKENDS:
        if backend in ONNX_BACKENDS and not available():
            continue
        predictor = Predictor.from_artifact(folder, backend=backend)
        results = behaviour.run(predictor.probabilities)
        out["backends"][backend] = {
            "analyses": [asdict(predictor.analyse(text)) for text in (EXAMPLE, LONG_EXAMPLE)],
            "behaviour": json.loads(results.to_json(orient="records")),
        }
    checked = predictor.analyse(EXAMPLE)  # the last one loaded; attributions use its float32 model
    pieces = [str(c["text"]) for c in checked.chunks]
    out["attributions"] = [asdict(explain.explain_transformer(predictor, piece, target))
                           for piece in pieces for target in LABELS]
    out["ngrams"] = {checked.text: explain.explain_linear(predictor, checked.text, TOP_NGRAMS)}
    return out


def write(folder: Path) -> Path:
    """Compute and write ``showcase.json`` into the artifact ``folder``; returns its path."""
    path = folder / SHOWCASE_FILE
    path.write_text(json.dumps(compute(folder), indent=1) + "\n", encoding="utf-8")
    log.info("wrote %s", path)
    return path


def try_write(folder: Path) -> Path | None:
    """:func:`write` for the end of a training run: a failure is logged, not raised, so it never costs the run.

    Without the file the page scores its examples live (slower on a cold server, same numbers).
    """
    try:
        return write(folder)
    except Exception:
        log.exception("%s not written; run python -m src.sentiment.showcase --folder %s", SHOWCASE_FILE, folder)
        return None


def load(folder: Path) -> dict[str, Any] | None:
    """The stored figures, or None when the file is missing, unreadable or from other weights."""
    try:
        stored = json.loads((folder / SHOWCASE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("fingerprint") != fingerprint(folder):
        log.warning("%s was computed for other weights; the page scores its examples live", SHOWCASE_FILE)
        return None
    return stored


def analysis(stored: dict[str, Any] | None, backend: str, text: str) -> Analysis | None:
    """The stored analysis of ``text`` with ``backend``, or None when it was not stored."""
    from src.sentiment.predict import Analysis, ModelScore

    for row in (stored or {}).get("backends", {}).get(backend, {}).get("analyses", []):
        if row["text"] == text:
            scores = {name: ModelScore(**score) for name, score in row["scores"].items()}
            return Analysis(row["text"], scores, row["chunks"], row["notes"])
    return None


def attribution(stored: dict[str, Any] | None, text: str, target: str) -> Attribution | None:
    """The stored attributions of ``text`` toward ``target``, or None."""
    from src.sentiment.explain import Attribution

    for row in (stored or {}).get("attributions", []):
        if row["text"] == text and row["target"] == target:
            return Attribution(row["text"], row["target"], [tuple(s) for s in row["spans"]], row["margin_gap"],
                               row["delta"])
    return None


def main(folder: Annotated[Path | None, typer.Option(help="Artifact folder (default models/sentiment).")] = None,
         ) -> None:
    """(Re)write showcase.json for the model in FOLDER (after training, or for a committed model)."""
    from src.core.logs import setup_logging

    setup_logging()
    typer.echo(str(write(folder or model_dir("sentiment"))))


if __name__ == "__main__":
    typer.run(main)
