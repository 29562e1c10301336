"""The candidate models: each is one sklearn ``Pipeline`` (preprocessing + classifier) on the raw columns.

Every pipeline takes the frame of :data:`src.churn.data.FEATURES` as it comes from ``clean``, so the
saved artifact scores raw rows with no code of ours in between. Only sklearn and numpy objects are
used, which lets skops load the artifact without trusting arbitrary pickles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, SplineTransformer, StandardScaler

from src.churn.data import CATEGORIES, NUMERIC
from src.core.contract import OOF_FILE
from src.core.contract import SKOPS_FILE as MODEL_FILE
from src.core.settings import model_dir

__all__ = ["ARTIFACT", "CANDIDATES", "MODEL_FILE", "OOF_FILE", "Candidate", "gradient_boosting", "logistic",
           "logistic_splines", "random_forest", "soft_vote"]

#: The committed artifact: the fitted pipeline (``MODEL_FILE``), the out-of-fold predictions
#: (``OOF_FILE``), and the card beside them; the file names are the contract's (``src.core.contract``).
ARTIFACT = model_dir("churn")
CATEGORICAL = list(CATEGORIES)


def _one_hot() -> OneHotEncoder:
    return OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False)


def _log_splines(n_knots: int) -> Pipeline:
    # log1p spreads out the short tenures where churn changes fastest; constant extrapolation keeps
    # what-if values beyond the training range at the edge value instead of a runaway polynomial.
    return make_pipeline(
        FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
        SplineTransformer(n_knots=n_knots, degree=3, extrapolation="constant"),
    )


def logistic(C: float = 1.0) -> Pipeline:
    """One-hot categoricals + standardised numerics + L2 logistic regression."""
    prep = ColumnTransformer(
        [("cat", _one_hot(), CATEGORICAL), ("num", StandardScaler(), [*NUMERIC, "SeniorCitizen"])],
        verbose_feature_names_out=False,
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(C=C, max_iter=5000))])


def logistic_splines(C: float = 0.3, n_knots: int = 5) -> Pipeline:
    """Logistic regression with cubic splines of log(1 + x) for the numerics: an additive model (a GAM)."""
    prep = ColumnTransformer(
        [("cat", _one_hot(), CATEGORICAL), ("spl", _log_splines(n_knots), NUMERIC),
         ("bin", "passthrough", ["SeniorCitizen"])],
        verbose_feature_names_out=False,
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(C=C, max_iter=5000))])


def _ordinal() -> ColumnTransformer:
    return ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), CATEGORICAL),
         ("num", "passthrough", [*NUMERIC, "SeniorCitizen"])],
        verbose_feature_names_out=False,
    )


def gradient_boosting(seed: int = 42) -> Pipeline:
    """Histogram gradient boosting on ordinal-coded categoricals: shallow trees, slow learning rate."""
    clf = HistGradientBoostingClassifier(
        learning_rate=0.03, max_iter=300, max_leaf_nodes=6, min_samples_leaf=40, l2_regularization=1.0,
        early_stopping=False, random_state=seed,
    )
    return Pipeline([("prep", _ordinal()), ("clf", clf)])


def random_forest(seed: int = 42) -> Pipeline:
    """A random forest with leaves big enough to give smooth probabilities."""
    clf = RandomForestClassifier(n_estimators=300, min_samples_leaf=10, max_features=0.4, n_jobs=2, random_state=seed)
    return Pipeline([("prep", _ordinal()), ("clf", clf)])


def soft_vote(seed: int = 42) -> VotingClassifier:
    """The average of the spline logistic regression's and the boosted trees' probabilities."""
    return VotingClassifier([("gam", logistic_splines()), ("hgb", gradient_boosting(seed))], voting="soft")


@dataclass(frozen=True)
class Candidate:
    """One entry of the leaderboard. Lower ``complexity`` wins a tie (see ``train.select``)."""

    name: str
    description: str
    build: Callable[[int], object]
    complexity: int


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("logistic", "L2 logistic regression, one-hot + scaled numerics", lambda seed: logistic(), 1),
    Candidate("logistic_splines", "logistic regression with log-spline numerics (additive GAM)",
              lambda seed: logistic_splines(), 2),
    Candidate("hist_gradient_boosting", "sklearn HistGradientBoosting, 300 shallow trees", gradient_boosting, 3),
    Candidate("random_forest", "random forest, 300 trees, min leaf 10", random_forest, 3),
    Candidate("soft_vote", "soft vote of the spline logistic regression and the boosted trees", soft_vote, 4),
)
