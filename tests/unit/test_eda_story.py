"""The story on a synthetic Telco-shaped frame: filters, templates, SHAP comparison, empty filters, report."""

from __future__ import annotations

from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from src.churn.data import synthetic
from src.eda import report, story
from src.eda.chapters import findings as findings_chapter
from src.eda.data import Filter, prepare


@pytest.fixture(scope="module")
def scope_all():
    raw = synthetic(600, seed=0, published=True)
    return story.Scope(raw, prepare(raw), Filter())


def _text(chapter: story.Chapter) -> str:
    return "\n".join(i if isinstance(i, str) else getattr(i, "text", "") for i in chapter.items)


def test_filter_applies_and_describes_itself(scope_all):
    flt = Filter(("Month-to-month",), ("Fiber optic", "No"), "Seniors only")
    kept = flt.apply(scope_all.full)
    assert len(kept) > 0
    assert set(kept["Contract"]) == {"Month-to-month"} and set(kept["InternetService"]) <= {"Fiber optic", "No"}
    assert set(kept["SeniorCitizen"]) == {1}
    assert flt.describe() == "senior customers on a month-to-month contract with fiber optic internet or no internet"
    assert Filter().describe() == "all customers"


def test_numbers_in_text_follow_the_data_and_the_filter(scope_all):
    flt = Filter(("Two year",))
    scoped = story.Scope(scope_all.raw, scope_all.full, flt)
    frame = flt.apply(scope_all.full)
    text = _text(story.chapter("question", scoped))
    assert f"{frame['Churn'].mean():.1%}" in text and f"{len(frame):,} of {len(scope_all.full):,}" in text
    assert "customers on a two year contract" in text
    # The same chapter for everyone tells a different rate.
    assert f"{scope_all.full['Churn'].mean():.1%}" in _text(story.chapter("question", scope_all))


def test_planted_contract_effect_leads_the_findings_and_the_actions(scope_all):
    chapter = story.chapter("findings", scope_all)
    text = _text(chapter)
    assert "1. **Contract**" in text
    assert "Offer **month-to-month** customers" in text
    assert "no committed model card" in text  # no card given: said plainly


def test_shap_comparison_maps_one_hot_names_to_columns(scope_all):
    card = SimpleNamespace(extra={"top_drivers": [
        {"feature": "cat__Contract_Month-to-month", "mean_abs_shap": 0.30},
        {"feature": "num__tenure", "mean_abs_shap": 0.20},
        {"feature": "cat__Contract_Two year", "mean_abs_shap": 0.10},
        {"feature": "SeniorCitizen", "mean_abs_shap": 0.01},
    ]})
    drivers, reason = findings_chapter.shap_drivers(card)
    assert reason == "" and drivers[0] == ("Contract", pytest.approx(0.40))
    assert ("Senior", pytest.approx(0.01)) in drivers
    text = _text(story.chapter("findings", scope_all, card))
    assert "of the top 5 agree" in text
    missing, why = findings_chapter.shap_drivers(SimpleNamespace(extra={}))
    assert missing is None and "no `top_drivers`" in why


def test_every_chapter_builds_and_the_findings_slug_exists(scope_all):
    assert "findings" in story.CHAPTERS and len(story.CHAPTERS) == 6
    for chapter in story.story(scope_all):
        assert chapter.items, chapter.slug


def test_tiny_filters_degrade_to_messages_not_errors():
    raw = synthetic(300, seed=4, published=True)
    full = prepare(raw)
    flt = Filter(("Two year",), ("No",), "Seniors only")
    scoped = story.Scope(raw, full, flt)
    assert 0 < len(scoped.frame) < 60
    segments = story.chapter("segments", scoped)
    assert isinstance(segments.items[0], story.Note) and "too few to cluster" in segments.items[0].text


def test_zero_row_filter_message_names_the_filter():
    raw = synthetic(300, seed=5, published=True, internet=("DSL", "Fiber optic"))
    full = prepare(raw)
    flt = Filter(internet=("No",))
    assert flt.apply(full).empty
    message = story.empty_message(flt, len(full))
    assert "No customers match" in message and "customers with no internet" in message and "300" in message


def test_report_is_standalone_with_plotly_inlined_once(scope_all):
    chapters = story.story(scope_all)
    html = report.render(chapters, "Why customers leave", scope_all.who, "synthetic")
    n_figures = sum(isinstance(i, go.Figure) for c in chapters for i in c.items)
    assert html.count('class="plotly-graph-div"') == n_figures > 10
    assert html.count("plotly.js v") == 1  # the library's banner: inlined exactly once
    assert "cdn.plot.ly" not in html.split("<body>")[0]
    assert all(f'id="{slug}"' in html for slug in story.CHAPTERS)
    assert len(html) < 8_000_000


def test_wording_keeps_acronyms_and_chapters_follow_the_registry(scope_all):
    from src.core import demos
    from src.eda import words

    assert words.cap(words.level_words("InternetService", "DSL")) == "DSL customers"  # not "Dsl customers"
    assert words.cap(words.level_words("TechSupport", "No")) == "Customers without tech support"
    assert list(story.CHAPTERS.items()) == list(demos.get("eda").chapters)
    assert [c.slug for c in story.story(scope_all)] == list(story.CHAPTERS)
