"""The chat's queue for the one local model: arrival order, each waiter's place in line, bounded waits.

Threads and a fake llama.cpp model; no language model is loaded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from src.rag.generate import GenerationError, LlamaCppGenerator
from src.rag.generate_queue import AnswerQueue, QueueFull, waiting_message


class FakeLlama:
    """Streams two pieces per answer; the first call blocks until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.served: list[str] = []

    def create_chat_completion(self, messages, **_):
        who = messages[-1]["content"]
        self.served.append(who)
        self.started.set()
        if len(self.served) == 1:
            assert self.release.wait(10), "the test never released the first answer"
        for piece in (who, "."):
            yield {"choices": [{"delta": {"content": piece}}]}


def fake_generator(**queue_options) -> tuple[LlamaCppGenerator, FakeLlama]:
    gen = LlamaCppGenerator.__new__(LlamaCppGenerator)  # skips loading a GGUF file
    gen._llm, gen.name, gen.queue = FakeLlama(), "fake", AnswerQueue(poll_s=0.02, **queue_options)
    return gen, gen._llm


def ask(gen: LlamaCppGenerator, who: str, seen: dict, out: dict) -> threading.Thread:
    """Start one visitor's answer in a thread; ``seen[who]`` collects the places in line it was told."""
    seen[who] = []

    def run() -> None:
        try:
            out[who] = "".join(gen.stream([{"role": "user", "content": who}],
                                          on_wait=lambda ahead, _s: seen[who].append(ahead)))
        except GenerationError as exc:
            out[who] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@dataclass
class Line:
    """A fake generator and what each visitor was told (``seen``) and got (``out``)."""

    gen: LlamaCppGenerator
    llm: FakeLlama
    seen: dict = field(default_factory=dict)
    out: dict = field(default_factory=dict)

    def ask(self, who: str) -> threading.Thread:
        return ask(self.gen, who, self.seen, self.out)


def busy_line(**queue_options) -> tuple[Line, threading.Thread]:
    """A line whose first visitor "a" is being answered, held until ``line.llm.release`` is set; and a's thread."""
    line = Line(*fake_generator(**queue_options))
    first = line.ask("a")
    assert line.llm.started.wait(5)
    return line, first


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_waiters_are_told_their_place_and_served_in_arrival_order():
    line, first = busy_line()
    second = line.ask("b")
    wait_until(lambda: len(line.gen.queue) == 2 and line.seen["b"])
    third = line.ask("c")
    wait_until(lambda: len(line.gen.queue) == 3 and line.seen["c"])
    assert line.seen["a"] == []  # the first visitor never waited
    assert line.seen["b"][0] == 1 and line.seen["c"][0] == 2
    line.llm.release.set()
    for thread in (first, second, third):
        thread.join(5)
    assert line.llm.served == ["a", "b", "c"]
    assert line.out == {"a": "a.", "b": "b.", "c": "c."}
    assert len(line.gen.queue) == 0


def test_a_long_wait_skips_the_lead_with_a_message_and_leaves_the_line_clean():
    line, first = busy_line(max_wait_s=0.2)
    line.ask("b").join(5)
    assert isinstance(line.out["b"], GenerationError)
    assert "quoted from the passages" in str(line.out["b"])
    assert len(line.gen.queue) == 1  # only the one still answering
    line.llm.release.set()
    first.join(5)
    assert line.out["a"] == "a." and len(line.gen.queue) == 0


def test_a_full_line_refuses_at_once():
    queue = AnswerQueue(max_line=1, poll_s=0.02)
    hold = threading.Event()
    inside = threading.Barrier(3)

    def holder() -> None:
        with queue.turn():
            inside.wait(5)
            hold.wait(5)

    def waiter() -> None:
        inside.wait(5)
        with queue.turn():
            pass

    threads = [threading.Thread(target=holder, daemon=True), threading.Thread(target=waiter, daemon=True)]
    for thread in threads:
        thread.start()
    inside.wait(5)
    wait_until(lambda: len(queue) == 2)
    with pytest.raises(QueueFull, match="2 answers were ahead"), queue.turn():
        pass
    hold.set()
    for thread in threads:
        thread.join(5)
    assert len(queue) == 0


def test_a_visitor_who_leaves_while_waiting_gives_up_their_place():
    """Streamlit stops a script by raising inside it (here: inside on_wait); the line must not keep the ticket."""
    queue = AnswerQueue(poll_s=0.02)
    hold = threading.Event()
    entered = threading.Event()

    def holder() -> None:
        with queue.turn():
            entered.set()
            hold.wait(5)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert entered.wait(5)

    def leave(_ahead: int, _waited: float) -> None:
        raise KeyboardInterrupt("visitor left")

    with pytest.raises(KeyboardInterrupt), queue.turn(on_wait=leave):
        pass
    assert len(queue) == 1
    hold.set()
    thread.join(5)
    with queue.turn():  # the next visitor is served at once
        assert len(queue) == 1


def test_waiting_message_names_the_place_in_line():
    assert "2 questions are ahead of yours" in waiting_message(2, 3.2)
    assert "1 question is ahead of yours" in waiting_message(1, 0.0)
    assert "(3 s so far)" in waiting_message(2, 3.2)
