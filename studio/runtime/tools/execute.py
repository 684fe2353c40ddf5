"""Executing a model's tool calls: the executor's ONE reply message (RUNTIME.md §1.6).

`execute_tool_calls(tool_calls, function_map)` returns `(message, results)`:

* `message` is AG2's reply, e.g.
  `{"role": "tool", "tool_responses": [{"tool_call_id": "call_1_0", "role": "tool", "content": "5"}, ...],
  "content": "5\\n\\nError: kaput"}` — responses in call order, `content` their texts joined by a blank line. With
  `executor_name="user"` the message also ends with `"name": "user"`, as the agent stores it;
* `results` is one dict per call, in call order, ready for `studio.events.ToolResult(results=...)`:
  `{"call_id", "name", "content", "is_error"}`.

Nothing the model did raises: an unknown name gives `"Error: Function {name} not found."` (a name that is only valid
after normalisation, e.g. `"my.tool"` for `my_tool`, is found), and argument/exception errors come from
`FunctionTool.call_json`. `function_map` values may be `FunctionTool`s or plain callables (wrapped once and cached).

Concurrency: a single call runs inline on the caller's thread (the common case, no thread hop). Several calls run side
by side and are answered in call order: when every one is async they are gathered on one event loop, otherwise each
runs on the shared thread pool. `a_execute_tool_calls` is the same for async callers: async tools are gathered on the
running loop, sync ones go to the pool (a lone sync call runs inline, as AG2 does).

Legacy single `function_call`s (`{"name", "arguments"}`) go through `execute_function_call`, which returns
`({"name": name, "role": "function", "content": ...}, is_error)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from studio.runtime.tools._concurrency import run_awaitable, run_concurrently, run_in_thread
from studio.runtime.tools.function_tool import FunctionTool
from studio.runtime.tools.names import normalize_tool_name

__all__ = [
    "FunctionMap",
    "lookup_tool",
    "a_execute_function_call",
    "a_execute_tool_calls",
    "execute_function_call",
    "execute_tool_calls",
    "tool_calls_for_event",
]

FunctionMap = Mapping[str, "Callable[..., Any] | FunctionTool"]
Outcome = tuple[str, bool]
_WRAPPED: dict[tuple[Any, str], FunctionTool] = {}
_WRAPPED_MAX = 1024


class _Job:
    """One requested call, resolved against the function map."""

    __slots__ = ("arguments", "call_id", "name", "tool")

    def __init__(self, call_id: Any, name: str, arguments: Any, tool: FunctionTool | None):
        self.call_id = call_id
        self.name = name
        self.arguments = arguments
        self.tool = tool

    def run(self) -> Outcome:
        if self.tool is None:
            return f"Error: Function {self.name} not found.", True
        return self.tool.call_json(self.arguments)

    async def a_run(self) -> Outcome:
        if self.tool is None:
            return f"Error: Function {self.name} not found.", True
        return await self.tool.a_call_json(self.arguments)


def lookup_tool(name: str, function_map: FunctionMap) -> FunctionTool | None:
    """The tool the model meant by `name` (tried as given, then normalised), or None."""
    entry = function_map.get(name)
    if entry is None and name:
        normalized = normalize_tool_name(name)
        if normalized != name:
            entry = function_map.get(normalized)
    if entry is None:
        return None
    if isinstance(entry, FunctionTool):
        return entry
    if callable(getattr(entry, "call_json", None)):
        # Tools that run elsewhere (MCP servers, the sandbox) parse their own arguments and report is_error.
        return _JsonTool(entry)  # type: ignore[return-value]
    key = (entry, name)
    try:
        tool = _WRAPPED.get(key)
    except TypeError:  # unhashable callable: wrap every time
        return FunctionTool.wrap(entry, name)
    if tool is None:
        tool = FunctionTool.wrap(entry, name)
        if len(_WRAPPED) >= _WRAPPED_MAX:
            _WRAPPED.pop(next(iter(_WRAPPED)))
        _WRAPPED[key] = tool
    return tool


class _JsonTool:
    """Adapter for an entry with its own `call_json(arguments) -> (content, is_error)`."""

    __slots__ = ("entry",)
    is_async = False

    def __init__(self, entry: Any):
        self.entry = entry

    def call_json(self, arguments: Any) -> Outcome:
        if isinstance(arguments, dict):
            import json

            arguments = json.dumps(arguments)
        return self.entry.call_json(arguments or "{}")

    async def a_call_json(self, arguments: Any) -> Outcome:
        return await run_in_thread(lambda: self.call_json(arguments))


def _job(tool_call: Mapping[str, Any], function_map: FunctionMap) -> _Job:
    function = tool_call.get("function") or {}
    name = function.get("name") or ""
    return _Job(tool_call.get("id"), name, function.get("arguments", "{}"), lookup_tool(name, function_map))


def _reply(
    jobs: list[_Job], outcomes: list[Outcome], executor_name: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    responses = []
    results = []
    for job, (content, is_error) in zip(jobs, outcomes, strict=True):
        responses.append({"tool_call_id": job.call_id, "role": "tool", "content": content})
        results.append({"call_id": job.call_id, "name": job.name, "content": content, "is_error": is_error})
    message: dict[str, Any] = {
        "role": "tool",
        "tool_responses": responses,
        "content": "\n\n".join([o[0] for o in outcomes]),
    }
    if executor_name is not None:
        message["name"] = executor_name
    return message, results


async def _gather(jobs: list[_Job]) -> list[Outcome]:
    return list(await asyncio.gather(*(job.a_run() for job in jobs)))


def execute_tool_calls(
    tool_calls: list[dict[str, Any]], function_map: FunctionMap, *, executor_name: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the calls of one assistant message; `(reply message, per-call results)` as described above."""
    if len(tool_calls) == 1:  # the common case: inline, and no intermediate lists
        job = _job(tool_calls[0], function_map)
        content, is_error = job.run()
        message: dict[str, Any] = {
            "role": "tool",
            "tool_responses": [{"tool_call_id": job.call_id, "role": "tool", "content": content}],
            "content": content,
        }
        if executor_name is not None:
            message["name"] = executor_name
        return message, [{"call_id": job.call_id, "name": job.name, "content": content, "is_error": is_error}]
    jobs = [_job(call, function_map) for call in tool_calls]
    if jobs and all(job.tool is None or job.tool.is_async for job in jobs):
        outcomes = run_awaitable(_gather(jobs))
    else:
        outcomes = run_concurrently([job.run for job in jobs])
    return _reply(jobs, outcomes, executor_name)


async def a_execute_tool_calls(
    tool_calls: list[dict[str, Any]], function_map: FunctionMap, *, executor_name: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`execute_tool_calls` for async callers (same result)."""
    jobs = [_job(call, function_map) for call in tool_calls]
    if len(jobs) == 1:
        outcomes = [await jobs[0].a_run()]
    else:
        outcomes = list(
            await asyncio.gather(
                *(job.a_run() if job.tool is None or job.tool.is_async else run_in_thread(job.run) for job in jobs)
            )
        )
    return _reply(jobs, outcomes, executor_name)


def _function_job(function_call: Mapping[str, Any], function_map: FunctionMap) -> _Job:
    name = function_call.get("name") or ""
    return _Job(None, name, function_call.get("arguments", "{}"), lookup_tool(name, function_map))


def execute_function_call(function_call: Mapping[str, Any], function_map: FunctionMap) -> tuple[dict[str, Any], bool]:
    """Run a legacy `function_call`; `({"name", "role": "function", "content"}, is_error)`."""
    job = _function_job(function_call, function_map)
    content, is_error = job.run()
    return {"name": job.name, "role": "function", "content": content}, is_error


async def a_execute_function_call(
    function_call: Mapping[str, Any], function_map: FunctionMap
) -> tuple[dict[str, Any], bool]:
    """`execute_function_call` for async callers."""
    job = _function_job(function_call, function_map)
    content, is_error = await job.a_run()
    return {"name": job.name, "role": "function", "content": content}, is_error


def tool_calls_for_event(tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `calls` of a `studio.events.ToolCall` event: `{"id", "name", "arguments"}` per call."""
    out = []
    for call in tool_calls:
        function = call.get("function") or {}
        out.append({"id": call.get("id"), "name": function.get("name") or "", "arguments": function.get("arguments")})
    return out
