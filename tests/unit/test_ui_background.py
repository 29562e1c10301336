"""The background loader behind cold pages: one job per name, failures re-raised and retried, old jobs dropped."""

from __future__ import annotations

import threading

import pytest

from src.ui import background


def test_one_job_per_name_shared_by_every_caller():
    calls, gate = [], threading.Event()

    def load() -> str:
        calls.append(1)
        gate.wait(5)
        return "model"

    first = background.start("test:shared", load)
    second = background.start("test:shared", load)
    assert first is second and not background.ready("test:shared")
    gate.set()
    assert background.wait("test:shared", load) == "model"
    assert background.ready("test:shared") and calls == [1]


def test_a_failure_reaches_the_waiter_and_the_next_start_retries():
    attempts = []

    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk hiccup")
        return 42

    with pytest.raises(OSError, match="disk hiccup"):
        background.wait("test:flaky", flaky)
    assert not background.ready("test:flaky") and background.started("test:flaky")
    assert background.wait("test:flaky", flaky) == 42 and len(attempts) == 2


def test_a_group_keeps_only_its_newest_finished_jobs():
    for i in range(4):
        background.wait(f"test:group:{i}", lambda i=i: i, group="test:group:", keep=2)
    assert [background.started(f"test:group:{i}") for i in range(4)] == [False, False, True, True]


def test_the_load_runs_in_a_daemon_thread_not_the_callers():
    seen = []
    background.wait("test:thread", lambda: seen.append(threading.current_thread()))
    assert seen[0] is not threading.current_thread() and seen[0].daemon
