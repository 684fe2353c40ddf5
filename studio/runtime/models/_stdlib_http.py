"""A lean keep-alive HTTP/1.1 client on raw sockets for plaintext, unproxied endpoints (typically local servers).

Why: on a local OpenAI-compatible server (Ollama, vLLM, LM Studio, the test server) the loopback round trip is
~0.4 ms, and httpx adds ~0.5 ms of request/response modelling per call — more than doubling the floor for every
model call. For `http://` endpoints no proxy applies to, requests go out here instead; `https://` and proxied
endpoints keep the SDK's httpx client (TLS, proxies, compression), where network latency dwarfs either overhead.

The request head (request line, Host, the SDK's headers, auth) is rendered once per endpoint and model; a request is
then one `sendall` of head + Content-Length + body, and the response is parsed by the stdlib's own
`http.client.HTTPResponse` (status line, headers, Content-Length or chunked bodies, keep-alive rules). One `Pool`
per origin is shared by every client of that origin. A socket is owned by one request at a time and returned only
after its response was read to the end; a response abandoned half-way closes its socket. Idle sockets the server
has closed are noticed before reuse (the idle socket turns readable) and dropped, as httpcore does. Failures are
not resent here: the caller's retry policy decides, exactly as for httpx.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Any


def render_head(host: str, port: int, path: str, headers: Mapping[str, str]) -> bytes:
    """`POST path HTTP/1.1` plus headers, without Content-Length and the final blank line."""
    shown = f"[{host}]" if ":" in host else host
    lines = [f"POST {path} HTTP/1.1", f"Host: {shown}:{port}" if port != 80 else f"Host: {shown}"]
    lines.append("Accept-Encoding: identity")  # without it a server may compress: we do not decode
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n\0") or not name:
            raise ValueError(f"Invalid HTTP header {name!r}: names and values cannot contain line breaks.")
        if name.lower() not in ("host", "content-length", "accept-encoding", "transfer-encoding", "connection"):
            lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


class PoolResponse:
    """The subset of an httpx response the client uses: status, headers, body or lines, close."""

    def __init__(self, pool: Pool, sock: socket.socket, raw: http.client.HTTPResponse) -> None:
        self._pool = pool
        self._sock: socket.socket | None = sock
        self._raw = raw
        self.status_code = raw.status
        self.headers = raw.headers  # case-insensitive .get()
        self._content: bytes | None = None

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = self._raw.read()
            self.close()
        return self._content

    def read(self) -> bytes:
        return self.content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def iter_lines(self) -> Iterator[str]:
        readline = self._raw.readline
        while True:
            line = readline()
            if not line:
                break
            yield line.decode("utf-8").rstrip("\r\n")
        self.close()

    def close(self) -> None:
        """Give the socket back if the response was read to the end and the server keeps it alive; else close it."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._raw.isclosed() and not self._raw.will_close:
            self._pool.release(sock)
        else:
            self._raw.close()
            sock.close()


def _is_dead(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed (or spoken to) by the server: unusable."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Pool:
    """Idle keep-alive sockets to one `http://host:port`."""

    def __init__(self, host: str, port: int, max_idle: int = 32) -> None:
        self.host = host
        self.port = port
        self.max_idle = max_idle
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._idle)

    def _acquire(self, connect_timeout: float | None) -> socket.socket:
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                break
            if not _is_dead(sock):
                return sock
            sock.close()
        sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(sock)
                return
        sock.close()

    def post(
        self, head: bytes, body: bytes, *, connect_timeout: float | None, read_timeout: float | None
    ) -> PoolResponse:
        """Send `head` (from `render_head`, plus any per-attempt headers) and `body`; raise TimeoutError, OSError
        or http.client.HTTPException on transport failure."""
        sock = self._acquire(connect_timeout)
        try:
            sock.settimeout(read_timeout)
            sock.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
            raw = http.client.HTTPResponse(sock, method="POST")
            raw.begin()
        except BaseException:
            sock.close()
            raise
        return PoolResponse(self, sock, raw)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()


def usable_for(url: str) -> tuple[str, int] | None:
    """(host, port) if `url` is plain http and no proxy applies to it, else None (use httpx)."""
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.username or parts.password:
        return None
    proxies = urllib.request.getproxies()
    if (proxies.get("http") or proxies.get("all")) and not urllib.request.proxy_bypass(parts.hostname):
        return None
    return parts.hostname, parts.port or 80


def timeouts(timeout: Any) -> tuple[float | None, float | None]:
    """(connect, read) seconds from a float or an httpx Timeout."""
    if timeout is None or isinstance(timeout, int | float):
        return timeout, timeout
    return timeout.connect, timeout.read
