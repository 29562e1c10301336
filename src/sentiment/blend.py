"""The served sentiment model: a calibrated logistic blend of the transformer's and the TF-IDF model's log-odds.

    blend log-odds = w_transformer * z_transformer + w_linear * z_linear + bias

``z_*`` are each part's raw (uncalibrated) log-odds of positive. The three numbers are one logistic
regression fitted on the held-out slice of SST-2 train (the slice that also picks the epoch and fits
the temperatures), so its output is already a calibrated probability and needs no temperature of
its own. SST-2 dev is never used to fit it, only to report it. Why a blend: the transformer reads
context (negation, contrast), the TF-IDF model's character n-grams still match parts of a misspelt
word that WordPiece splits into unrelated pieces; the card measures what the blend gains.

Besides the labelled slice, the fit sees neutral sentences (:data:`NEUTRAL_SHARE`, from the same templates the
transformer's augmentation uses, :func:`src.sentiment.augment.neutral`) with a soft target of 0.5 (each row once
as negative and once as positive, at half weight): SST-2 has no neutral text, so without them nothing tells the
blend how sure to be of a timetable line, and its bias (the transformer leans positive on the slice) alone made
such a line ~80% negative.

sklearn's ``LogisticRegression`` fits it; this module only stores the fitted numbers (no pickle).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

#: Key of the blend in the artifact's config.json.
CONFIG_KEY = "blend"
#: Inverse regularisation of the 2-feature logistic regression (sklearn's default; 600 rows, 3 numbers).
BLEND_C = 1.0
CV_FOLDS = 5
#: Cap on the TF-IDF part's raw log-odds (+-2 is 88% sure). That part reads words without their context: in
#: "The plot was not boring at all." it is ~100% sure of "negative" from "boring" and, uncapped, overrules the
#: transformer, which reads the negation (94% positive). First set to 3 by that argument alone; lowered to 2 when
#: the blend gained its neutral rows, because at 3 "The battery life is truly dreadful." came out 0.1 points less
#: negative than "... is poor." (TF-IDF barely knows "dreadful"): so this value was picked with the behaviour suite
#: in view, and that intensifier case is a weak check of it. The held-out 5-fold CV accuracy was the same at
#: 2, 2.5 and 3 (0.898 with the neutral rows; 0.897 or 0.898 for every cap from 1.5 to 4 and uncapped).
LINEAR_CAP = 2.0
#: Neutral template sentences added to the blend's fit, as a share of the labelled slice (60 for 600). Chosen
#: among 0, 2.5, 5 and 10% as the share after which "The film is 104 minutes long..." stayed below the suite's 80%
#: confidence across five draws of the sentences (so the neutral cases are a weak check of it); the 5-fold CV
#: accuracy on the slice did not fall at any of these shares (0.897 without, 0.898 with 10%).
NEUTRAL_SHARE = 0.10
#: Seed of the neutral sentences' draw.
NEUTRAL_SEED = 0


@dataclass(frozen=True)
class Blend:
    """Weights of the two parts' log-odds plus a bias; :meth:`logits` is the blend's log-odds of positive."""

    w_transformer: float
    w_linear: float
    bias: float
    #: :data:`LINEAR_CAP` for blends fitted with it; infinite (no cap) in artifacts from before it.
    linear_cap: float = LINEAR_CAP

    def logits(self, z_transformer: np.ndarray, z_linear: np.ndarray) -> np.ndarray:
        """The blend's log-odds of positive (calibrated: a probability through the sigmoid)."""
        capped = np.clip(np.asarray(z_linear, dtype=float), -self.linear_cap, self.linear_cap)
        return self.w_transformer * np.asarray(z_transformer) + self.w_linear * capped + self.bias

    def parts(self, z_transformer: float, z_linear: float) -> dict[str, float]:
        """What each part adds to the blend's log-odds for one text (they sum to ``total``)."""
        capped = min(max(float(z_linear), -self.linear_cap), self.linear_cap)
        t, lin = self.w_transformer * float(z_transformer), self.w_linear * capped
        return {"transformer": t, "linear": lin, "bias": self.bias, "total": t + lin + self.bias}

    def to_dict(self) -> dict[str, float]:
        """For config.json."""
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict) -> Blend | None:
        """The blend stored in an artifact's config, or None when the artifact has none."""
        stored = config.get(CONFIG_KEY)
        if not stored:
            return None
        return cls(**{k: float(stored[k]) for k in ("w_transformer", "w_linear", "bias")},
                   linear_cap=float(stored.get("linear_cap", np.inf)))


def _features(z_transformer: np.ndarray, z_linear: np.ndarray) -> np.ndarray:
    capped = np.clip(np.asarray(z_linear, dtype=float), -LINEAR_CAP, LINEAR_CAP)
    return np.column_stack([np.asarray(z_transformer, dtype=float), capped])


#: Log-odds of the neutral sentences: (transformer, TF-IDF), each an array.
Neutral = tuple[np.ndarray, np.ndarray]


def _fit(x: np.ndarray, y: np.ndarray, neutral: np.ndarray) -> LogisticRegression:
    """Logistic regression on the labelled rows plus each neutral row as both labels at half weight (target 0.5)."""
    rows = np.vstack([x, neutral, neutral])
    labels = np.r_[y, np.zeros(len(neutral)), np.ones(len(neutral))]
    weights = np.r_[np.ones(len(y)), np.full(2 * len(neutral), 0.5)]
    return LogisticRegression(C=BLEND_C).fit(rows, labels, sample_weight=weights)


def _neutral_features(neutral: Neutral | None) -> np.ndarray:
    return _features(*neutral) if neutral is not None else np.zeros((0, 2))


def fit_blend(z_transformer: np.ndarray, z_linear: np.ndarray, y: np.ndarray, neutral: Neutral | None = None
              ) -> Blend:
    """Fit the blend on labelled log-odds (the held-out slice; never dev) and the neutral sentences' log-odds."""
    lr = _fit(_features(z_transformer, z_linear), np.asarray(y), _neutral_features(neutral))
    return Blend(float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0]), LINEAR_CAP)


def cv_accuracy(z_transformer: np.ndarray, z_linear: np.ndarray, y: np.ndarray, neutral: Neutral | None = None,
                seed: int = 0) -> float:
    """Accuracy of the blend on the slice it is fitted on, each row predicted by a fit without its fold
    (stratified 5-fold; every fold's fit also sees the neutral sentences, which are never scored): the honest
    held-out figure, since the in-sample one is optimistic."""
    x, y = _features(z_transformer, z_linear), np.asarray(y)
    extra = _neutral_features(neutral)
    pred = np.empty_like(y)
    for train, test in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(x, y):
        pred[test] = _fit(x[train], y[train], extra).predict(x[test])
    return float((pred == y).mean())


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def decompose(config: dict, p_transformer: float, p_linear: float) -> dict[str, float] | None:
    """The blend's log-odds for one text split into each part's share, from the parts' calibrated
    P(positive) and the temperatures in the artifact ``config`` (what the page holds without loading
    the model: raw log-odds = temperature x logit(p)). None when the artifact has no blend."""
    blend = Blend.from_config(config)
    if blend is None:
        return None
    temps = config.get("calibration", {})
    z_t = temps.get("transformer", {}).get("temperature", 1.0) * _logit(p_transformer)
    z_l = temps.get("linear", {}).get("temperature", 1.0) * _logit(p_linear)
    return blend.parts(z_t, z_l) | {"w_transformer": blend.w_transformer, "w_linear": blend.w_linear,
                                    "linear_cap": blend.linear_cap}
