"""The churn chapters and the Model health runs chapter draw cold from their stored first screens.

With the churn cache (``src.churn.showcase``) and the runs snapshot (``src.mlops.snapshot``) built
into a temporary folder, each chapter renders in a fresh interpreter without importing
scikit-learn, skops, shap or MLflow, and shows what a live computation shows. No timings here:
``python -m src.bench chapters`` measures them.
"""

from __future__ import annotations

import pytest

from src.churn import showcase
from src.core import contract, tracking
from tests.app.test_cold_pages import _chapters_without_loading, _fresh

CHURN_HEAVY = ["sklearn", "skops", "shap", "torch"]


@pytest.mark.skipif(contract.get("churn").missing(), reason="no committed churn model")
def test_churn_chapters_draw_from_the_store_without_scikit_learn(tmp_path, monkeypatch):
    monkeypatch.setattr(showcase, "CACHE_DIR", tmp_path)
    showcase.build_all()
    chapters = ["performance", "drivers", "customer", "action", "batch", "fairness"]
    patch = (f"import pathlib, src.churn.showcase as sc; sc.CACHE_DIR = pathlib.Path({str(tmp_path)!r}); "
             "import src.ui.loader as loader; loader.preload = lambda demo: None")
    result = _chapters_without_loading("app_pages/churn.py", chapters, patch, CHURN_HEAVY)
    assert result["heavy"] == [], "a first screen imported the model's libraries"
    from src.churn.predict import default_predictor

    pred = default_predictor()
    row, _ = pred.complete(showcase.EXAMPLE_CUSTOMER)
    live = f"Churn probability: {float(pred.predict_proba(row)[0]):.1%}"
    assert live in result["shown"]["customer"], result["shown"]["customer"]


def test_runs_chapter_draws_from_the_snapshot_without_mlflow(tmp_path, monkeypatch):
    from src.mlops import registry, snapshot

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(tracking, "DEFAULT_DB", tmp_path / "mlflow.db")
    monkeypatch.setattr(tracking, "DEFAULT_ARTIFACTS", tmp_path / "mlartifacts")
    registry.register_committed()
    assert snapshot.write(tmp_path / "runs.json")
    result = _fresh(f"""
        import json, pathlib, sys
        import src.core.tracking as tr, src.mlops.snapshot as sn
        tr.DEFAULT_DB = pathlib.Path({str(tmp_path / 'mlflow.db')!r})
        sn.SNAPSHOT_FILE = pathlib.Path({str(tmp_path / 'runs.json')!r})
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file("Home.py", default_timeout=300).run()
        at.query_params["chapter"] = "runs"
        at.switch_page("app_pages/model_health.py").run()
        assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
        print(json.dumps({{"mlflow": "mlflow" in sys.modules, "champion": list(at.dataframe[0].value["champion"])}}))
    """)
    assert result == {"mlflow": False, "champion": ["★ champion"]}


@pytest.mark.skipif(contract.get("churn").missing(), reason="no committed churn model")
def test_without_a_store_the_churn_chapters_compute_live_and_store_it(tmp_path, monkeypatch):
    import streamlit as st

    from tests.conftest import open_page

    monkeypatch.setattr(showcase, "CACHE_DIR", tmp_path)
    # earlier AppTests in this process leave the page's st.cache_data entries (keyed on the model version):
    # without clearing them the page would never reach the store, whatever its code does
    st.cache_data.clear()
    shown = {}
    for chapter in ("performance", "customer"):
        at = open_page("app_pages/churn.py", chapter=chapter)
        assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
        shown[chapter] = {m.label: m.value for m in at.metric}
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.json")) == ["example", "figures"]
    assert showcase.missing() == (["SHAP summary"] if showcase.datasets.is_available("telco") else [])
    from src.churn.predict import default_predictor

    pred = default_predictor()
    row, _ = pred.complete(showcase.EXAMPLE_CUSTOMER)
    assert shown["customer"]["Churn probability"] == f"{float(pred.predict_proba(row)[0]):.1%}"
    assert "Precision" in shown["performance"]
