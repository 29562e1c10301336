"""Feedback lands in SQLite and survives a restart (a fresh store on the same file)."""

from __future__ import annotations

import pytest

from src.rag.feedback import FeedbackStore


def test_feedback_persists_across_a_restart(tmp_path):
    path = tmp_path / "fb.sqlite3"
    first = FeedbackStore(path)
    first.add("How was it validated?", "With 5-fold CV.", ["data/docs/churn.md > How it is validated"], 1,
              kind="rag", faithfulness=1.0)
    first.add("Capital of Peru?", "The documents don't seem to cover this.", [], -1, kind="weak")
    del first
    summary = FeedbackStore(path).summary()
    assert (summary.total, summary.up, summary.down) == (2, 1, 1)
    assert summary.recent[0]["question"] == "Capital of Peru?" and summary.recent[0]["rating"] == "not helpful"
    assert summary.up_rate == 0.5


def test_only_thumbs_are_accepted(tmp_path):
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "fb.sqlite3").add("q", "a", [], 5)
    assert FeedbackStore(tmp_path / "fb.sqlite3").summary().total == 0
