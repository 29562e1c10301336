"""Run every demo's benchmark and print its figures: ``make bench`` or ``python -m src.bench [demo ...]``.

``python -m src.bench chapters`` (also part of the full run) opens every chapter of every page cold,
each in a fresh interpreter, and reports the slowest against the 3 s goal, then how long the chat's
first answer takes on a cold server. It uses this checkout's disk caches (``python -m src.warm``
builds them; the Docker image does). ``PORTFOLIO_FORCE_FP32=1`` measures as on a CPU without native bf16.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
import time

from src.core.benchmark import Row, cpu_line, print_table
from src.core.demos import DEMOS
from src.core.logs import setup_logging

#: A visitor's first view of any chapter should take at most this long.
COLD_GOAL_S = 3.0
#: The question the cold first-answer row asks (the chat's first example).
FIRST_QUESTION = "How was the churn model validated?"
#: ``chapters`` as an argument selects the cold-chapter table.
CHAPTERS = "chapters"


def cold_chapter(page: str, chapter: str, timeout: float = 600) -> tuple[float, float]:
    """Wall and CPU seconds for ``page`` at ``?chapter=chapter`` to render in this interpreter, caches empty.

    The app shell (Home) runs first and is not counted, as on a server that is already up; the
    page's own imports, model loads and computations are. CPU time is printed beside the wall time
    because a shared machine's load stretches the wall time. Raises when the page shows an exception.
    """
    from streamlit.testing.v1 import AppTest

    from src.core.settings import ROOT

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=timeout).run()
    at.query_params["chapter"] = chapter
    start, cpu = time.perf_counter(), time.process_time()
    at.switch_page(page).run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if at.exception:
        raise RuntimeError(f"{page}?chapter={chapter}: {at.exception[0].value}")
    if at.query_params.get("chapter") not in (chapter, [chapter]):
        raise RuntimeError(f"{page} did not open at ?chapter={chapter}")
    return elapsed, cpu


def cold_first_answer(question: str = FIRST_QUESTION, timeout: float = 600) -> tuple[float, float]:
    """Wall seconds for the chat to draw cold, and from asking (at once) to the first answer.

    The chat draws before its models load (they load in the background), so a visitor who asks at
    once waits for the rest of the load plus the answer itself.
    """
    from streamlit.testing.v1 import AppTest

    from src.core.settings import ROOT

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=timeout).run()
    at.query_params["chapter"] = "chat"
    start = time.perf_counter()
    at.switch_page("app_pages/rag.py").run()
    asked = time.perf_counter()
    at.chat_input(key="rag_question").set_value(question).run()
    done = time.perf_counter()
    if at.exception or not [m for m in at.chat_message if m.name == "assistant"]:
        raise RuntimeError("the first question got no answer")
    return asked - start, done - asked


def cold_in_fresh_process(page: str, chapter: str, call: str = "cold_chapter") -> tuple[float, float]:
    """:func:`cold_chapter` (or ``call``) in a new interpreter, so nothing is imported or cached yet."""
    args = f"{page!r}, {chapter!r}" if call == "cold_chapter" else ""
    code = f"from src.bench import {call}; print(*{call}({args}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _caches_row() -> Row:
    """Whether the disk caches ``python -m src.warm`` builds were current: cold figures depend on it."""
    from src.churn import showcase
    from src.mlops import snapshot

    gaps = [f"churn first screens ({', '.join(m)})" for m in [showcase.missing()] if m]
    gaps += [] if snapshot.read() is not None else ["Model health runs snapshot (missing or stale)"]
    return Row("disk caches (`python -m src.warm`)", "all current" if not gaps else "not current: " + "; ".join(gaps),
               "reported", None)


def chapters_bench() -> None:
    """Every chapter of every page, cold: one row each, then the slowest."""
    rows, timed = [_caches_row()], []
    for demo in DEMOS:
        for slug, title in demo.chapters:
            try:
                seconds, cpu = cold_in_fresh_process(demo.page, slug)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
                rows.append(Row(f"{demo.title} · {title} (`?chapter={slug}`)", f"failed: {exc}"[:120], "", False))
                continue
            timed.append((seconds, f"{demo.title} · {title}"))
            rows.append(Row(f"{demo.title} · {title} (`?chapter={slug}`)", f"{seconds:.2f} s (CPU {cpu:.2f} s)",
                            f"≤ {COLD_GOAL_S:.0f} s", seconds <= COLD_GOAL_S))
    try:
        drawn, answer = cold_in_fresh_process("", "", call="cold_first_answer")
        rows.append(Row("Ask this portfolio · first answer on a cold server, asked as soon as the chat draws",
                        f"{answer:.1f} s after asking (the chat drew in {drawn:.1f} s)", "reported", None))
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        rows.append(Row("Ask this portfolio · first answer on a cold server", f"failed: {exc}"[:120], "", False))
    if timed:
        worst, where = max(timed)
        rows.append(Row(f"**slowest chapter, cold**: {where}", f"{worst:.2f} s", f"≤ {COLD_GOAL_S:.0f} s",
                        worst <= COLD_GOAL_S))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print_table(f"Every chapter, first visit in a fresh process (AppTest; load average {load})", rows)


def main(selected: list[str]) -> None:
    """Run ``src.<demo>.bench.main()`` for each demo that has one, then the cold-chapter table."""
    print(cpu_line())
    for demo in DEMOS:
        if selected and demo.slug not in selected:
            continue
        name = f"src.{demo.package}.bench"
        if importlib.util.find_spec(name) is None:
            print(f"\n### {demo.title}\n\n(no benchmark yet)")
            continue
        importlib.import_module(name).main()
    if not selected or CHAPTERS in selected:
        chapters_bench()


if __name__ == "__main__":
    setup_logging()
    main(sys.argv[1:])
