"""SHAP explanations per original column, plain-English reasons, and counterfactual retention offers.

What is explained is the model's **log-odds** (the score before the sigmoid). For a calibrated model
that is the underlying classifier's log-odds: calibration is a monotone map applied afterwards, so
the ranking of reasons is unchanged and the explanation stays exact and fast.

* Linear pipelines use ``shap.LinearExplainer`` (exact, microseconds); the one-hot and spline
  columns a raw column expands into are summed back, which is exact for an additive model.
* Tree pipelines use ``shap.TreeExplainer`` with an interventional background.
* A soft vote is explained as the weighted sum of its members' log-odds explanations, which is
  exact for the average of log-odds and an approximation of the average of probabilities.

The background is the k-means summary stored in the model card (weighted prototypes), never raw rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from src.churn.data import ADD_ONS, CATEGORIES, FEATURES, LABELS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

#: Features the company can change with an offer; a counterfactual may touch only these.
ACTIONABLE: tuple[str, ...] = (
    "Contract", "PaymentMethod", "PaperlessBilling", "OnlineSecurity", "TechSupport", "OnlineBackup",
    "DeviceProtection",
)
#: Features that describe who the customer is or their history: never changed by an offer.
IMMUTABLE: tuple[str, ...] = ("gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "TotalCharges")
#: The retention search tries every combination of up to this many changes.
MAX_CHANGES = 3
#: Tree explainers cost grows with the background; 100 weighted draws of the prototypes is plenty.
_TREE_BACKGROUND = 100


@dataclass
class Explanation:
    """SHAP values of the log-odds, one column per original feature: ``base + values.sum(1) == log-odds``."""

    values: np.ndarray
    base: float
    data: pd.DataFrame

    def for_row(self, i: int = 0) -> pd.DataFrame:
        """One customer's contributions, largest magnitude first."""
        frame = pd.DataFrame({"feature": FEATURES, "value": self.data.iloc[i][FEATURES].to_list(),
                              "shap": self.values[i]})
        return frame.reindex(frame["shap"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _parts(model: object, weight: float = 1.0) -> list[tuple[float, Pipeline]]:
    """The (weight, pipeline) pairs whose log-odds make up the model's score."""
    # imported here: the page's reasons and offers need no scikit-learn, and importing it costs a second
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return [(weight, model)]
    if isinstance(model, CalibratedClassifierCV):
        inner = model.calibrated_classifiers_
        return [p for c in inner for p in _parts(c.estimator, weight / len(inner))]
    if isinstance(model, VotingClassifier):
        w = np.asarray(model.weights or [1.0] * len(model.estimators_), dtype=float)
        return [p for wi, est in zip(w / w.sum(), model.estimators_, strict=True) for p in _parts(est, weight * wi)]
    raise TypeError(f"cannot explain a {type(model).__name__}; expected a Pipeline, calibrated or voting model")


def _grouping(names: np.ndarray) -> np.ndarray:
    """A 0/1 matrix mapping each transformed column to the raw feature it came from (longest name wins)."""
    by_length = sorted(FEATURES, key=len, reverse=True)
    group = np.zeros((len(names), len(FEATURES)))
    for i, name in enumerate(names):
        owner = next(f for f in by_length if name == f or name.startswith(f"{f}_"))
        group[i, FEATURES.index(owner)] = 1.0
    return group


class ShapExplainer:
    """Exact, fast SHAP values of the model's log-odds, summed back onto the raw columns."""

    def __init__(self, model: object, background: pd.DataFrame, weights: np.ndarray, seed: int = 0) -> None:
        import shap  # here: importing shap costs about a second, which the chapters without SHAP never pay

        weights = np.asarray(weights, dtype=float) / np.sum(weights)
        draws = np.random.default_rng(seed).choice(len(background), size=_TREE_BACKGROUND, p=weights)
        self._parts = []
        for w, pipe in _parts(model):
            prep, clf = pipe[:-1], pipe[-1]
            z_bg = np.asarray(prep.transform(background[FEATURES]), dtype=float)
            if hasattr(clf, "coef_"):
                mean = weights @ z_bg
                explainer = shap.LinearExplainer(clf, (mean, np.cov(z_bg.T, aweights=weights)))
            else:
                explainer = shap.TreeExplainer(clf, data=z_bg[draws], feature_perturbation="interventional")
            self._parts.append((w, prep, explainer, _grouping(prep.get_feature_names_out())))
        self.base = float(sum(w * np.ravel(e.expected_value)[-1] for w, _, e, _ in self._parts))

    def explain(self, frame: pd.DataFrame) -> Explanation:
        """SHAP values for every row of a frame with the :data:`FEATURES` columns."""
        values = np.zeros((len(frame), len(FEATURES)))
        for w, prep, explainer, group in self._parts:
            z = np.asarray(prep.transform(frame[FEATURES]), dtype=float)
            phi = explainer.shap_values(z)
            phi = phi[..., -1] if np.ndim(phi) == 3 else phi  # some tree models return one slice per class
            values += w * np.asarray(phi) @ group
        return Explanation(values, self.base, frame.reset_index(drop=True))


def strongest_interaction(explanation: Explanation, feature: str) -> str:
    """The feature shap's heuristic finds most entangled with ``feature`` (to colour its dependence plot)."""
    codes = explanation.data[FEATURES].apply(
        lambda c: c.astype(float) if pd.api.types.is_numeric_dtype(c) else pd.Categorical(c.astype(str)).codes
    )
    import shap

    j = FEATURES.index(feature)
    return FEATURES[shap.utils.approximate_interactions(j, explanation.values, codes.to_numpy(float))[0]]


# --- plain English ---------------------------------------------------------------------------


def _months(value: object) -> str:
    months = float(value)  # type: ignore[arg-type]
    return f"{months:.0f} month{'s' if months != 1 else ''} as a customer"


def _having(noun: str) -> dict[str, str]:
    return {"Yes": f"having {noun}", "No": f"no {noun}"}


#: Feature -> a function of the value as text, giving a short phrase.
_PHRASES: dict[str, Callable[[str], str]] = {
    "tenure": _months,
    "MonthlyCharges": lambda v: f"monthly charges of ${float(v):,.2f}",
    "TotalCharges": lambda v: f"${float(v):,.0f} billed so far",
    "SeniorCitizen": lambda v: "being a senior citizen" if int(float(v)) == 1 else "not being a senior citizen",
    "Contract": lambda v: f"a {v.lower()} contract",
    "PaymentMethod": lambda v: f"paying by {v.lower()}",
    "PaperlessBilling": {"Yes": "paperless billing"}.get,
    "InternetService": lambda v: "no internet service" if v == "No" else f"{v} internet",
    "PhoneService": {"Yes": "a phone line"}.get,
    "MultipleLines": {"Yes": "multiple phone lines", "No": "a single phone line"}.get,
    "Partner": _having("a partner").get,
    "Dependents": _having("dependents").get,
}
#: The phrase when the table's lookup has none for the value (a plain "No", or no line at all).
_OTHERWISE = {"PaperlessBilling": "paper billing", "PhoneService": "no phone line", "MultipleLines": "no phone line",
              "Partner": "no a partner", "Dependents": "no dependents"}


def describe(feature: str, value: object) -> str:
    """A short phrase for one feature value, e.g. ``a month-to-month contract``."""
    v = str(value)
    if feature in ADD_ONS:
        label = LABELS[feature][0].lower() + LABELS[feature][1:]  # "Streaming TV" -> "streaming TV"
        return _having(label).get(v, f"no {label} (no internet)")
    phrase = _PHRASES.get(feature)
    if phrase is None:
        return f"{feature} = {v}"
    return phrase(v) or _OTHERWISE[feature]


def reason(feature: str, value: object, contribution: float) -> str:
    """One sentence from one SHAP value: what, which direction, how strongly."""
    size = abs(contribution)
    strength = "strongly " if size >= 0.5 else "" if size >= 0.15 else "slightly "
    direction = "raises" if contribution > 0 else "lowers"
    phrase = describe(feature, value)
    return f"{phrase[0].upper()}{phrase[1:]} {strength}{direction} the churn risk ({contribution:+.2f} log-odds)."


def top_reasons(contributions: pd.DataFrame, k: int = 3) -> list[str]:
    """The ``k`` largest contributions of one customer (a :meth:`Explanation.for_row` frame) as sentences."""
    return [reason(r.feature, r.value, r.shap) for r in contributions.head(k).itertuples()]


def batch_reasons(explanation: Explanation, k: int = 3) -> list[list[str]]:
    """The top ``k`` reasons of every row (for batch scoring)."""
    order = np.argsort(-np.abs(explanation.values), axis=1)[:, :k]
    values = explanation.data[FEATURES].to_numpy(dtype=object)
    return [
        [reason(FEATURES[j], values[i, j], explanation.values[i, j]) for j in cols]
        for i, cols in enumerate(order)
    ]


# --- counterfactual retention offers ---------------------------------------------------------


@dataclass
class Offer:
    """A set of changes to actionable features and the churn probability it leads to."""

    changes: dict[str, tuple[str, str]]
    before: float
    after: float
    below_threshold: bool

    def describe(self) -> str:
        """``Contract: Month-to-month -> Two year; TechSupport: No -> Yes``."""
        return "; ".join(f"{k}: {a} -> {b}" for k, (a, b) in self.changes.items())


@dataclass
class Retention:
    """The search result: the chosen offer (smallest that works, else the best found) and all tried."""

    best: Offer | None
    tried: list[Offer] = field(default_factory=list)


def _alternatives(customer: dict[str, object]) -> dict[str, list[str]]:
    """What each actionable feature could be changed to for this customer."""
    options = {}
    for feature in ACTIONABLE:
        current = str(customer[feature])
        allowed = list(CATEGORIES[feature])
        if feature in ADD_ONS:
            if customer["InternetService"] == "No":
                continue  # online add-ons need an internet line, which an offer does not create
            allowed = ["Yes"]
        options[feature] = [v for v in allowed if v != current]
    return {k: v for k, v in options.items() if v}


def retention_offers(predict_proba, customer: dict[str, object], threshold: float,
                     max_changes: int = MAX_CHANGES) -> Retention:
    """Search every combination of up to ``max_changes`` actionable changes, fewest changes first.

    ``predict_proba`` maps a frame of :data:`FEATURES` to churn probabilities. Charges are held fixed
    (the offer is free for the customer). The best offer is the one with the fewest changes that
    brings the probability below ``threshold``, lowest probability breaking ties; when none does, the
    lowest-probability combination is returned with ``below_threshold=False``.
    """
    alternatives = _alternatives(customer)
    combos: list[dict[str, str]] = []
    for n in range(1, max_changes + 1):
        for features in itertools.combinations(alternatives, n):
            for values in itertools.product(*(alternatives[f] for f in features)):
                combos.append(dict(zip(features, values, strict=True)))
    before = float(predict_proba(pd.DataFrame([customer])[FEATURES])[0])
    if not combos:
        return Retention(None, [])
    rows = pd.DataFrame([{**customer, **c} for c in combos])[FEATURES]
    after = predict_proba(rows)
    tried = [
        Offer({k: (str(customer[k]), v) for k, v in c.items()}, before, float(p), bool(p < threshold))
        for c, p in zip(combos, after, strict=True)
    ]
    tried.sort(key=lambda o: (not o.below_threshold, len(o.changes) if o.below_threshold else 0, o.after))
    return Retention(tried[0], tried)
