"""The one CSV-injection neutraliser (issue 16 #4): cells, separators and header names."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from src.core.safe_csv import neutralise, to_csv_bytes

ISSUE_CELLS = ['=HYPERLINK("http://evil.example","great movie")', "@SUM(1+1) was a great film", "+cmd"]
EVIL_HEADER = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("cell", [*ISSUE_CELLS, "-2+3", "\tcmd", "\r=1+1", ' =1+1', '"=1+1"', EVIL_HEADER])
def test_formula_cells_get_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(("cell", "expected"), [
    ("great film; =1+1", "great film;' =1+1"),
    ("a,@SUM(A1)", "a,'@SUM(A1)"),
    ('x|"=cmd"', "x|'\"=cmd\""),
    ("\t=1+1", "'\t'=1+1"),  # leading tab, and a tab-separated import would start a cell with '='
])
def test_a_separator_before_a_formula_is_neutralised_too(cell, expected):
    # Opened with another delimiter (a ';' locale, a pipe import), the part after the separator is a new cell.
    assert neutralise(cell) == expected


@pytest.mark.parametrize("value", ["fine", "a, b; c | d", "", "'=already quoted", 3, -1.5, None, True])
def test_safe_values_and_real_numbers_are_untouched(value):
    assert neutralise(value) == value


def test_every_cell_and_header_is_neutralised_in_the_export():
    frame = pd.DataFrame({"text": [*ISSUE_CELLS, "fine"], EVIL_HEADER: ["x", "y", "z", "w"], "n": [-1, 2, 3, 4]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), dtype=str, keep_default_na=False)
    assert list(back.columns) == ["text", "'" + EVIL_HEADER, "n"]
    assert back["text"].tolist() == ["'" + c for c in ISSUE_CELLS] + ["fine"]
    assert back["n"].tolist() == ["-1", "2", "3", "4"]  # real numbers stay numbers
    for line in to_csv_bytes(frame).decode().splitlines():
        assert not line.startswith(tuple("=+@")), line


def test_export_does_not_change_the_callers_frame():
    frame = pd.DataFrame({"a": ["=1"]})
    to_csv_bytes(frame)
    assert frame.loc[0, "a"] == "=1"
