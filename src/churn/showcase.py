"""What the churn page's first screens show, computed once per model version into ``data/cache/churn/``.

A cold visit would otherwise import scikit-learn, skops and shap and run SHAP before it draws
anything (3-4 s on a 2-core CPU). Stored here, each in its own JSON file:

* ``figures-<version>.json``: the four out-of-fold curves of the performance chapter (plotly JSON);
* ``example-<version>.json``: the made-up example customer the what-if form opens on, with its
  SHAP values and the probability of every retention offer the search tries;
* ``sample-<version>-<data>.json``: the SHAP values of the 1,500 sampled customers of the drivers
  chapter and, for each feature, the partner its dependence plot is coloured by.

This is a cache, not an artifact: the sample holds Telco rows, so it stays under the gitignored
``data/`` and is never committed. ``python -m src.warm`` builds it (the Docker image runs it), and
the page writes what it had to compute live. Every file is keyed on the card version (a retrain
writes a new card) and, for the sample, on the dataset's registered sha256; a missing, stale or
unreadable file is ignored and the page computes live: slower, never different.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from src.churn import data
from src.churn.explain import Explanation
from src.core import datasets, keyed_cache
from src.core.settings import DATA_DIR

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from src.churn.predict import Predictor

log = logging.getLogger(__name__)

CACHE_DIR = DATA_DIR / "cache" / "churn"
#: Bumped when a file's layout changes, so an old file is ignored rather than misread.
FORMAT = 1
#: Customers in the SHAP summary (the drivers chapter says how many it shows).
SAMPLE = 1500
#: A made-up customer to start the what-if form with: new, monthly contract, fibre, no add-ons.
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "gender": "Female", "SeniorCitizen": 0, "Partner": "No", "Dependents": "No", "tenure": 4.0,
    "PhoneService": "Yes", "MultipleLines": "No", "InternetService": "Fiber optic", "OnlineSecurity": "No",
    "OnlineBackup": "No", "DeviceProtection": "No", "TechSupport": "No", "StreamingTV": "Yes",
    "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 85.0, "TotalCharges": 340.0,
}


# --- files -----------------------------------------------------------------------------------


def _read(path: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    return keyed_cache.read(path, {**key, "format": FORMAT})


def _write(path: Path, key: dict[str, Any], payload: dict[str, Any]) -> None:
    keyed_cache.write(path, {**key, "format": FORMAT}, payload)


def _frame_payload(frame: pd.DataFrame) -> dict[str, Any]:
    # not DataFrame.to_json: it rounds floats to 10 digits, and the cached frame must equal the live one
    return {"split": {"columns": list(frame.columns), "data": frame.to_numpy(dtype=object).tolist()},
            "dtypes": {c: str(t) for c, t in frame.dtypes.items()}}


def _frame(payload: dict[str, Any]) -> pd.DataFrame:
    split = payload["split"]
    frame = pd.DataFrame(split["data"], columns=split["columns"])
    return frame.astype(payload["dtypes"])


# --- the performance chapter's curves ----------------------------------------------------------


def figures(version: str, y: np.ndarray, p: np.ndarray, folder: Path | None = None) -> list[go.Figure]:
    """ROC, precision-recall, gains and calibration of the out-of-fold predictions (stored or built)."""
    import plotly.io

    path, key = (folder or CACHE_DIR) / f"figures-{version}.json", {"version": version}
    stored = _read(path, key)
    if stored is not None:
        return [plotly.io.from_json(f) for f in stored["figures"]]
    from src.churn import charts  # imports scikit-learn's metrics: only when nothing is stored

    built = [charts.roc(y, p), charts.pr(y, p), charts.gains(y, p), charts.calibration(y, p)]
    _write(path, key, {"figures": [f.to_json() for f in built]})
    return built


# --- one customer: probabilities and SHAP values ------------------------------------------------


def row_key(row: pd.Series | dict[str, Any]) -> str:
    """One customer's feature values as a stable text key (numbers as floats, the rest as text)."""
    values = [float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else str(v)
              for v in (row[f] for f in data.FEATURES)]
    return json.dumps(values)


@dataclass
class Known:
    """Stored probabilities of some customers (by :func:`row_key`) and SHAP values of some of them."""

    probabilities: dict[str, float]
    explanations: dict[str, tuple[list[float], float]]

    def proba(self, frame: pd.DataFrame) -> np.ndarray | None:
        """The stored probability of every row, or None when any row is unknown."""
        keys = [row_key(r) for r in frame[data.FEATURES].to_dict(orient="records")]
        if not all(k in self.probabilities for k in keys):
            return None
        return np.array([self.probabilities[k] for k in keys])

    def explanation(self, row: pd.DataFrame) -> Explanation | None:
        """The stored SHAP values of a one-row frame, or None."""
        found = self.explanations.get(row_key(row.iloc[0]))
        if found is None:
            return None
        values, base = found
        return Explanation(np.asarray([values]), base, row.reset_index(drop=True))


def _example_path(version: str, folder: Path | None) -> Path:
    return (folder or CACHE_DIR) / f"example-{version}.json"


def _example_key(version: str, customer: dict[str, Any] | None) -> dict[str, Any]:
    return {"version": version, "customer": row_key(customer or EXAMPLE_CUSTOMER)}


def example(version: str, customer: dict[str, Any] | None = None, folder: Path | None = None) -> Known | None:
    """What is stored for the example customer the page opens on (None when nothing current is)."""
    stored = _read(_example_path(version, folder), _example_key(version, customer))
    if stored is None:
        return None
    return Known(dict(stored["probabilities"]), {k: (v[0], v[1]) for k, v in stored["explanations"].items()})


def build_example(pred: Predictor, version: str, customer: dict[str, Any] | None = None,
                  folder: Path | None = None) -> Known:
    """Score the customer and every retention offer the search tries; store them with the customer's SHAP values."""
    from src.churn.explain import retention_offers

    row, _ = pred.complete(customer or EXAMPLE_CUSTOMER)
    seen: dict[str, float] = {}

    def proba(frame: pd.DataFrame) -> np.ndarray:
        p = pred.predict_proba(frame)
        seen.update(zip((row_key(r) for r in frame[data.FEATURES].to_dict(orient="records")), map(float, p),
                        strict=True))
        return p

    proba(row)
    retention_offers(proba, row.iloc[0].to_dict(), pred.threshold)  # the offers do not depend on the threshold
    expl = pred.explain(row)
    known = Known(seen, {row_key(row.iloc[0]): ([float(v) for v in expl.values[0]], float(expl.base))})
    _write(_example_path(version, folder), _example_key(version, customer),
           {"probabilities": known.probabilities, "explanations": known.explanations})
    return known


# --- the drivers chapter: a SHAP summary of sampled customers -------------------------------------


def _sample_key(version: str) -> dict[str, Any]:
    return {"version": version, "data": datasets.get(data.DATASET).checksums, "sample": SAMPLE}


def _sample_path(version: str, folder: Path | None) -> Path:
    return (folder or CACHE_DIR) / f"sample-{version}.json"


def sample(version: str, folder: Path | None = None) -> tuple[Explanation, dict[str, str]] | None:
    """The stored SHAP summary and each feature's dependence partner, or None."""
    stored = _read(_sample_path(version, folder), _sample_key(version))
    if stored is None:
        return None
    return Explanation(np.asarray(stored["values"]), stored["base"], _frame(stored["data"])), stored["partners"]


def build_sample(explain: Callable[[pd.DataFrame], Explanation], customers: pd.DataFrame, version: str,
                 folder: Path | None = None) -> tuple[Explanation, dict[str, str]]:
    """Explain :data:`SAMPLE` customers (seeded), find every feature's partner, and store both."""
    from src.churn.explain import strongest_interaction

    rows = customers.sample(min(SAMPLE, len(customers)), random_state=0)[data.FEATURES]
    expl = explain(rows)
    partners = {f: strongest_interaction(expl, f) for f in data.FEATURES}
    _write(_sample_path(version, folder), _sample_key(version),
           {"values": expl.values.tolist(), "base": expl.base, "data": _frame_payload(expl.data),
            "partners": partners})
    return expl, partners


# --- everything, for ``python -m src.warm`` --------------------------------------------------------


def missing(artifact: Path | None = None) -> list[str]:
    """The first screens not stored for the committed model (the bench says whether it ran warm)."""
    from src.core.contract import card_version
    from src.core.settings import model_dir

    version = card_version(artifact or model_dir("churn"))
    stored = {"curves": _read(CACHE_DIR / f"figures-{version}.json", {"version": version}) is not None,
              "example customer": example(version) is not None,
              "SHAP summary": not datasets.is_available(data.DATASET) or sample(version) is not None}
    return [name for name, ok in stored.items() if not ok]


def build_all(artifact: Path | None = None) -> list[str]:
    """Store every first screen of the committed model that is not stored yet; returns what was built.

    The SHAP summary needs the Telco data and is skipped without it.
    """
    from src.churn.predict import ARTIFACT, Predictor
    from src.core.contract import OOF_FILE, card_version

    artifact = artifact or ARTIFACT
    version = card_version(artifact)
    pred = functools.cache(lambda: Predictor.from_artifact(artifact))  # loaded only when something is missing
    todo = missing(artifact)
    if "curves" in todo:
        with np.load(artifact / OOF_FILE) as arrays:
            figures(version, arrays["y"], arrays["p"])
    if "example customer" in todo:
        build_example(pred(), version)
    if "SHAP summary" in todo:
        build_sample(pred().explain, data.load(), version)
    return todo
