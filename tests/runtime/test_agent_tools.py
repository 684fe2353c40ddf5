"""Tool calling between a caller and an executor (RUNTIME.md §1.6)."""

from __future__ import annotations

import time
from typing import Annotated

import pytest

from studio import ConversableAgent, register_function
from studio.events import ToolCall, ToolResult
from studio.runtime.models import ScriptedClient


def add(a: Annotated[int, "first"], b: int) -> int:
    return a + b


def kaput() -> str:
    raise RuntimeError("kaput")


def make_pair(*replies):
    client = ScriptedClient(list(replies))
    caller = ConversableAgent("assistant", llm_config={"model": "scripted", "client": client}, human_input_mode="NEVER")
    executor = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    return caller, executor, client


def test_register_function_puts_the_schema_on_the_caller_and_the_function_on_the_executor():
    caller, executor, _ = make_pair()
    register_function(add, caller=caller, executor=executor, description="Add two ints")
    assert caller.llm_config["tools"] == [
        {
            "type": "function",
            "function": {
                "description": "Add two ints",
                "name": "add",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "integer", "description": "first"},
                        "b": {"type": "integer", "description": "b"},
                    },
                    "required": ["a", "b"],
                },
            },
        }
    ]
    assert "add" in executor.function_map and "add" not in caller.function_map
    assert "tools" not in (executor.llm_config or {})


def test_registering_for_llm_needs_an_llm_config():
    executor = ConversableAgent("user", llm_config=False)
    with pytest.raises(RuntimeError, match="LLM config must be setup"):
        executor.register_for_llm(description="x")(add)


def test_tool_round_trip_message_shapes_and_next_request():
    caller, executor, client = make_pair(
        {
            "tool_calls": [
                {"id": "call_1_0", "name": "add", "arguments": {"a": 2, "b": 3}},
                {"id": "call_1_1", "name": "kaput", "arguments": {}},
            ]
        },
        "the sum is 5 TERMINATE",
    )
    register_function(add, caller=caller, executor=executor, description="Add two ints")
    register_function(kaput, caller=caller, executor=executor, description="Fails")
    events = []
    executor.initiate_chat(caller, message="add 2 and 3", max_turns=2, silent=True, listeners=[events.append])
    history = executor.chat_messages[caller]
    call_msg = history[1]
    assert call_msg["role"] == "assistant" and call_msg["content"] is None and "name" not in call_msg
    assert [c["function"]["name"] for c in call_msg["tool_calls"]] == ["add", "kaput"]
    assert call_msg["tool_calls"][0]["function"]["arguments"] in ('{"a": 2, "b": 3}', '{"a":2,"b":3}')
    tool_msg = caller.chat_messages[executor][2]
    assert tool_msg["role"] == "tool"
    assert tool_msg["content"] == "5\n\nError: kaput"
    assert tool_msg["name"] == "user"
    assert tool_msg["tool_responses"] == [
        {"tool_call_id": "call_1_0", "role": "tool", "content": "5"},
        {"tool_call_id": "call_1_1", "role": "tool", "content": "Error: kaput"},
    ]
    second_request = client.calls[1].messages
    assert [m["role"] for m in second_request] == ["system", "user", "assistant", "tool", "tool"]
    assert second_request[3] == {"tool_call_id": "call_1_0", "role": "tool", "content": "5"}
    calls = [e for e in events if isinstance(e, ToolCall)]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [c["name"] for c in calls[0].calls] == ["add", "kaput"]
    assert [(r["name"], r["content"], r["is_error"]) for r in results[0].results] == [
        ("add", "5", False),
        ("kaput", "Error: kaput", True),
    ]


def test_errors_come_back_to_the_model_as_text():
    caller, executor, _ = make_pair(
        {
            "tool_calls": [
                {"id": "c1", "name": "nope", "arguments": "{}"},
                {"id": "c2", "name": "add", "arguments": "{not json"},
            ]
        },
        "ok",
    )
    register_function(add, caller=caller, executor=executor, description="Add two ints")
    executor.initiate_chat(caller, message="go", max_turns=2, silent=True)
    responses = caller.chat_messages[executor][2]["tool_responses"]
    assert responses[0]["content"] == "Error: Function nope not found."
    assert responses[1]["content"].startswith("Error: ")
    assert responses[1]["content"].endswith("\n The argument must be in JSON format.")


def test_parallel_tool_calls_run_concurrently_and_answer_in_call_order():
    def slow(tag: str) -> str:
        time.sleep(0.3)
        return tag

    caller, executor, _ = make_pair(
        {"tool_calls": [{"id": f"c{i}", "name": "slow", "arguments": {"tag": f"t{i}"}} for i in range(3)]},
        "ok",
    )
    register_function(slow, caller=caller, executor=executor, description="Sleep then echo")
    started = time.perf_counter()
    executor.initiate_chat(caller, message="go", max_turns=2, silent=True)
    elapsed = time.perf_counter() - started
    responses = caller.chat_messages[executor][2]["tool_responses"]
    assert [r["content"] for r in responses] == ["t0", "t1", "t2"]
    assert elapsed < 0.8


def test_decorator_forms():
    caller, executor, _ = make_pair()

    @executor.register_for_execution()
    @caller.register_for_llm(description="Multiply")
    def mul(a: int, b: int) -> int:
        return a * b

    assert caller.llm_config["tools"][0]["function"]["name"] == "mul"
    assert executor.function_map["mul"](2, 3) == 6


def test_invalid_function_names_are_rejected():
    caller, executor, _ = make_pair()
    with pytest.raises(ValueError, match="Invalid name"):
        register_function(add, caller=caller, executor=executor, name="bad name!", description="x")
