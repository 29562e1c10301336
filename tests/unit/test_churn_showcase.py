"""The churn page's stored first screens equal a live computation, and a stale or broken file is ignored.

A smoke model is trained here on made-up customers; nothing reads the Telco data.
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from src.churn import charts, data, showcase, train
from src.churn.explain import retention_offers, strongest_interaction
from src.core import contract

CUSTOMER = {**data.synthetic(1, seed=5)[data.FEATURES].iloc[0].to_dict(), "Contract": "Month-to-month",
            "InternetService": "Fiber optic", "OnlineSecurity": "No", "TechSupport": "No"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """A smoke-trained artifact (seconds) and its predictor."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTFOLIO_TRACKING", "0")
        mp.setattr(data, "load", lambda: data.synthetic(500, seed=11))
        out = tmp_path_factory.mktemp("churn") / "churn"
        result = CliRunner().invoke(train.app, ["--smoke", "--limit", "400", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, contract.load("churn", out)


def test_stored_curves_are_the_live_figures_and_another_version_is_recomputed(smoke, tmp_path):
    folder, _ = smoke
    with np.load(folder / contract.OOF_FILE) as arrays:
        y, p = arrays["y"], arrays["p"]
    live = [charts.roc(y, p), charts.pr(y, p), charts.gains(y, p), charts.calibration(y, p)]
    showcase.figures("v1", y, p, tmp_path)
    stored = showcase.figures("v1", y, p, tmp_path)
    assert [f.to_plotly_json() for f in stored] == [f.to_plotly_json() for f in live]
    flipped = 1 - y  # other labels under another version: the v1 file must not answer
    assert showcase.figures("v2", flipped, p, tmp_path)[0].to_plotly_json() == charts.roc(flipped, p).to_plotly_json()
    assert showcase.figures("v1", flipped, p, tmp_path)[0].to_plotly_json() != charts.roc(flipped, p).to_plotly_json()


def test_stored_example_customer_answers_as_the_model_does(smoke, tmp_path):
    _, pred = smoke
    showcase.build_example(pred, "v1", CUSTOMER, tmp_path)
    known = showcase.example("v1", CUSTOMER, tmp_path)
    assert known is not None
    row, _ = pred.complete(CUSTOMER)
    np.testing.assert_allclose(known.proba(row), pred.predict_proba(row))
    live = pred.explain(row)
    stored = known.explanation(row)
    np.testing.assert_allclose(stored.values, live.values)
    assert stored.base == pytest.approx(live.base)
    assert stored.for_row(0).equals(live.for_row(0))

    def cached(frame):
        found = known.proba(frame)
        assert found is not None, "a retention offer was not stored"
        return found

    for t in (0.05, pred.threshold, 0.9):  # the stored offers serve any threshold
        a, b = retention_offers(cached, row.iloc[0].to_dict(), t), retention_offers(pred.predict_proba,
                                                                                  row.iloc[0].to_dict(), t)
        assert [(o.changes, o.after, o.below_threshold) for o in a.tried] == [
            (o.changes, o.after, o.below_threshold) for o in b.tried]


def test_example_from_another_model_or_customer_is_ignored(smoke, tmp_path):
    _, pred = smoke
    showcase.build_example(pred, "v1", CUSTOMER, tmp_path)
    assert showcase.example("v2", CUSTOMER, tmp_path) is None
    assert showcase.example("v1", {**CUSTOMER, "tenure": CUSTOMER["tenure"] + 1}, tmp_path) is None
    known = showcase.example("v1", CUSTOMER, tmp_path)
    other, _ = pred.complete({**CUSTOMER, "tenure": 71.0})
    assert known.proba(other) is None and known.explanation(other) is None  # another customer: scored live


def test_stored_shap_summary_equals_the_live_one(smoke, tmp_path):
    _, pred = smoke
    customers = data.synthetic(300, seed=4)
    built, partners = showcase.build_sample(pred.explain, customers, "v1", tmp_path)
    stored, stored_partners = showcase.sample("v1", tmp_path)
    live = pred.explain(customers.sample(min(showcase.SAMPLE, len(customers)), random_state=0)[data.FEATURES])
    np.testing.assert_allclose(stored.values, live.values)
    np.testing.assert_allclose(built.values, live.values)
    assert stored.base == pytest.approx(live.base)
    assert stored.data.equals(live.data) and (stored.data.dtypes == live.data.dtypes).all()
    assert stored_partners == partners == {f: strongest_interaction(live, f) for f in data.FEATURES}
    assert showcase.sample("v2", tmp_path) is None


def test_a_broken_or_foreign_file_is_ignored(smoke, tmp_path, monkeypatch):
    _, pred = smoke
    showcase.build_sample(pred.explain, data.synthetic(100, seed=4), "v1", tmp_path)
    monkeypatch.setattr(showcase, "SAMPLE", 50)  # another sample size: another key
    assert showcase.sample("v1", tmp_path) is None
    monkeypatch.undo()
    assert showcase.sample("v1", tmp_path) is not None
    (tmp_path / "sample-v1.json").write_text('{"key": ')
    assert showcase.sample("v1", tmp_path) is None
