"""`studio serve-model`: a model client behind the OpenAI API, used by the `openai` SDK and by our own OpenAI provider.

The protocol tests serve the scripted model (instant, deterministic); the last tests serve the real bundled SmolLM2
through llama.cpp and run only when the `parley-studio[local]` extra is installed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from studio.runtime.models import OpenAIClient, ScriptedClient
from studio.runtime.models.local import local_model_available
from studio.serve import ModelBackend, ServedEndpoint, serve_model

ROOT = Path(__file__).resolve().parents[2]
needs_local_model = pytest.mark.skipif(
    not local_model_available(), reason="the local model extra is not installed: pip install 'parley-studio[local]'"
)


@pytest.fixture
def scripted():
    client = ScriptedClient(
        ["The answer is 4.", {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 2}}]}, "Streamed reply."],
        model="scripted-local",
    )
    with ServedEndpoint(ModelBackend(client), "127.0.0.1", 0) as endpoint:
        yield client, endpoint


ADD_TOOL = {
    "type": "function",
    "function": {"name": "add", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}},
}


def test_the_openai_sdk_gets_text_tool_calls_and_a_stream(scripted):
    client, endpoint = scripted
    sdk = openai.OpenAI(base_url=endpoint.base_url, api_key="unused", max_retries=0)
    assert [m.id for m in sdk.models.list()] == ["scripted-local"]

    reply = sdk.chat.completions.create(model="any-name", messages=[{"role": "user", "content": "2+2?"}])
    assert reply.choices[0].message.content == "The answer is 4."
    assert reply.usage.completion_tokens > 0 and reply.usage.total_tokens == (
        reply.usage.prompt_tokens + reply.usage.completion_tokens
    )

    called = sdk.chat.completions.create(
        model="any-name", messages=[{"role": "user", "content": "add"}], tools=[ADD_TOOL], temperature=0
    )
    (call,) = called.choices[0].message.tool_calls
    assert call.function.name == "add" and json.loads(call.function.arguments) == {"a": 2, "b": 2}
    assert called.choices[0].finish_reason == "tool_calls"
    assert client.calls[1].tools[0]["function"]["name"] == "add" and client.calls[1].params == {"temperature": 0}

    chunks = list(
        sdk.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "go"}], stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streamed reply." and len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert chunks[-1].usage.completion_tokens > 0


def test_the_studios_own_openai_provider_streams_from_it():
    client = ScriptedClient(["One two three four five."], model="scripted-local")
    with ServedEndpoint(ModelBackend(client), "127.0.0.1", 0) as endpoint:
        ours = OpenAIClient("served", base_url=endpoint.base_url)  # a local base URL needs no key
        pieces: list[str] = []
        response = ours.create([{"role": "user", "content": "count"}], on_chunk=pieces.append)
    assert "".join(pieces) == response.message["content"] == "One two three four five."
    assert response.usage.completion_tokens > 0 and response.usage.prompt_tokens > 0


def test_bad_requests_are_openai_shaped_errors(scripted):
    _, endpoint = scripted
    sdk = openai.OpenAI(base_url=endpoint.base_url, api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="non-empty list"):
        sdk.chat.completions.create(model="m", messages=[])
    with pytest.raises(openai.NotFoundError, match="No route"):
        sdk.embeddings.create(model="m", input="x")


@needs_local_model
def test_the_bundled_model_answers_the_openai_sdk_and_our_provider_through_the_endpoint():
    with serve_model("127.0.0.1", 0, n_ctx=1024, max_tokens=24) as endpoint:
        sdk = openai.OpenAI(base_url=endpoint.base_url, api_key="unused", max_retries=0, timeout=120)
        assert [m.id for m in sdk.models.list()] == ["smollm2-135m-instruct"]
        reply = sdk.chat.completions.create(
            model="smollm2-135m-instruct", messages=[{"role": "user", "content": "Name a colour."}], max_tokens=16
        )
        message = reply.choices[0].message
        assert message.role == "assistant" and message.content and message.content.strip()
        assert reply.usage.prompt_tokens > 5 and 0 < reply.usage.completion_tokens <= 16

        ours = OpenAIClient("smollm2-135m-instruct", base_url=endpoint.base_url, timeout=120)
        pieces: list[str] = []
        streamed = ours.create([{"role": "user", "content": "Say hello."}], on_chunk=pieces.append, max_tokens=16)
        assert pieces and "".join(pieces) == streamed.message["content"] and streamed.message["content"].strip()
        assert streamed.usage.prompt_tokens > 5 and 0 < streamed.usage.completion_tokens <= 17


@needs_local_model
def test_studio_serve_model_command_serves_until_interrupted(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "STUDIO_SERVE_TOKEN")}
    child = subprocess.Popen(
        [sys.executable, "-m", "studio.cli_serve", "serve-model", "--port", "0", "--n-ctx", "512"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("Serving model smollm2-135m-instruct at http://127.0.0.1:"), child.stderr.read()
        base_url = line.split(" at ", 1)[1].strip()
        sdk = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)
        reply = sdk.chat.completions.create(model="x", messages=[{"role": "user", "content": "Hi"}], max_tokens=8)
        assert reply.choices[0].message.content and reply.usage.completion_tokens > 0
    finally:
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=20) == 0


def test_studio_serve_refuses_a_public_address_without_a_token(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio.cli_serve",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--home",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "STUDIO_SERVE_TOKEN"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "without a bearer token" in result.stderr
