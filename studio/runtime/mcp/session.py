"""`McpSession`: a synchronous facade over one MCP `ClientSession`, for a runtime whose agents call tools from plain
threads.

Design. Each session owns a private asyncio event loop running in a daemon thread. One long-lived coroutine
(`_main`) enters the transport (stdio / SSE / streamable HTTP) and the `ClientSession`, performs the handshake,
signals readiness and then sleeps until closed — so the SDK's anyio task groups and cancel scopes are entered and
exited in a single task, as they must be. Calls from other threads are submitted with `run_coroutine_threadsafe`
and waited for with a hard bound; `close()` cancels the main coroutine's anyio `CancelScope` (never a raw
`task.cancel()`, which could defeat the SDK's shielded shutdown), letting the SDK's stdio transport close stdin,
then SIGTERM/SIGKILL the server's process group — every step bounded — so the child is always reaped.

Failure policy. Failing to *start* (command not found, process exits, garbage on stdout, HTTP refused, no handshake
within `start_timeout`) raises `ToolError` naming the server and the cause, with the tail of the server's stderr.
Failing *calls* never raise: server-side tool errors, unknown tools, protocol errors, timeouts and a dead session
all come back as `(text, True)`, because the agent must be able to show the error to the model and carry on.

The stdio server's stderr goes to a pipe read by the loop (bounded tail kept), so a chatty or crashing server
neither pollutes the studio's stderr nor fills a disk; `stderr_tail` shows the last few kilobytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from studio.errors import ToolError
from studio.runtime.mcp.causes import describe_exception, root_cause
from studio.runtime.mcp.info import McpToolInfo, tool_info
from studio.runtime.mcp.params import ServerParams, SseServerParams, StdioServerParams, describe
from studio.runtime.mcp.results import DEFAULT_MAX_RESULT_CHARS, render_content, truncate
from studio.runtime.mcp.stderr import StderrPipe

T = TypeVar("T")

_CALL_GRACE_SECONDS = 2.0  # extra wait beyond the SDK's own request timeout before we give up on a call ourselves
_BAD_OUTPUT_GRACE_SECONDS = 1.0  # tolerate a banner line on stdout if the handshake still succeeds soon after
_MAX_TOOL_PAGES = 100
_REQUEST_TIMEOUT = -32001  # mcp_types.REQUEST_TIMEOUT / CONNECTION_CLOSED, copied to avoid importing the SDK
_CONNECTION_CLOSED = -32000


class _StartFailure(Exception):
    """Internal: why the session could not start (already phrased as the end of a sentence)."""


class _SessionEnded(Exception):
    """Internal: a call arrived after the session stopped."""


class McpSession:
    """One connection to one MCP server. Connects in the constructor; use as a context manager or call `close()`."""

    def __init__(
        self,
        params: ServerParams,
        *,
        start_timeout: float = 10.0,
        close_timeout: float = 10.0,
        max_result_chars: int = DEFAULT_MAX_RESULT_CHARS,
    ) -> None:
        self.params = params
        self.description = describe(params)
        self.max_result_chars = max_result_chars
        self.default_timeout = (
            params.read_timeout_seconds if isinstance(params, StdioServerParams) else params.sse_read_timeout
        )
        self._close_timeout = close_timeout
        self._loop = asyncio.new_event_loop()
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._session: Any = None  # the ClientSession; touched only on the loop thread
        self._scope: Any = None  # the anyio CancelScope around the session; loop thread only
        self._stop_requested = False
        self._ended: str | None = None  # why the session is over, once it is
        self._bad_output: asyncio.Event | None = None
        self._bad_text: str | None = None
        self._stderr_pipe: StderrPipe | None = None
        self._thread = threading.Thread(target=self._run, name=f"mcp:{self.description[:60]}", daemon=True)
        self._thread.start()
        try:
            self._ready.result(timeout=start_timeout)
        except concurrent.futures.TimeoutError:
            self.close()
            raise ToolError(
                f"Could not start the {self.description}: it did not complete the MCP handshake within "
                f"{start_timeout:g} s.{self._stderr_hint()} Check that it is an MCP server for this transport, "
                "or raise start_timeout if it is merely slow to start."
            ) from None
        except _StartFailure as exc:
            self.close()
            raise ToolError(
                f"Could not start the {self.description}: {exc}{self._stderr_hint()} "
                "Check the server's command/URL and run it by hand to see its output."
            ) from exc.__cause__

    # ----------------------------------------------------------------------------------------------- public API

    @property
    def stderr_tail(self) -> str:
        """The last few kilobytes the stdio server wrote to stderr (empty for HTTP servers)."""
        return self._stderr_pipe.tail if self._stderr_pipe is not None else ""

    @property
    def alive(self) -> bool:
        return self._ended is None and self._ready.done() and not self._stop_requested

    def list_tools(self, timeout: float | None = None) -> list[McpToolInfo]:
        """The server's tools (all pages). Raises `ToolError` if the server cannot answer."""
        limit = self.default_timeout if timeout is None else timeout

        async def fetch(session: Any) -> list[Any]:
            import anyio

            tools: list[Any] = []
            cursor: str | None = None
            with anyio.fail_after(limit):  # the SDK's list_tools takes no timeout; bound all pages together
                for _ in range(_MAX_TOOL_PAGES):  # a paginator that never ends must not hang us
                    if cursor is None:
                        page = await session.list_tools()
                    else:
                        from mcp.types import PaginatedRequestParams

                        page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
            return tools

        try:
            raw = self._submit(fetch, limit + _CALL_GRACE_SECONDS)
        except (concurrent.futures.TimeoutError, TimeoutError):
            raise ToolError(f"The {self.description} did not list its tools within {limit:g} s.") from None
        except _SessionEnded as exc:
            raise ToolError(str(exc)) from None
        except Exception as exc:
            raise ToolError(f"The {self.description} could not list its tools: {describe_exception(exc)}.") from exc
        return [tool_info(t) for t in raw]

    def call_tool(self, name: str, arguments: dict[str, Any], timeout: float | None = None) -> tuple[str, bool]:
        """Call a tool; returns `(text, is_error)` and never raises for anything the server or network does."""
        if not isinstance(arguments, dict):
            return (f"Arguments for MCP tool '{name}' must be a JSON object, got {type(arguments).__name__}.", True)
        limit = self.default_timeout if timeout is None else timeout

        async def call(session: Any) -> Any:
            return await session.call_tool(name, arguments, read_timeout_seconds=limit)

        try:
            result = self._submit(call, limit + _CALL_GRACE_SECONDS)
        except concurrent.futures.TimeoutError:
            return (self._timeout_text(name, limit), True)
        except _SessionEnded as exc:
            return (f"{exc} The call to '{name}' was not made.", True)
        except concurrent.futures.CancelledError:
            return (f"The {self.description} shut down while '{name}' was running.", True)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error result for the model
            return (self._call_error_text(name, limit, exc), True)
        text = render_content(result.content, getattr(result, "structured_content", None))
        is_error = bool(result.is_error)
        if is_error and not text:
            text = f"The MCP tool '{name}' reported an error without a message."
        return (truncate(text, self.max_result_chars), is_error)

    def close(self) -> None:
        """End the session and reap the server process. Idempotent; bounded by `close_timeout`."""
        self._stop_requested = True
        if threading.current_thread() is self._thread:  # called from a callback on our own loop: cannot join
            self._cancel_main()
            return
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop may have just closed
                self._loop.call_soon_threadsafe(self._cancel_main)
            self._thread.join(self._close_timeout)

    def __enter__(self) -> McpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.alive else f"ended ({self._ended or 'starting'})"
        return f"<McpSession {self.description} {state}>"

    # ------------------------------------------------------------------------------------------ loop-thread side

    def _submit(self, fn: Callable[[Any], Awaitable[T]], timeout: float) -> T:
        if self._ended is not None or self._stop_requested:
            raise _SessionEnded(self._ended_text())

        async def guarded() -> T:
            session = self._session
            if session is None:
                raise _SessionEnded(self._ended_text())
            return await fn(session)

        try:
            future = asyncio.run_coroutine_threadsafe(guarded(), self._loop)
        except RuntimeError:  # loop closed between the check and the submit
            raise _SessionEnded(self._ended_text()) from None
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _ended_text(self) -> str:
        why = self._ended or ("it was closed" if self._stop_requested else "it is not running")
        return f"The MCP session with the {self.description} has ended ({why})."

    def _timeout_text(self, name: str, limit: float) -> str:
        return f"The MCP tool '{name}' on the {self.description} did not answer within {limit:g} s."

    def _call_error_text(self, name: str, limit: float, exc: BaseException) -> str:
        code = getattr(exc, "code", None)
        if code == _REQUEST_TIMEOUT:
            return self._timeout_text(name, limit)
        if code == _CONNECTION_CLOSED:
            return f"The {self.description} closed the connection; the call to '{name}' did not complete."
        if code is not None and hasattr(exc, "message"):
            return f"The {self.description} rejected the call to '{name}': {exc.message} (JSON-RPC error {code})."
        return f"The call to MCP tool '{name}' on the {self.description} failed: {describe_exception(exc)}."

    def _stderr_hint(self) -> str:
        tail = self.stderr_tail.strip()
        if not tail:
            return ""
        return f" The server's stderr ends with: {tail[-600:]!r}."

    def _cancel_main(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            # Calls still waiting (submitted just as the session ended) resolve as cancelled instead of hanging.
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _main(self) -> None:
        import anyio

        self._scope = anyio.CancelScope()
        if self._stop_requested:  # close() raced ahead of the thread
            self._scope.cancel()
        self._bad_output = asyncio.Event()
        failure: BaseException | None = None
        try:
            with self._scope:
                async with contextlib.AsyncExitStack() as stack:
                    session = await self._connect(stack)
                    await self._handshake(session)
                    self._session = session
                    self._ready.set_result(None)
                    await anyio.sleep_forever()
        except BaseException as exc:  # noqa: BLE001 - recorded and reported through the ready future / _ended
            failure = root_cause(exc)
        finally:
            self._session = None
            if self._stderr_pipe is not None:
                self._stderr_pipe.close()
            if failure is None:
                self._ended = "it was closed" if self._stop_requested else "the connection ended"
            elif isinstance(failure, _StartFailure):
                self._ended = f"it failed to start: {failure}"
            else:
                self._ended = f"it failed: {describe_exception(failure)}"
            if not self._ready.done():
                if isinstance(failure, _StartFailure):
                    err = failure
                else:
                    err = _StartFailure(self._start_cause(failure))
                    err.__cause__ = failure
                self._ready.set_exception(err)

    def _start_cause(self, exc: BaseException | None) -> str:
        if exc is None:
            return "it was closed before the handshake finished."
        if self._bad_text is not None:
            return f"it wrote something that is not JSON-RPC to stdout: {self._bad_text}."
        if getattr(exc, "code", None) == _CONNECTION_CLOSED:
            return "the server closed the connection during the MCP handshake (did the process exit?)."
        return f"{describe_exception(exc)}."

    async def _connect(self, stack: contextlib.AsyncExitStack) -> Any:
        from mcp import ClientSession
        from mcp.types import Implementation

        params = self.params
        if isinstance(params, StdioServerParams):
            transport = self._stdio_transport(stack, params)
        elif isinstance(params, SseServerParams):
            from mcp.client.sse import sse_client

            transport = sse_client(
                params.url, headers=params.headers, timeout=params.timeout, sse_read_timeout=params.sse_read_timeout
            )
        else:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            timeout = httpx2.Timeout(params.timeout, read=params.sse_read_timeout)
            client = await stack.enter_async_context(httpx2.AsyncClient(headers=params.headers, timeout=timeout))
            transport = streamable_http_client(
                params.url, http_client=client, terminate_on_close=params.terminate_on_close
            )
        read, write = await stack.enter_async_context(transport)
        session = ClientSession(
            read,
            write,
            # No session-wide read timeout: the handshake is bounded by start_timeout (a server may take longer
            # than a call's budget to start, e.g. `npx` fetching a package) and every later request gets its own.
            read_timeout_seconds=None,
            message_handler=self._on_message,
            client_info=Implementation(name="parley-studio", version="0.1"),
        )
        return await stack.enter_async_context(session)

    def _stdio_transport(self, stack: contextlib.AsyncExitStack, params: StdioServerParams) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        pipe = self._stderr_pipe = StderrPipe(self._loop)
        stack.callback(pipe.close_write_end)  # if the spawn fails, _closing_after_enter never runs
        server = StdioServerParameters(
            command=params.command, args=list(params.args), env=params.child_env(), cwd=params.cwd
        )
        return _closing_after_enter(stdio_client(server, errlog=pipe.errlog), pipe)

    async def _on_message(self, message: Any) -> None:
        # Exceptions here are lines the transport could not parse as JSON-RPC; notifications are ignored.
        if isinstance(message, Exception):
            if self._bad_text is None:
                self._bad_text = _bad_line(message)
            if self._bad_output is not None:
                self._bad_output.set()

    async def _handshake(self, session: Any) -> None:
        assert self._bad_output is not None
        init = asyncio.ensure_future(session.initialize())
        bad = asyncio.ensure_future(self._bad_output.wait())
        try:
            done, _ = await asyncio.wait({init, bad}, return_when=asyncio.FIRST_COMPLETED)
            if init not in done:
                # Garbage on stdout: give a server that merely printed a banner a moment to answer anyway.
                done, _ = await asyncio.wait({init}, timeout=_BAD_OUTPUT_GRACE_SECONDS)
                if init not in done:
                    raise _StartFailure(f"it wrote something that is not JSON-RPC to stdout: {self._bad_text}.")
            init.result()
            self._bad_text = None  # a banner we survived is not worth reporting later
        finally:
            for task in (init, bad):
                if not task.done():
                    task.cancel()
            await asyncio.gather(init, bad, return_exceptions=True)


@contextlib.asynccontextmanager
async def _closing_after_enter(transport: Any, pipe: StderrPipe) -> Any:
    """Enter the stdio transport, then close our copy of the stderr pipe's write end (the child has its own)."""
    async with transport as streams:
        pipe.close_write_end()
        yield streams


def _bad_line(exc: Exception) -> str:
    """The offending stdout line from the SDK's parse error (pydantic keeps it as the error's input), quoted."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        with contextlib.suppress(Exception):
            for err in errors():
                value = err.get("input")
                if isinstance(value, str | bytes):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    return repr(text[:120])
    return repr(str(exc)[:120])
