"""Fixtures for the MCP tests: the real demo MCP server (tests/support/mcp_servers/demo_server.py) over stdio, over
streamable HTTP and over SSE on 127.0.0.1 with an OS-chosen port, plus helpers to find the server processes.

Helpers are handed out as fixtures (`demo_params`, `demo_processes`) rather than imported: this directory is called
`mcp`, so it must never become a package that could shadow the SDK."""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psutil
import pytest

from studio.runtime.mcp import McpSession, StdioServerParams

DEMO_SERVER = Path(__file__).resolve().parents[2] / "support" / "mcp_servers" / "demo_server.py"


def demo_params(mode: str = "stdio", **kwargs: object) -> StdioServerParams:
    return StdioServerParams(command=sys.executable, args=[str(DEMO_SERVER), mode], **kwargs)  # type: ignore[arg-type]


def demo_processes() -> list[psutil.Process]:
    """Live demo-server processes started by this test process (xdist workers never see each other's)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("demo_server.py" in part for part in child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@contextmanager
def demo_http_server(mode: str) -> Iterator[int]:
    """Run the demo server over `http` or `sse` in a subprocess; yields the port it bound (port 0 → OS choice)."""
    proc = subprocess.Popen(
        [sys.executable, str(DEMO_SERVER), mode], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=20):
                raise RuntimeError(f"demo server ({mode}) did not print its port within 20 s")
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        yield int(line.split()[1])
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(name="demo_params", scope="session")
def demo_params_fixture() -> Callable[..., StdioServerParams]:
    return demo_params


@pytest.fixture(name="demo_processes", scope="session")
def demo_processes_fixture() -> Callable[[], list[psutil.Process]]:
    return demo_processes


@pytest.fixture(name="demo_http_server", scope="session")
def demo_http_server_fixture() -> Callable[[str], AbstractContextManager[int]]:
    return demo_http_server


@pytest.fixture(scope="module")
def stdio_session() -> Iterator[McpSession]:
    with McpSession(demo_params(), start_timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    with demo_http_server("http") as port:
        yield port


@pytest.fixture(scope="module")
def sse_port() -> Iterator[int]:
    with demo_http_server("sse") as port:
        yield port
