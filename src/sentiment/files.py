"""Reading uploaded CSV/TXT files for batch scoring, with a clear reason for every file we refuse."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from src.sentiment.text import InputError

MAX_UPLOAD_BYTES = 2_000_000
MAX_ROWS = 500


def read_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> pd.DataFrame:
    """An uploaded CSV (header required) or TXT (one text per line) as a frame of strings.

    Raises :class:`InputError` for files that are too big, binary, not UTF-8 or not parseable.
    """
    if len(data) > max_bytes:
        raise InputError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    if b"\x00" in data[:8192]:
        raise InputError("This looks like a binary file, not text. Upload a CSV or a plain-text file.")
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("The file is not UTF-8 text (is it a spreadsheet or a binary file?). "
                         "Save it as CSV (UTF-8) and upload again.") from exc
    if Path(name).suffix.lower() == ".txt":
        return pd.DataFrame({"text": [line for line in decoded.splitlines() if line.strip()]})
    try:
        return pd.read_csv(io.StringIO(decoded), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"The CSV could not be parsed: {exc}") from exc


def text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns where at least half the cells hold a word (not only numbers, dates, ids or blanks)."""
    cols = []
    for col in frame.columns:
        values = frame[col].astype(str).str.strip()
        if len(values) and values.str.contains(r"[^\W\d_]{2,}", regex=True).mean() >= 0.5:
            cols.append(str(col))
    return cols
