"""Fit the answer checks' thresholds on labelled examples, and check them on held-out ones.

    python -m src.rag.calibrate           # fitted thresholds, and accuracy on both splits
    python -m src.rag.calibrate --json

Two labelled sets, both written by hand for this project (no third-party text; see each file):

- ``support_set.jsonl``: a short passage, a claim about it, and whether the passage supports it.
  Claims come in kinds: verbatim, paraphrase, fragment (supported), invented, negation, drift,
  number and name (not supported). Whole passages are held out (``split``), so the held-out figures
  are on passages the thresholds never saw.
- ``injection_set.jsonl``: sentences that are instructions to an AI assistant, and benign ones
  (including instructions to people and text about references and owners), split every third line.

The support rule is :class:`src.rag.verify.Thresholds`; the fit is a grid search that maximises
F0.5 (precision counts double: a wrong "verified" is worse than a dropped sentence). The fitted
values are copied into ``verify.SIMILARITY``/``LEXICAL_*`` and ``injection.THRESHOLD`` by hand, so a
reviewer sees every change; this command says whether the committed constants still match.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from src.rag import injection, verify
from src.rag.chunking import split_sentences
from src.rag.embed import Embedder

SUPPORT_FILE = Path(__file__).with_name("support_set.jsonl")


def _f05(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = float((pred & truth).sum())
    precision = tp / max(pred.sum(), 1)
    recall = tp / max(truth.sum(), 1)
    return 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0


def _report(pred: np.ndarray, truth: np.ndarray) -> dict:
    tp = int((pred & truth).sum())
    return {"n": len(truth), "accuracy": round(float((pred == truth).mean()), 3),
            "precision": round(tp / max(int(pred.sum()), 1), 3), "recall": round(tp / max(int(truth.sum()), 1), 3),
            "false_verified": int((pred & ~truth).sum())}


def support_features(rows: list[dict], embedder: Embedder) -> list[tuple[float, float, bool]]:
    """(similarity, recall, other rules pass) per example, as :func:`src.rag.verify.verify` sees them."""
    passages = list(dict.fromkeys(row["passage"] for row in rows))
    split = {p: split_sentences(p) for p in passages}
    flat = embedder.encode([s for p in passages for s in split[p]])  # one batch: the set embeds in seconds
    vectors, offset = {}, 0
    for p in passages:
        vectors[p], offset = flat[offset:offset + len(split[p])], offset + len(split[p])
    claims = embedder.encode([row["claim"] for row in rows])
    out = []
    for row, claim in zip(rows, claims, strict=True):
        v = verify.verify(row["claim"], claim, row["passage"], split[row["passage"]], vectors[row["passage"]],
                          verify.Thresholds(-1.0, -1.0, 0.0))  # support always passes: see the other rules
        out.append((v.similarity, v.recall, v.verified))
    return out


def fit_support(embedder: Embedder) -> dict:
    """Grid-search the support thresholds on the calibration split; report both splits."""
    rows = [json.loads(line) for line in SUPPORT_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    feats = support_features(rows, embedder)
    truth = np.array([r["label"] == 1 for r in rows])
    calib = np.array([r["split"] == "calibration" for r in rows])

    def predict(rule: verify.Thresholds, mask: np.ndarray) -> np.ndarray:
        return np.array([ok and rule.supports(s, r) for (s, r, ok), m in zip(feats, mask, strict=True) if m])

    grid = itertools.product(np.arange(0.5, 0.91, 0.02), np.arange(0.3, 0.71, 0.05), np.arange(0.5, 1.01, 0.1))
    best = max((verify.Thresholds(round(a, 2), round(b, 2), round(c, 2)) for a, b, c in grid if b <= a),
               # among equally good rules, the strictest: the labelled set is small and has few garbled sentences
               key=lambda rule: (round(_f05(predict(rule, calib), truth[calib]), 6), rule.lexical_similarity,
                                 rule.lexical_recall, rule.similarity))
    committed = verify.DEFAULT
    return {
        "fitted": best.__dict__, "committed": committed.__dict__,
        "calibration": _report(predict(committed, calib), truth[calib]),
        "heldout": _report(predict(committed, ~calib), truth[~calib]),
        "heldout_with_fitted": _report(predict(best, ~calib), truth[~calib]),
    }


def fit_injection(embedder: Embedder) -> dict:
    """Fit the margin threshold on the calibration split (leave-one-out margins), check the held-out split."""
    examples = injection.load_set()
    vectors = embedder.encode([e.text for e in examples])
    bad = np.array([e.label == "injection" for e in examples])
    calib = np.array([e.split == "calibration" for e in examples])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)  # leave-one-out: an example is never its own neighbour
    rows, c_bad, c_good = sims[calib], calib & bad, calib & ~bad
    margins_c = injection.margins(rows[:, c_bad], rows[:, c_good])
    truth_c = bad[calib]
    rules_c = np.array([injection.looks_like_injection(e.text) or injection.addresses_assistant(e.text)
                        for e, c in zip(examples, calib, strict=True) if c])
    best = max(np.arange(-0.1, 0.2, 0.01), key=lambda t: (_f05(rules_c | (margins_c > t), truth_c), t))
    held = sims[~calib]
    margins_h = injection.margins(held[:, c_bad], held[:, c_good])
    truth_h = bad[~calib]
    rules = np.array([injection.looks_like_injection(e.text) or injection.addresses_assistant(e.text)
                      for e in examples])
    regex = np.array([injection.looks_like_injection(e.text) for e in examples])
    t = injection.THRESHOLD
    return {
        "fitted_threshold": round(float(best), 2), "committed_threshold": t,
        "calibration_all_checks_loo": _report(rules[calib] | (margins_c > t), truth_c),
        "heldout_regex_only": _report(regex[~calib], truth_h),
        "heldout_classifier_only": _report(margins_h > t, truth_h),
        "heldout_all_checks": _report(rules[~calib] | (margins_h > t), truth_h),
    }


def main(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Fit and check the support rule and the injection classifier."""
    embedder = Embedder()
    result = {"support": fit_support(embedder), "injection": fit_injection(embedder)}
    typer.echo(json.dumps(result, indent=None if as_json else 2))


if __name__ == "__main__":
    typer.run(main)
