"""Model health benchmarks: page speed over 10k logged rows, logging overhead, retrain --smoke, drift false positives.

    python -m src.mlops.bench            # everything (retrain --smoke trains three smoke models: ~1-2 min)
    python -m src.mlops.bench --quick    # skip the retrain
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from src.core.benchmark import Row, print_table, time_ms
from src.core.cards import hardware
from src.core.settings import ROOT

LOG_ROWS = 10_000


def logging_overhead_ms(folder: Path, calls: int = 500) -> float:
    """Median time of one ``log_prediction`` call into a fresh WAL SQLite log."""
    from src.core import prediction_log

    os.environ[prediction_log.PATH_ENV] = str(folder / "overhead.sqlite3")
    inputs = {"tenure": 12.0, "MonthlyCharges": 70.5, "Contract": "Month-to-month", "InternetService": "Fiber optic"}
    return time_ms(lambda: prediction_log.log_prediction("churn", "bench", 3.2, inputs, "high", 0.71),
                   repeat=calls, warmup=5)


def fill_log(path: Path, rows: int = LOG_ROWS) -> None:
    """``rows`` made-up predictions across the three monitored demos (synthetic churn customers)."""
    from src.churn.data import synthetic
    from src.core import prediction_log
    from src.mlops import summaries

    os.environ[prediction_log.PATH_ENV] = str(path)
    rng = np.random.default_rng(0)
    now = time.time()
    customers = synthetic(rows // 2, seed=0)
    batch = [{"ts": now - rows + i, "demo": "churn", "model_version": "bench", "latency_ms": float(rng.gamma(2, 3)),
              "inputs": summaries.churn_inputs(r), "output": "low", "confidence": float(rng.beta(2, 5)),
              "scenario": "clean"} for i, (_, r) in enumerate(customers.iterrows())]
    for i in range(rows - len(batch)):
        image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        demo = "vision" if i % 2 else "sentiment"
        inputs = (summaries.vision_inputs(image) if demo == "vision" else
                  {"chars": int(rng.integers(5, 300)), "words": 9, "language": "en", "oov_share": 0.05})
        batch.append({"ts": now - i, "demo": demo, "model_version": "bench", "latency_ms": float(rng.gamma(2, 5)),
                      "inputs": inputs, "output": "x", "confidence": float(rng.random()), "scenario": "clean"})
    prediction_log.log_many(batch)


def import_s() -> float:
    """Seconds a fresh interpreter needs to import the page's modules (scipy.stats, plotly, pandas, streamlit)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import src.ui.model_health_widgets"], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def page_times(folder: Path) -> tuple[float, float]:
    """(cold, warm) seconds of the Model health page over a 10k-row log.

    Cold: every Streamlit cache cleared, libraries already imported (a server imports them once, for
    every page; :func:`import_s` reports that cost on its own).
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import src.ui.model_health_widgets  # noqa: F401 - see the docstring

    fill_log(folder / "page.sqlite3")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300).run()
    at.switch_page("app_pages/model_health.py")
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception}")
    return cold, float(np.median(warm))


def retrain_smoke_s() -> tuple[float, str]:
    """Wall time of ``python -m src.pipeline retrain --smoke`` and its last lines."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "src.pipeline", "retrain", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    return time.perf_counter() - start, " / ".join(lines[-3:]) or done.stderr.strip().splitlines()[-1:][0]


def drift_false_positive_share(windows: int = 20, size: int = 500) -> tuple[float, str]:
    """Mean share of churn columns flagged when windows are resampled from the training data itself."""
    from src.churn import data
    from src.core import datasets
    from src.mlops import drift
    from src.mlops.reference import churn_kinds

    real = datasets.is_available("telco")
    frame = data.load() if real else data.synthetic(7043, seed=0)
    shares = [drift.dataset_drift(frame, frame.sample(size, random_state=i), churn_kinds()).share
              for i in range(windows)]
    return float(np.mean(shares)), "Telco training rows" if real else "synthetic Telco rows (no data here)"


def main(quick: bool = False) -> None:
    """Print the goal table."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        overhead = logging_overhead_ms(folder)
        rows.append(Row("extra latency of logging one prediction", f"{overhead:.3f} ms", "≤ 2 ms", overhead <= 2))
        rows.append(Row("importing the page's libraries in a fresh process (once per server)",
                        f"{import_s():.2f} s"))
        cold, warm = page_times(folder)
        rows.append(Row(f"Model health page, cold caches ({LOG_ROWS:,} logged rows)", f"{cold:.2f} s", "≤ 3 s",
                        cold <= 3))
        rows.append(Row("Model health page, warm rerun", f"{warm * 1000:.0f} ms", "≤ 500 ms", warm <= 0.5))
    share, source = drift_false_positive_share()
    rows.append(Row(f"drift false positives, 20 no-shift windows of 500 ({source})", f"{share:.1%} of columns",
                    "≤ 10%", share <= 0.10))
    if not quick:
        seconds, tail = retrain_smoke_s()
        rows.append(Row(f"make retrain --smoke ({tail})", f"{seconds:.0f} s", "≤ 120 s", seconds <= 120))
    print(f"CPU: {hardware()}")
    print_table("Model health", rows)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
