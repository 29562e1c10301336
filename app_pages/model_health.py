"""Model health: tracked runs and the registry, live traffic, drift and estimated performance (layout only)."""

from src.mlops import drift
from src.ui import model_health_widgets as mh
from src.ui.chrome import guard, page_header, show_chapter
from src.ui.model_health_runs import refresh_when_stale, runs_chapter

page_header("model_health", f"""
**Every prediction the app shows is logged** to an embedded SQLite file with its time, model version (a hash of
the model card), latency, the output and its confidence, and a small *summary* of the input: the churn feature row,
a text's length, language and share of unseen words, an image's brightness, contrast, edge energy and size, a
question's length and retrieval strength. Raw images and full texts are never stored.

**Drift** compares the newest predictions with the training data using Evidently's default tests (implemented with
scipy): with up to {drift.SMALL_REFERENCE:,} reference rows, Kolmogorov-Smirnov for numbers, chi-square for categories
and a z-test for yes/no columns (drift when p < {drift.P_VALUE:g}); above that, the normed Wasserstein distance and the
Jensen-Shannon distance (drift when ≥ {drift.DISTANCE:g}). The dataset counts as drifted when at least
{drift.DRIFT_SHARE:.0%} of its columns do. **Performance without labels** for churn is estimated from the calibrated
probabilities (confidence-based performance estimation, as in NannyML).

**Runs and the registry** come from MLflow, embedded in a SQLite file: every training command is a tracked run, the
committed models are version 1, and `make retrain` adds challengers that replace the champion only when they are
not worse beyond the headline metric's noise.
""")
opts = mh.options()
frame = mh.log_frame(opts)
with guard("the alerts"):
    mh.alerts(frame, opts)
mh.simulate_controls()


show_chapter("model_health", {
    "traffic": lambda: mh.traffic_chapter(frame), "drift": lambda: mh.drift_chapter(frame, opts),
    "performance": lambda: mh.performance_chapter(frame, opts), "runs": runs_chapter,
})
refresh_when_stale()  # once drawn: a stale runs snapshot is rebuilt in the background (MLflow takes seconds)
