"""Shared SDK clients and the send path for pre-serialised chat-completion requests.

Building an `openai.OpenAI` client costs ~25 ms, almost all of it loading the CA bundle into a new SSL context, and
peers build one per agent (or per speaker selection). Here one SSL context serves the process, one httpx client
(the SDK's `DefaultHttpxClient`, so proxies and limits behave as the SDK's) serves each origin, and one SDK client
serves each (api_type, base_url, key, api_version, azure endpoint/deployment, headers). Caches reset in a forked child.

The SDK client supplies what it is good at: credential and endpoint resolution, its default headers (user agent,
organisation/project from the environment), Azure's `api-key` header and `api-version` query, and its exception
classes. The bytes do not go through `client.post(content=...)`, which still costs ~1.5 ms of client CPU per request
in option copying and header merging — more than the HTTP round trip — but through its httpx client directly, or,
for plaintext unproxied endpoints (local servers), through the stdlib pool of `_stdlib_http`, which halves httpx's
cost again. Both go through one retry loop, the SDK's policy restated: up to `max_retries` retries on connection errors, timeouts, 408, 409, 429 and 5xx (an
`x-should-retry` header overrides), waiting `retry-after-ms`/`retry-after` when it is 0–60 s and refusing to retry
when the server asks for longer, otherwise 0.5 s × 2^n capped at 8 s, minus up to 25 % jitter.
"""

from __future__ import annotations

import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:  # imported on first use: http.client pulls in email and ssl, too slow for `import studio`
    from ._stdlib_http import Pool

MAX_RETRY_AFTER = 60.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0

_lock = threading.Lock()
generation = 0  # bumped in a forked child: clients re-resolve their endpoints instead of sharing the parent's sockets
_ssl_context: Any = None
_http_clients: dict[str, Any] = {}
_sdk_clients: dict[tuple[Any, ...], Any] = {}
_pools: dict[tuple[str, int], Pool] = {}


class EndpointKey(NamedTuple):
    """What makes two clients share one SDK client."""

    api_type: str
    base_url: str | None
    api_key: str
    api_version: str | None = None
    azure_endpoint: str | None = None
    azure_deployment: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Endpoint:
    """Everything a request needs, resolved once from the shared SDK client. (A plain class: dataclass creation
    would cost more import time than this whole module.)"""

    __slots__ = ("sdk", "http", "url", "query", "headers", "timeout", "deployments_in_url", "pool", "heads")

    def __init__(
        self,
        *,
        sdk: Any,
        http: Any,
        url: str,
        query: dict[str, Any],
        headers: dict[str, str],
        timeout: Any,
        deployments_in_url: bool,
        pool: Pool | None = None,
    ) -> None:
        self.sdk = sdk
        self.http = http
        self.url = url
        self.query = query
        self.headers = headers
        self.timeout = timeout
        self.deployments_in_url = deployments_in_url
        self.pool = pool
        self.heads: dict[str, bytes] = {}

    def url_for(self, model: str) -> str:
        if self.deployments_in_url:  # Azure without a fixed deployment routes by model name, as the SDK does
            return f"{self.url}deployments/{model}/chat/completions"
        return f"{self.url}chat/completions"

    def head_for(self, model: str) -> bytes:
        """The stdlib pool's rendered request head for `model` (cached: it only depends on the model)."""
        head = self.heads.get(model)
        if head is None:
            assert self.pool is not None
            path = urlsplit(self.url_for(model)).path
            if self.query:
                path = f"{path}?{urlencode(self.query)}"
            from ._stdlib_http import render_head

            head = self.heads[model] = render_head(self.pool.host, self.pool.port, path, self.headers)
        return head


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"


def _after_fork_in_child() -> None:
    """Connections inherited across fork are shared with the parent: start over (dropping, not shutting down)."""
    global generation, _ssl_context, _lock
    generation += 1
    _lock = threading.Lock()  # another thread may have held it at the fork
    _ssl_context = None
    _http_clients.clear()
    _sdk_clients.clear()
    _pools.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def shared_http_client(base_url: str) -> Any:
    """The process-wide httpx client for `base_url`'s origin (call with `_lock` held)."""
    global _ssl_context
    import httpx2
    import openai

    key = origin(base_url)
    client = _http_clients.get(key)
    if client is None:
        if _ssl_context is None:
            _ssl_context = httpx2.create_ssl_context()
        client = openai.DefaultHttpxClient(verify=_ssl_context)
        _http_clients[key] = client
    return client


def shared_sdk_client(key: EndpointKey) -> Any:
    """The process-wide SDK client for `key`, built on first use."""
    with _lock:
        sdk = _sdk_clients.get(key)
        if sdk is None:
            sdk = _build_sdk_client(key)
            _sdk_clients[key] = sdk
        return sdk


def _build_sdk_client(key: EndpointKey) -> Any:
    import openai

    headers = dict(key.headers) or None
    if key.api_type == "azure":
        target = key.base_url or key.azure_endpoint or ""
        return openai.AzureOpenAI(
            api_key=key.api_key,
            api_version=key.api_version,
            azure_endpoint=key.azure_endpoint if not key.base_url else None,
            azure_deployment=key.azure_deployment if not key.base_url else None,
            base_url=key.base_url,
            default_headers=headers,
            http_client=shared_http_client(target),
        )
    assert key.base_url is not None
    return openai.OpenAI(
        api_key=key.api_key,
        base_url=key.base_url,
        default_headers=headers,
        http_client=shared_http_client(key.base_url),
    )


def endpoint_for(key: EndpointKey, timeout: float | None, *, transport: str = "auto") -> Endpoint:
    import httpx2

    from ._stdlib_http import Pool, usable_for

    sdk = shared_sdk_client(key)
    headers = {k: v for k, v in sdk.default_headers.items() if isinstance(v, str)}
    headers.update(sdk.auth_headers)
    base = str(sdk.base_url)
    pool = None
    direct = usable_for(base) if transport == "auto" else None
    if direct is not None:
        with _lock:
            pool = _pools.get(direct)
            if pool is None:
                pool = _pools[direct] = Pool(*direct)
    return Endpoint(
        sdk=sdk,
        http=sdk._client,
        url=base if base.endswith("/") else base + "/",
        query=dict(sdk.default_query),
        headers=headers,
        timeout=httpx2.Timeout(timeout) if timeout is not None else sdk.timeout,
        deployments_in_url=key.api_type == "azure" and "/deployments/" not in base,
        pool=pool,
    )


def _retry_after(headers: Any) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) / divisor
            except ValueError:
                continue
    return None


def should_retry(status: int, headers: Any) -> bool:
    wait = _retry_after(headers)
    if wait is not None and math.isfinite(wait) and wait > MAX_RETRY_AFTER:
        return False
    verdict = headers.get("x-should-retry")
    if verdict in ("true", "false"):
        return verdict == "true"
    return status in (408, 409, 429) or status >= 500


def retry_delay(attempt: int, headers: Any | None) -> float:
    wait = _retry_after(headers) if headers is not None else None
    if wait is not None and math.isfinite(wait) and 0 < wait <= MAX_RETRY_AFTER:
        return wait
    import random

    return min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY) * (1 - 0.25 * random.random())


def send(endpoint: Endpoint, model: str, body: bytes, *, stream: bool, max_retries: int) -> Any:
    """POST `body`; return the response (2xx; unread when streaming) or raise the SDK's exception.

    The response is the httpx one, or the stdlib pool's look-alike (`status_code`, `headers`, `content`,
    `iter_lines()`, `close()`).
    """
    import httpx2
    import openai

    if endpoint.pool is not None:
        attempt, timeout_errors, transport_errors = _pool_attempt(endpoint, model, body, stream)
    else:
        attempt, timeout_errors, transport_errors = _httpx_attempt(endpoint, model, body, stream)
    for retry in range(max_retries + 1):
        try:
            response = attempt(retry)
        except timeout_errors as e:
            if retry < max_retries:
                time.sleep(retry_delay(retry, None))
                continue
            raise openai.APITimeoutError(request=httpx2.Request("POST", endpoint.url_for(model))) from e
        except transport_errors as e:
            if retry < max_retries:
                time.sleep(retry_delay(retry, None))
                continue
            raise openai.APIConnectionError(request=httpx2.Request("POST", endpoint.url_for(model))) from e
        if response.status_code < 400:
            return response
        if retry < max_retries and should_retry(response.status_code, response.headers):
            response.close()
            time.sleep(retry_delay(retry, response.headers))
            continue
        raise status_error(_as_httpx(response, endpoint.url_for(model)))
    raise AssertionError("unreachable: the retry loop always returns or raises")


def _httpx_attempt(endpoint: Endpoint, model: str, body: bytes, stream: bool) -> tuple[Any, Any, Any]:
    import httpx2

    url = endpoint.url_for(model)
    query = endpoint.query or None

    def attempt(retry: int) -> Any:
        headers = {**endpoint.headers, "x-stainless-retry-count": str(retry)}
        request = endpoint.http.build_request(
            "POST", url, content=body, headers=headers, params=query, timeout=endpoint.timeout
        )
        return endpoint.http.send(request, stream=stream)

    # TimeoutException must be caught first: it is also a RequestError.
    return attempt, httpx2.TimeoutException, httpx2.RequestError


def _pool_attempt(endpoint: Endpoint, model: str, body: bytes, stream: bool) -> tuple[Any, Any, Any]:
    import http.client

    from ._stdlib_http import timeouts

    assert endpoint.pool is not None
    pool = endpoint.pool
    head = endpoint.head_for(model)
    connect_timeout, read_timeout = timeouts(endpoint.timeout)

    def attempt(retry: int) -> Any:
        response = pool.post(
            b"%sx-stainless-retry-count: %d\r\n" % (head, retry),
            body,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        if not stream:  # read the body here, as httpx does, so that a truncated one is retried like a failed send
            try:
                response.content  # noqa: B018 - reading it is the point
            except BaseException:
                response.close()
                raise
        return response

    return attempt, TimeoutError, (OSError, http.client.HTTPException)


def _as_httpx(response: Any, url: str) -> Any:
    """An httpx response (what the SDK's exception classes hold) for an error response of either transport."""
    import httpx2

    if isinstance(response, httpx2.Response):
        response.read()
        return response
    return httpx2.Response(
        response.status_code,
        headers=list(response.headers.items()),
        content=response.content,
        request=httpx2.Request("POST", url),
    )


_STATUS_ERRORS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


def status_error(response: Any) -> Exception:
    """The SDK's exception for an HTTP error response (same classes and message as `client.chat.completions`)."""
    import json

    import openai

    text = response.text.strip()
    message = f"Error code: {response.status_code}"
    body: Any = text
    try:
        body = json.loads(text)
    except ValueError:
        pass
    data = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"]:
        message += f" - {data['message']}"
    if response.status_code >= 500:
        cls = openai.InternalServerError
    else:
        cls = getattr(openai, _STATUS_ERRORS.get(response.status_code, "APIStatusError"))
    return cls(message, response=response, body=data)
