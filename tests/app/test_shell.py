"""AppTest: Home shows one card per demo, and every page runs without an exception."""

from __future__ import annotations

import pytest

from src.core.demos import DEMOS
from tests.conftest import open_page

PAGES = [f"app_pages/{d.slug}.py" for d in DEMOS] + ["app_pages/model_cards.py"]


def test_home_renders_one_card_per_demo():
    at = open_page()
    assert not at.exception
    cards = [m.value for m in at.markdown if m.value.startswith("####")]
    for demo in DEMOS:
        assert sum(demo.title in c for c in cards) == 1, demo.title
    assert any("60-second tour" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} rendered no title"
