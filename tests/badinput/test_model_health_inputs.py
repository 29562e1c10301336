"""The Model health page's labelled-batch upload: the churn CSV corpus through a second entry point."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.badinput.corpus import churn_cases, churn_labelled


def _labels_page(name: str, data: bytes) -> None:
    from src.ui import model_health_widgets
    from tests.badinput.checks import fake_uploads

    with fake_uploads([(name, data)]):
        model_health_widgets.labels_panel(0.5, None)


def _run(name: str, data: bytes) -> AppTest:
    return AppTest.from_function(_labels_page, args=(name, data), default_timeout=60).run()


def test_a_labelled_batch_with_blank_lines_and_0_1_labels_is_scored():
    rows = churn_labelled(["1", "0"] * 20).decode().splitlines()
    rows.insert(3, "   ")
    at = _run("labelled.csv", ("\n".join(rows) + "\n").encode())
    assert not at.exception, at.exception
    captions = " ".join(str(c.value) for c in at.caption)
    assert "40 rows scored" in captions, captions
    assert at.dataframe, "the estimate-vs-realised table is shown"


@pytest.mark.parametrize("case", [c for c in churn_cases() if c.name in ("empty", "utf16", "repeated_header")], ids=str)
def test_an_unusable_file_gets_a_caption_not_an_exception(case):
    at = _run(f"{case.name}.csv", case.payload)
    assert not at.exception, at.exception
    assert any("cannot be used" in str(c.value) for c in at.caption), [c.value for c in at.caption]
