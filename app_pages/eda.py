"""Why customers leave: a six-chapter data story on the Telco churn data, every number computed live."""

from src.ui.chrome import guard, page_header
from src.ui.eda_widgets import render_story

page_header(
    "eda",
    """Six chapters, each with its own link: the question, data quality, who leaves, money, segments and
what it means. **Every number in the text is computed from the data when the page runs** and written into
sentence templates, with the current filter named; each claim shows its test (chi-square or Mann-Whitney U)
and an effect size (Cramér's V, rank-biserial r, or a difference in rates with its 95% interval).

Findings come from rules in `src/eda/findings.py` (adjusted p < 0.01 and at least a small effect), not from
hand-picking; data-quality alerts from checks in `src/eda/quality.py`; segments from k-means on scaled tenure,
monthly charges and service count. The sidebar filter narrows every chapter, and the whole story downloads as
one HTML file that opens offline.""",
)
# The story is all data, so there is no model part to point at when the data is missing.
with guard("the data story", data_tail=""):
    render_story()
