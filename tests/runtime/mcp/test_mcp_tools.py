"""MCP server tools as ordinary agent tools: OpenAI schemas, plain callables, JSON arguments, names, overrides, and
a toolset that opens one session per server for a chat and closes them all at the end."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager

import psutil
import pytest

from studio.errors import ToolError
from studio.runtime.mcp import (
    McpServerConfig,
    McpSession,
    McpToolset,
    StdioServerParams,
    StreamableHttpServerParams,
    ToolOverride,
    mcp_tools,
    normalise_name,
)

START = 30.0  # generous start-up bound: on a loaded machine importing the SDK alone can take seconds

Params = Callable[..., StdioServerParams]
Procs = Callable[[], list[psutil.Process]]


def test_each_tool_has_an_openai_schema_and_is_a_plain_callable(stdio_session: McpSession) -> None:
    tools = {t.name: t for t in mcp_tools(stdio_session)}
    add = tools["add"]
    assert add.schema == {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two integers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "integer"}},
                "required": ["a", "b"],
                "additionalProperties": False,
            },
        },
    }
    assert add(a=2, b=3) == "5"
    assert tools["echo"](text="hi") == "hi"
    assert tools["boom"]() == "Error: Error executing tool boom: nope"
    assert add.__name__ == "add" and add.__doc__ == "Add two integers."
    assert str(inspect.signature(add)) == "(*, a: int, b: int) -> str"


def test_call_json_takes_the_models_raw_arguments(stdio_session: McpSession) -> None:
    add = next(t for t in mcp_tools(stdio_session) if t.name == "add")
    assert add.call_json('{"a": 20, "b": 22}') == ("42", False)
    text, is_error = add.call_json('{"a": 20, "b": ')
    assert is_error and "not valid JSON" in text and "'add'" in text
    text, is_error = add.call_json("[1, 2]")
    assert is_error and "must be a JSON object, got list" in text
    boom = next(t for t in mcp_tools(stdio_session) if t.name == "boom")
    assert boom.call_json("") == ("Error executing tool boom: nope", True)  # empty arguments mean {}


def test_prefixes_and_overrides_rename_while_calls_reach_the_original(stdio_session: McpSession) -> None:
    tools = mcp_tools(
        stdio_session,
        prefix="demo",
        overrides={"add": ToolOverride(name="plus", description="Adds."), "echo": {"description": "Parrot."}},
    )
    by_name = {t.name: t for t in tools}
    assert "plus" in by_name and "demo_echo" in by_name and "demo_boom" in by_name
    assert by_name["plus"].description == "Adds." and by_name["plus"].server_tool_name == "add"
    assert by_name["plus"](a=1, b=2) == "3"
    assert by_name["demo_echo"].schema["function"]["description"] == "Parrot."
    assert by_name["demo_echo"](text="x") == "x"


def test_an_override_for_a_tool_the_server_lacks_is_rejected(stdio_session: McpSession) -> None:
    with pytest.raises(ToolError, match=r"override\(s\) for \['ad'\] match no tool .* it offers \['add', "):
        mcp_tools(stdio_session, overrides={"ad": ToolOverride(name="plus")})
    with pytest.raises(ToolError, match=r"Override name 'bad name!' for MCP tool 'add' must match"):
        mcp_tools(stdio_session, overrides={"add": ToolOverride(name="bad name!")})
    with pytest.raises(ToolError, match=r"Unknown MCP tool override field\(s\) \['title'\]"):
        mcp_tools(stdio_session, overrides={"add": {"title": "x"}})


def test_names_are_normalised_to_the_openai_pattern() -> None:
    assert normalise_name("get weather.v2") == "get_weather_v2"
    assert normalise_name("ok-name_1") == "ok-name_1"
    assert normalise_name("") == "tool"
    assert normalise_name("x" * 100) == "x" * 64
    assert normalise_name("天气") == "_"


def test_a_tool_timeout_applies_to_its_calls(stdio_session: McpSession) -> None:
    slow = next(t for t in mcp_tools(stdio_session, timeout=0.3) if t.name == "slow")
    assert slow(seconds=3).startswith("Error: The MCP tool 'slow' on the stdio MCP server")
    assert slow(seconds=0) == "slept 0.0"


def test_a_toolset_opens_every_server_and_closes_them_at_the_end(
    demo_params: Params, demo_processes: Procs, demo_http_server: Callable[[str], AbstractContextManager[int]]
) -> None:
    with demo_http_server("http") as port:
        before = set(demo_processes())  # this module's shared session and the HTTP server are not the toolset's
        servers = [
            McpServerConfig(demo_params(), prefix="local"),
            McpServerConfig(StreamableHttpServerParams(f"http://127.0.0.1:{port}/mcp"), prefix="remote"),
            demo_params(),  # no prefix: same names as the first server's originals, no clash with the prefixed ones
        ]
        with McpToolset(servers, start_timeout=START) as toolset:
            procs = set(demo_processes()) - before
            assert len(procs) == 2  # the two stdio servers the toolset started
            fm = toolset.function_map
            assert {"local_add", "remote_add", "add"} <= set(fm)
            assert len(toolset.sessions) == 3 and len(toolset.schemas) == len(toolset.tools) == len(fm)
            assert fm["local_add"](a=1, b=1) == "2"
            assert fm["remote_add"](a=2, b=2) == "4"
            assert fm["add"](a=3, b=3) == "6"
        assert toolset.tools == [] and toolset.sessions == []
        for p in procs:
            assert not p.is_running()


def test_clashing_names_across_servers_get_numbered(demo_params: Params) -> None:
    with McpToolset([demo_params(), demo_params()], start_timeout=START) as toolset:
        names = [t.name for t in toolset.tools]
        assert "add" in names and "add_2" in names and len(names) == len(set(names))
        assert toolset.function_map["add_2"](a=5, b=5) == "10"


def test_one_failing_server_fails_the_toolset_and_closes_the_others(demo_params: Params, demo_processes: Procs) -> None:
    before = set(demo_processes())
    toolset = McpToolset([demo_params(), demo_params("exit")], start_timeout=START)
    with pytest.raises(ToolError, match="demo_server.py exit`"):
        toolset.open()
    assert toolset.sessions == [] and set(demo_processes()) == before
