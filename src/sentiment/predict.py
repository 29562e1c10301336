"""Score text with the committed models: the served blend and its parts (MiniLM, TF-IDF), plus VADER.

    python -m src.sentiment.predict "not bad at all"
    echo "the soup was cold" | python -m src.sentiment.predict
    python -m src.sentiment.predict --csv reviews.csv --column text > scored.csv

For other code (the RAG chat's router calls this as a tool)::

    from src.sentiment.predict import predict_text
    predict_text("The staff were lovely.")  # {"label": "positive", "confidence": 0.97, "model": ...}

The served label is the blend's (:mod:`src.sentiment.blend`): a logistic regression over the
transformer's and the TF-IDF model's log-odds, fitted on held-out train sentences.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer

from src.core import contract
from src.core.calibration import probabilities as probability
from src.core.cli import fail
from src.core.contract import ModelMissingError
from src.core.logs import setup_logging
from src.core.safe_csv import to_csv_bytes
from src.core.settings import model_dir
from src.sentiment import baselines
from src.sentiment.backend import choose_backend
from src.sentiment.blend import Blend
from src.sentiment.data import LABELS
from src.sentiment.files import read_upload, score_frame
from src.sentiment.spelling import SPELLING_KEY, Correction, Speller
from src.sentiment.text import CheckedText, InputError, check_text, chunk_text, combine

if TYPE_CHECKING:  # torch and transformers load with the model, not with this module (pages import it first)
    from sklearn.pipeline import Pipeline

    from src.sentiment.model import TransformerScorer

log = logging.getLogger(__name__)

CONFIG_FILE, LINEAR_FILE = contract.CONFIG_FILE, contract.LINEAR_FILE
#: The committed artifact folder, :meth:`Predictor.from_artifact`'s default.
ARTIFACT = model_dir("sentiment")
#: The fine-tuned transformer's weight shards (the folder name dates from the LoRA adapter).
ADAPTER_DIR = contract.ADAPTER_DIR
#: Display order and names of the models: the served blend first, then its two parts and VADER.
MODELS: tuple[str, ...] = ("blend", "transformer", "linear", "vader")
#: The model whose label the app serves (its parts are shown beside it).
SERVED = "blend"
MODEL_TITLES = {"blend": "Served blend: MiniLM + TF-IDF", "transformer": "MiniLM, fine-tuned",
                "linear": "TF-IDF + logistic regression", "vader": "VADER lexicon"}
#: What the served model is called when the artifact has no fitted blend (it is then the calibrated transformer).
UNBLENDED_TITLE = "Served: MiniLM alone (no blend in this model)"


def model_title(name: str, config: dict) -> str:
    """:data:`MODEL_TITLES` of ``name``, except that the served model of an artifact without a blend is not
    called a blend."""
    return UNBLENDED_TITLE if name == SERVED and Blend.from_config(config) is None else MODEL_TITLES[name]


#: Columns of :meth:`Predictor.predict_many`, whatever the rows hold (so no caller meets a KeyError).
BATCH_COLUMNS = [*(f"{m}_{k}" for m in MODELS for k in ("label", "confidence")), "chunks", "notes", "error"]
#: Token budget per chunk, leaving room for [CLS] and [SEP].
CHUNK_TOKENS = 120


def label_of(p_pos: float) -> tuple[str, float]:
    """(label, confidence in that label) from P(positive)."""
    return (LABELS[1], float(p_pos)) if p_pos >= 0.5 else (LABELS[0], float(1.0 - p_pos))


@dataclass
class ModelScore:
    """One model's verdict on a text."""

    label: str
    confidence: float
    p_positive: float


@dataclass
class Analysis:
    """Every model on one text, with the chunks it was split into."""

    text: str
    scores: dict[str, ModelScore]
    chunks: list[dict[str, object]]
    notes: list[str] = field(default_factory=list)

    @property
    def chunked(self) -> bool:
        """True when the text was longer than one chunk."""
        return len(self.chunks) > 1

    @property
    def disagree(self) -> bool:
        """True when the models do not all give the same label."""
        return len({s.label for s in self.scores.values()}) > 1


@dataclass
class Predictor:
    """The models plus their calibration and blend, loaded from one artifact folder."""

    transformer: TransformerScorer
    linear: Pipeline
    vader: baselines.Vader
    config: dict

    def __post_init__(self) -> None:
        # Streamlit shares one Predictor across sessions; torch modules are not re-entrant.
        self.lock = threading.Lock()
        self._speller: Speller | None = None

    @property
    def speller(self) -> Speller | None:
        """The spelling corrector every model reads through (:mod:`src.sentiment.spelling`), when the artifact's
        config turns it on (artifacts from before it have none). Built on first use (~0.5 s), knowing the
        transformer's and the TF-IDF model's own vocabularies besides its word list."""
        if not self.config.get(SPELLING_KEY):
            return None
        if self._speller is None:
            self._speller = Speller([*(w for w in self.transformer.tokenizer.get_vocab() if w.isalpha()),
                                     *baselines.linear_words(self.linear)])
        return self._speller

    def read(self, texts: Sequence[str]) -> list[str]:
        """The texts as the models read them: spelling corrected when the artifact says so."""
        return self.speller.correct_many(texts)[0] if self.speller is not None else list(texts)

    @classmethod
    def from_artifact(cls, folder: Path = ARTIFACT, *, backend: str | None = None) -> Predictor:
        """Load everything from ``folder`` (``models/sentiment/``); the base model comes from its package.

        ``backend`` (one of :data:`~src.sentiment.backend.BACKENDS`) defaults to
        :func:`~src.sentiment.backend.choose_backend`.
        """
        from src.sentiment.model import TransformerScorer, load_classifier, load_tokenizer

        folder = Path(folder)
        if not (folder / CONFIG_FILE).is_file():
            raise ModelMissingError("sentiment", folder)
        config = json.loads((folder / CONFIG_FILE).read_text())
        scorer = TransformerScorer(load_classifier(folder / ADAPTER_DIR), load_tokenizer(), config["max_length"],
                                   backend or choose_backend(folder), weights_dir=folder / ADAPTER_DIR)
        vader = baselines.Vader(**config["calibration"].get("vader", {}))
        return cls(scorer, baselines.load_linear(folder / LINEAR_FILE), vader, config)

    @property
    def blend(self) -> Blend:
        """The served blend from the config; before training fits one (or in an artifact without one) it is
        the temperature-calibrated transformer alone, so the served label never comes from nowhere."""
        fitted = Blend.from_config(self.config)
        return fitted if fitted is not None else Blend(1.0 / self.temperature("transformer"), 0.0, 0.0)

    def temperature(self, name: str) -> float:
        """The fitted temperature of the transformer or the linear model (VADER's scaling is in its logits,
        the blend's in its weights: 1)."""
        return float(self.config["calibration"].get(name, {}).get("temperature", 1.0))

    def raw_logits(self, texts: Sequence[str], *, as_read: bool = False) -> dict[str, np.ndarray]:
        """Uncalibrated log-odds of positive, per model, of the texts as read (:meth:`read`, skipped when
        ``as_read`` says the caller already did; texts over max_length are truncated: use analyse)."""
        texts = list(texts) if as_read else self.read(texts)
        transformer, linear = self.part_logits(texts)
        return {
            "blend": self.blend.logits(transformer, linear),
            "transformer": transformer,
            "linear": linear,
            "vader": self.vader.logits(texts),
        }

    def part_logits(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The served blend's two inputs for texts already :meth:`read`: the transformer's log-odds (those near
        the blend's boundary re-scored exactly on an approximate backend, :func:`recheck`) and TF-IDF's."""
        with self.lock:
            transformer = self.transformer.logits(texts)
        linear = baselines.linear_logits(self.linear, texts)
        with self.lock:
            transformer = recheck(self.transformer, self.blend, texts, transformer, linear)
        return transformer, linear

    def served_logits(self, texts: Sequence[str]) -> np.ndarray:
        """Only what the served label needs (the blend's log-odds; no VADER): what ``make bench`` times."""
        return self.blend.logits(*self.part_logits(self.read(texts)))

    def probabilities(self, texts: Sequence[str], *, as_read: bool = False) -> dict[str, np.ndarray]:
        """Calibrated P(positive), per model (``as_read``: as in :meth:`raw_logits`)."""
        return {name: probability(z, self.temperature(name))
                for name, z in self.raw_logits(texts, as_read=as_read).items()}

    def chunks(self, text: str) -> list[str]:
        """The text split on sentences into chunks that fit the transformer (one chunk when it fits)."""
        if self.transformer.token_count(text) <= CHUNK_TOKENS:
            return [text]
        return chunk_text(text, self.transformer.token_count, CHUNK_TOKENS)

    def analyse(self, text: str) -> Analysis:
        """Check, chunk and score one text with every model (raises InputError for unusable text)."""
        checked = check_text(text)
        if self.speller is not None:  # the analysis (chunks, attributions, n-grams) is of the text as read
            read, fixes = self.speller.correct(checked.text)
            if fixes:
                checked = CheckedText(read, [*checked.notes, spelling_note(fixes)])
        pieces = self.chunks(checked.text)
        probs = self.probabilities(pieces, as_read=True)  # corrected above: one spelling pass, not two
        sizes = [self.transformer.token_count(p) for p in pieces]
        scores = {}
        for name in MODELS:
            p = combine(probs[name].tolist(), sizes) if len(pieces) > 1 else float(probs[name][0])
            scores[name] = ModelScore(*label_of(p), p_positive=p)
        chunks = [{"chunk": i + 1, "text": piece, "tokens": sizes[i]}
                  | {MODEL_TITLES[n]: float(probs[n][i]) for n in MODELS} for i, piece in enumerate(pieces)]
        notes = list(checked.notes) + unknown_notes(*self.transformer.token_stats([checked.text]))
        if len(pieces) > 1:
            notes.append(f"The text has {sum(sizes)} tokens, more than the model's {CHUNK_TOKENS}-token window: it "
                         f"was split on sentences into {len(pieces)} chunks, each scored, then combined weighting "
                         "each chunk by its length and confidence. Nothing was truncated.")
        return Analysis(checked.text, scores, chunks, notes)

    def predict_many(self, texts: Sequence[object]) -> pd.DataFrame:
        """Batch scoring for files: one row per text, in order, with every model's label and confidence,
        or the reason it could not be scored in ``error`` (rows in = rows scored + rows with an error)."""
        rows: list[dict[str, object]] = [{} for _ in texts]
        checked: dict[int, CheckedText] = {}
        for i, raw in enumerate(texts):
            try:
                checked[i] = check_text(raw)
            except InputError as exc:
                rows[i] = {"error": str(exc)}
        good = list(checked)
        counts, unknown = self.transformer.token_stats([checked[i].text for i in good])
        short = [i for i, n in zip(good, counts, strict=True) if n <= CHUNK_TOKENS]
        probs = self.probabilities([checked[i].text for i in short]) if short else {}  # batched by length
        for j, i in enumerate(short):
            rows[i] = _row({n: float(probs[n][j]) for n in MODELS}, chunks=1)
        for i in sorted(set(good) - set(short)):
            analysis = self.analyse(checked[i].text)
            rows[i] = _row({n: s.p_positive for n, s in analysis.scores.items()}, chunks=len(analysis.chunks))
        for k, i in enumerate(good):
            rows[i]["notes"] = " ".join(checked[i].notes + unknown_notes([counts[k]], [unknown[k]]))
        return pd.DataFrame(rows, columns=BATCH_COLUMNS).fillna({"error": "", "notes": ""})


def recheck(scorer: TransformerScorer, blend: Blend, texts: Sequence[str], z_transformer: np.ndarray,
            z_linear: np.ndarray) -> np.ndarray:
    """The transformer's log-odds with every text whose blend log-odds fall within
    :data:`~src.sentiment.onnx_backend.RECHECK_MARGIN` of the boundary re-scored exactly, when the backend is
    approximate (ONNX int8); otherwise ``z_transformer`` unchanged."""
    if not scorer.approximate or not len(texts):
        return z_transformer
    from src.sentiment.onnx_backend import RECHECK_MARGIN

    near = np.flatnonzero(np.abs(blend.logits(z_transformer, z_linear)) < RECHECK_MARGIN)
    out = np.array(z_transformer, dtype=np.float32, copy=True)
    if near.size:
        out[near] = scorer.logits([texts[i] for i in near], exact=True)
    return out


def spelling_note(fixes: Sequence[Correction]) -> str:
    """What the spelling correction changed, for the page."""
    pairs = ", ".join(f"'{f.typed}' as '{f.read}'" for f in fixes[:8])
    more = f" and {len(fixes) - 8} more" if len(fixes) > 8 else ""
    return (f"Spelling: every model read {pairs}{more} (an unknown word one typo away from a common word, a letter "
            "added, dropped, changed or two swapped, is read as that word; scores and explanations are of the text "
            "as read).")


def unknown_notes(counts: Sequence[int], unknown: Sequence[int]) -> list[str]:
    """A note when most of a text's tokens are [UNK] (e.g. one 'word' of thousands of letters)."""
    n, unk = int(sum(counts)), int(sum(unknown))
    if n == 0 or unk / n < 0.5:
        return []
    return [f"{unk} of this text's {n} tokens are unknown to the model's vocabulary (for example a 'word' of "
            "over 100 characters, which is read as one unknown token), so its label is close to a guess."]


def _row(p_by_model: dict[str, float], chunks: int) -> dict[str, object]:
    row: dict[str, object] = {}
    for name in MODELS:
        label, conf = label_of(p_by_model[name])
        row[f"{name}_label"], row[f"{name}_confidence"] = label, round(conf, 4)
    row["chunks"], row["error"] = chunks, ""
    return row


@lru_cache(maxsize=1)
def default_predictor() -> Predictor:
    """The committed models, loaded once per process."""
    return Predictor.from_artifact()


def predict_text(text: str) -> dict[str, object]:
    """Sentiment of one English text by the served blend (long texts are chunked, not truncated).

    Returns ``{"label": "positive"|"negative", "confidence": float, "model": str, "chunks": int,
    "notes": [...], "others": {model: {"label", "confidence"}}}``. Raises
    :class:`~src.sentiment.text.InputError` (a ``ValueError``) with a readable message for empty,
    over-long, emoji-only or non-English text.
    """
    analysis = default_predictor().analyse(text)
    best = analysis.scores[SERVED]
    return {
        "label": best.label,
        "confidence": round(best.confidence, 4),
        "model": ("a logistic blend of all-MiniLM-L6-v2 fine-tuned on SST-2 and a TF-IDF logistic regression "
                  "(blend fitted on held-out SST-2 train sentences)"
                  if Blend.from_config(default_predictor().config) is not None
                  else "all-MiniLM-L6-v2 fine-tuned on SST-2 (calibrated; this model has no blend)"),
        "chunks": len(analysis.chunks),
        "notes": analysis.notes,
        "others": {MODEL_TITLES[n]: {"label": s.label, "confidence": round(s.confidence, 4)}
                   for n, s in analysis.scores.items() if n != SERVED},
    }


app = typer.Typer(add_completion=False)


#: The CLI scores whole files; the app's upload cap is for shared servers.
CLI_MAX_BYTES = 200_000_000


def _score_csv(path: Path, column: str) -> None:
    """Write ``path`` with every model's verdict as CSV to stdout, formula-neutralised."""
    try:
        frame = read_upload(path.name, path.read_bytes(), max_bytes=CLI_MAX_BYTES)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        fail(f"Cannot read {path}: {exc.strerror or exc}.")
    except InputError as exc:
        fail(f"{path}: {exc}")
    if column not in frame.columns:
        fail(f"{path} has no column {column!r}; its columns are {list(map(str, frame.columns))}. "
             "Choose one with --column.")
    scored = score_frame(default_predictor(), frame, column, ngrams=0).drop(columns=[column])
    out = pd.concat([frame, scored], axis=1).reset_index()
    sys.stdout.buffer.write(to_csv_bytes(out))
    log.info("%s: %d rows in, %d scored, %d with an error", path, len(out), int((out["error"] == "").sum()),
             int((out["error"] != "").sum()))


@app.command()
def main(
    text: Annotated[str | None, typer.Argument(help="Text to score; omitted: read stdin (one text per line).")] = None,
    csv: Annotated[Path | None, typer.Option(help="A CSV (or TXT) file to score; writes CSV with labels and the "
                                                  "file's line numbers to stdout.")] = None,
    column: Annotated[str, typer.Option(help="The CSV column holding the text.")] = "text",
) -> None:
    """Print JSON for one text or for each stdin line, or a scored CSV for --csv."""
    setup_logging()
    try:
        if csv is not None:
            _score_csv(csv, column)
            return
        texts = [text] if text is not None else sys.stdin.read().splitlines()
        for item in texts:  # every line gets an answer, blank ones an error, so none is lost
            try:
                typer.echo(json.dumps(predict_text(item)))
            except InputError as exc:
                typer.echo(json.dumps({"error": str(exc), "text": item[:80]}))
    except ModelMissingError as exc:
        fail(str(exc))


if __name__ == "__main__":
    app()
