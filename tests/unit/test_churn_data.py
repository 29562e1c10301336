"""Schema checks, CSV reading and safe export on tiny frames built here (no real rows)."""

from __future__ import annotations

import pandas as pd
import pytest

from src.churn import data


def _frame(n: int = 4) -> pd.DataFrame:
    return data.template(n).astype(str)


def test_template_rows_all_pass_the_schema():
    checked = data.check(_frame(6))
    assert len(checked.valid) == 6 and checked.errors.empty and not checked.notes
    assert checked.valid["tenure"].dtype == float and checked.valid["SeniorCitizen"].dtype == int


def test_missing_column_is_a_schema_error_naming_it():
    with pytest.raises(data.SchemaError, match="Contract"):
        data.check(_frame().drop(columns=["Contract"]))


def test_extra_columns_are_ignored_and_said_so():
    checked = data.check(_frame().assign(favourite_colour="blue"))
    assert len(checked.valid) == 4
    assert any("favourite_colour" in n for n in checked.notes)


def test_each_bad_row_comes_back_with_its_reason_and_nothing_is_lost():
    frame = _frame(6)
    frame.loc[0, "tenure"] = "abc"
    frame.loc[1, "Contract"] = "Weekly"
    frame.loc[2, "MonthlyCharges"] = "-5"
    frame.loc[3, "SeniorCitizen"] = "2"
    frame.loc[4, "gender"] = ""
    checked = data.check(frame)
    assert len(checked.valid) + len(checked.errors) == len(frame)
    reasons = dict(zip(checked.errors["row"], checked.errors["reason"], strict=True))
    assert "tenure='abc' is not a number" in reasons[1]
    assert "Contract='Weekly'" in reasons[2]
    assert "MonthlyCharges=-5 is negative" in reasons[3]
    assert "SeniorCitizen" in reasons[4]
    assert "gender is empty" in reasons[5]
    assert checked.valid["row"].tolist() == [6]
    assert checked.errors.loc[0, "tenure"] == "abc"  # the failing row comes back as uploaded


def test_blank_total_charges_is_zero_for_new_customers_only():
    frame = _frame(2)
    frame["tenure"] = ["0", "5"]
    frame["TotalCharges"] = [" ", ""]
    checked = data.check(frame)
    assert checked.valid["TotalCharges"].tolist() == [0.0]
    assert "TotalCharges is empty" in checked.errors.loc[0, "reason"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"   \n", "empty"), (",".join(data.FEATURES).encode(), "no rows"),
     ("gender\nFémale".encode("latin-1"), "not UTF-8")],
)
def test_unreadable_files_get_a_clear_message(content, message):
    with pytest.raises(data.SchemaError, match=message):
        data.read_upload(content)


def test_large_files_are_capped_and_the_user_is_told():
    content = data.to_csv_bytes(data.template(30))
    frame, notes = data.read_upload(content, max_rows=10)
    assert len(frame) == 10 and "30 rows" in notes[0] and "first 10" in notes[0]


def test_utf8_bom_is_accepted():
    frame, _ = data.read_upload(b"\xef\xbb\xbf" + data.to_csv_bytes(data.template(2)))
    assert frame.columns[0] == data.ID_COLUMN


def test_formula_cells_are_neutralised_on_export():
    frame = pd.DataFrame({"a": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "fine"], "n": [-1, 2, 3, 4, 5]})
    text = data.to_csv_bytes(frame).decode()
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM" in text and "'-2+3" in text
    assert "\nfine," in text and ",-1\n" in text  # plain text and real numbers are untouched


def test_synthetic_customers_follow_the_schema():
    frame = data.synthetic(300, seed=1)
    checked = data.check(frame.astype(str))
    assert checked.errors.empty and 0.1 < frame[data.TARGET].mean() < 0.6
