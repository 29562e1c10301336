"""The champion/challenger gate: a retrained model replaces the committed one only if it is not worse.

"Worse" means worse on the card's headline metric by more than that metric's noise:
- churn: the standard deviation over the cross-validation folds (``Metric.std`` in the card);
- vision and sentiment: half the width of the 95% bootstrap interval on the validation split, read from
  the card when it records one (``extra["bootstrap"][metric] = {"low", "high"}``), else the normal
  approximation of that interval for an accuracy, ``1.96 * sqrt(p (1 - p) / n)``, with ``n`` the size
  of the evaluation split given in the metric's protocol.
A tie within the noise keeps the newer model: it was trained by the same protocol on the current code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from src.core.cards import Card, Metric

#: Metrics where a smaller value is better (matched on the name, lower-case).
LOWER_IS_BETTER = ("brier", "log loss", "ece", "latency", "error")
_SPLIT_SIZE = re.compile(r"(\d{1,3}(?:,\d{3})+|\d{3,})\s+(?:images|sentences|questions|rows|customers|phrases)")


@dataclass(frozen=True)
class Figure:
    """A headline metric of one model with its noise."""

    metric: str
    value: float
    noise: float
    noise_kind: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class Decision:
    """What the gate decided, with both figures and the reason in words."""

    promote: bool
    champion: Figure | None
    challenger: Figure
    reason: str

    @property
    def label(self) -> str:
        return "promoted challenger" if self.promote else "kept champion"


def higher_is_better(name: str) -> bool:
    """False for losses, calibration errors and latencies."""
    return not any(word in name.lower() for word in LOWER_IS_BETTER)


def _split_size(metric: Metric) -> int | None:
    match = _SPLIT_SIZE.search(metric.protocol)
    return int(match.group(1).replace(",", "")) if match else None


def noise_of(card: Card, metric: Metric) -> tuple[float, str]:
    """The metric's noise and where it came from: the card's bootstrap interval, its std (CV folds, or a
    bootstrap std turned into a 95% half-width), or the normal approximation for an accuracy."""
    boot = (card.extra.get("bootstrap") or {}).get(metric.name) if isinstance(card.extra, dict) else None
    if isinstance(boot, dict) and {"low", "high"} <= set(boot):
        return (float(boot["high"]) - float(boot["low"])) / 2, "half the 95% bootstrap interval"
    if metric.std is not None:
        if "bootstrap" in metric.protocol.lower():
            return 1.96 * float(metric.std), "1.96 x the bootstrap std (95% half-width)"
        return float(metric.std), "std over CV folds"
    n = _split_size(metric)
    if n and 0.0 <= metric.value <= 1.0:
        return 1.96 * math.sqrt(metric.value * (1 - metric.value) / n), f"95% interval half-width, n={n:,}"
    return 0.0, "no noise recorded"


def figure(card: Card, metric_name: str | None = None) -> Figure:
    """The card's headline (or named) metric with its noise."""
    metric = card.metric(metric_name) if metric_name else card.headline
    if metric is None:
        raise KeyError(f"the {card.demo} card has no metric {metric_name!r}")
    noise, kind = noise_of(card, metric)
    return Figure(metric.name, float(metric.value), noise, kind, higher_is_better(metric.name))


def decide(champion: Card | None, challenger: Card) -> Decision:
    """Promote unless the challenger's headline is worse than the champion's by more than the noise."""
    new = figure(challenger)
    if champion is None:
        return Decision(True, None, new, "no champion yet: the first model becomes the champion")
    try:
        old = figure(champion, new.metric)
    except KeyError:
        return Decision(False, figure(champion), new,
                        f"the challenger reports {new.metric!r}, the champion does not: not comparable, kept")
    # The champion's noise, measured on the committed protocol: a small or unlucky challenger has a wide
    # interval of its own, and taking the larger one would let a clearly worse model through.
    noise, kind = old.noise, old.noise_kind
    gap = (new.value - old.value) if new.higher_is_better else (old.value - new.value)
    verdict = (f"{new.metric}: challenger {new.value:.4f} vs champion {old.value:.4f} "
               f"(noise ±{noise:.4f}: {kind}, the champion's)")
    if gap < -noise:
        return Decision(False, old, new, f"{verdict}; worse by {-gap:.4f}, more than the noise: kept the champion")
    if gap > noise:
        return Decision(True, old, new, f"{verdict}; better by {gap:.4f}, more than the noise: promoted")
    return Decision(True, old, new, f"{verdict}; within the noise, so not worse: promoted the retrained model")
