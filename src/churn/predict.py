"""Score customers with the committed model: one at a time (what-if) or a whole CSV.

    python -m src.churn.predict --data customers.csv --out scored.csv
    # -> scored.csv (probability, risk band, top 3 reasons) and scored.errors.csv (failed rows + reason)

Every data row of the file ends up in exactly one of the two files (rows in = scored + errors), each
with its line number in the uploaded file; both files are neutralised against CSV injection.

Everything needed comes from ``models/churn/``: the pipeline, and the card holding the threshold,
risk bands, SHAP background and the feature ranges seen in training.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from src.churn import data
from src.churn.explain import Explanation, ShapExplainer, batch_reasons, top_reasons
from src.core import cards
from src.core.cli import fail, read_input
from src.core.contract import SKOPS_FILE as MODEL_FILE
from src.core.contract import ModelMissingError
from src.core.safe_csv import to_csv_bytes
from src.core.settings import model_dir

#: The committed artifact (as in ``src.churn.model``, which is not imported here: it imports scikit-learn's
#: estimators, a second of a cold page visit that needs none of them).
ARTIFACT = model_dir("churn")

#: Types skops may rebuild besides its defaults: the spline basis and the boosted-tree predictor.
#: Anything else in a model file is refused rather than trusted.
TRUSTED_TYPES = frozenset({
    "scipy._lib.array_api_compat.numpy._aliases.asarray",
    "scipy.interpolate._bsplines.BSpline",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils._bunch.Bunch",
})


_SKOPS_LOCK = threading.Lock()


def skops_io() -> Any:
    """``skops.io``, imported without importing torch.

    Importing skops lists every scikit-learn estimator (``sklearn.utils.all_estimators``), which walks
    every sklearn subpackage and so imports ``sklearn.externals.array_api_compat.torch``, that is torch
    (measured: 3.0 s of CPU for the import instead of 0.7 s), although no estimator lives there. A None
    in ``sys.modules`` makes that one import fail, which the walk skips; the entry is removed afterwards.
    """
    with _SKOPS_LOCK:
        if "skops.io" in sys.modules or "torch" in sys.modules:
            return importlib.import_module("skops.io")
        blocked = "sklearn.externals.array_api_compat.torch"
        added = blocked not in sys.modules
        if added:
            sys.modules[blocked] = None  # type: ignore[assignment]
        try:
            return importlib.import_module("skops.io")
        finally:
            if added and sys.modules.get(blocked, 0) is None:
                del sys.modules[blocked]


#: Scored-CSV column listing the numbers outside the training range (the score is an extrapolation).
OUT_OF_RANGE = "outside_training_range"


@dataclass
class BatchResult:
    """A scored upload: scored rows, failed rows with their reason, and notes for the user."""

    scored: pd.DataFrame
    errors: pd.DataFrame
    notes: list[str] = field(default_factory=list)


class Predictor:
    """The refit model plus what its card says about it (threshold, bands, ranges, SHAP background)."""

    def __init__(self, model: Any, card: cards.Card) -> None:
        self.model = model
        self.card = card
        extra = card.extra
        self.threshold: float = float(extra["threshold"])
        self.bands: dict[str, float] = dict(extra["risk_bands"])
        self.features: dict[str, dict[str, Any]] = extra["features"]
        self.categories = {f: list(i["values"]) for f, i in self.features.items() if i["kind"] == "category"}

    @classmethod
    def from_artifact(cls, folder: Path = ARTIFACT) -> Predictor:
        """Load ``model.skops`` and the card from one folder; refuse types outside :data:`TRUSTED_TYPES`."""
        folder = Path(folder)
        card = cards.read_card(folder)
        model_file = folder / MODEL_FILE
        if card is None or not model_file.is_file():
            raise ModelMissingError("churn", folder)
        sio = skops_io()
        untrusted = set(sio.get_untrusted_types(file=model_file))
        if unknown := untrusted - TRUSTED_TYPES:
            raise ValueError(f"{model_file} contains types this app does not trust: {sorted(unknown)}")
        return cls(sio.load(model_file, trusted=sorted(untrusted)), card)

    @functools.cached_property
    def explainer(self) -> ShapExplainer:
        """SHAP explainer over the card's k-means background (built once, on first use)."""
        bg = self.card.extra["shap_background"]
        return ShapExplainer(self.model, pd.DataFrame(bg["rows"])[data.FEATURES], np.asarray(bg["weights"]))

    # --- scoring -----------------------------------------------------------------------------

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probability of every row of a typed frame with the :data:`FEATURES` columns."""
        return self.model.predict_proba(frame[data.FEATURES])[:, 1]

    def risk_band(self, p: float) -> str:
        """``low`` / ``medium`` / ``high`` by the card's cut-offs."""
        return "low" if p < self.bands["low"] else "medium" if p < self.bands["medium"] else "high"

    def explain(self, frame: pd.DataFrame) -> Explanation:
        """SHAP values of the log-odds, one column per raw feature."""
        return self.explainer.explain(frame[data.FEATURES])

    def score(self, frame: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
        """Probability, band, flag at the threshold, and top-3 reasons for every row of a typed frame."""
        p = self.predict_proba(frame)
        reasons = batch_reasons(self.explain(frame), k=3)
        frame = frame.reset_index(drop=True)
        scores = pd.DataFrame({
            "churn_probability": p.round(4),
            "risk_band": [self.risk_band(x) for x in p],
            "flagged": p >= (self.threshold if threshold is None else threshold),
            **{f"reason_{k + 1}": [r[k] if len(r) > k else "" for r in reasons] for k in range(3)},
            OUT_OF_RANGE: self.range_column(frame),
        })
        ids = [c for c in ("row", data.ID_COLUMN) if c in frame]
        return pd.concat([frame[ids], scores, frame[data.FEATURES]], axis=1)

    def score_upload(self, content: bytes, threshold: float | None = None,
                     max_rows: int = data.MAX_ROWS) -> BatchResult:
        """Read, validate and score a CSV; raises :class:`data.SchemaError` when the file cannot be used."""
        frame, notes = data.read_upload(content, max_rows=max_rows)
        checked = data.check(frame, self.categories)
        scored = self.score(checked.valid, threshold) if len(checked.valid) else checked.valid
        notes += checked.notes
        if len(scored) and (outside := int(scored[OUT_OF_RANGE].ne("").sum())):
            notes.append(f"{outside:,} scored row(s) have a number outside the range seen in training; their "
                         f"scores are extrapolations (see the '{OUT_OF_RANGE}' column).")
        return BatchResult(scored, checked.errors, notes)

    # --- one customer ------------------------------------------------------------------------

    def complete(self, features: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
        """A one-row typed frame from a partial dict: omitted features take the training mode/median.

        Raises ``ValueError`` with every problem when a value is invalid; values outside the
        training range are allowed and come back as notes.
        """
        unknown = sorted(set(features) - set(data.FEATURES) - {data.ID_COLUMN})
        notes = [f"Ignored unknown feature(s): {', '.join(unknown)}."] if unknown else []
        row = {f: features.get(f, info["default"]) for f, info in self.features.items()}
        if "TotalCharges" not in features and "tenure" in features and "MonthlyCharges" in features:
            row["TotalCharges"] = float(features["tenure"]) * float(features["MonthlyCharges"])
        checked = data.check(pd.DataFrame([{k: str(v) for k, v in row.items()}]), self.categories)
        if len(checked.errors):
            raise ValueError(checked.errors.loc[0, "reason"])
        return checked.valid[data.FEATURES], notes + self.range_flags(checked.valid.iloc[0])

    def range_flags(self, row: pd.Series) -> list[str]:
        """A note for each number outside the range seen in training (allowed, but extrapolated)."""
        flags = []
        for f, info in self.features.items():
            if info["kind"] == "number" and not info["min"] <= float(row[f]) <= info["max"]:
                flags.append(f"{f}={float(row[f]):g} is outside the training range "
                             f"[{info['min']:g}, {info['max']:g}]; the prediction is an extrapolation.")
        return flags

    def range_column(self, frame: pd.DataFrame) -> list[str]:
        """Per row of a typed frame, the numbers outside the training range ("" when none), for batch output."""
        parts: list[list[str]] = [[] for _ in range(len(frame))]
        for f, info in self.features.items():
            if info["kind"] != "number":
                continue
            values = frame[f].to_numpy(dtype=float)
            for i in np.flatnonzero((values < info["min"]) | (values > info["max"])):
                parts[i].append(f"{f}={values[i]:g} not in [{info['min']:g}, {info['max']:g}]")
        return ["; ".join(p) for p in parts]

    def predict_one(self, features: dict[str, Any]) -> dict[str, Any]:
        """``{"probability", "risk_band", "reasons", "notes"}`` for one customer given as a (partial) dict."""
        row, notes = self.complete(features)
        p = float(self.predict_proba(row)[0])
        reasons = top_reasons(self.explain(row).for_row(0), k=3)
        return {"probability": round(p, 4), "risk_band": self.risk_band(p), "reasons": reasons, "notes": notes}


@functools.lru_cache(maxsize=1)
def default_predictor() -> Predictor:
    """The committed model, loaded once per process (read-only, safe to share between threads)."""
    return Predictor.from_artifact()


def predict_one(features: dict[str, Any]) -> dict[str, Any]:
    """Score one customer with the committed model; omitted features default to the training mode/median.

    Returns ``{"probability": float, "risk_band": str, "reasons": list[str], "notes": list[str]}``;
    raises ``ValueError`` with a readable message for invalid values. Used by the RAG router as a tool.
    """
    return default_predictor().predict_one(features)


app = typer.Typer(add_completion=False)


@app.command()
def main(
    data_path: Annotated[Path, typer.Option("--data", help="CSV in the Telco schema (customerID optional).")],
    out: Annotated[Path, typer.Option(help="Where to write the scored CSV (its folder is created if missing).")],
    errors: Annotated[Path | None, typer.Option(help="Errors CSV (default: <out>.errors.csv).")] = None,
    max_rows: Annotated[int, typer.Option(min=1, help="Row cap; later rows are not scored (and said so).")
                        ] = data.MAX_ROWS,
) -> None:
    """Score a CSV: each row gets probability, risk band and top-3 reasons; failed rows go to the errors file."""
    errors = errors or out.with_name(f"{out.stem}.errors.csv")
    if errors.resolve() == out.resolve() or data_path.resolve() in (out.resolve(), errors.resolve()):
        fail("--data, --out and --errors must be three different files.")
    content = read_input(data_path)
    try:
        result = default_predictor().score_upload(content, max_rows=max_rows)
    except (data.SchemaError, ModelMissingError) as exc:
        fail(str(exc))
    try:
        for path, frame in ((out, result.scored), (errors, result.errors)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(to_csv_bytes(frame))
    except OSError as exc:
        fail(f"cannot write {exc.filename or out}: {exc.strerror or exc}")
    for note in result.notes:
        typer.echo(note, err=True)
    typer.echo(json.dumps({"scored": len(result.scored), "errors": len(result.errors), "out": str(out),
                           "errors_file": str(errors)}))


if __name__ == "__main__":
    app()
