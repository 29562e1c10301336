"""AppTest: every chapter of the churn page runs, and the threshold, what-if and picker interactions work."""

from __future__ import annotations

import pytest

from src.churn.model import ARTIFACT, MODEL_FILE
from tests.conftest import open_page, require_dataset, shown_text, shows_info

pytestmark = pytest.mark.skipif(not (ARTIFACT / MODEL_FILE).is_file(), reason="run `python -m src.churn.train`")
PAGE = "app_pages/churn.py"


def _chapter(slug: str):
    at = open_page(PAGE)
    if slug != "performance":
        at.button_group[0].set_value(slug).run()  # the chapter switcher (st.segmented_control)
    assert at.query_params["chapter"] == slug
    return at


def test_performance_chapter_and_threshold_slider():
    at = _chapter("performance")
    assert not at.exception, [e.value for e in at.exception]
    assert "logistic_splines" in at.dataframe[0].value.to_string()
    precision_before = next(m.value for m in at.metric if m.label == "Precision")
    at.slider(key="_churn_threshold_slider").set_value(0.8).run()
    assert not at.exception
    precision_after = next(m.value for m in at.metric if m.label == "Precision")
    assert precision_after != precision_before
    best = next(b for b in at.button if "most profitable" in b.label)
    best.click().run()
    assert at.slider(key="_churn_threshold_slider").value == pytest.approx(float(best.label.split("(")[1][:4]))


def test_customer_what_if_form_changes_the_prediction(isolated_cache):
    # isolated_cache: no data on this machine, so the form must work from the committed model alone.
    at = _chapter("customer")
    assert not at.exception, [e.value for e in at.exception]
    before = next(m.value for m in at.metric if m.label == "Churn probability")
    next(s for s in at.selectbox if s.label == "Contract").set_value("Two year")
    next(s for s in at.number_input if s.label == "tenure").set_value(500.0)
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = next(m.value for m in at.metric if m.label == "Churn probability")
    assert float(after.rstrip("%")) < float(before.rstrip("%"))
    assert any("outside the training range" in w.value for w in at.warning)
    assert "raises the churn risk" in shown_text(at) or "lowers the churn risk" in shown_text(at)


def test_drivers_chapter_dependence_plot_follows_the_chosen_feature():
    require_dataset("telco")
    at = _chapter("drivers")
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox[0].set_value("MonthlyCharges").run()
    assert not at.exception
    assert any("entangled with MonthlyCharges" in c.value for c in at.caption)


def test_drivers_chapter_without_data_shows_the_fetch_command(isolated_cache):
    assert shows_info(_chapter("drivers"), "python -m src.core.data fetch telco")


def test_customer_picker_loads_an_existing_customer():
    require_dataset("telco")
    at = _chapter("customer")
    picker = at.selectbox[0]
    picker.set_value(picker.options[1]).run()
    assert not at.exception
    assert at.session_state["_churn_loaded"] == picker.options[1]


@pytest.mark.parametrize(("slug", "expected"), [("action", "never gender"), ("fairness", "largest gap")])
def test_action_and_fairness_chapters(slug, expected):
    at = _chapter(slug)
    assert not at.exception, [e.value for e in at.exception]
    assert expected in shown_text(at)


def test_batch_chapter_offers_the_template():
    at = _chapter("batch")
    assert not at.exception, [e.value for e in at.exception]
    assert any("template" in b.label.lower() for b in at.get("download_button"))
