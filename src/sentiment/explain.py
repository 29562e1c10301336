"""Why a model said what it said: token attributions for the transformer, n-gram weights for the linear model.

Integrated gradients (captum) over the word embeddings rather than SHAP's text explainer: IG needs
one batched forward/backward pass of ``n_steps`` interpolations (a few hundred ms here), where
SHAP's partition explainer needs hundreds of forward passes, and IG comes with a faithfulness
check for free: by *completeness* the attributions sum to f(input) - f(baseline), and captum
reports how far they are from it (``delta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from src.sentiment import baselines
from src.sentiment.data import LABELS
from src.sentiment.predict import Predictor

if TYPE_CHECKING:
    import torch


@dataclass
class Attribution:
    """Per-word attributions toward one class, over the original text's characters."""

    text: str
    target: str
    #: (start, end, score) per word, in order; ``text[start:end]`` is the word as typed.
    spans: list[tuple[int, int, float]]
    #: f(input) - f(baseline) for the explained margin, and the IG approximation error.
    margin_gap: float
    delta: float


def explain_transformer(predictor: Predictor, text: str, target: str = "positive", n_steps: int = 32) -> Attribution:
    """Integrated gradients of ``logit[target] - logit[other]`` w.r.t. the word embeddings.

    The baseline keeps [CLS]/[SEP] and replaces every other token by [PAD], so only the words
    themselves are credited. Word pieces are summed into words.
    """
    import torch  # here: the page reads stored attributions (src.sentiment.showcase) without importing torch
    from captum.attr import LayerIntegratedGradients

    if target not in LABELS:
        raise ValueError(f"target must be one of {LABELS}")
    scorer = predictor.transformer
    model, tokenizer = scorer.model, scorer.tokenizer
    enc = scorer.encode(text, truncation=True, max_length=scorer.max_length, return_offsets_mapping=True,
                        return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    baseline = torch.where(torch.isin(ids, torch.tensor(tokenizer.all_special_ids)), ids,
                           torch.full_like(ids, tokenizer.pad_token_id))
    t = LABELS.index(target)

    def margin(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
        return logits[:, t] - logits[:, 1 - t]

    embeddings = model.get_input_embeddings()
    with predictor.lock:
        ig = LayerIntegratedGradients(margin, embeddings)
        attr, delta = ig.attribute(ids, baselines=baseline, additional_forward_args=(mask,), n_steps=n_steps,
                                   internal_batch_size=n_steps, return_convergence_delta=True)
        with torch.no_grad():
            gap = float(margin(ids, mask) - margin(baseline, mask))
    scores = attr.sum(-1)[0].tolist()
    pieces = tokenizer.convert_ids_to_tokens(ids[0])
    spans: list[tuple[int, int, float]] = []
    for (start, end), piece, score in zip(enc["offset_mapping"][0].tolist(), pieces, scores, strict=True):
        if start == end:  # special tokens
            continue
        if piece.startswith("##") and spans:
            s0, _, s = spans[-1]
            spans[-1] = (s0, end, s + score)
        else:
            spans.append((start, end, score))
    return Attribution(text, target, spans, gap, float(delta.abs().item()))


def explain_linear(predictor: Predictor, text: str, n: int = 10) -> list[dict[str, object]]:
    """The linear model's top n-grams in this text (tf-idf x coefficient; positive = toward positive)."""
    return baselines.top_ngrams(predictor.linear, text, n)


def explain_linear_many(predictor: Predictor, texts: list[str], n: int = 3) -> list[list[dict[str, object]]]:
    """:func:`explain_linear` for a whole batch in one pass (what the batch chapter uses)."""
    return baselines.top_ngrams_many(predictor.linear, texts, n)
