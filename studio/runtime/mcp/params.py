"""How to reach an MCP server: one plain dataclass per transport (stdio, SSE, streamable HTTP).

The field names and defaults follow AgentChat's `autogen_ext.tools.mcp` (RUNTIME.md §5) so specs translate one to one.
Two deliberate differences, both for safety (SECURITY.md T36/G):

* A stdio server never inherits the parent's environment. It gets a minimal `PATH`/`HOME`/`LANG` plus exactly what
  `env` names (the SDK adds its own short non-secret list: `LOGNAME`, `SHELL`, `TERM`, `USER`), so an API key in the
  studio's environment cannot leak into a third-party process.
* `describe()` — the text used in errors and UI — names the command or the URL but never headers, URL credentials or
  query strings, which is where tokens live.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(slots=True)
class StdioServerParams:
    """Spawn `command args...` and speak MCP over its stdin/stdout. Trusted servers only: it is a local process.

    `read_timeout_seconds` is the default per-request timeout once the session is up (tool calls, listings); the
    start-up handshake is bounded by `McpSession(start_timeout=...)` instead."""

    command: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None
    read_timeout_seconds: float = 5.0

    def child_env(self) -> dict[str, str]:
        """The environment the server process gets: minimal basics, then the explicit `env` on top."""
        base = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": os.environ.get("HOME", "/"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }
        return base | dict(self.env or {})


@dataclass(slots=True)
class SseServerParams:
    """An MCP server behind the (legacy) HTTP+SSE transport. `timeout` bounds HTTP operations; `sse_read_timeout`
    bounds the wait for the next event and is the default per-request timeout."""

    url: str
    headers: dict[str, str] | None = None
    timeout: float = 5.0
    sse_read_timeout: float = 300.0


@dataclass(slots=True)
class StreamableHttpServerParams:
    """An MCP server behind the streamable HTTP transport. `terminate_on_close` sends the session DELETE on close."""

    url: str
    headers: dict[str, str] | None = None
    timeout: float = 30.0
    sse_read_timeout: float = 300.0
    terminate_on_close: bool = True


ServerParams = StdioServerParams | SseServerParams | StreamableHttpServerParams


def describe(params: ServerParams) -> str:
    """A short, secret-free description of the server for messages: `stdio server `cmd args`` or `HTTP server <url>`."""
    if isinstance(params, StdioServerParams):
        return f"stdio MCP server `{shlex.join([params.command, *params.args])}`"
    kind = "SSE" if isinstance(params, SseServerParams) else "streamable HTTP"
    return f"{kind} MCP server {safe_url(params.url)}"


def safe_url(url: str) -> str:
    """`url` without user info, query or fragment (where tokens hide)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return repr(url.split("?", 1)[0][:200])
    return f"{parts.scheme}://{host}{port}{parts.path}"
