"""What every bad-input answer must satisfy, and how to drive CLIs and upload widgets in-process."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from src.core.safe_csv import FORMULA_START

#: The shape of raw exception text: a traceback, a frame line, or "SomeError: message".
_RAW_EXCEPTION = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\b[A-Z]\w*(Error|Exception): ")


def assert_clear(message: str, expect: str = "") -> None:
    """A message a visitor can read: not empty, no traceback or raw exception text, and saying ``expect``."""
    assert message and message.strip(), "no message at all"
    assert not _RAW_EXCEPTION.search(message), f"raw exception text shown: {message[:300]!r}"
    if expect:
        assert expect.lower() in message.lower(), f"expected {expect!r} in {message[:300]!r}"


def assert_csv_safe(content: bytes | str) -> None:
    """No cell and no header of a CSV starts with a character a spreadsheet runs as a formula."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), 1):
        for cell in row:
            assert not cell.lstrip(' "').startswith(FORMULA_START), f"line {line_no}: formula cell {cell[:60]!r}"


#: Wall time may exceed the CPU budget this many times: the 2 cores are often shared with other jobs.
WALL_FACTOR = 6


@dataclass
class Usage:
    """Wall time, CPU time (all threads of this process) and Python peak memory of a block."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0

    def within(self, budget: float) -> bool:
        """CPU time under ``budget`` and wall time under ``WALL_FACTOR`` x it: a hang guard that a busy machine
        does not trip (the figures themselves belong in `make bench`)."""
        return self.cpu_seconds < budget and self.seconds < WALL_FACTOR * budget

    def __str__(self) -> str:
        return f"{self.cpu_seconds:.1f} s CPU, {self.seconds:.1f} s wall, {self.peak_mb:.0f} MB peak"


@contextmanager
def measured(memory: bool = False) -> Iterator[Usage]:
    """Time a block and, when ``memory``, its peak Python allocation (tracemalloc: zlib/bytes buffers count)."""
    usage = Usage()
    if memory:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield usage
    finally:
        usage.seconds = time.perf_counter() - start
        usage.cpu_seconds = time.process_time() - cpu
        if memory:
            usage.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


def attempt(call: Callable[[], Any], refusal: type[Exception], memory: bool = False) -> tuple[Any, str | None, Usage]:
    """``call()`` :func:`measured`: (its result, None, usage), or (None, the message, usage) when it refuses
    with ``refusal``. Any other exception fails the test."""
    result, error = None, None
    with measured(memory) as usage:
        try:
            result = call()
        except refusal as exc:
            error = str(exc)
    return result, error, usage


@dataclass
class CliResult:
    """Exit code and the text a terminal user sees (stdout + stderr), plus an uncaught exception if any."""

    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run_cli(app: Callable, args: list[str]) -> CliResult:
    """Run a Typer app in this process (no torch re-import per case); an uncaught exception is reported, not raised."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, args, catch_exceptions=True)
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return CliResult(result.exit_code, result.stdout, result.stderr, exc)


def assert_cli_clean(result: CliResult, expect: str = "", *, ok: bool | None = None) -> None:
    """No traceback; for failures a clear message; ``ok`` pins the exit code to zero / non-zero."""
    assert result.exception is None, f"uncaught {type(result.exception).__name__}: {result.exception}"
    if ok is True:
        assert result.code == 0, f"exit {result.code}: {result.text[-500:]}"
    if ok is False:
        assert result.code != 0, f"exit 0 for a bad input: {result.text[-500:]}"
        assert_clear(result.text, expect)
    elif expect:
        assert expect.lower() in result.text.lower(), f"expected {expect!r} in {result.text[-500:]!r}"


class FakeUpload(io.BytesIO):
    """What ``st.file_uploader`` hands a page: bytes with a name, size and id."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name, self.size, self.file_id, self.type = name, len(data), f"fake-{name}", "application/octet-stream"


def page_texts(at) -> str:
    """Everything an AppTest run shows as text: markdown, captions, alerts, tables (values and headers)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "text", "code", "exception"):
        parts += [str(getattr(el, "value", "")) for el in getattr(at, kind, [])]
    for frame in [*getattr(at, "dataframe", []), *getattr(at, "table", [])]:
        try:
            value = frame.value
            parts += [" ".join(map(str, value.columns)), value.to_csv(index=False)]
        except Exception:  # an element AppTest cannot turn into a frame: its repr is still searchable
            parts.append(repr(frame))
    return "\n".join(parts)


@contextmanager
def fake_uploads(files: list[tuple[str, bytes]]) -> Iterator[None]:
    """Inside an AppTest script: ``st.file_uploader`` returns these files (AppTest cannot upload by itself)."""
    import streamlit as st

    uploads = [FakeUpload(name, data) for name, data in files]
    real = st.file_uploader

    def uploader(*_args, accept_multiple_files: bool = False, **_kwargs):
        return uploads if accept_multiple_files else (uploads[0] if uploads else None)

    st.file_uploader = uploader
    try:
        yield
    finally:
        st.file_uploader = real
