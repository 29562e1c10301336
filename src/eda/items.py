"""What a chapter of the story is made of: items that both the page and the HTML report draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from src.core import demos
from src.eda import quality, stats


@dataclass
class Metric:
    """One tile: label, value and hover help."""

    label: str
    value: str
    help: str = ""


@dataclass
class Metrics:
    """A row of tiles."""

    items: list[Metric]


#: Readable table headers for the frames' column names.
HEADERS = {
    "rate": "churn rate", "churn_rate": "churn rate", "ci_low": f"{stats.CONFIDENCE:.0%} CI low",
    "ci_high": f"{stats.CONFIDENCE:.0%} CI high",
    "name": "segment", "median_tenure": "median tenure (months)", "median_monthly": "median monthly",
    "mean_services": "services (mean)", "top_contract": "most common contract",
}
_FORMATS = {"pct": "{:.1%}", "money": "${:,.2f}", "float": "{:.3f}", "int": "{:,}"}


@dataclass
class Table:
    """A frame with a caption and per-column formats."""

    frame: pd.DataFrame
    caption: str = ""
    #: Column -> format: "pct", "money", "float" (integers get thousands separators).
    formats: dict[str, str] = field(default_factory=dict)

    def formatted(self) -> pd.DataFrame:
        """The table as display strings, the same on the page and in the report."""
        out = self.frame.copy()
        for column in out.columns:
            kind = self.formats.get(column)
            if kind is None and pd.api.types.is_integer_dtype(out[column]):
                kind = "int"
            fmt = _FORMATS.get(kind or "")
            if fmt:
                out[column] = [fmt.format(v) if pd.notna(v) else "" for v in out[column]]
        return out.rename(columns=HEADERS)


@dataclass
class Alerts:
    """Data-quality alerts, drawn as badges with their detail."""

    alerts: list[quality.Alert]


@dataclass
class Note:
    """A call-out box."""

    text: str
    tone: Literal["info", "warning"] = "info"


#: Markdown text, a plotly figure, or one of the item types above.
Item = str | go.Figure | Metrics | Table | Alerts | Note


@dataclass
class Chapter:
    """One chapter: its URL slug, title and items in order."""

    slug: str
    title: str
    items: list[Item]

    @classmethod
    def of(cls, slug: str, items: list[Item]) -> Chapter:
        """A chapter titled from the one chapter registry (``src.core.demos``)."""
        return cls(slug, demos.get("eda").chapter_title(slug), items)
