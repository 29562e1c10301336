"""Speed of the EDA page: ``python -m src.bench eda`` (or ``make bench``).

Two ways of measuring, both printed:

* **AppTest** runs the real page script (widgets, caching, every chart serialised) in-process,
  without a browser. A cold render runs in a fresh interpreter, so caches are empty and the
  page's own imports (SciPy, scikit-learn, plotly) are paid; the app shell (Home) runs first
  and is not counted. A filter rerun sets a filter the cache has not seen, so the chapter is
  recomputed, and times the whole script rerun.
* **Direct** times ``story.chapter`` for a fresh filter: the computation alone, no Streamlit.
"""

from __future__ import annotations

import statistics
import time

from src.bench import COLD_GOAL_S, cold_in_fresh_process
from src.core.benchmark import Row, print_table, time_ms
from src.core.datasets import DataMissingError

PAGE = "app_pages/eda.py"
RERUN_GOAL_MS = 500.0
#: Filters a visitor might pick in turn; each one is new to the cache when it is set.
FILTERS = (["Month-to-month"], ["One year"], ["Two year"], ["Month-to-month", "One year"], ["One year", "Two year"])


def filter_reruns(chapter: str) -> list[float]:
    """Milliseconds of each page rerun after a filter change, on ``chapter`` (AppTest, warm imports)."""
    from streamlit.testing.v1 import AppTest

    from src.core.settings import ROOT

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at.query_params["chapter"] = chapter
    at.switch_page(PAGE).run()
    times = []
    for contracts in FILTERS:
        widget = at.multiselect(key="eda_contract").set_value(contracts)
        start = time.perf_counter()
        widget.run()
        times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
    return times


def main() -> None:
    """Print the EDA page's speed figures against their goals."""
    from src.eda import data, story
    from src.eda.report import render

    try:
        raw = data.load_raw()
    except DataMissingError as exc:
        print(f"\n### Why customers leave (EDA)\n\n(skipped: {exc})")
        return
    full = data.prepare(raw)
    rows = []
    for chapter in ("question", "findings"):
        cold = statistics.median(cold_in_fresh_process(PAGE, chapter)[0] for _ in range(3))
        rows.append(Row(f"first render, cold caches, ?chapter={chapter} (AppTest, median of 3 processes)",
                        f"{cold:.2f} s", f"≤ {COLD_GOAL_S:.0f} s", cold <= COLD_GOAL_S))
    for chapter in story.CHAPTERS:
        reruns = filter_reruns(chapter)
        worst, median = max(reruns), statistics.median(reruns)
        rows.append(Row(f"rerun after a filter change, {chapter} (AppTest, {len(reruns)} new filters)",
                        f"median {median:.0f} ms, worst {worst:.0f} ms", f"≤ {RERUN_GOAL_MS:.0f} ms",
                        worst <= RERUN_GOAL_MS))
    for chapter in story.CHAPTERS:
        flt = iter(data.Filter((c,)) for c in ("Month-to-month", "One year", "Two year") * 10)
        ms = time_ms(lambda ch=chapter, it=flt: story.chapter(ch, story.Scope(raw, full, next(it))),
                     repeat=5, warmup=1)
        rows.append(Row(f"compute chapter {chapter} for a new filter (direct)", f"{ms:.0f} ms"))
    start = time.perf_counter()
    html = render(story.story(story.Scope(raw, full, data.Filter())), "Why customers leave", "all customers", "")
    rows.append(Row("HTML report: build (direct) and size", f"{time.perf_counter() - start:.1f} s, "
                    f"{len(html.encode()) / 1e6:.1f} MB"))
    print_table("Why customers leave (EDA)", rows)


if __name__ == "__main__":
    main()
