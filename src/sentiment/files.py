"""Reading uploaded CSV/TXT files for batch scoring, with a clear reason for every file we refuse."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from src.core.uploads import decode_text
from src.sentiment.baselines import top_ngrams_many
from src.sentiment.text import InputError

if TYPE_CHECKING:  # predict imports this module
    from src.sentiment.predict import Predictor

MAX_UPLOAD_BYTES = 2_000_000
MAX_ROWS = 500


#: Name of the column that holds each row's line number in the uploaded file.
LINE = "line"


def read_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> pd.DataFrame:
    """An uploaded CSV (header required) or TXT (one text per line) as a frame of strings.

    Every record becomes a row, blank ones included, indexed by the file's own line number
    (index name :data:`LINE`), so rows in = rows scored + rows in errors and row numbers match the file.
    Raises :class:`InputError` for files that are too big, binary, not UTF-8 or not parseable.
    """
    if len(data) > max_bytes:
        raise InputError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    if b"\x00" in data[:8192]:
        raise InputError("This looks like a binary file, not text. Upload a CSV or a plain-text file.")
    decoded = decode_text(data, InputError)
    if Path(name).suffix.lower() == ".txt":
        lines = decoded.splitlines()
        return pd.DataFrame({"text": lines}, index=pd.Index(range(1, len(lines) + 1), name=LINE))
    return _read_csv(decoded)


def _read_csv(decoded: str) -> pd.DataFrame:
    """CSV records with the line each starts on (a quoted field may span lines, so pandas' row
    position is not the line number)."""
    reader = csv.reader(io.StringIO(decoded))
    try:
        header = next(reader, None)
        if not header:
            raise InputError("The CSV is empty: it needs a header line naming the columns.")
        rows, lines, last = [], [], reader.line_num
        for record in reader:
            if len(record) > len(header):
                raise InputError(f"Line {last + 1} has {len(record)} fields but the header has {len(header)}. "
                                 "Put text that contains commas in double quotes.")
            rows.append(record + [""] * (len(header) - len(record)))
            lines.append(last + 1)
            last = reader.line_num
    except csv.Error as exc:
        raise InputError(f"The CSV could not be parsed (line {reader.line_num}): {exc}") from exc
    names = [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]
    names = [n if names.index(n) == i else f"{n}.{i}" for i, n in enumerate(names)]  # duplicates kept apart
    index = pd.Index(lines, name=LINE if LINE not in names else f"file {LINE}")
    return pd.DataFrame(rows, columns=names, index=index, dtype=str)


def text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns where at least half the non-blank cells hold a word (not only numbers, dates or ids).

    Blank cells don't count against a column: a review column with some empty rows is still text.
    """
    cols = []
    for col in frame.columns:
        values = frame[col].astype(str).str.strip()
        values = values[values != ""]
        if len(values) and values.str.contains(r"[^\W\d_]{2,}", regex=True).mean() >= 0.5:
            cols.append(str(col))
    return cols


def score_frame(predictor: Predictor, frame: pd.DataFrame, column: str, ngrams: int = 3) -> pd.DataFrame:
    """The text column, every model's verdict and the linear model's top n-grams, one row per input row.

    Rows keep the frame's index (the file's line numbers); failures are in ``error``.
    """
    texts = frame[column].astype(str).tolist()
    scored = predictor.predict_many(texts)
    if ngrams:
        ok = (scored["error"] == "").to_numpy()
        tops = iter(top_ngrams_many(predictor.linear, [t for t, good in zip(texts, ok, strict=True) if good], ngrams))
        scored["top_ngrams"] = [", ".join(g["ngram"] for g in next(tops)) if good else "" for good in ok]
    scored.index = frame.index
    return pd.concat([frame[[column]], scored], axis=1)
