"""Train the churn model: compare candidates under stratified k-fold CV, pick one, calibrate, refit, save.

    python -m src.churn.train                 # ~2 minutes on 2 cores
    python -m src.churn.train --smoke         # 1,500 customers, 3 folds: seconds, for the pipeline tests
    python -m src.churn.train --out /tmp/c    # write the artifact elsewhere (the retrain gate's challenger)

Writes ``models/churn/`` (or ``--out``): ``model.skops`` (the refit pipeline), ``oof.npz`` (out-of-fold
probabilities with labels and the two fairness attributes, for the page's curves) and ``README.md``
(the card, whose ``extra`` holds the leaderboard, SHAP background summary, global drivers and the
feature ranges seen in training). No customer ID or raw feature row is written. The run is tracked
(``src.core.tracking``) with every candidate's per-fold metrics.

The steps: :func:`load_data`, :func:`compare` (CV leaderboard), :func:`choose` (selection and
calibration), :func:`fit_final` (refit + SHAP), :func:`build_card`, :func:`write_artifact`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from src.churn import data, metrics
from src.churn.explain import ShapExplainer
from src.churn.model import ARTIFACT, CANDIDATES, MODEL_FILE, OOF_FILE, Candidate, logistic
from src.core import cards, datasets
from src.core.cli import option, train_app
from src.core.tables import records_table
from src.core.tracking import TrackedRun, track_run

log = logging.getLogger(__name__)

#: Candidates within this much mean ROC-AUC of the best count as tied; the simplest of them wins.
TIE = 0.002
#: Probability cut-offs of the low / medium / high risk bands.
RISK_BANDS = {"low": 0.2, "medium": 0.5}


@dataclass
class TrainConfig:
    """Everything that decides the result, recorded in the card."""

    folds: int = option(5, "Outer CV folds (stratified).")
    seed: int = option(42, "Seed for folds, models and the SHAP background.")
    background_size: int = option(40, "k-means prototypes in the SHAP background.")
    calibration: str = option("sigmoid", "Calibration tried on the selected model: 'sigmoid' or 'isotonic'.")
    limit: int = option(0, "Train on a stratified sample of this many customers (0 = all).")
    candidates: str = option("", "Comma-separated candidates to compare (default: all of src/churn/model.py).")

    def smoke(self) -> TrainConfig:
        """The preset that runs the whole pipeline in seconds (tests, ``make retrain --smoke``): a sample,
        3 folds and the two linear candidates, which check every step but not the model's quality."""
        return replace(self, folds=3, background_size=10, limit=self.limit or 1500,
                       candidates=self.candidates or "logistic,logistic_splines")

    def chosen_candidates(self) -> tuple[Candidate, ...]:
        """The candidates this run compares, in leaderboard order."""
        if not self.candidates:
            return CANDIDATES
        wanted = [name.strip() for name in self.candidates.split(",") if name.strip()]
        known = {c.name: c for c in CANDIDATES}
        if unknown := [n for n in wanted if n not in known]:
            raise ValueError(f"unknown candidate(s) {unknown}; known: {', '.join(known)}")
        return tuple(known[n] for n in wanted)


# --- data ------------------------------------------------------------------------------------


def load_data(cfg: TrainConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of the cleaned Telco customers (a stratified sample when ``cfg.limit``)."""
    frame = data.load()
    if 0 < cfg.limit < len(frame):
        frame = frame.groupby(data.TARGET, group_keys=False).sample(frac=cfg.limit / len(frame),
                                                                    random_state=cfg.seed)
    return frame[data.FEATURES].reset_index(drop=True), frame[data.TARGET].to_numpy()


# --- cross-validation ------------------------------------------------------------------------


def cross_validate(
    candidate: Candidate, X: pd.DataFrame, y: np.ndarray, cfg: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities and the fold of every row."""
    oof = np.zeros(len(y))
    fold_of = np.zeros(len(y), dtype=np.int8)
    splits = StratifiedKFold(cfg.folds, shuffle=True, random_state=cfg.seed).split(X, y)
    for k, (train, test) in enumerate(splits):
        model = candidate.build(cfg.seed).fit(X.iloc[train], y[train])
        oof[test] = model.predict_proba(X.iloc[test])[:, 1]
        fold_of[test] = k
    return oof, fold_of


def fold_scores(y: np.ndarray, p: np.ndarray, fold_of: np.ndarray) -> pd.DataFrame:
    """Per-fold metrics. F1 uses a threshold chosen on the *other* folds' predictions, never its own."""
    rows = []
    for k in np.unique(fold_of):
        own, rest = fold_of == k, fold_of != k
        threshold = metrics.best_f1_threshold(y[rest], p[rest])
        rows.append(metrics.scores(y[own], p[own], threshold))
    return pd.DataFrame(rows)


def summarise(name: str, description: str, per_fold: pd.DataFrame) -> dict[str, object]:
    """A leaderboard row: mean and std of every metric over folds."""
    row: dict[str, object] = {"model": name, "description": description}
    for metric in metrics.SCORES:
        row[metric] = round(float(per_fold[metric].mean()), 4)
        row[f"{metric}_std"] = round(float(per_fold[metric].std(ddof=1)), 4)
    return row


@dataclass
class Scored:
    """One candidate under CV: its leaderboard row, out-of-fold probabilities and fold of every row."""

    row: dict[str, object]
    oof: np.ndarray
    fold_of: np.ndarray


def score_candidate(cand: Candidate, X: pd.DataFrame, y: np.ndarray, cfg: TrainConfig, run: TrackedRun) -> Scored:
    """Cross-validate one candidate; its per-fold metrics go to the tracked run."""
    t0 = time.time()
    oof, fold_of = cross_validate(cand, X, y, cfg)
    per_fold = fold_scores(y, oof, fold_of)
    for k, fold in per_fold.iterrows():
        run.log_metrics({f"{cand.name}.{m}": float(fold[m]) for m in metrics.SCORES}, step=int(k))
    row = summarise(cand.name, cand.description, per_fold)
    row["cv_seconds"] = round(time.time() - t0, 1)
    return Scored(row, oof, fold_of)


def compare(X: pd.DataFrame, y: np.ndarray, cfg: TrainConfig, run: TrackedRun) -> dict[str, Scored]:
    """Every candidate under the same folds, by name, in leaderboard order."""
    scored = {}
    for cand in tqdm(cfg.chosen_candidates(), desc="cross-validating", unit="model"):
        scored[cand.name] = score_candidate(cand, X, y, cfg, run)
        row = scored[cand.name].row
        log.info("%-24s ROC-AUC %.4f ± %.4f", cand.name, row["roc_auc"], row["roc_auc_std"])
    return scored


def select(board: list[dict[str, object]]) -> str:
    """The simplest model whose mean ROC-AUC is within :data:`TIE` of the best."""
    best = max(float(r["roc_auc"]) for r in board)
    complexity = {c.name: c.complexity for c in CANDIDATES}
    tied = [r for r in board if float(r["roc_auc"]) >= best - TIE]
    return str(min(tied, key=lambda r: (complexity[r["model"]], -float(r["roc_auc"])))["model"])


def calibrated(base: Candidate, cfg: TrainConfig) -> Candidate:
    """The same model wrapped in ``CalibratedClassifierCV`` (one refit on all rows, calibrator from CV)."""
    cv = StratifiedKFold(cfg.folds, shuffle=True, random_state=cfg.seed)
    return Candidate(
        f"{base.name}+{cfg.calibration}", f"{base.description}, {cfg.calibration}-calibrated",
        lambda seed: CalibratedClassifierCV(base.build(seed), method=cfg.calibration, cv=cv, ensemble=False),
        base.complexity,
    )


@dataclass
class Choice:
    """The selected candidate (calibrated or not), its CV row and out-of-fold predictions, and the board."""

    candidate: Candidate
    selected: str
    calibrate: bool
    row: dict[str, object]
    oof: np.ndarray
    fold_of: np.ndarray
    board: list[dict[str, object]]


def choose(scored: dict[str, Scored], X: pd.DataFrame, y: np.ndarray, cfg: TrainConfig,
           run: TrackedRun) -> Choice:
    """Select the simplest tied candidate, then keep calibration only if it lowers the CV Brier score."""
    board = [s.row for s in scored.values()]
    name = select(board)
    chosen = next(c for c in CANDIDATES if c.name == name)
    cal = calibrated(chosen, cfg)
    cal_scored = score_candidate(cal, X, y, cfg, run)
    base = scored[name]
    calibrate = float(cal_scored.row["brier"]) < float(base.row["brier"])
    log.info("calibration: Brier %.4f -> %.4f; use it: %s", base.row["brier"], cal_scored.row["brier"], calibrate)
    final = cal_scored if calibrate else base
    # The fold of every row is the same for all candidates: the folds depend on the seed alone.
    return Choice(cal if calibrate else chosen, name, calibrate, final.row, final.oof, cal_scored.fold_of,
                  [*board, cal_scored.row])


# --- the final model -------------------------------------------------------------------------


def background_summary(X: pd.DataFrame, k: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """k-means prototypes of the customers: per cluster the mode of each category and median of each number.

    These weighted prototypes are the SHAP background: a compact summary, not anyone's row.
    """
    z = logistic()[:-1].fit_transform(X)
    labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(z)
    protos, weights = [], []
    for c in range(k):
        members = X[labels == c]
        proto = {f: members[f].mode().iloc[0] for f in data.CATEGORIES}
        proto |= {f: float(members[f].median()) for f in data.NUMERIC}
        proto["SeniorCitizen"] = int(members["SeniorCitizen"].mode().iloc[0])
        protos.append(proto)
        weights.append(len(members) / len(X))
    return pd.DataFrame(protos)[data.FEATURES], np.array(weights)


def feature_info(X: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Categories and numeric ranges seen in training, with the default (mode or median) of each feature."""
    info: dict[str, dict[str, object]] = {}
    for f in data.FEATURES:
        if f in data.CATEGORIES:
            counts = X[f].value_counts()
            info[f] = {"kind": "category", "values": sorted(counts.index.tolist()), "default": str(counts.index[0])}
        else:
            col = X[f].astype(float)
            info[f] = {"kind": "binary" if f == "SeniorCitizen" else "number", "min": float(col.min()),
                       "max": float(col.max()), "default": float(col.median()) if f != "SeniorCitizen" else 0.0}
    return info


@dataclass
class Final:
    """The refit model and what its card says about its explanations."""

    model: Any
    explainer: ShapExplainer
    background: pd.DataFrame
    weights: np.ndarray
    drivers: list[dict[str, object]]
    explain_ms: float


def fit_final(choice: Choice, X: pd.DataFrame, y: np.ndarray, cfg: TrainConfig) -> Final:
    """Refit the chosen model on every row; SHAP background, global drivers and explanation speed."""
    model = choice.candidate.build(cfg.seed).fit(X, y)
    background, weights = background_summary(X, cfg.background_size, cfg.seed)
    explainer = ShapExplainer(model, background, weights)
    t0 = time.time()
    shap_all = explainer.explain(X)
    explain_ms = (time.time() - t0) * 1000 / len(X)
    drivers = sorted(
        ({"feature": f, "mean_abs_shap": round(float(v), 4)}
         for f, v in zip(data.FEATURES, np.abs(shap_all.values).mean(axis=0), strict=True)),
        key=lambda d: -d["mean_abs_shap"],
    )
    return Final(model, explainer, background, weights, drivers, explain_ms)


# --- the card and the artifact ---------------------------------------------------------------


def _board_markdown(board: list[dict[str, object]]) -> str:
    cell = {m: (lambda r, m=m: f"{r[m]:.4f} ± {r[f'{m}_std']:.4f}") for m in metrics.SCORES}
    return records_table(board, columns=["model", *metrics.SCORES], formats=cell)


def _extra(choice: Choice, final: Final, X: pd.DataFrame, y: np.ndarray) -> dict[str, object]:
    """What the page and the predictor read from the card besides the metrics."""
    econ = metrics.Economics()
    profit_t, profit = metrics.best_threshold(metrics.profit_curve(y, choice.oof, econ))
    return {
        "leaderboard": choice.board,
        "selected": choice.row["model"],
        "calibrated": choice.calibrate,
        "threshold": metrics.best_f1_threshold(y, choice.oof),
        "risk_bands": RISK_BANDS,
        "economics_default": {**asdict(econ), "best_threshold": profit_t, "profit_per_1000": round(profit, 1)},
        "top_drivers": final.drivers,
        "features": feature_info(X),
        "shap_background": {"rows": final.background.to_dict(orient="records"),
                            "weights": final.weights.round(5).tolist()},
        "shap_base_value": final.explainer.base,
        "explain_ms_per_row_batch": round(final.explain_ms, 4),
        "oof_file": OOF_FILE,
        "churn_rate": float(y.mean()),
        "rows": len(X),
    }


def build_card(cfg: TrainConfig, choice: Choice, final: Final, X: pd.DataFrame, y: np.ndarray,
               duration_s: float) -> cards.Card:
    """The model card. Every metric carries its std over the CV folds: the noise the retrain gate uses."""
    row = choice.row

    def metric(name: str, key: str, protocol: str) -> cards.Metric:
        return cards.Metric(name, float(row[key]), protocol, std=float(row[f"{key}_std"]))

    protocol = f"stratified {cfg.folds}-fold CV, seed {cfg.seed}, mean ± std over folds"
    return cards.Card(
        demo="churn",
        title="Churn model + SHAP",
        summary=(
            f"Predicts whether a Telco customer will leave. {len(cfg.chosen_candidates())} models were compared "
            f"under {protocol}; "
            f"**{row['model']}** was selected (the simplest within {TIE} ROC-AUC of the best) and refit on all "
            f"{len(X):,} customers. Explanations are exact SHAP values of its log-odds."
        ),
        metrics=[
            metric("CV ROC-AUC", "roc_auc", protocol),
            metric("CV PR-AUC", "pr_auc", protocol),
            metric("CV F1", "f1", f"{protocol}; threshold picked on the other folds' predictions"),
            metric("CV Brier score", "brier", f"{protocol}; lower is better"),
            metric("CV log loss", "log_loss", f"{protocol}; lower is better"),
        ],
        data=[cards.DataRef.from_registry(data.DATASET)],
        config={**asdict(cfg), "selected": choice.selected, "calibrated": choice.calibrate, "tie_tolerance": TIE},
        command=cards.reproduce_command(),
        duration_s=duration_s,
        tags=["tabular-classification", "churn", "shap", "scikit-learn"],
        library_name="sklearn",
        sections={
            "Leaderboard": _board_markdown(choice.board),
            "How to read it": (
                "Every number is the mean ± std over the outer folds. F1 uses a threshold chosen on the other "
                "folds' out-of-fold predictions, so no fold picks its own cut-off. Calibration is kept only when "
                "it lowers the Brier score. Explanations use a k-means summary of the customers as background."
            ),
        },
        extra=_extra(choice, final, X, y),
    )


def write_artifact(out: Path, model: Any, choice: Choice, X: pd.DataFrame, y: np.ndarray, card: cards.Card) -> None:
    """Model, out-of-fold arrays and card, swapped into ``out`` atomically."""
    with cards.artifact_writer(out) as tmp:
        sio.dump(model, tmp / MODEL_FILE)
        np.savez_compressed(
            tmp / OOF_FILE, y=y.astype(np.int8), p=choice.oof.astype(np.float32), fold=choice.fold_of,
            male=(X["gender"] == "Male").to_numpy(np.int8), senior=X["SeniorCitizen"].to_numpy(np.int8),
        )
        cards.write_card(card, tmp)


def run(cfg: TrainConfig, out: Path = ARTIFACT) -> cards.Card:
    """The whole training run, tracked; returns the card it wrote into ``out``."""
    start = time.time()
    digest = next(iter(datasets.get(data.DATASET).checksums.values()))
    with track_run("churn", cfg, data_sha256=digest) as tracked:
        X, y = load_data(cfg)
        choice = choose(compare(X, y, cfg, tracked), X, y, cfg, tracked)
        final = fit_final(choice, X, y, cfg)
        card = build_card(cfg, choice, final, X, y, time.time() - start)
        write_artifact(out, final.model, choice, X, y, card)
        tracked.log_card(out)
    return card


app = train_app("churn", TrainConfig, run, lambda card: {"selected": card.extra["selected"],
                                                        "threshold": card.extra["threshold"]})


if __name__ == "__main__":
    app()
