"""First come, first served access to the one local language model, with each waiter's place in line.

One llama.cpp context serves every visitor, one answer at a time. A plain ``threading.Lock`` would
serialise them too, but it keeps no order and cannot say how many answers are ahead of a waiting
visitor, so the page could only say "you may wait". Here each answer takes a place in a line; the
head of the line generates, and the others are told their position while they wait.

The wait is bounded: the answer shown to a visitor is quoted from the passages, and the model only
writes a one-sentence lead, so a visitor who would wait longer than ``max_wait_s`` (or who finds more
than ``max_line`` answers ahead) gets the quoted answer without the lead instead of a long wait.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ENV_MAX_WAIT = "RAG_QUEUE_MAX_WAIT_S"
ENV_MAX_LINE = "RAG_QUEUE_MAX_LINE"
#: A visitor waits at most this long for the model before the answer is shown without its lead.
DEFAULT_MAX_WAIT_S = 90.0
#: With more answers than this ahead, the lead is skipped at once (the wait would exceed any patience).
DEFAULT_MAX_LINE = 12

#: ``on_wait(ahead, waited_s)``: called about once per ``poll_s`` while a caller waits for its turn.
OnWait = Callable[[int, float], None]


class QueueFull(RuntimeError):
    """The wait for the model would be too long; the message is safe to show."""


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class AnswerQueue:
    """A line of callers for one shared resource: the head holds it, the rest wait in arrival order."""

    def __init__(self, *, max_wait_s: float | None = None, max_line: int | None = None,
                 poll_s: float = 1.0) -> None:
        self.max_wait_s = max_wait_s or _env_number(ENV_MAX_WAIT, DEFAULT_MAX_WAIT_S)
        self.max_line = max_line or int(_env_number(ENV_MAX_LINE, DEFAULT_MAX_LINE))
        self.poll_s = poll_s
        self._cond = threading.Condition()
        self._line: list[object] = []

    def __len__(self) -> int:
        """Answers being written or waiting now."""
        with self._cond:
            return len(self._line)

    @contextmanager
    def turn(self, on_wait: OnWait | None = None) -> Iterator[None]:
        """Wait for this caller's turn, then hold the resource until the block ends.

        ``on_wait(ahead, waited_s)`` runs outside the lock about once per ``poll_s`` while others are ahead;
        an exception it raises (Streamlit stopping a visitor's script) leaves the line cleanly. Raises
        :class:`QueueFull` when more than ``max_line`` are ahead on arrival, or the wait passes ``max_wait_s``.
        """
        ticket = object()
        with self._cond:
            ahead = len(self._line)
            if ahead > self.max_line:
                raise QueueFull(f"{ahead} answers were ahead of yours, so the model's lead sentence was skipped; "
                                "the answer is quoted from the passages.")
            self._line.append(ticket)
        try:
            self._wait(ticket, on_wait)
            yield
        finally:
            with self._cond:
                self._line.remove(ticket)
                self._cond.notify_all()

    def _wait(self, ticket: object, on_wait: OnWait | None) -> None:
        start = time.monotonic()
        while True:
            with self._cond:
                ahead = self._line.index(ticket)
            if not ahead:
                return
            waited = time.monotonic() - start
            if waited > self.max_wait_s:
                raise QueueFull(f"The model was busy with other visitors' answers for {waited:.0f} s, so its lead "
                                "sentence was skipped; the answer is quoted from the passages.")
            if on_wait is not None:
                on_wait(ahead, waited)
            with self._cond:
                if self._line.index(ticket):  # woken early when the line moves
                    self._cond.wait(self.poll_s)


def waiting_message(ahead: int, waited_s: float) -> str:
    """What a waiting visitor reads: their place in line, how long so far, and why the wait is short."""
    questions = "1 question is" if ahead == 1 else f"{ahead} questions are"
    return (f"Waiting for the shared language model: {questions} ahead of yours ({waited_s:.0f} s so far). "
            "It writes one answer at a time; yours starts as soon as they are done.")
