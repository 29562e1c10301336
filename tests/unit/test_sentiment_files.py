"""Uploaded files: CSV and TXT parse, and every bad file gets a reason instead of a traceback."""

from __future__ import annotations

import pytest

from src.sentiment.files import read_upload, text_columns
from src.sentiment.text import InputError


def test_csv_with_text_column():
    frame = read_upload("r.csv", b"id,review,stars\n1,Lovely place and friendly staff,5\n2,Cold food,1\n")
    assert text_columns(frame) == ["review"]


def test_txt_is_one_text_per_line():
    frame = read_upload("r.txt", b"Great value\n\nNever again\n")
    assert frame["text"].tolist() == ["Great value", "Never again"]


def test_csv_without_a_text_column_has_no_candidates():
    frame = read_upload("n.csv", b"id,score,date\n1,0.5,2024-01-01\n2,0.7,2024-01-02\n")
    assert text_columns(frame) == []


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 4,                      # binary with NUL bytes
    b"PK\x03\x04" + bytes([0x9C, 0xFF, 0xFE]) * 50,  # zip-like, not UTF-8
])
def test_binary_uploaded_as_csv_is_refused(data):
    with pytest.raises(InputError):
        read_upload("fake.csv", data)


def test_oversized_file_is_refused():
    with pytest.raises(InputError, match="limit"):
        read_upload("big.csv", b"text\n" + b"a" * 200, max_bytes=100)
