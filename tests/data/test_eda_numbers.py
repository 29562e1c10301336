"""The story's key numbers against an independent recomputation on the real file (skips without it)."""

from __future__ import annotations

import csv

import pytest

from src.eda import quality, rates, story
from src.eda.chapters import findings as findings_chapter
from src.eda.data import Filter, load_raw, prepare
from tests.conftest import require_dataset


@pytest.fixture(scope="module")
def truth():
    """Base rate, month-to-month churn rate and blank TotalCharges, counted with the csv module alone."""
    with require_dataset("telco").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    churned = sum(r["Churn"] == "Yes" for r in rows)
    monthly = [r for r in rows if r["Contract"] == "Month-to-month"]
    return {
        "rows": len(rows),
        "base": churned / len(rows),
        "m2m": sum(r["Churn"] == "Yes" for r in monthly) / len(monthly),
        "blank": sum(r["TotalCharges"].strip() == "" for r in rows),
        "blank_tenure0": sum(r["TotalCharges"].strip() == "" and r["tenure"] == "0" for r in rows),
    }


@pytest.fixture(scope="module")
def scope(truth):
    raw = load_raw()
    return story.Scope(raw, prepare(raw), Filter())


def _text(chapter):
    return "\n".join(i for i in chapter.items if isinstance(i, str))


def test_base_rate(truth, scope):
    assert scope.base.value == pytest.approx(truth["base"], abs=1e-12)
    assert f"a churn rate of {truth['base']:.1%}" in _text(story.chapter("question", scope))


def test_month_to_month_rate(truth, scope):
    table = rates.churn_rates(scope.frame, "Contract").set_index("group")
    assert table.loc["Month-to-month", "rate"] == pytest.approx(truth["m2m"], abs=1e-12)
    assert f"Month-to-month customers churn at {truth['m2m']:.1%}" in _text(story.chapter("who-leaves", scope))
    m2m = Filter(("Month-to-month",))
    assert story.Scope(scope.raw, scope.full, m2m).base.value == pytest.approx(truth["m2m"], abs=1e-12)


def test_blank_total_charges(truth, scope):
    assert truth["blank"] == truth["blank_tenure0"]  # the file's own explanation holds
    (alert,) = [a for a in quality.alerts(scope.raw) if a.check == "missing" and a.column == "TotalCharges"]
    assert alert.count == truth["blank"] and "tenure 0" in alert.title
    assert f"{truth['blank']:,} have a blank TotalCharges" in _text(story.chapter("quality", scope))


def test_contract_and_tenure_lead_the_real_findings(scope):
    leading = {f.column for f in scope.column_findings[:3]}
    assert {"Contract", "tenure"} <= leading


def test_shap_side_by_side_follows_the_committed_churn_card(scope):
    from src.core.cards import load_card

    card = load_card("churn")
    drivers = (card.extra or {}).get("top_drivers") if card else None
    if not drivers:
        pytest.skip("the churn model's card has no top_drivers yet (python -m src.churn.train)")
    chapter = story.chapter("findings", scope, card)
    (table,) = [i for i in chapter.items if isinstance(i, story.Table) and "mean |SHAP|" in i.frame]
    expected, _ = findings_chapter.shap_drivers(card)
    top_k = findings_chapter.TOP_K
    assert list(table.frame["mean |SHAP|"][: len(expected)]) == pytest.approx([v for _, v in expected][:top_k])
    assert any(isinstance(i, str) and f"of the top {findings_chapter.TOP_K} agree" in i for i in chapter.items)
