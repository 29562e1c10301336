"""Markdown tables for cards, benchmark output and notes: one helper instead of one per demo."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


def _cell(value: Any, floats: str) -> str:
    if isinstance(value, float):
        return format(value, floats)
    # A pipe would end the cell early; a newline would end the row.
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, floats: str = ".3f") -> str:
    """A GitHub-flavoured markdown table; floats formatted with ``floats`` (a format spec)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [_cell(v, floats) for v in row]
        if len(cells) != len(headers):
            raise ValueError(f"row has {len(cells)} cells for {len(headers)} headers: {cells}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def records_table(records: Sequence[Mapping[str, Any]], *, floats: str = ".3f",
                  columns: Sequence[str] | None = None,
                  formats: Mapping[str, Callable[[Mapping[str, Any]], str]] | None = None) -> str:
    """Same-keyed dicts as a markdown table (columns: the first record's keys, unless given).

    ``formats`` maps a column to a function of the whole record, for cells such as ``mean ± std``.
    """
    if not records:
        return ""
    head = list(columns or records[0])
    formats = formats or {}
    rows = [[formats[c](r) if c in formats else r[c] for c in head] for r in records]
    return markdown_table(head, rows, floats=floats)
