"""A built-in behaviour suite (CheckList style): does each model handle negation, contrast, names...?

The cases live in ``behaviour_cases.yaml`` beside this file, so they read as data; this module only
runs them against any function that maps texts to calibrated P(positive) per model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CASES_FILE = Path(__file__).with_name("behaviour_cases.yaml")
CAPABILITIES = {
    "negation": "Negation", "intensifiers": "Intensifiers", "contrast": "Contrast (but / although)",
    "entity_swap": "Named-entity swaps", "typos": "Typos", "neutral": "Neutral / off-topic",
}
#: How much an intensified text may lose in confidence and still pass (rounding noise).
TOLERANCE = 0.01
#: A neutral or off-topic case passes when the model's confidence stays below this (unless the case sets its own).
NEUTRAL_MAX_CONFIDENCE = 0.8

Scorer = Callable[[Sequence[str]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Case:
    """One behaviour test."""

    capability: str
    kind: str
    texts: tuple[str, ...]
    expect: str | None = None
    max_confidence: float = NEUTRAL_MAX_CONFIDENCE

    @property
    def description(self) -> str:
        """A one-line description for the table."""
        if self.kind == "stronger":
            return f"'{self.texts[1]}' at least as {self.expect} as '{self.texts[0]}'"
        if self.kind == "uncertain":
            return f"'{self.texts[0]}' gets confidence < {self.max_confidence:.0%}"
        if self.kind == "invariant":
            return f"{len(self.texts)} variants all {self.expect}: " + " / ".join(f"'{t}'" for t in self.texts)
        return f"'{self.texts[0]}' -> {self.expect}"


@lru_cache(maxsize=1)
def load_cases(path: Path = CASES_FILE) -> tuple[Case, ...]:
    """Every case in the YAML file, in order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for capability, items in raw.items():
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r} in {path.name}")
        for item in items:
            cases.append(Case(capability, item["kind"], tuple(item["texts"]), item.get("expect"),
                              float(item.get("max_confidence", NEUTRAL_MAX_CONFIDENCE))))
    return tuple(cases)


def check(case: Case, p_pos: np.ndarray) -> bool:
    """Whether one model's P(positive) for the case's texts passes it."""
    positive = case.expect == "positive"
    conf_expected = p_pos if positive else 1 - p_pos  # confidence in the expected label
    if case.kind in {"label", "invariant"}:
        return bool(np.all(conf_expected > 0.5))
    if case.kind == "stronger":
        return bool(conf_expected[1] > 0.5 and conf_expected[1] >= conf_expected[0] - TOLERANCE)
    if case.kind == "uncertain":
        return bool(np.all(np.maximum(p_pos, 1 - p_pos) < case.max_confidence))
    raise ValueError(f"unknown case kind {case.kind!r}")


def run(scorer: Scorer, cases: Sequence[Case] | None = None) -> pd.DataFrame:
    """One row per case and model: passed or not, with the scores (all texts scored in one batch)."""
    cases = list(cases or load_cases())
    texts = [t for case in cases for t in case.texts]
    probs = scorer(texts)
    rows, start = [], 0
    for case in cases:
        end = start + len(case.texts)
        for model, p in probs.items():
            rows.append({"capability": case.capability, "case": case.description, "model": model,
                         "passed": check(case, p[start:end]),
                         "p_positive": ", ".join(f"{v:.2f}" for v in p[start:end])})
        start = end
    return pd.DataFrame(rows)


def pass_rates(results: pd.DataFrame) -> pd.DataFrame:
    """Pass rate per capability (rows) and model (columns), plus the number of cases."""
    table = results.pivot_table(index="capability", columns="model", values="passed", aggfunc="mean", sort=False)
    table.insert(0, "cases", results.groupby("capability", sort=False)["case"].nunique())
    return table.rename(index=CAPABILITIES)
