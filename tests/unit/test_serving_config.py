"""The served app keeps the modules it started with: Streamlit's file watcher is off outside `make dev`.

With the watcher on, any edit to a project .py file makes every session evict all project modules
from sys.modules at its next run, and sessions re-importing at once fail ("KeyError: 'src.core.settings'",
"'NoneType' object has no attribute '__dict__'"): the load test's error boxes (issue 16).
"""

from __future__ import annotations

import re
import tomllib

from src.core.settings import ROOT


def test_the_served_app_runs_no_file_watcher():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"


def test_no_serving_command_turns_the_watcher_back_on():
    """`make run` and the Docker image use the config; only `make dev` (reload on save) may override it."""
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = re.search(r"^run:.*?(?=^\S)", makefile, re.S | re.M)
    assert run_recipe is not None and "fileWatcherType" not in run_recipe.group(0)
    assert "fileWatcherType" not in (ROOT / "Dockerfile").read_text()
