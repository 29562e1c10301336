"""Temperature scaling and calibration metrics (Guo et al. 2017).

Temperature scaling divides every logit by one scalar T > 0 fitted to minimise the NLL on held-out
data: it changes confidence, never the predicted class.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F


def nll(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under softmax(logits / T)."""
    return float(F.cross_entropy(logits.float() / temperature, labels))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, *, max_iter: int = 200) -> float:
    """The T that minimises the NLL (optimised as log T, so T stays positive)."""
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")
    logits, labels = logits.float().detach(), labels.detach()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> list[dict[str, float]]:
    """Equal-width confidence bins: for each, its range, count, mean confidence and accuracy."""
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    rows = []
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence > lo) & (confidence <= hi)
        count = int(mask.sum())
        rows.append({
            "lo": float(lo), "hi": float(hi), "count": count,
            "confidence": float(confidence[mask].mean()) if count else 0.0,
            "accuracy": float(correct[mask].mean()) if count else 0.0,
        })
    return rows


def ece(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> float:
    """Expected calibration error: the count-weighted gap between confidence and accuracy per bin."""
    total = len(labels)
    bins = reliability_bins(probs, labels, n_bins)
    return sum(b["count"] / total * abs(b["confidence"] - b["accuracy"]) for b in bins)


def cross_fitted_ece(logits: torch.Tensor, labels: torch.Tensor, seed: int = 0) -> float:
    """ECE after temperature scaling, honest: T fitted on one half, ECE measured on the other, averaged."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    halves = order[: len(order) // 2], order[len(order) // 2 :]
    scores = []
    for fit_idx, test_idx in (halves, halves[::-1]):
        t = fit_temperature(logits[fit_idx], labels[fit_idx])
        scores.append(ece(torch.softmax(logits[test_idx] / t, dim=1), labels[test_idx]))
    return sum(scores) / 2


def coverage_curve(probs: torch.Tensor, labels: torch.Tensor, steps: int = 21) -> list[dict[str, float]]:
    """For confidence thresholds 0..1: the share of images kept and the accuracy on those kept."""
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).float()
    rows = []
    for threshold in torch.linspace(0, 1, steps):
        kept = confidence >= threshold
        n = int(kept.sum())
        rows.append({"threshold": round(float(threshold), 3), "coverage": n / len(labels),
                     "accuracy": float(correct[kept].mean()) if n else 1.0})
    return rows
