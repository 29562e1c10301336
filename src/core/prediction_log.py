"""The prediction log: every prediction the app shows, appended to one embedded SQLite file.

Why SQLite rather than DuckDB: the log is many tiny appends from several Streamlit sessions (threads)
and possibly several server processes, read back rarely. SQLite in WAL mode lets writers in many
processes take turns on one file while readers keep reading, and a one-row insert costs well under a
millisecond with the standard library alone. DuckDB is built for bulk analytics: one process holds the
write lock on the file, so a second server process could not log at all, and it would be one more
dependency. The page reads the log into pandas, which is plenty at this size.

What is stored: time, demo, model version (card hash), latency, a small *summary* of the input (the
churn feature row; text length and language; image brightness/contrast/size; question length and
retrieval strength), the output and its confidence. Never a raw image or a full document: byte
values are dropped and strings are cut to :data:`MAX_TEXT` characters before anything is written.

``log_prediction`` never raises: a full disk or a locked file logs one warning and the prediction
is shown as usual.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from src.core.settings import DATA_DIR

log = logging.getLogger(__name__)

DEFAULT_PATH = DATA_DIR / "predictions.sqlite3"
#: Environment variable pointing the log at another file (tests, a shared volume).
PATH_ENV = "PORTFOLIO_PREDICTION_LOG"
#: Longest string kept in an input summary or output: enough for a category or label, too short for a document.
MAX_TEXT = 64
#: How long a writer waits for another writer's lock before giving up on this row (with one warning).
BUSY_TIMEOUT_MS = 5000
COLUMNS = ("id", "ts", "demo", "model_version", "latency_ms", "inputs", "output", "confidence", "simulated",
           "scenario")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    demo TEXT NOT NULL,
    model_version TEXT NOT NULL,
    latency_ms REAL,
    inputs TEXT NOT NULL,
    output TEXT,
    confidence REAL,
    simulated INTEGER NOT NULL DEFAULT 0,
    scenario TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS predictions_demo_ts ON predictions (demo, ts);
"""
_local = threading.local()
_warned: set[str] = set()


def log_path() -> Path:
    """The log file: ``PORTFOLIO_PREDICTION_LOG`` or ``data/predictions.sqlite3``."""
    return Path(os.environ.get(PATH_ENV) or DEFAULT_PATH)


def _retry_locked(action: Callable[[], Any], attempts: int = 4) -> Any:
    """Run ``action``, retrying a few times on "database is locked".

    SQLite's busy timeout does not cover every lock: switching a new file to WAL and creating its
    schema from several processes at once can fail at once with "locked", and a loaded CPU can
    outlast the timeout. Without this, 8 concurrent writers on a busy machine lost 9 of 800 rows.
    """
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    return None


def _connect(path: Path) -> sqlite3.Connection:
    """A connection per thread and file, kept open: opening costs more than the insert itself."""
    cache: dict[Path, sqlite3.Connection] = getattr(_local, "connections", None) or {}
    _local.connections = cache
    db = cache.get(path)
    if db is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)

        def setup() -> None:
            # WAL: readers never block the writer; NORMAL sync: durable at checkpoints, no fsync per row.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        _retry_locked(setup)
        cache[path] = db
    return db


def _clean(value: Any) -> Any:
    """JSON-safe summary value: numbers as floats, short strings, no bytes or arrays."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, bytes | bytearray | memoryview):
        return None  # never store raw uploads
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalars
        return value.item()
    return str(value)[:MAX_TEXT]


def _warn_once(key: str, exc: BaseException) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning("prediction log unavailable at %s (%s: %s); predictions continue unlogged",
                    log_path(), type(exc).__name__, exc)


def log_prediction(demo: str, model_version: str, latency_ms: float, inputs: dict, output: Any,
                   confidence: float | None, simulated: bool = False, *, scenario: str = "") -> None:
    """Append one prediction. Never raises; a failure (full disk, locked file) warns once per process."""
    try:
        row = (time.time(), demo, model_version or "unknown", float(latency_ms),
               json.dumps({str(k): _clean(v) for k, v in (inputs or {}).items()}), json.dumps(_clean(output)),
               None if confidence is None else float(confidence), int(bool(simulated)), scenario[:MAX_TEXT])
        db = _connect(log_path())
        _retry_locked(lambda: db.execute(
            "INSERT INTO predictions (ts, demo, model_version, latency_ms, inputs, output, confidence, simulated,"
            " scenario) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row))
    except Exception as exc:  # the log must never cost a visitor their prediction
        _warn_once(type(exc).__name__, exc)


def log_many(rows: list[dict[str, Any]]) -> int:
    """Append many predictions in one transaction (the "Simulate production" replay); returns rows written."""
    try:
        db = _connect(log_path())
        values = [(r.get("ts", time.time()), r["demo"], r.get("model_version") or "unknown",
                   float(r.get("latency_ms") or 0.0), json.dumps({k: _clean(v) for k, v in r["inputs"].items()}),
                   json.dumps(_clean(r.get("output"))), r.get("confidence"), int(bool(r.get("simulated", True))),
                   str(r.get("scenario", ""))[:MAX_TEXT]) for r in rows]
        with db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO predictions (ts, demo, model_version, latency_ms, inputs, output, confidence, "
                "simulated, scenario) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        return len(values)
    except Exception as exc:
        _warn_once(type(exc).__name__, exc)
        return 0


def read_rows(demo: str | None = None, *, include_simulated: bool = True, limit: int = 200_000,
              path: Path | None = None) -> list[tuple]:
    """Rows of the log, newest last, as tuples in :data:`COLUMNS` order; empty when there is no log."""
    path = path or log_path()
    if not path.is_file():
        return []
    where, args = [], []
    if demo:
        where.append("demo = ?")
        args.append(demo)
    if not include_simulated:
        where.append("simulated = 0")
    sql = f"SELECT {', '.join(COLUMNS)} FROM predictions"
    sql += (" WHERE " + " AND ".join(where)) if where else ""
    sql += " ORDER BY id DESC LIMIT ?"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000) as db:
        rows = db.execute(sql, [*args, limit]).fetchall()
    return rows[::-1]


def clear_simulated(path: Path | None = None) -> int:
    """Delete the simulated rows (the page's reset button); returns how many went."""
    try:
        with sqlite3.connect(path or log_path(), timeout=BUSY_TIMEOUT_MS / 1000) as db:
            return db.execute("DELETE FROM predictions WHERE simulated = 1").rowcount
    except sqlite3.Error as exc:
        _warn_once("clear", exc)
        return 0
