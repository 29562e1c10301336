"""AppTest for the EDA page: real data with a filter and chapter change, no data, and a zero-row filter."""

from __future__ import annotations

import pytest
import streamlit as st

from src.churn.data import synthetic
from tests.conftest import open_page, require_dataset, shown_text

PAGE = "app_pages/eda.py"


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_filter_changes_the_numbers_and_chapters_have_urls():
    require_dataset("telco")
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert "Showing all customers: 7,043 of 7,043" in shown_text(at, ("markdown", "caption"))
    before = next(m.value for m in at.metric if m.label == "Churn rate")

    at.multiselect(key="eda_contract").set_value(["Month-to-month"]).run()
    assert not at.exception
    assert "customers on a month-to-month contract" in shown_text(at, ("markdown", "caption"))
    after = next(m.value for m in at.metric if m.label == "Churn rate")
    assert after != before

    at.segmented_control(key="_chapter_control").set_value("findings").run()
    assert not at.exception
    assert at.query_params["chapter"] == "findings"
    text = shown_text(at, ("markdown", "caption"))
    assert "Key findings, ranked by effect size" in text and "month-to-month contract" in text


def test_no_data_shows_the_fetch_panel(isolated_cache):
    at = open_page(PAGE)
    assert not at.exception
    assert at.title and any("python -m src.core.data fetch telco" in i.value for i in at.info)


def test_zero_row_filter_gives_a_clear_message(isolated_cache):
    # A small Telco-shaped file with no senior on a two-year contract, in place of the cached dataset.
    raw = synthetic(400, seed=7, published=True)
    raw = raw[~((raw["Contract"] == "Two year") & (raw["SeniorCitizen"] == 1))]
    target = isolated_cache / "telco" / "Telco-Customer-Churn.csv"
    target.parent.mkdir(parents=True)
    raw.to_csv(target, index=False)
    at = open_page(PAGE)
    assert not at.exception and not at.warning
    at.multiselect(key="eda_contract").set_value(["Two year"]).run()
    at.radio(key="eda_senior").set_value("Seniors only").run()
    assert not at.exception
    (warning,) = at.warning
    assert "No customers match this filter" in warning.value
    assert "senior customers on a two year contract" in warning.value
    assert not at.get("plotly_chart")  # no empty charts under the message
