"""The real Telco CSV (mirror or cache) has the shape and values the churn schema promises."""

from __future__ import annotations

import pandas as pd

from src.churn import data
from tests.conftest import require_dataset


def test_clean_types_and_blank_total_charges():
    raw = data.load_raw(require_dataset("telco"))
    assert raw.shape == (7043, 21)
    blanks = raw["TotalCharges"].str.strip() == ""
    assert blanks.sum() == 11 and (raw.loc[blanks, "tenure"] == 0).all()
    frame = data.clean(raw)
    assert frame["TotalCharges"].dtype == float and frame.loc[blanks, "TotalCharges"].eq(0).all()
    assert frame[data.TARGET].sum() == 1869 and frame[data.ID_COLUMN].is_unique


def test_every_real_row_passes_the_upload_schema():
    raw = pd.read_csv(require_dataset("telco"), dtype=str, keep_default_na=False)
    checked = data.check(raw)
    assert checked.errors.empty, checked.errors.head()
    assert len(checked.valid) == 7043
    for col, values in data.CATEGORIES.items():
        assert set(checked.valid[col]) == set(values), col
