"""Starting, failing and stopping MCP servers (SECURITY.md T36): clear errors within seconds, never a hang, and no
server process left behind. Also: the stdio server never sees the studio's secrets."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator

import psutil
import pytest

from studio.errors import ToolError
from studio.runtime.mcp import McpSession, StdioServerParams, StreamableHttpServerParams

START = 30.0  # generous start-up bound: on a loaded machine importing the SDK alone can take seconds

Params = Callable[..., StdioServerParams]
Procs = Callable[[], list[psutil.Process]]


def _assert_gone(procs: list[psutil.Process]) -> None:
    for p in procs:
        # is_running() is True for a zombie too, so False means the process exited *and* was waited for.
        assert not p.is_running(), f"server process {p.pid} is still alive or unreaped"


def test_a_missing_command_is_a_clear_tool_error_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(ToolError) as err:
        McpSession(StdioServerParams("no-such-mcp-server-xyz", ["--flag"]))
    assert time.monotonic() - started < 2
    message = str(err.value)
    assert "stdio MCP server `no-such-mcp-server-xyz --flag`" in message
    assert "the command was not found" in message


def test_a_server_that_exits_at_once_is_reported_with_its_stderr(demo_params: Params, demo_processes: Procs) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError) as err:
        McpSession(demo_params("exit"))
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert "demo_server.py exit`" in message
    assert "closed the connection during the MCP handshake" in message
    assert "refusing to start (exit mode)" in message  # the server's own stderr explains why
    assert demo_processes() == []


def test_a_server_printing_garbage_instead_of_json_rpc_is_rejected(demo_params: Params, demo_processes: Procs) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError) as err:
        McpSession(demo_params("garbage"))
    assert time.monotonic() - started < 8  # 1 s grace for a banner, then a bounded stop of a server ignoring stdin
    assert "not JSON-RPC to stdout: 'Hello! I am not a JSON-RPC server.'" in str(err.value)
    assert demo_processes() == []


def test_a_server_that_never_answers_the_handshake_times_out(demo_params: Params, demo_processes: Procs) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError) as err:
        McpSession(demo_params("silent"), start_timeout=1.5)
    assert time.monotonic() - started < 6
    assert "did not complete the MCP handshake within 1.5 s" in str(err.value)
    assert demo_processes() == []


def test_a_slow_start_is_bounded_by_start_timeout_not_by_the_call_timeout(demo_params: Params) -> None:
    params = demo_params("stdio", read_timeout_seconds=0.5)
    params.args += ["--delay", "1.5"]
    with McpSession(params, start_timeout=START) as session:
        assert session.call_tool("add", {"a": 1, "b": 2}) == ("3", False)
        # ...while the per-call default is still the short read timeout.
        text, is_error = session.call_tool("slow", {"seconds": 3})
        assert is_error and "did not answer within 0.5 s" in text


def test_an_http_server_that_refuses_connections_is_a_clear_error() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ToolError) as err:
        McpSession(StreamableHttpServerParams(f"http://user:pw@127.0.0.1:{port}/mcp?token=secret", timeout=2))
    assert time.monotonic() - started < 3
    message = str(err.value)
    assert f"streamable HTTP MCP server http://127.0.0.1:{port}/mcp:" in message
    assert "the connection failed" in message
    assert "secret" not in message and "pw" not in message  # credentials in the URL never reach an error


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:
        conn.close()


def test_an_http_server_that_accepts_but_never_answers_hits_the_start_timeout(black_hole: int) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError, match="did not complete the MCP handshake within 1 s"):
        McpSession(StreamableHttpServerParams(f"http://127.0.0.1:{black_hole}/mcp"), start_timeout=1)
    assert time.monotonic() - started < 4


def test_close_reaps_the_server_process(demo_params: Params, demo_processes: Procs) -> None:
    session = McpSession(demo_params(), start_timeout=START)
    procs = demo_processes()
    assert len(procs) == 1 and "stdio" in procs[0].cmdline()
    started = time.monotonic()
    session.close()
    assert time.monotonic() - started < 5
    _assert_gone(procs)
    session.close()  # idempotent
    assert session.call_tool("add", {"a": 1, "b": 2}) == (
        f"The MCP session with the {session.description} has ended (it was closed). The call to 'add' was not made.",
        True,
    )


def test_close_during_a_hung_call_is_bounded_and_reaps(demo_params: Params, demo_processes: Procs) -> None:
    session = McpSession(demo_params(), start_timeout=START)
    procs = demo_processes()
    results: list[tuple[str, bool]] = []
    caller = threading.Thread(target=lambda: results.append(session.call_tool("slow", {"seconds": 60}, timeout=30)))
    caller.start()
    time.sleep(0.3)  # the call is now in flight, the server sleeping inside the tool
    started = time.monotonic()
    session.close()
    caller.join(5)
    assert time.monotonic() - started < 8
    assert not caller.is_alive()
    assert results and results[0][1] is True  # the waiting caller got an error result, not a hang
    _assert_gone(procs)


def test_a_server_that_dies_mid_session_gives_error_results(demo_params: Params, demo_processes: Procs) -> None:
    with McpSession(demo_params(), start_timeout=START) as session:
        procs = demo_processes()
        text, is_error = session.call_tool("die", {})
        assert is_error and "closed the connection" in text
        started = time.monotonic()
        text, is_error = session.call_tool("add", {"a": 1, "b": 2})
        assert is_error and time.monotonic() - started < 2
    _assert_gone(procs)


def test_a_stderr_flood_is_absorbed_and_only_a_tail_kept(demo_params: Params) -> None:
    with McpSession(demo_params(), start_timeout=START) as session:
        assert session.call_tool("flood_stderr", {"megabytes": 20}, timeout=20) == ("flooded", False)
        assert session.call_tool("echo", {"text": "still here"}) == ("still here", False)
        deadline = time.monotonic() + 5
        while "flood done" not in session.stderr_tail and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "flood done" in session.stderr_tail
        assert len(session.stderr_tail) <= 8192


def test_the_stdio_server_does_not_inherit_the_parents_secrets(
    demo_params: Params, demo_processes: Procs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-must-not-leak")
    monkeypatch.setenv("STUDIO_SECRET_KEY", "canary-2")
    with McpSession(demo_params(env={"DEMO_SETTING": "given"}), start_timeout=START) as session:
        assert session.call_tool("getenv", {"name": "OPENAI_API_KEY"}) == ("<unset>", False)
        assert session.call_tool("getenv", {"name": "STUDIO_SECRET_KEY"}) == ("<unset>", False)
        assert session.call_tool("getenv", {"name": "DEMO_SETTING"}) == ("given", False)
        assert session.call_tool("getenv", {"name": "PATH"})[0] != "<unset>"
        (proc,) = demo_processes()
        env = proc.environ()
        assert "OPENAI_API_KEY" not in env and "STUDIO_SECRET_KEY" not in env
        assert set(env) <= {"PATH", "HOME", "LANG", "DEMO_SETTING", "LOGNAME", "SHELL", "TERM", "USER"}


def test_child_env_is_minimal_plus_what_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    env = StdioServerParams(sys.executable, env={"X": "1", "LANG": "C"}).child_env()
    assert env["PATH"] == "/usr/bin:/bin" and env["X"] == "1" and env["LANG"] == "C"
    assert "OPENAI_API_KEY" not in env and set(env) == {"PATH", "HOME", "LANG", "X"}
