"""Thumbs up/down on answers, kept in an embedded SQLite file under ``data/`` (gitignored).

One short-lived connection per call: SQLite handles concurrent sessions that way without a
shared connection crossing Streamlit's threads.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from src.core.settings import DATA_DIR

DEFAULT_DB = DATA_DIR / "rag_feedback.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    kind TEXT NOT NULL DEFAULT '',
    faithfulness REAL
)
"""


@dataclass(frozen=True)
class Summary:
    """Totals for the page."""

    total: int
    up: int
    down: int
    recent: list[dict]

    @property
    def up_rate(self) -> float | None:
        return self.up / self.total if self.total else None


class FeedbackStore:
    """Append and summarise ratings."""

    def __init__(self, path: Path = DEFAULT_DB) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: str, sources: list[str], rating: int, *, kind: str = "",
            faithfulness: float | None = None) -> int:
        """Store one rating (+1 or -1); returns its row id."""
        if rating not in (-1, 1):
            raise ValueError("rating must be +1 or -1")
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created, question, answer, sources, rating, kind, faithfulness) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), question[:2000], answer[:4000],
                 json.dumps(sources), rating, kind, faithfulness),
            )
            return int(cursor.lastrowid)

    def summary(self, recent: int = 5) -> Summary:
        """Counts and the latest ratings."""
        with self._connect() as db:
            up, down = db.execute(
                "SELECT COALESCE(SUM(rating = 1), 0), COALESCE(SUM(rating = -1), 0) FROM feedback").fetchone()
            rows = db.execute(
                "SELECT created, question, rating, kind, faithfulness FROM feedback ORDER BY id DESC LIMIT ?",
                (recent,)).fetchall()
        latest = [{"when": r[0], "question": r[1], "rating": "helpful" if r[2] == 1 else "not helpful", "kind": r[3],
                   "faithfulness": r[4]} for r in rows]
        return Summary(int(up) + int(down), int(up), int(down), latest)
