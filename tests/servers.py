"""Start a local server for a test module and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(command: list[str], ready_url: str, is_ready: Callable[[bytes], bool], *, timeout: float = 120,
            cwd: Path | None = None, env: dict[str, str] | None = None, log: Path | None = None,
            ) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; fail the test if ``ready_url`` never answers as ``is_ready`` wants.

    With ``log``, the server's stdout and stderr go to that file (its tracebacks are evidence), else nowhere.
    """
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT if log else sink)
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{' '.join(command[:3])} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if is_ready(response.read()):
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"{ready_url} did not answer within {timeout:.0f} s")
            time.sleep(0.5)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            sink.close()
