"""Streaming through OpenAIClient: SSE content deltas in order, assembled tool calls, usage from the last chunk."""

from __future__ import annotations

import json

import pytest

from studio.runtime.models import OpenAIClient
from tests.support.openai_server import Reply, ToolCall


@pytest.fixture
def client(openai_server, monkeypatch, transport):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)


def test_streamed_text_arrives_chunk_by_chunk_in_order_with_usage(openai_server, client):
    openai_server.script(Reply("The quick brown fox", chunks=["The", " quick", " brown", " fox"]))
    chunks: list[str] = []

    response = client.create([{"role": "user", "content": "go"}], on_chunk=chunks.append)

    assert chunks == ["The", " quick", " brown", " fox"]
    assert response.message == {"role": "assistant", "content": "The quick brown fox"}
    assert response.usage.completion_tokens > 0 and response.usage.total_tokens == (
        response.usage.prompt_tokens + response.usage.completion_tokens
    )
    assert response.cost_known and response.cost > 0
    body = openai_server.bodies[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_streamed_tool_calls_are_assembled_from_their_deltas(openai_server, client):
    calls = [ToolCall("add", {"a": 1, "b": 22}, id="call_a"), ToolCall("lookup", {"query": "capital of France"})]
    openai_server.script(Reply(tool_calls=calls))
    chunks: list[str] = []

    response = client.create([{"role": "user", "content": "go"}], on_chunk=chunks.append)

    assert chunks == []
    assert response.message["content"] is None
    first, second = response.message["tool_calls"]
    assert first == {"id": "call_a", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 22}'}}
    assert second["function"]["name"] == "lookup"
    assert json.loads(second["function"]["arguments"]) == {"query": "capital of France"}


def test_stream_true_as_a_parameter_streams_without_a_callback(openai_server, client):
    openai_server.script("streamed anyway")

    response = client.create([{"role": "user", "content": "go"}], stream=True)

    assert response.message["content"] == "streamed anyway"
    assert openai_server.bodies[0]["stream"] is True


def test_a_failing_chunk_callback_propagates_unchanged(openai_server, client):
    openai_server.script("one two three")

    def explode(_: str) -> None:
        raise BrokenPipeError("the UI went away")  # an OSError, yet not a model failure

    with pytest.raises(BrokenPipeError, match="the UI went away"):
        client.create([{"role": "user", "content": "go"}], on_chunk=explode)
    openai_server.script("still works")
    assert client.create([{"role": "user", "content": "again"}]).message["content"] == "still works"


def test_a_stream_config_flag_is_exposed_for_the_agent(openai_server):
    assert OpenAIClient("gpt-4o", base_url=openai_server.base_url, stream=True).stream is True
    assert OpenAIClient("gpt-4o", base_url=openai_server.base_url).stream is False
