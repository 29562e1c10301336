"""One CSV-injection neutraliser for every CSV the app or a CLI writes (OWASP "CSV Injection").

A spreadsheet runs a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@`` (and tab or
carriage return can smuggle one in). OWASP's rule: prefix such cells with ``'`` so they open as text.
OWASP also warns that a field separator inside a cell (``,``, ``;``, ``|``, tab) can start a new cell
when the file is opened with another delimiter (a ';' locale, a pipe-separated import), putting the
dangerous character at the start of that new cell. So a quote is also inserted right after any
separator that is followed by a formula character. Header names get the same treatment.

No maintained library does this for pandas frames (``defusedcsv`` wraps the ``csv`` writer only and
does not cover headers), so it is written here once and shared.
"""

from __future__ import annotations

import re
from typing import TypeVar

import pandas as pd

#: Characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Leading spaces, newlines or double quotes do not stop some spreadsheets from evaluating what follows.
_RISKY_START = re.compile(r'^[ \n"]*[=+\-@\t\r]')
# A separator followed (after spaces/quotes) by a formula character would start a formula cell
# if the file were split on that separator; the quote goes right after the separator.
_RISKY_SEPARATOR = re.compile(r'([,;|\t])(?=[ \n"]*[=+\-@\t\r])')

T = TypeVar("T")


def neutralise(value: T) -> T | str:
    """``value`` made safe to open in a spreadsheet; non-strings (real numbers, None, NaN) come back as they are.

    >>> neutralise('=HYPERLINK("http://evil.example","x")')
    '\\'=HYPERLINK("http://evil.example","x")'
    >>> neutralise("great film; =1+1")
    "great film;' =1+1"
    """
    if not isinstance(value, str):
        return value
    text = _RISKY_SEPARATOR.sub(r"\1'", value)
    return "'" + text if _RISKY_START.match(text) else text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and every column name neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes (no index) of ``frame``, neutralised cell by cell, headers included."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8")
