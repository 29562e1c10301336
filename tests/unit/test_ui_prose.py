"""Page prose reads its figures from cards and code: pitch fields, no number retyped in a pitch, the drift rules."""

from __future__ import annotations

import re
import types

import pytest

from src.core import demos
from src.core.cards import Card
from src.ui import loader


def _card(extra: dict) -> Card:
    return Card(demo="churn", title="t", summary="s", metrics=[], data=[], config={}, command="c", duration_s=0.0,
                extra=extra, versions={}, git_commit="x", hardware="h")


@pytest.fixture
def cards(monkeypatch) -> dict[str, Card]:
    """The cards ``loader.pitch`` sees, by demo slug (absent: no card)."""
    held: dict[str, Card] = {}
    monkeypatch.setattr(loader, "load_card", held.get)
    return held


def test_a_pitch_field_is_the_cards_figure(cards):
    cards["churn"] = _card({"rows": 1234567})
    demo = types.SimpleNamespace(pitch="A story on {churn[rows]:,} customers.")
    assert loader.pitch(demo) == "A story on 1,234,567 customers."
    cards["churn"] = _card({"rows": 12})
    assert loader.pitch(demo) == "A story on 12 customers."


@pytest.mark.parametrize("extra", [None, {}, {"rows": "many"}])
def test_without_the_card_or_its_figure_the_field_is_left_out(cards, extra):
    if extra is not None:
        cards["churn"] = _card(extra)
    demo = types.SimpleNamespace(pitch="A story on {churn[rows]:,} customers.")
    assert loader.pitch(demo) == "A story on customers."


def test_the_eda_pitch_counts_the_customers_the_churn_card_recorded():
    card = loader.cards.load_card("churn")
    if card is None:
        pytest.skip("no committed churn card")
    assert "{" in demos.get("eda").pitch, "the EDA pitch should read its customer count, not retype it"
    assert f"{card.extra['rows']:,} telecom customers" in loader.pitch(demos.get("eda"))


@pytest.mark.parametrize("demo", demos.DEMOS, ids=lambda d: d.slug)
def test_no_pitch_retypes_a_figure(demo):
    prose = re.sub(r"\{[^{}]*\}", "", demo.pitch)  # fields are read from cards
    assert not re.search(r"\d[\d,.]*\d|\d{2,}|\d+%", prose), f"{demo.slug}: a figure typed into the pitch: {prose}"


def test_the_drift_rule_text_states_drifts_own_thresholds(monkeypatch):
    from src.mlops import drift

    small = drift.rules_text(drift.SMALL_REFERENCE)
    assert f"≤ {drift.SMALL_REFERENCE:,} reference rows" in small and f"p < {drift.P_VALUE:g}" in small
    large = drift.rules_text(drift.SMALL_REFERENCE + 1)
    assert f"> {drift.SMALL_REFERENCE:,} reference rows" in large and f"score ≥ {drift.DISTANCE:g}" in large
    assert drift.rules_text(10, "psi") == f"PSI for every column, drift when PSI ≥ {drift.PSI_THRESHOLD:g}."
    monkeypatch.setattr(drift, "P_VALUE", 0.01)
    monkeypatch.setattr(drift, "SMALL_REFERENCE", 5000)
    assert "≤ 5,000 reference rows" in drift.rules_text(2000) and "p < 0.01" in drift.rules_text(2000)
