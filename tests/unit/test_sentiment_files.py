"""Uploaded files: CSV and TXT parse, and every bad file gets a reason instead of a traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from src.core.safe_csv import to_csv_bytes
from src.sentiment import files
from src.sentiment.files import read_upload, text_columns
from src.sentiment.text import InputError


@pytest.mark.parametrize(("data", "candidates"), [
    (b"id,review,stars\n1,Lovely place and friendly staff,5\n2,Cold food,1\n", ["review"]),
    (b"id,score,date\n1,0.5,2024-01-01\n2,0.7,2024-01-02\n", []),  # no text column
    (b"id,text\n1,Lovely place\n2,\n3,\n4,Cold food\n5,\n", ["text"]),  # some empty cells: still text
], ids=["text-column", "no-text-column", "some-empty-cells"])
def test_csv_text_column_candidates(data, candidates):
    assert text_columns(read_upload("r.csv", data)) == candidates


def test_txt_is_one_text_per_line():
    frame = read_upload("r.txt", b"Great value\nNever again\n")
    assert frame["text"].tolist() == ["Great value", "Never again"]


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


def test_blank_and_space_only_lines_are_rows_with_the_files_line_numbers():
    frame = read_upload("r.txt", b"Great value\n   \n\nNever again\n")
    assert frame["text"].tolist() == ["Great value", "   ", "", "Never again"]
    assert frame.index.tolist() == [1, 2, 3, 4]


def test_csv_line_numbers_follow_the_file_across_blank_lines_and_quoted_newlines():
    data = b'id,text\n1,Lovely\n\n2,"two\nlines"\n3,   \n4,Awful\n'
    frame = read_upload("r.csv", data)
    assert frame["text"].tolist() == ["Lovely", "", "two\nlines", "   ", "Awful"]
    assert frame.index.tolist() == [2, 3, 4, 6, 7]


def test_csv_with_too_many_fields_names_the_line():
    with pytest.raises(InputError, match="Line 3"):
        read_upload("r.csv", b"id,text\n1,fine\n2,too,many\n")


class _Scorer:
    """The parts of a Predictor that score_frame uses, without a model."""

    linear = None

    @staticmethod
    def predict_many(texts):
        return pd.DataFrame({"transformer_label": ["positive"] * len(texts),
                             "error": ["" if t.strip() else "empty" for t in texts]})


def test_scored_frame_keeps_every_row_and_is_formula_safe(monkeypatch):
    monkeypatch.setattr(files, "top_ngrams_many", lambda pipeline, texts, n: [[{"ngram": "x"}] for _ in texts])
    data = b'text,=cmd\n"=HYPERLINK(""http://evil.example"",""x"")",a\n   ,b\n@SUM(1+1) film,c\n'
    result = files.score_frame(_Scorer(), read_upload("r.csv", data), "text").reset_index()
    assert len(result) == 3 and result["line"].tolist() == [2, 3, 4] and result.loc[1, "error"] == "empty"
    assert result["top_ngrams"].tolist() == ["x", "", "x"]
    csv_text = to_csv_bytes(result).decode()
    assert "'=HYPERLINK" in csv_text and "'@SUM" in csv_text and "\n=" not in csv_text
