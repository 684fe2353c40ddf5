"""Streaming emits every token chunk before the final message; tracing spans nest chat → turn → model_call."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from studio import ConversableAgent, register_function
from studio.events import Message, StreamChunk
from studio.runtime.models import ScriptedClient
from studio.runtime.tracing import disable_tracing, enable_tracing


def test_stream_chunks_arrive_before_the_message_through_the_openai_protocol(openai_server):
    openai_server.add_reply("The quick brown fox jumps over the lazy dog")
    llm = {"model": "gpt-4o", "base_url": openai_server.base_url, "api_key": "sk-test", "stream": True}
    bot = ConversableAgent("bot", llm_config=llm, human_input_mode="NEVER")
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    events = []
    user.initiate_chat(bot, message="say it", max_turns=1, silent=True, listeners=[events.append])
    chunks = [e for e in events if isinstance(e, StreamChunk)]
    reply = next(e for e in events if isinstance(e, Message) and e.source == "bot")
    assert len(chunks) > 1
    assert "".join(c.content for c in chunks) == "The quick brown fox jumps over the lazy dog"
    assert all(c.seq < reply.seq for c in chunks)
    assert len({c.message_id for c in chunks}) == 1
    assert openai_server.bodies[0]["stream"] is True


def test_no_chunks_without_stream():
    client = ScriptedClient(["plain answer"])
    bot = ConversableAgent("bot", llm_config={"model": "m", "client": client}, human_input_mode="NEVER")
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    events = []
    user.initiate_chat(bot, message="x", max_turns=1, silent=True, listeners=[events.append])
    assert not [e for e in events if isinstance(e, StreamChunk)]


@pytest.fixture
def exporter():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    try:
        yield exporter
    finally:
        disable_tracing()


def test_chat_turn_model_and_tool_spans_are_parented(exporter):
    def add(a: int, b: int) -> int:
        return a + b

    client = ScriptedClient([{"tool_calls": [{"id": "c1", "name": "add", "arguments": {"a": 1, "b": 2}}]}, "3"])
    bot = ConversableAgent("bot", llm_config={"model": "m", "client": client}, human_input_mode="NEVER")
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    register_function(add, caller=bot, executor=user, description="Add")
    user.initiate_chat(bot, message="1+2", max_turns=2, silent=True)
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    chat = next(s for s in spans if s.name == "chat")
    model_calls = [s for s in spans if s.name == "model_call"]
    tool_calls = [s for s in spans if s.name == "tool_call"]
    assert len(model_calls) == 2 and len(tool_calls) == 1
    for s in model_calls + tool_calls:
        parent = by_id[s.parent.span_id]
        assert parent.name == "turn"
        assert by_id[parent.parent.span_id] is chat
    assert model_calls[0].attributes["gen_ai.usage.input_tokens"] > 0
    assert chat.attributes["kind"] == "two_agent"
