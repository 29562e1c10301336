"""One image's calibrated prediction: plain numbers, so pages can show a stored one without PyTorch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Default rejection threshold on the calibrated top-1 probability.
DEFAULT_THRESHOLD = 0.5


@dataclass
class Prediction:
    """One image's calibrated prediction."""

    probs: np.ndarray  # (num_classes,) after temperature scaling
    classes: list[str]
    energy: float  # -T * logsumexp(logits / T); higher = less like the training data
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.classes[int(self.probs.argmax())]

    @property
    def confidence(self) -> float:
        return float(self.probs.max())

    def top_k(self, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-self.probs)[:k]
        return [(self.classes[i], float(self.probs[i])) for i in order]

    def rejected(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the calibrated confidence is under ``threshold``: 'not one of the classes'."""
        return self.confidence < threshold
