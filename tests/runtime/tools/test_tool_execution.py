"""Executing a model's tool calls: one reply message in call order, concurrency, AG2's error texts (RUNTIME.md §1.6)."""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import threading
import time
from typing import Annotated, Any

import pytest

from studio.runtime.tools import (
    FunctionTool,
    a_execute_function_call,
    a_execute_tool_calls,
    execute_function_call,
    execute_tool_calls,
    tool_calls_for_event,
)

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("REQUEST_ID", default="unset")


def add(a: Annotated[int, "first"], b: int) -> int:
    return a + b


def kaput() -> None:
    raise RuntimeError("kaput")


def sleepy(label: str) -> str:
    time.sleep(0.3)
    return f"{label} done on {threading.current_thread().name}"


async def a_sleepy(label: str) -> str:
    await asyncio.sleep(0.3)
    return f"{label} done"


def call(i: int, name: str, arguments: str) -> dict[str, Any]:
    return {"id": f"call_1_{i}", "function": {"arguments": arguments, "name": name}, "type": "function"}


FUNCTION_MAP: dict[str, Any] = {"add": FunctionTool(add), "kaput": kaput, "sleepy": sleepy, "a_sleepy": a_sleepy}


def test_the_reply_of_the_design_example_is_reproduced_exactly() -> None:
    calls = [call(0, "add", '{"a": 2, "b": 3}'), call(1, "kaput", "{}")]
    message, results = execute_tool_calls(calls, FUNCTION_MAP, executor_name="user")
    assert message == {
        "role": "tool",
        "tool_responses": [
            {"tool_call_id": "call_1_0", "role": "tool", "content": "5"},
            {"tool_call_id": "call_1_1", "role": "tool", "content": "Error: kaput"},
        ],
        "content": "5\n\nError: kaput",
        "name": "user",
    }
    assert list(message) == ["role", "tool_responses", "content", "name"]
    assert results == [
        {"call_id": "call_1_0", "name": "add", "content": "5", "is_error": False},
        {"call_id": "call_1_1", "name": "kaput", "content": "Error: kaput", "is_error": True},
    ]
    # without executor_name the agent adds "name" itself
    assert "name" not in execute_tool_calls(calls, FUNCTION_MAP)[0]


def test_every_kind_of_error_comes_back_as_content_never_raised() -> None:
    calls = [
        call(0, "nope", "{}"),
        call(1, "add", '{"a": 1,'),
        call(2, "add", '{"a": "one", "b": 2}'),
        call(3, "kaput", "{}"),
    ]
    message, results = execute_tool_calls(calls, FUNCTION_MAP)
    contents = [r["content"] for r in message["tool_responses"]]
    assert contents[0] == "Error: Function nope not found."
    assert (
        contents[1]
        == "Error: Expecting property name enclosed in double quotes: line 1 column 9 (char 8)\n The argument must be in JSON format."
    )
    assert contents[2].startswith("Error: 1 validation error for add\na\n  Input should be a valid integer")
    assert contents[3] == "Error: kaput"
    assert [r["is_error"] for r in results] == [True, True, True, True]
    assert message["content"] == "\n\n".join(contents)


def test_a_model_supplied_name_is_found_after_normalisation() -> None:
    message, results = execute_tool_calls([call(0, "functions.add", '{"a": 1, "b": 1}')], {"functions_add": add})
    assert message["content"] == "2"
    assert results[0]["name"] == "functions.add"


def test_a_single_call_runs_inline_on_the_callers_thread() -> None:
    def where() -> str:
        return str(threading.get_ident())

    message, _ = execute_tool_calls([call(0, "where", "{}")], {"where": where})
    assert message["content"] == str(threading.get_ident())


def test_several_sync_calls_run_concurrently_and_answer_in_call_order() -> None:
    calls = [
        call(0, "sleepy", '{"label": "first"}'),
        call(1, "add", '{"a": 1, "b": 2}'),
        call(2, "sleepy", '{"label": "second"}'),
    ]
    started = time.perf_counter()
    message, results = execute_tool_calls(calls, FUNCTION_MAP)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"two 0.3 s tools took {elapsed:.2f} s: not concurrent"
    contents = [r["content"] for r in message["tool_responses"]]
    assert contents[0].startswith("first done on studio-tool")
    assert contents[1] == "3"
    assert contents[2].startswith("second done on studio-tool")
    assert [r["tool_call_id"] for r in message["tool_responses"]] == ["call_1_0", "call_1_1", "call_1_2"]
    assert [r["call_id"] for r in results] == ["call_1_0", "call_1_1", "call_1_2"]


def test_several_async_calls_are_gathered_concurrently_from_sync_code() -> None:
    calls = [call(0, "a_sleepy", '{"label": "one"}'), call(1, "a_sleepy", '{"label": "two"}'), call(2, "nope", "{}")]
    started = time.perf_counter()
    message, _ = execute_tool_calls(calls, FUNCTION_MAP)
    assert time.perf_counter() - started < 0.5
    assert message["content"] == "one done\n\ntwo done\n\nError: Function nope not found."


def test_mixed_sync_and_async_calls_run_concurrently() -> None:
    calls = [call(0, "a_sleepy", '{"label": "async"}'), call(1, "sleepy", '{"label": "sync"}')]
    started = time.perf_counter()
    message, _ = execute_tool_calls(calls, FUNCTION_MAP)
    assert time.perf_counter() - started < 0.5
    assert message["tool_responses"][0]["content"] == "async done"
    assert message["tool_responses"][1]["content"].startswith("sync done")


def test_async_execution_gathers_async_tools_and_runs_sync_ones_on_the_pool() -> None:
    calls = [
        call(0, "a_sleepy", '{"label": "a"}'),
        call(1, "sleepy", '{"label": "s"}'),
        call(2, "a_sleepy", '{"label": "b"}'),
        call(3, "add", '{"a": 2, "b": 2}'),
    ]

    async def main() -> tuple[dict[str, Any], list[dict[str, Any]], float]:
        started = time.perf_counter()
        message, results = await a_execute_tool_calls(calls, FUNCTION_MAP, executor_name="assistant")
        return message, results, time.perf_counter() - started

    message, results, elapsed = asyncio.run(main())
    assert elapsed < 0.5
    contents = [r["content"] for r in message["tool_responses"]]
    assert (
        contents[0] == "a done" and contents[1].startswith("s done") and contents[2] == "b done" and contents[3] == "4"
    )
    assert message["name"] == "assistant"
    assert [r["is_error"] for r in results] == [False] * 4
    single, _ = asyncio.run(a_execute_tool_calls([call(0, "kaput", "{}")], FUNCTION_MAP))
    assert single["content"] == "Error: kaput"


def test_sync_execution_of_async_tools_from_inside_a_running_loop() -> None:
    calls = [call(0, "a_sleepy", '{"label": "x"}'), call(1, "a_sleepy", '{"label": "y"}')]

    async def main() -> str:
        return execute_tool_calls(calls, FUNCTION_MAP)[0]["content"]

    assert asyncio.run(main()) == "x done\n\ny done"


def test_tools_on_the_pool_see_the_callers_context_variables() -> None:
    def which() -> str:
        return REQUEST_ID.get()

    token = REQUEST_ID.set("req-42")
    try:
        message, _ = execute_tool_calls([call(0, "which", "{}"), call(1, "which", "{}")], {"which": which})
    finally:
        REQUEST_ID.reset(token)
    assert message["content"] == "req-42\n\nreq-42"


NESTED_SCRIPT = """
import time
from studio.runtime.tools import execute_tool_calls

def nap() -> str:
    time.sleep(0.05)
    return "rested"

def fan_out(n: int) -> str:
    inner = [{"id": str(i), "function": {"name": "nap", "arguments": "{}"}} for i in range(n)]
    message, _ = execute_tool_calls(inner, {"nap": nap})
    return message["content"].replace("\\n\\n", ",")

outer = [{"id": str(i), "function": {"name": "fan_out", "arguments": '{"n": 3}'}} for i in range(40)]
message, results = execute_tool_calls(outer, {"fan_out": fan_out})
print(sorted({r["content"] for r in results}), len(results))
"""


def test_nested_batches_inside_pool_workers_do_not_starve_the_pool() -> None:
    """A tool that itself runs a multi-call batch (e.g. a nested chat) must not wait on its own pool forever.

    40 outer calls are more than the pool has workers; if nested batches used the same pool, every worker would wait
    on queued inner calls. Run in a subprocess so that such a deadlock fails this test instead of hanging the suite.
    """
    out = subprocess.run([sys.executable, "-c", NESTED_SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['rested,rested,rested'] 40"


def test_legacy_function_call_gives_a_function_role_message() -> None:
    message, is_error = execute_function_call({"name": "add", "arguments": '{"a": 4, "b": 5}'}, FUNCTION_MAP)
    assert (message, is_error) == ({"name": "add", "role": "function", "content": "9"}, False)
    message, is_error = execute_function_call({"name": "gone", "arguments": "{}"}, FUNCTION_MAP)
    assert (message, is_error) == (
        {"name": "gone", "role": "function", "content": "Error: Function gone not found."},
        True,
    )
    message, is_error = asyncio.run(
        a_execute_function_call({"name": "a_sleepy", "arguments": '{"label": "z"}'}, FUNCTION_MAP)
    )
    assert (message["content"], is_error) == ("z done", False)


def test_plain_callables_in_the_function_map_are_wrapped_once() -> None:
    from studio.runtime.tools import lookup_tool

    first = lookup_tool("kaput", FUNCTION_MAP)
    assert first is not None and first is lookup_tool("kaput", FUNCTION_MAP)
    assert first.func is kaput
    assert lookup_tool("missing", FUNCTION_MAP) is None


def test_calls_for_the_tool_call_event() -> None:
    calls = [call(0, "add", '{"a": 1}')]
    assert tool_calls_for_event(calls) == [{"id": "call_1_0", "name": "add", "arguments": '{"a": 1}'}]


def test_an_empty_list_gives_an_empty_reply() -> None:
    message, results = execute_tool_calls([], FUNCTION_MAP)
    assert message == {"role": "tool", "tool_responses": [], "content": ""} and results == []


@pytest.mark.parametrize("arguments", ["", None])
def test_missing_arguments_mean_an_empty_object(arguments: str | None) -> None:
    calls = [{"id": "c", "function": {"name": "kaput", "arguments": arguments}, "type": "function"}]
    assert execute_tool_calls(calls, FUNCTION_MAP)[0]["content"] == "Error: kaput"
