"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Tests never patch the `openai` SDK: they point a client at this server instead. It speaks enough of the protocol for
every client we have: `POST /v1/chat/completions` (also `/chat/completions` and Azure's
`/openai/deployments/{name}/chat/completions`), JSON or SSE streaming, tool calls, usage, and `GET /v1/models`.

Each test scripts what the server answers, in order: a text (`str` or `Reply`), tool calls (`Reply(tool_calls=...)`
or `tool_calls_reply(...)`), an HTTP error (`HTTPError`), a delay (`Reply(delay=...)`, `HTTPError(delay=...)`), a
dropped connection (`Disconnect()`), or a callable `f(request_json) -> one of those`. Every request is recorded
(`requests`: parsed body, raw bytes, headers, path). When the script is exhausted the server answers HTTP 500 with a
message saying so and records the request in `unexpected_requests`, so a test can tell "the client called once too
often" from any other failure.

`fast=True` is for benchmarks: one fixed precomputed JSON reply, no recording, minimal work per request, so the
measured time is the client's. Run `python -m tests.support.openai_server --fast` to serve from a separate process
(it prints the base URL on stdout), which keeps the server off the client's GIL.

The server is HTTP/1.1 with keep-alive: JSON replies carry Content-Length, SSE replies use chunked encoding. It
writes nothing to stdout or stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class ToolCall:
    """One tool call the scripted model makes; `arguments` may be a dict (JSON-encoded on the wire) or a str."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Reply:
    """A successful completion. `chunks` fixes how the text is split when streaming (default: by words)."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, int] | None = None
    delay: float = 0.0
    finish_reason: str | None = None
    model: str | None = None
    chunks: list[str] | None = None
    close_after: bool = False  # close the keep-alive connection after answering, without announcing it


@dataclass(slots=True)
class HTTPError:
    """An HTTP error reply in OpenAI's error format (`{"error": {"message", "type", "code"}}`) unless `body` is given."""

    status: int
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0


@dataclass(slots=True)
class Disconnect:
    """Close the connection without answering (the client sees a connection error); with `midway=True`, after
    sending the status line, headers and half of a JSON body (the client sees a truncated response)."""

    midway: bool = False


ScriptItem = str | Reply | HTTPError | Disconnect | Callable[[dict[str, Any]], Any]


def tool_calls_reply(*calls: tuple[str, dict[str, Any] | str] | ToolCall, content: str | None = None) -> Reply:
    """`tool_calls_reply(("add", {"a": 1, "b": 2}))` — a reply that calls tools."""
    made = [c if isinstance(c, ToolCall) else ToolCall(name=c[0], arguments=c[1]) for c in calls]
    return Reply(content=content, tool_calls=made)


@dataclass(slots=True)
class RecordedRequest:
    """One request as received: `body` is the raw bytes, `json` the parsed body (None for GET)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: dict[str, Any] | None
    client: tuple[str, int] = ("", 0)  # the peer address: the same port means the same (kept-alive) connection

    @property
    def raw(self) -> bytes:
        return self.body

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return (self.json or {}).get("messages", [])


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default per-request stderr logging."""

    def handle(self) -> None:
        # A client that gives up (timeout test, refused stream) must not print a traceback.
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        if not owner.fast:
            owner._record(RecordedRequest("GET", self.path, dict(self.headers), b"", None, self.client_address[:2]))
        if path.rstrip("/").endswith("/models"):
            body = {"object": "list", "data": [{"id": owner.default_model, "object": "model", "owned_by": "test"}]}
            self._send_json(200, body)
        else:
            self._send_json(404, {"error": {"message": f"No route for GET {path}", "type": "not_found"}})

    def do_POST(self) -> None:
        owner = self.server.owner
        raw = self._read_body()
        if owner.fast and b'"stream":true' not in raw:
            self._send_bytes(200, owner._fast_body)
            return
        path = self.path.split("?", 1)[0]
        if not path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"No route for POST {path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as e:
            self._send_json(400, {"error": {"message": f"Request body is not JSON: {e}", "type": "invalid_request"}})
            return
        request = RecordedRequest("POST", self.path, dict(self.headers), raw, body, self.client_address[:2])
        item = owner._next(request) if not owner.fast else Reply(content=owner.fast_reply)
        self._answer(item, body)

    def _answer(self, item: Any, body: dict[str, Any]) -> None:
        while callable(item) and not isinstance(item, (Reply, HTTPError, Disconnect)):
            item = item(body)
        if isinstance(item, str):
            item = Reply(content=item)
        if isinstance(item, Disconnect):
            self.close_connection = True
            if item.midway:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "200")
                self.end_headers()
                self.wfile.write(b'{"id": "chatcmpl-cut", "choices": [')
                self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(item, HTTPError):
            if item.delay:
                time.sleep(item.delay)
            payload = item.body
            if payload is None:
                error = {"message": item.message, "type": "scripted_error", "code": item.status}
                payload = json.dumps({"error": error}).encode()
            self._send_bytes(item.status, payload, item.headers)
            return
        if not isinstance(item, Reply):
            message = f"The test script produced {item!r}, which is not a reply the test server understands."
            self._send_json(500, {"error": {"message": message, "type": "script_error"}})
            return
        if item.delay:
            time.sleep(item.delay)
        model = item.model or body.get("model") or self.server.owner.default_model
        usage = item.usage or {
            "prompt_tokens": self.server.owner._prompt_tokens(body),
            "completion_tokens": _estimate_tokens(item.content or "") + 5 * len(item.tool_calls),
        }
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._send_sse(_sse_chunks(item, model, usage if include_usage else None))
        else:
            self._send_json(200, _completion(item, model, usage))
        if item.close_after:
            self.close_connection = True

    def _send_json(self, status: int, obj: Any) -> None:
        self._send_bytes(status, json.dumps(obj).encode())

    def _send_bytes(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_sse(self, chunks: Iterable[dict[str, Any] | str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            data = chunk if isinstance(chunk, str) else json.dumps(chunk)
            event = f"data: {data}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _tool_call_json(call: ToolCall, index: int, serial: int) -> dict[str, Any]:
    arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
    return {
        "id": call.id or f"call_{serial}_{index}",
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def _completion(item: Reply, model: str, usage: dict[str, int]) -> dict[str, Any]:
    serial = next(_SERIAL)
    message: dict[str, Any] = {"role": "assistant", "content": item.content, "refusal": None}
    if item.tool_calls:
        message["tool_calls"] = [_tool_call_json(c, i, serial) for i, c in enumerate(item.tool_calls)]
    finish = item.finish_reason or ("tool_calls" if item.tool_calls else "stop")
    return {
        "id": f"chatcmpl-{serial}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


def _split_words(text: str) -> list[str]:
    pieces, start = [], 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            pieces.append(text[start:i])
            start = i
    pieces.append(text[start:])
    return [p for p in pieces if p]


def _sse_chunks(item: Reply, model: str, usage: dict[str, int] | None) -> Iterator[dict[str, Any] | str]:
    serial = next(_SERIAL)
    base = {"id": f"chatcmpl-{serial}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": "" if item.content is not None else None})
    if item.content:
        for piece in item.chunks if item.chunks is not None else _split_words(item.content):
            yield chunk({"content": piece})
    for index, call in enumerate(item.tool_calls):
        full = _tool_call_json(call, index, serial)
        head = {"index": index, "id": full["id"], "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield chunk({"tool_calls": [head]})
        arguments = full["function"]["arguments"]
        step = max(1, len(arguments) // 3)
        for start in range(0, len(arguments), step):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[start : start + step]}}]})
    yield chunk({}, item.finish_reason or ("tool_calls" if item.tool_calls else "stop"))
    if usage is not None:
        yield {**base, "choices": [], "usage": usage}
    yield "[DONE]"


class _Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def __next__(self) -> int:
        with self._lock:
            self._n += 1
            return self._n


_SERIAL = _Counter()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: OpenAIServer

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.owner._lock:
            self.owner._connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self.owner._lock:
            self.owner._connections.discard(request)
        super().shutdown_request(request)


class OpenAIServer:
    """The server. Use as a context manager or call `start()`/`stop()`; the `openai_server` fixture does it per test."""

    def __init__(self, *, fast: bool = False, fast_reply: str = "ok", default_model: str = "test-model") -> None:
        self.fast = fast
        self.fast_reply = fast_reply
        self.default_model = default_model
        self.requests: list[RecordedRequest] = []
        self.unexpected_requests: list[RecordedRequest] = []
        self._script: deque[ScriptItem] = deque()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        usage = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
        self._fast_body = json.dumps(_completion(Reply(content=fast_reply), default_model, usage)).encode()

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> OpenAIServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # keep-alive connections would otherwise hold handler threads open
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The origin, without `/v1` (for Azure-style endpoints)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    # -- scripting -------------------------------------------------------------------------------------------------
    def script(self, *items: ScriptItem) -> OpenAIServer:
        """Replace the script with `items`, answered in order."""
        with self._lock:
            self._script = deque(items)
        return self

    def add_reply(self, *items: ScriptItem) -> OpenAIServer:
        with self._lock:
            self._script.extend(items)
        return self

    @property
    def remaining(self) -> int:
        return len(self._script)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The parsed JSON bodies of every chat-completion request, in order."""
        return [r.json for r in self.requests if r.json is not None]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self, request: RecordedRequest) -> ScriptItem:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
            self.unexpected_requests.append(request)
            answered = len(self.requests) - len(self.unexpected_requests)
        last = request.messages[-1] if request.messages else None
        message = (
            f"The test server's script is exhausted: it answered {answered} request(s) and has no reply for this one "
            f"(last message: {json.dumps(last)[:200]}). Add replies with server.script(...) or server.add_reply(...)."
        )
        return HTTPError(500, message, headers={"x-should-retry": "false"})

    def _prompt_tokens(self, body: dict[str, Any]) -> int:
        total = 0
        for message in body.get("messages") or []:
            content = message.get("content")
            total += 4 + _estimate_tokens(content if isinstance(content, str) else json.dumps(content))
        return total


def free_port_refusing_connections() -> int:
    """A localhost port nothing listens on (bound then closed), for connection-refused tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_in_subprocess(*, fast: bool = True, reply: str = "ok") -> Iterator[str]:
    """Run the server in a child process (off this process's GIL, for benchmarks); yields its base URL."""
    root = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-m", "tests.support.openai_server", "--reply", reply] + (["--fast"] if fast else [])
    child = subprocess.Popen(args, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().strip()
        if not base_url.startswith("http://"):
            raise RuntimeError(f"The test server process did not start (it printed {base_url!r}).")
        yield base_url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the OpenAI-compatible test server until stdin closes.")
    parser.add_argument("--fast", action="store_true", help="fixed reply, no recording (for benchmarks)")
    parser.add_argument("--reply", default="ok")
    args = parser.parse_args(argv)
    server = OpenAIServer(fast=args.fast, fast_reply=args.reply).start()
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()  # the parent closes our stdin (or dies) to stop us
    finally:
        server.stop()


if __name__ == "__main__":
    main()
