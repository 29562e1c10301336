"""The OpenAI-compatible backend against a real ``python -m llama_cpp.server`` serving the packaged GGUF.

The server is started once for the module (it loads the 135M model in about a second).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from src.rag.chat import Assistant
from src.rag.chunking import chunk_documents
from src.rag.documents import Document
from src.rag.embed import shared
from src.rag.generate import BackendConfig, GenerationError, OpenAICompatibleGenerator, make_generator, packaged_gguf
from src.rag.retrieve import Index
from tests.servers import free_port, serving

pytestmark = pytest.mark.slow
SECRET = "sk-test-never-show-me"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_gguf()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"]
    with serving(command, f"{base}/models", lambda body: bool(json.loads(body)["data"])):
        yield base


def test_streams_tokens_from_the_server(server):
    gen = OpenAICompatibleGenerator(server)  # no model named: the first one the server lists
    pieces = list(gen.stream([{"role": "user", "content": "Say hello in one short sentence."}], max_tokens=16))
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert gen.name == "smollm2"


def test_config_from_environment_drives_a_full_cited_turn(server):
    config = BackendConfig.from_sources(env={"RAG_LLM_BASE_URL": server, "RAG_LLM_MODEL": "smollm2",
                                             "RAG_LLM_API_KEY": SECRET})
    assert config.kind == "openai"
    docs = [Document(source="bees.md", title="Bees", text="# Bees\n\nHoney bees dance to tell the hive where "
                     "flowers are. The waggle dance points toward the food.")]
    index = Index.build(chunk_documents(docs), shared())
    turn = Assistant(index, make_generator(config), tools={}).ask("How do honey bees tell the hive where flowers are?")
    assert turn.kind == "rag" and turn.answer and turn.raw and not turn.error
    assert turn.attribution is not None and turn.attribution.sentences
    # the same verification as the packaged model: only verified sentences are shown
    assert turn.shown is not None and turn.faithfulness == 1.0 and "dance" in turn.answer.lower()
    assert "first_token" in turn.timings_ms


def test_keys_and_url_credentials_never_show(server):
    config = BackendConfig.from_sources(env={}, secrets={
        "base_url": server.replace("http://", "http://alice:hunter2@") + "?token=abc", "api_key": SECRET})
    shown = config.describe() + repr(config)
    assert SECRET not in shown and "hunter2" not in shown and "token=abc" not in shown
    assert "API key set" in config.describe()


def test_an_unreachable_server_is_a_clean_error():
    gen = OpenAICompatibleGenerator(f"http://127.0.0.1:{free_port()}/v1", "m", SECRET, timeout=2)
    with pytest.raises(GenerationError) as err:
        list(gen.stream([{"role": "user", "content": "hi"}]))
    assert SECRET not in str(err.value)
