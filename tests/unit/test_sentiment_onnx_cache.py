"""The ONNX export cache keeps the current export and the newest other one (no model needed)."""

from __future__ import annotations

import os

from src.sentiment import onnx_backend


def test_old_exports_are_pruned_but_the_current_and_newest_other_stay(tmp_path):
    folders = [tmp_path / name for name in ("a", "b", "c", "current")]
    for age, folder in enumerate(reversed(folders)):
        folder.mkdir()
        (folder / "model.fp32.onnx").write_bytes(b"x")
        os.utime(folder, (1_000_000 - age * 100, 1_000_000 - age * 100))  # "current" newest, "a" oldest
    (tmp_path / "tmpexport").mkdir()  # an export in progress is never touched
    onnx_backend._prune(tmp_path, keep=tmp_path / "current")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "current", "tmpexport"]
