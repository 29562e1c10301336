"""Run every demo's benchmark and print its figures: ``make bench`` or ``python -m src.bench [demo ...]``."""

from __future__ import annotations

import importlib
import importlib.util
import sys

from src.core.demos import DEMOS

#: Demos whose code lives in a package named differently from their slug.
PACKAGES = {"model_health": "mlops"}


def main(selected: list[str]) -> None:
    """Run ``src.<demo>.bench.main()`` for each demo that has one."""
    for demo in DEMOS:
        if selected and demo.slug not in selected:
            continue
        name = f"src.{PACKAGES.get(demo.slug, demo.slug)}.bench"
        if importlib.util.find_spec(name) is None:
            print(f"\n### {demo.title}\n\n(no benchmark yet)")
            continue
        importlib.import_module(name).main()


if __name__ == "__main__":
    main(sys.argv[1:])
