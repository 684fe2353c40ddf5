"""One real MCP server, three transports: the same tool behaviour over stdio, streamable HTTP and SSE."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from studio.runtime.mcp import McpSession, ServerParams, SseServerParams, StdioServerParams, StreamableHttpServerParams

START = 30.0  # generous start-up bound: on a loaded machine importing the SDK alone can take seconds


@pytest.fixture(scope="module", params=["stdio", "http", "sse"])
def session(request: pytest.FixtureRequest, demo_params: Callable[..., StdioServerParams]) -> Iterator[McpSession]:
    params: ServerParams
    if request.param == "stdio":
        params = demo_params()
    elif request.param == "http":
        port = request.getfixturevalue("http_port")
        params = StreamableHttpServerParams(f"http://127.0.0.1:{port}/mcp", headers={"X-Demo-Token": "t0ken"})
    else:
        port = request.getfixturevalue("sse_port")
        params = SseServerParams(f"http://127.0.0.1:{port}/sse", headers={"X-Demo-Token": "t0ken"})
    with McpSession(params, start_timeout=START) as s:
        yield s


def test_lists_the_servers_tools_with_normalised_schemas(session: McpSession) -> None:
    tools = {t.name: t for t in session.list_tools()}
    assert {"add", "echo", "boom", "slow"} <= set(tools)
    assert tools["add"].description == "Add two integers."
    assert tools["add"].parameters == {
        "type": "object",
        "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    assert tools["boom"].parameters["properties"] == {} and tools["boom"].parameters["required"] == []


def test_add_returns_the_sum_as_text(session: McpSession) -> None:
    assert session.call_tool("add", {"a": 2, "b": 3}) == ("5", False)


def test_echo_round_trips_unicode(session: McpSession) -> None:
    assert session.call_tool("echo", {"text": "héllo ✓ 世界"}) == ("héllo ✓ 世界", False)


def test_a_tool_error_comes_back_as_an_error_result(session: McpSession) -> None:
    assert session.call_tool("boom", {}) == ("Error executing tool boom: nope", True)


def test_an_unexpected_server_exception_is_an_error_without_its_internals(session: McpSession) -> None:
    text, is_error = session.call_tool("crash", {})
    assert is_error and text == "Error executing tool crash"


def test_an_unknown_tool_is_an_error_result(session: McpSession) -> None:
    assert session.call_tool("missing", {}) == ("Unknown tool: missing", True)


def test_bad_arguments_are_an_error_result_naming_the_field(session: McpSession) -> None:
    text, is_error = session.call_tool("add", {"a": "x"})
    assert is_error and "Error executing tool add" in text and "b" in text


def test_image_content_is_summarised_not_inlined(session: McpSession) -> None:
    assert session.call_tool("picture", {}) == ("a red dot\n[image: image/png, 20 bytes]", False)


def test_a_call_that_outlives_its_timeout_returns_a_timeout_error_promptly(session: McpSession) -> None:
    started = time.monotonic()
    text, is_error = session.call_tool("slow", {"seconds": 5}, timeout=0.5)
    elapsed = time.monotonic() - started
    assert is_error and "did not answer within 0.5 s" in text and "'slow'" in text
    assert elapsed < 2.0
    assert session.call_tool("add", {"a": 1, "b": 1}) == ("2", False)  # the session is still usable


def test_concurrent_calls_from_several_threads_run_in_parallel(session: McpSession) -> None:
    results: list[tuple[str, bool]] = []
    threads = [
        threading.Thread(target=lambda: results.append(session.call_tool("slow", {"seconds": 1}))) for _ in range(4)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [("slept 1.0", False)] * 4
    assert time.monotonic() - started < 3.0  # serialised would take 4 s


def test_a_huge_result_is_truncated_with_a_marker(session: McpSession) -> None:
    text, is_error = session.call_tool("big", {"n": session.max_result_chars + 5000})
    assert not is_error
    assert text.endswith("[... truncated 5000 characters]")
    assert len(text) < session.max_result_chars + 100


def test_configured_headers_reach_http_servers(session: McpSession) -> None:
    expected = "<none>" if isinstance(session.params, StdioServerParams) else "t0ken"
    assert session.call_tool("header", {"name": "X-Demo-Token"}) == (expected, False)
