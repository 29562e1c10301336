"""Heavy shared resources loaded in a background thread, so a page draws at once.

A page starts a load with :func:`start` once it has drawn (it returns at once), and the
interaction that needs the resource waits for it, inside a status box, with :func:`wait`.
Every session shares one job per name, for the life of the server, like ``st.cache_resource``.

Why not ``st.cache_resource`` in the thread: Streamlit's cache logs a "missing ScriptRunContext"
warning on every call from a thread it did not start, and a context borrowed from a session would
draw spinners into a page the visitor may have left. The loaders here are plain functions.

Threads are daemons: a server that stops does not wait for a half-loaded model. A job that failed
is started again on the next :func:`start`; its exception is raised by :func:`wait` in the
script thread, where the page's error panel shows it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger("portfolio.background")

_jobs: dict[str, Future] = {}
_lock = threading.Lock()


def _run(name: str, job: Future, load: Callable[[], object]) -> None:
    if not job.set_running_or_notify_cancel():
        return
    try:
        job.set_result(load())
    except BaseException as exc:  # kept in the future: wait() re-raises it where the page can show it
        log.warning("background load %s failed: %s", name, exc)
        job.set_exception(exc)


def start(name: str, load: Callable[[], T], *, group: str | None = None, keep: int = 4) -> Future[T]:
    """The job ``name``, started in a daemon thread unless it is running or done (failed jobs restart).

    ``group``: names sharing it keep only the ``keep`` newest jobs (an index per chunk setting, say),
    so a server that sees many settings does not hold every index forever.
    """
    with _lock:
        job = _jobs.get(name)
        if job is not None and not (job.done() and job.exception() is not None):
            return job
        job = Future()
        _jobs[name] = job
        if group is not None:
            same = [n for n in _jobs if n.startswith(group)]
            for old in same[:-keep]:  # dicts keep insertion order: the oldest first
                if _jobs[old].done():
                    del _jobs[old]
    threading.Thread(target=_run, args=(name, job, load), name=f"load-{name}", daemon=True).start()
    return job


def wait(name: str, load: Callable[[], T], **kwargs: object) -> T:
    """The result of job ``name`` (started here if needed); blocks until it is loaded."""
    return start(name, load, **kwargs).result()  # type: ignore[arg-type]


def ready(name: str) -> bool:
    """True when job ``name`` has finished without an error (the interaction will not wait)."""
    job = _jobs.get(name)
    return job is not None and job.done() and job.exception() is None


def started(name: str) -> bool:
    """True when job ``name`` was started (running, done or failed)."""
    return name in _jobs
