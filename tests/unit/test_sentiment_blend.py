"""The served blend: a logistic regression over the transformer's and the TF-IDF model's log-odds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from src.core.calibration import probabilities
from src.sentiment import baselines
from src.sentiment.blend import LINEAR_CAP, Blend, cv_accuracy, decompose, fit_blend
from src.sentiment.predict import MODELS, SERVED, Predictor

TEXTS = ["a lovely warm film", "a dull tedious mess", "lovely and moving", "tedious and dull"]


class FixedTransformer:
    """Stands in for the TransformerScorer: fixed log-odds per text (no torch)."""

    approximate = False  # exact log-odds: nothing to re-check

    def __init__(self, logits: dict[str, float]) -> None:
        self.table = logits

    def logits(self, texts):
        return np.array([self.table[t] for t in texts], dtype=np.float32)

    def token_count(self, text: str) -> int:
        return len(text.split())

    def token_stats(self, texts):
        return [len(t.split()) for t in texts], [0 for _ in texts]


def _predictor(config: dict) -> Predictor:
    linear = Pipeline([("features", TfidfVectorizer()), ("clf", LogisticRegression())]).fit(TEXTS, [1, 0, 1, 0])
    transformer = FixedTransformer(dict(zip(TEXTS, [3.0, -2.5, 1.5, -0.5], strict=True)))
    return Predictor(transformer, linear, baselines.Vader(), config)  # type: ignore[arg-type]


def test_fit_recovers_the_logistic_combination_it_was_drawn_from():
    rng = np.random.default_rng(0)
    z_t, z_l = rng.normal(0, 3, 4000), rng.normal(0, 2, 4000)
    true = Blend(0.8, 0.3, -0.4)
    y = (rng.random(4000) < 1 / (1 + np.exp(-true.logits(z_t, z_l)))).astype(int)
    fitted = fit_blend(z_t, z_l, y)
    assert fitted.w_transformer == pytest.approx(0.8, abs=0.1) and fitted.w_linear == pytest.approx(0.3, abs=0.1)
    assert fitted.bias == pytest.approx(-0.4, abs=0.15)
    assert 0.5 < cv_accuracy(z_t, z_l, y) <= 1.0


def test_served_logits_are_the_blend_of_both_parts():
    blend = Blend(0.46, 0.33, -0.5)
    predictor = _predictor({"calibration": {"transformer": {"temperature": 1.8}}, "blend": blend.to_dict()})
    z = predictor.raw_logits(TEXTS)
    assert set(z) == set(MODELS) and MODELS[0] == SERVED
    linear = np.clip(baselines.linear_logits(predictor.linear, TEXTS), -LINEAR_CAP, LINEAR_CAP)
    expected = 0.46 * z["transformer"] + 0.33 * linear - 0.5
    np.testing.assert_allclose(z[SERVED], expected, rtol=1e-6)
    p = predictor.probabilities(TEXTS)[SERVED]  # the blend is calibrated by its own fit: no temperature
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-expected)), rtol=1e-6)
    assert predictor.analyse("a lovely warm film").scores[SERVED].label == "positive"


def test_without_a_fitted_blend_the_served_model_is_the_calibrated_transformer():
    predictor = _predictor({"calibration": {"transformer": {"temperature": 2.0}}})
    p = predictor.probabilities(TEXTS)
    np.testing.assert_allclose(p[SERVED], p["transformer"], rtol=1e-6)
    assert Blend.from_config({}) is None


def test_the_page_splits_the_blend_into_each_parts_share():
    blend, temps = Blend(0.5, 0.25, 0.1), {"transformer": {"temperature": 1.7}, "linear": {"temperature": 1.3}}
    z_t, z_l = 2.4, -1.1
    p_t, p_l = probabilities(np.array([z_t]), 1.7)[0], probabilities(np.array([z_l]), 1.3)[0]
    shares = decompose({"calibration": temps, "blend": blend.to_dict()}, p_t, p_l)
    assert shares is not None
    assert shares["transformer"] == pytest.approx(0.5 * z_t, rel=1e-5)
    assert shares["linear"] == pytest.approx(0.25 * z_l, rel=1e-5)
    assert shares["total"] == pytest.approx(float(blend.logits(z_t, z_l)), rel=1e-5)
    assert decompose({"calibration": temps}, p_t, p_l) is None


def test_a_word_counting_part_cannot_overrule_the_transformer_beyond_its_cap():
    """"not boring": the TF-IDF part is ~100% sure of negative, the transformer 94% sure of positive."""
    blend = Blend(0.46, 0.33, -0.5)
    z_transformer, z_linear = 5.0, -12.0
    assert blend.logits(z_transformer, z_linear) == pytest.approx(0.46 * 5.0 - 0.33 * LINEAR_CAP - 0.5)
    assert blend.logits(z_transformer, z_linear) > 0
    assert blend.parts(z_transformer, z_linear)["linear"] == pytest.approx(-0.33 * LINEAR_CAP)
    legacy = Blend.from_config({"blend": {"w_transformer": 0.46, "w_linear": 0.33, "bias": -0.5}})
    assert legacy is not None and legacy.logits(z_transformer, z_linear) < 0  # fitted before the cap: uncapped


def test_neutral_rows_keep_the_blend_unsure_where_neither_part_reads_sentiment():
    """A biased slice pushes the bias away from 0; neutral rows (target 0.5 at log-odds ~0) pull it back."""
    rng = np.random.default_rng(1)
    y = (rng.random(600) < 0.45).astype(int)
    z_t = np.where(y == 1, 3.0, -3.0) + rng.normal(0.8, 2.0, 600)  # leans positive, like the transformer
    z_l = np.where(y == 1, 1.0, -1.0) + rng.normal(0, 1.5, 600)
    neutral = (rng.normal(0, 0.3, 60), rng.normal(0, 1.0, 60))
    plain, with_neutral = fit_blend(z_t, z_l, y), fit_blend(z_t, z_l, y, neutral)
    assert abs(with_neutral.bias) < abs(plain.bias)
    assert abs(float(with_neutral.logits(0.0, 0.0))) < abs(float(plain.logits(0.0, 0.0)))
    assert cv_accuracy(z_t, z_l, y, neutral) == pytest.approx(cv_accuracy(z_t, z_l, y), abs=0.02)


class _Tokenizer:
    """Just the vocabulary the speller asks the transformer's tokenizer for."""

    def get_vocab(self) -> dict[str, int]:
        return {"lovely": 0, "warm": 1, "film": 2}


def test_with_spelling_on_every_model_reads_the_corrected_text():
    blend = Blend(0.46, 0.33, -0.5)
    off = _predictor({"calibration": {}, "blend": blend.to_dict()})
    on = _predictor({"calibration": {}, "blend": blend.to_dict(), "spelling": {"max_edits": 1}})
    on.transformer.tokenizer = off.transformer.tokenizer = _Tokenizer()
    typo = ["a lovely warm flim"]
    assert on.read(typo) == ["a lovely warm film"] and off.read(typo) == typo
    assert on.raw_logits(typo)["transformer"][0] == pytest.approx(3.0)  # the FixedTransformer's "a lovely warm film"
    with pytest.raises(KeyError):
        off.raw_logits(typo)  # read as typed: a text the stand-in transformer does not know
    analysis = on.analyse("a lovely warm flim")
    assert analysis.text == "a lovely warm film" and any("'flim' as 'film'" in n for n in analysis.notes)


def test_analyse_corrects_the_spelling_once(monkeypatch):
    on = _predictor({"calibration": {}, "blend": Blend(0.46, 0.33, -0.5).to_dict(), "spelling": {"max_edits": 1}})
    on.transformer.tokenizer = _Tokenizer()
    speller = on.speller
    passes: list[str] = []
    for name in ("correct", "correct_many"):
        real = getattr(speller, name)
        monkeypatch.setattr(speller, name, lambda x, real=real, name=name: passes.append(name) or real(x))
    on.analyse("a lovely warm flim")
    assert passes == ["correct"]


def test_an_artifact_without_a_blend_is_not_titled_a_blend():
    from src.sentiment.predict import MODEL_TITLES, UNBLENDED_TITLE, model_title

    assert model_title(SERVED, {}) == UNBLENDED_TITLE and "blend" not in UNBLENDED_TITLE.replace("no blend", "")
    assert model_title(SERVED, {"blend": Blend(0.5, 0.3, 0.0).to_dict()}) == MODEL_TITLES[SERVED]
    assert model_title("transformer", {}) == MODEL_TITLES["transformer"]
