"""The transformer's training augmentation, on phrases built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from src.sentiment.augment import SOFT_TARGET, AugmentSettings, augment, misspell, sentiment_words
from src.sentiment.behaviour import load_cases
from src.sentiment.finetune import eval_points, soft_cross_entropy


def _train() -> pd.DataFrame:
    rows = [("boring", 0), ("lovely", 1), ("dull", 0), ("quickly", 1), ("charming", 1)]
    rows += [(f"the {t} was {w}", y) for t in ("film", "meal", "plot") for w, y in rows[:3]] * 2
    rows += [("the story moves quickly", 1), ("a charming and funny story", 1), ("the cast was charming", 1)]
    return pd.DataFrame(rows, columns=["sentence", "label"])


def test_sentiment_words_are_predicative_single_word_phrases():
    words = sentiment_words(_train())
    assert dict(zip(words["word"], words["label"], strict=True)) == {"boring": 0, "lovely": 1, "dull": 0}


def test_augment_adds_flipped_negations_typos_and_soft_neutral_rows():
    train = _train()
    out = augment(train, AugmentSettings(negation=200, typos=50, neutral=40), seed=3)
    assert len(out) <= len(train) + 290 and len(out) > len(train) + 200  # only suite texts may be dropped
    negated = out[out["sentence"].str.contains(r"\bnot (?:boring|dull)(?: at all)?$", regex=True)]
    assert len(negated) and (negated["label"] == 1.0).all()  # "not boring" is positive
    assert (out.loc[out["sentence"].str.contains(r"\bnot lovely$"), "label"] == 0.0).all()
    assert (out["label"] == SOFT_TARGET).sum() == 40
    assert set(out["label"].unique()) <= {0.0, SOFT_TARGET, 1.0}
    suite = {t.lower().rstrip(".") for case in load_cases() for t in case.texts}
    assert not set(out["sentence"].str.lower().str.rstrip(".")) & suite  # the behaviour suite stays unseen


def test_misspell_changes_one_letter_and_keeps_the_first():
    rng = np.random.default_rng(0)
    typos = [misspell("wonderful", rng) for _ in range(50)]
    assert all(t[0] == "w" and abs(len(t) - 9) <= 1 for t in typos)
    assert sum(t != "wonderful" for t in typos) >= 40  # a replaced letter may, rarely, be the same one


def test_soft_cross_entropy_matches_cross_entropy_on_hard_labels_and_wants_0_for_half():
    logits = torch.tensor([[0.3, -1.2], [2.0, 0.5], [0.0, 0.0]])
    hard = torch.tensor([1, 0, 1])
    assert torch.allclose(soft_cross_entropy(logits, hard.float()), torch.nn.functional.cross_entropy(logits, hard))
    z = torch.zeros(1, 2, requires_grad=True)
    soft_cross_entropy(z, torch.tensor([0.5])).backward()
    assert torch.allclose(z.grad, torch.zeros(1, 2))  # equal logits are the optimum for a 0.5 target


def test_eval_points_spread_over_each_epoch_and_include_the_last_step():
    assert eval_points(total=200, steps_per_epoch=100, per_epoch=2) == {50, 100, 150, 200}
    assert eval_points(total=130, steps_per_epoch=100, per_epoch=1) == {100, 130}
    assert eval_points(total=7, steps_per_epoch=100, per_epoch=4) == {7}
