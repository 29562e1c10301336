"""Train the churn model: compare candidates under stratified k-fold CV, pick one, calibrate, refit, save.

    python -m src.churn.train                 # ~2 minutes on 2 cores
    python -m src.churn.train --folds 3       # quicker, for a smoke run

Writes ``models/churn/``: ``model.skops`` (the refit pipeline), ``oof.npz`` (out-of-fold
probabilities with labels and the two fairness attributes, for the page's curves) and ``README.md``
(the card, whose ``extra`` holds the leaderboard, SHAP background summary, global drivers and the
feature ranges seen in training). No customer ID or raw feature row is written.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import skops.io as sio
import typer
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from src.churn import data, metrics
from src.churn.explain import ShapExplainer
from src.churn.model import ARTIFACT, CANDIDATES, MODEL_FILE, OOF_FILE, Candidate, logistic
from src.core import cards, datasets

#: Candidates within this much mean ROC-AUC of the best count as tied; the simplest of them wins.
TIE = 0.002
#: Probability cut-offs of the low / medium / high risk bands.
RISK_BANDS = {"low": 0.2, "medium": 0.5}


@dataclass
class TrainConfig:
    """Everything that decides the result, recorded in the card."""

    folds: int = 5
    seed: int = 42
    background_size: int = 40
    calibration: str = "sigmoid"


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


def select(board: list[dict[str, object]]) -> str:
    """The simplest model whose mean ROC-AUC is within :data:`TIE` of the best."""
    best = max(float(r["roc_auc"]) for r in board)
    complexity = {c.name: c.complexity for c in CANDIDATES}
    tied = [r for r in board if float(r["roc_auc"]) >= best - TIE]
    return str(min(tied, key=lambda r: (complexity[r["model"]], -float(r["roc_auc"])))["model"])


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


def calibrated(base: Candidate, cfg: TrainConfig) -> Candidate:
    """The same model wrapped in ``CalibratedClassifierCV`` (one refit on all rows, calibrator from CV)."""
    cv = StratifiedKFold(cfg.folds, shuffle=True, random_state=cfg.seed)
    return Candidate(
        f"{base.name}+{cfg.calibration}", f"{base.description}, {cfg.calibration}-calibrated",
        lambda seed: CalibratedClassifierCV(base.build(seed), method=cfg.calibration, cv=cv, ensemble=False),
        base.complexity,
    )


def run(cfg: TrainConfig, out: Path) -> cards.Card:
    """The whole training run; returns the card it wrote."""
    start = time.time()
    frame = data.load()
    X, y = frame[data.FEATURES], frame[data.TARGET].to_numpy()

    board, oofs = [], {}
    for cand in tqdm(CANDIDATES, desc="cross-validating", unit="model"):
        t0 = time.time()
        oof, fold_of = cross_validate(cand, X, y, cfg)
        oofs[cand.name] = oof
        row = summarise(cand.name, cand.description, fold_scores(y, oof, fold_of))
        row["cv_seconds"] = round(time.time() - t0, 1)
        board.append(row)
        tqdm.write(f"{cand.name:24s} ROC-AUC {row['roc_auc']:.4f} ± {row['roc_auc_std']:.4f}")
    chosen_name = select(board)
    chosen = next(c for c in CANDIDATES if c.name == chosen_name)

    # Calibrate only if that lowers the CV Brier score of the chosen model.
    cal = calibrated(chosen, cfg)
    cal_oof, fold_of = cross_validate(cal, X, y, cfg)
    cal_row = summarise(cal.name, cal.description, fold_scores(y, cal_oof, fold_of))
    base_row = next(r for r in board if r["model"] == chosen_name)
    calibrate = float(cal_row["brier"]) < float(base_row["brier"])
    board.append(cal_row)
    final_row = cal_row if calibrate else base_row
    oof = cal_oof if calibrate else oofs[chosen_name]
    tqdm.write(f"calibration: Brier {base_row['brier']:.4f} -> {cal_row['brier']:.4f}; use it: {calibrate}")

    threshold = metrics.best_f1_threshold(y, oof)
    model = (cal if calibrate else chosen).build(cfg.seed).fit(X, y)
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
    econ = metrics.Economics()
    profit_t, profit = metrics.best_threshold(metrics.profit_curve(y, oof, econ))

    def metric(name: str, key: str, protocol: str, fmt: str = "float") -> cards.Metric:
        return cards.Metric(name, float(final_row[key]), protocol, std=float(final_row[f"{key}_std"]), fmt=fmt)

    protocol = f"stratified {cfg.folds}-fold CV, seed {cfg.seed}, mean ± std over folds"
    card = cards.Card(
        demo="churn",
        title="Churn model + SHAP",
        summary=(
            f"Predicts whether a Telco customer will leave. {len(CANDIDATES)} models were compared under {protocol}; "
            f"**{final_row['model']}** was selected (the simplest within {TIE} ROC-AUC of the best) and refit on all "
            f"{len(X):,} customers. Explanations are exact SHAP values of its log-odds."
        ),
        metrics=[
            metric("CV ROC-AUC", "roc_auc", protocol),
            metric("CV PR-AUC", "pr_auc", protocol),
            metric("CV F1", "f1", f"{protocol}; threshold picked on the other folds' predictions"),
            metric("CV Brier score", "brier", f"{protocol}; lower is better"),
            metric("CV log loss", "log_loss", f"{protocol}; lower is better"),
        ],
        data=[cards.DataRef("telco", datasets.get("telco").source, datasets.get("telco").checksums)],
        config={**asdict(cfg), "selected": chosen_name, "calibrated": calibrate, "tie_tolerance": TIE},
        command=cards.reproduce_command(),
        duration_s=time.time() - start,
        tags=["tabular-classification", "churn", "shap", "scikit-learn"],
        library_name="sklearn",
        sections={
            "Leaderboard": _board_markdown(board),
            "How to read it": (
                "Every number is the mean ± std over the outer folds. F1 uses a threshold chosen on the other "
                "folds' out-of-fold predictions, so no fold picks its own cut-off. Calibration is kept only when "
                "it lowers the Brier score. Explanations use a k-means summary of the customers as background."
            ),
        },
        extra={
            "leaderboard": board,
            "selected": final_row["model"],
            "calibrated": calibrate,
            "threshold": threshold,
            "risk_bands": RISK_BANDS,
            "economics_default": {**asdict(econ), "best_threshold": profit_t, "profit_per_1000": round(profit, 1)},
            "top_drivers": drivers,
            "features": feature_info(X),
            "shap_background": {"rows": background.to_dict(orient="records"), "weights": weights.round(5).tolist()},
            "shap_base_value": explainer.base,
            "explain_ms_per_row_batch": round(explain_ms, 4),
            "oof_file": OOF_FILE,
            "churn_rate": float(y.mean()),
            "rows": len(X),
        },
    )
    with cards.artifact_writer(out) as tmp:
        sio.dump(model, tmp / MODEL_FILE)
        np.savez_compressed(
            tmp / OOF_FILE, y=y.astype(np.int8), p=oof.astype(np.float32), fold=fold_of,
            male=(X["gender"] == "Male").to_numpy(np.int8), senior=X["SeniorCitizen"].to_numpy(np.int8),
        )
        cards.write_card(card, tmp)
    return card


def _board_markdown(board: list[dict[str, object]]) -> str:
    head = "| model | " + " | ".join(metrics.SCORES) + " |\n|---|" + "---|" * len(metrics.SCORES)
    lines = [
        f"| {r['model']} | " + " | ".join(f"{r[m]:.4f} ± {r[f'{m}_std']:.4f}" for m in metrics.SCORES) + " |"
        for r in board
    ]
    return "\n".join([head, *lines])


app = typer.Typer(add_completion=False)


@app.command()
def main(
    folds: Annotated[int, typer.Option(help="Outer CV folds (stratified).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed for folds, models and the SHAP background.")] = 42,
    background_size: Annotated[int, typer.Option(help="k-means prototypes in the SHAP background.")] = 40,
    out: Annotated[Path, typer.Option(help="Artifact folder.")] = ARTIFACT,
) -> None:
    """Cross-validate the candidates, select, calibrate if it helps, refit and write the artifact + card."""
    card = run(TrainConfig(folds=folds, seed=seed, background_size=background_size), out)
    head = card.headline
    typer.echo(json.dumps({"selected": card.extra["selected"], head.name: head.formatted(),
                           "threshold": card.extra["threshold"], "seconds": round(card.duration_s, 1)}))


if __name__ == "__main__":
    app()
