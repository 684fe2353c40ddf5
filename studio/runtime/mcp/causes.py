"""Phrase the exceptions that come out of the MCP SDK as short, readable causes.

anyio wraps every failure inside a task group in an `ExceptionGroup`, often several levels deep, so the interesting
exception (a refused connection, a missing executable) is a leaf. `root_cause` digs it out; `describe_exception`
turns it into text for an error sentence. Names are matched by class name so this module never imports httpx2/mcp.
"""

from __future__ import annotations

import asyncio


def root_cause(exc: BaseException) -> BaseException:
    """The first leaf of (nested) exception groups that is not a cancellation; `exc` itself if there is none."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = [root_cause(e) for e in exc.exceptions]
        for leaf in leaves:
            if not isinstance(leaf, asyncio.CancelledError | BaseExceptionGroup):
                return leaf
        return leaves[0] if leaves else exc
    return exc


def describe_exception(exc: BaseException) -> str:
    """A clause describing what went wrong, e.g. `the command was not found (No such file or directory: 'x')`."""
    exc = root_cause(exc)
    name = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        return f"the command was not found ({exc.strerror}: {exc.filename!r})"
    if isinstance(exc, PermissionError):
        return f"the command could not be executed ({exc.strerror}: {exc.filename!r})"
    if name == "ConnectError" or isinstance(exc, ConnectionRefusedError):
        return f"the connection failed ({exc or 'connection refused'})"
    if name in ("ConnectTimeout", "ReadTimeout", "PoolTimeout", "WriteTimeout"):
        return f"the HTTP request timed out ({name})"
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return f"the server answered HTTP {status}"
    message = getattr(exc, "message", None)
    code = getattr(exc, "code", None)
    if isinstance(message, str) and isinstance(code, int):
        return f"{message} (JSON-RPC error {code})"
    text = str(exc).strip()
    return f"{name}: {text[:300]}" if text else name
