"""OpenAI-compatible HTTP endpoints: the local model (`serve_model`) and saved teams (`serve_teams`).

Any OpenAI client — the `openai` SDK, curl, the studio's own OpenAI provider — talks to these as to api.openai.com:
`GET /v1/models` lists what is served and `POST /v1/chat/completions` answers, as one JSON completion or, with
`"stream": true`, as server-sent `chat.completion.chunk` events ending in `data: [DONE]`. Errors are OpenAI-shaped
(`{"error": {"message", "type", "code"}}`) with the status codes the SDK maps to its exception classes.

The HTTP layer is the stdlib's `ThreadingHTTPServer` (one thread per connection, keep-alive): this is a small
loopback service whose cost is dominated by the model or the team, so a web framework would only add import time and
dependencies. What is served is a `Backend` (`model_ids`, `complete`, `stream`); `ModelBackend` wraps any
`ModelClient`, and the team backend lives in `serve_teams.py`.

Access (SECURITY.md lesson 5, "localhost is not a wall"; T50): with a token, every request needs
`Authorization: Bearer <token>` (compared in constant time). Without one the server must be bound to a loopback
address — starting on any other address without a token is refused — and then it still answers only requests that
come from a loopback peer, whose `Host` header names a loopback host (a DNS-rebinding page sends its own host name),
and whose POST body is declared `application/json` (a cross-site page cannot send that without a CORS preflight, which
this server never grants). The token never appears in a response, an error or a log line.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from studio.errors import ConfigurationError, StudioError

MAX_BODY_BYTES = 8 * 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_PASSED_PARAMS = ("temperature", "max_tokens", "max_completion_tokens", "top_p", "stop", "seed", "tool_choice",
                  "response_format", "presence_penalty", "frequency_penalty")  # fmt: skip


class HTTPFailure(Exception):
    """An error answered to the client: `status`, an OpenAI error `type` and a message (never a secret)."""

    def __init__(
        self,
        status: int,
        message: str,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        *,
        retry: bool = True,
    ):
        super().__init__(message)
        self.status, self.message, self.error_type, self.code = status, message, error_type, code
        self.retry = retry  # False sends `x-should-retry: false`: the SDK would otherwise repeat a 5xx (a whole run)

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.error_type, "param": None, "code": self.code}}


class Backend(Protocol):
    """What an endpoint serves. `complete` returns a `chat.completion` object; `stream` yields its chunks."""

    def model_ids(self) -> list[str]: ...

    def complete(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]: ...


def is_loopback(host: str) -> bool:
    """True for a loopback address or the name `localhost` (what a keyless server may bind to)."""
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def completion_object(
    completion_id: str, model: str, message: dict[str, Any], usage: dict[str, int], finish: str = "stop"
) -> dict[str, Any]:
    message = {"role": "assistant", "content": message.get("content"), **_tool_calls_of(message)}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


def chunk_object(completion_id: str, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [choice]}  # fmt: skip


def usage_chunk(completion_id: str, model: str, usage: dict[str, int]) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [], "usage": usage}  # fmt: skip


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _tool_calls_of(message: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": message["tool_calls"]} if message.get("tool_calls") else {}


def chat_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise HTTPFailure(400, "'messages' must be a non-empty list of message objects.", code="invalid_messages")
    return messages


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text") or "" for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


class _ClientGone(Exception):
    """Raised from the streaming callback to end a generation nobody is reading any more."""


class ModelBackend:
    """Serves one `ModelClient` (the local llama.cpp model by default). Any requested model name is answered by it,
    as llama.cpp's own server does, so clients with a hard-coded model name work; `/v1/models` names the real one."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def model_ids(self) -> list[str]:
        return [self.client.model]

    def _params(self, body: dict[str, Any]) -> dict[str, Any]:
        params = {k: body[k] for k in _PASSED_PARAMS if body.get(k) is not None}
        if "max_completion_tokens" in params:
            params["max_tokens"] = params.pop("max_completion_tokens")
        return params

    def _call(self, body: dict[str, Any], on_chunk: Callable[[str], None] | None) -> Any:
        tools = body.get("tools") or None
        try:
            return self.client.create(chat_messages(body), tools=tools, on_chunk=on_chunk, **self._params(body))
        except StudioError as e:
            raise HTTPFailure(500, str(e), "server_error", retry=False) from None

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self._call(body, None)
        usage = response.usage
        finish = "tool_calls" if response.message.get("tool_calls") else "stop"
        return completion_object(
            f"chatcmpl-{uuid.uuid4().hex}",
            response.model,
            response.message,
            {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },  # fmt: skip
            finish,
        )

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        chat_messages(body)  # a bad request fails before the 200 and the event stream start
        cid, model = f"chatcmpl-{uuid.uuid4().hex}", self.client.model
        pieces: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        gone = threading.Event()

        def forward(text: str) -> None:
            if gone.is_set():  # the client went away: stop generating (frees the model for the next request)
                raise _ClientGone()
            pieces.put(("text", text))

        def work() -> None:
            try:
                pieces.put(("done", self._call(body, forward)))
            except BaseException as e:  # noqa: BLE001 - handed to the HTTP thread, which answers it
                pieces.put(("error", e))

        threading.Thread(target=work, name="serve-model-call", daemon=True).start()
        try:
            yield chunk_object(cid, model, {"role": "assistant", "content": ""})
            while True:
                kind, value = pieces.get()
                if kind == "text":
                    yield chunk_object(cid, model, {"content": value})
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            gone.set()
        calls = value.message.get("tool_calls") or []
        for index, call in enumerate(calls):
            yield chunk_object(cid, model, {"tool_calls": [{"index": index, **call}]})
        yield chunk_object(cid, model, {}, "tool_calls" if calls else "stop")
        if wants_usage(body):
            u = value.usage
            usage = {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                     "total_tokens": u.total_tokens}  # fmt: skip
            yield usage_chunk(cid, model, usage)


def _host_name(header: str) -> str:
    """The host part of a `Host` header (`name`, `name:port`, `[::1]:port`)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, StudioError) else f"Internal error: {type(error).__name__}: {error}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # request lines would go to stderr; the studio's run store is the record of what was served

    # -- access ----------------------------------------------------------------------------------------------------
    def _authorise(self, method: str) -> None:
        endpoint = self.server.endpoint
        if endpoint.token is not None:
            given = self.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), endpoint.token.encode()):
                raise HTTPFailure(401, "Missing or wrong bearer token: send 'Authorization: Bearer <token>'.",
                                  "authentication_error", "invalid_api_key")  # fmt: skip
            return
        if not is_loopback(self.client_address[0]) or not is_loopback(_host_name(self.headers.get("Host") or "")):
            raise HTTPFailure(403, "This endpoint has no token and answers only loopback requests to a loopback host.",
                              "permission_error", "forbidden")  # fmt: skip
        if method == "POST" and "application/json" not in (self.headers.get("Content-Type") or "").lower():
            raise HTTPFailure(415, "Send the request body as Content-Type: application/json.", code="content_type")

    # -- routes ----------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            body = self._read_body() if method == "POST" else {}
            self._authorise(method)
            backend = self.server.endpoint.backend
            if method == "GET" and path in ("/v1/models", "/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "parley-studio"}
                        for m in backend.model_ids()]  # fmt: skip
                self._send_json(200, {"object": "list", "data": data})
            elif method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
                if body.get("stream"):
                    self._send_stream(backend.stream(body))
                else:
                    self._send_json(200, backend.complete(body))
            else:
                raise HTTPFailure(404, f"No route for {method} {path or '/'}.", code="not_found")
        except HTTPFailure as failure:
            self._send_json(failure.status, failure.body(), {} if failure.retry else {"x-should-retry": "false"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - a failure must still answer the client, not drop the connection
            self._send_json(500, HTTPFailure(500, _describe(e), "server_error").body(), {"x-should-retry": "false"})

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise HTTPFailure(413, f"The request body is {length} bytes; the limit is {MAX_BODY_BYTES}.")
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as e:
            raise HTTPFailure(400, f"The request body is not JSON: {e}.", code="invalid_json") from None
        if not isinstance(body, dict):
            raise HTTPFailure(400, "The request body must be a JSON object.", code="invalid_json")
        return body

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, chunks: Iterator[dict[str, Any]]) -> None:
        first = next(chunks)  # validation errors surface here, before the 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._write_event(first)
            while True:
                # Only the generator's own failures become an `error` event (the SDK raises an APIError for one);
                # a failed write means the client went away and ends the response.
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except HTTPFailure as failure:
                    self._write_event(failure.body())
                    break
                except Exception as e:  # noqa: BLE001 - reported in the stream, the status line is already sent
                    self._write_event(HTTPFailure(500, _describe(e), "server_error").body())
                    break
                self._write_event(chunk)
            self._write_event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a client that went away stops what it asked for (the generator's finally)

    def _write_event(self, data: dict[str, Any] | str) -> None:
        event = f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    endpoint: ServedEndpoint

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        # Headers and body go out as separate writes; with Nagle's algorithm the body then waits for the client's
        # delayed ACK, adding 40 ms to every response (measured: 44-48 ms per call, 1 ms with this).
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


class ServedEndpoint:
    """An OpenAI-compatible server. `start()` binds and serves in a thread; `wait()` blocks until `stop()`."""

    def __init__(self, backend: Backend, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None):
        if token is not None and (not isinstance(token, str) or len(token) < 16):
            raise ConfigurationError("The bearer token must be a string of at least 16 characters.")
        if token is None and not is_loopback(host):
            raise ConfigurationError(
                f"Refusing to serve on {host!r} without a bearer token: anyone who can reach that address could run "
                "your models and teams. Bind to 127.0.0.1, or set a token (STUDIO_SERVE_TOKEN, or --token-env)."
            )
        self.backend, self.host, self.token = backend, host, token
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _bind(self) -> _HTTPServer:
        if self._httpd is None:
            try:
                httpd = _HTTPServer((self.host, self._requested_port), _Handler)
            except OSError as e:
                raise ConfigurationError(f"Cannot listen on {self.host}:{self._requested_port}: {e}.") from None
            httpd.endpoint = self
            self._httpd = httpd
        return self._httpd

    def start(self) -> ServedEndpoint:
        httpd = self._bind()
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server is stopped (Ctrl-C raises KeyboardInterrupt here, in the main thread)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd = None
        close = getattr(self.backend, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> ServedEndpoint:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._bind().server_address[1]

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"


def serve_model(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    model_path: str | None = None,
    token: str | None = None,
    client: Any = None,
    **client_options: Any,
) -> ServedEndpoint:
    """An endpoint (not started) serving the local GGUF model (`model_path`, default the bundled SmolLM2), or any
    `client` given. The model is loaded here, so a missing extra or a bad path fails before the port opens."""
    if client is None:
        from studio.runtime.models.local import LocalClient

        client = LocalClient(model_path, **client_options)
        client.load()
    return ServedEndpoint(ModelBackend(client), host, port, token=token)


def serve_teams(
    store: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    *,
    teams: Sequence[str] | None = None,
    manager: Any = None,
    run_timeout: float = 900.0,
) -> ServedEndpoint:
    """An endpoint (not started) serving the store's saved teams (only `teams`, by name, if given): the request's
    `model` names the team, and each request is one run recorded in the store."""
    from studio.serve_teams import TeamBackend

    backend = TeamBackend(store, teams=teams, manager=manager, run_timeout=run_timeout)
    return ServedEndpoint(backend, host, port, token=token)
