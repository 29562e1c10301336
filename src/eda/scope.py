"""What a story is told about: the published file, the filtered rows, and the analyses chapters share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from src.eda import findings, stats
from src.eda.data import CATEGORICAL, NUMERIC, TARGET, TENURE_BAND, Filter
from src.eda.segments import Segmentation, segment

#: Columns whose categories the segment rules test (the tenure bands stand in for tenure).
SEGMENT_COLUMNS = (*CATEGORICAL, TENURE_BAND)


@dataclass
class Scope:
    """What a story is told about: the published file, and the rows the filter keeps."""

    raw: pd.DataFrame
    full: pd.DataFrame
    filter: Filter

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The prepared rows the filter keeps."""
        return self.filter.apply(self.full)

    @property
    def who(self) -> str:
        """The filter in words, e.g. "senior customers on a month-to-month contract"."""
        return self.filter.describe()

    @property
    def counted(self) -> str:
        """The group with its size, e.g. "all 7,043 customers" or "the 636 senior customers on ..."."""
        n = len(self.frame)
        return f"all {n:,} customers" if self.filter.is_empty else f"the {n:,} {self.who}"

    @cached_property
    def base(self) -> stats.Rate:
        """The churn rate in scope, with its Wilson interval."""
        return stats.wilson(int(self.frame[TARGET].sum()), len(self.frame))

    @cached_property
    def column_findings(self) -> list[findings.ColumnFinding]:
        """Every column's test against churn, ranked."""
        return findings.column_findings(self.frame, TARGET, CATEGORICAL, NUMERIC)

    @cached_property
    def segment_findings(self) -> list[findings.SegmentFinding]:
        """Every category against the rest of its column."""
        return findings.segment_findings(self.frame, TARGET, SEGMENT_COLUMNS)

    @cached_property
    def segmentation(self) -> Segmentation | None:
        """K-means segments of the rows in scope (None when too few)."""
        return segment(self.frame)

    def top_gap(self, column: str) -> findings.SegmentFinding | None:
        """The passing category of ``column`` furthest from the rest, if any."""
        return next((f for f in self.segment_findings if f.column == column and f.passes), None)


def empty_message(flt: Filter, total: int) -> str:
    """What to say when the filter keeps nobody."""
    return (f"No customers match this filter: there are no {flt.describe()} among the {total:,} in the data. "
            "Widen the filter in the sidebar (remove a contract, an internet type or the senior choice) "
            "and the story comes back.")
