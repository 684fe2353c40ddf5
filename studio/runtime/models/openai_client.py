"""`OpenAIClient`: any OpenAI-compatible chat-completions endpoint, on the official `openai` SDK.

Construction only resolves configuration — the key (`api_key`, else `OPENAI_API_KEY`; Azure: `AZURE_OPENAI_API_KEY`),
the base URL (`base_url`, else `OPENAI_BASE_URL`, else api.openai.com, as the SDK does) — so building a team of
agents imports nothing and costs microseconds. A missing key fails here, with a `ConfigurationError` naming the
variable. Local OpenAI-compatible servers (Ollama, vLLM, LM Studio, llama.cpp) usually need no key, so when the base
URL points at localhost/127.0.0.1/::1 and no key is configured, the placeholder key `"not-needed"` is sent instead.

The first `create()` imports `openai` and takes the shared SDK client for the endpoint (`_transport`). Requests are
serialised from cached per-message JSON (`_wire`), never through `chat.completions.create`, whose per-request
transform of the whole history is what makes peers O(n²) over a conversation. They are sent through the SDK's httpx
client, or — for plaintext `http://` endpoints no proxy applies to, typically a local server — through a lean
keep-alive pool on the stdlib (`_stdlib_http`) that halves the per-request overhead; `transport="httpx"` forces the
former. Streaming (an `on_chunk` callback, or `stream=True` as a parameter) reads SSE, forwards each content delta,
assembles tool-call deltas and takes usage from the final chunk (`stream_options.include_usage`).

Every failure is a `ModelError` carrying `status_code` and `retryable`, raised from the SDK's own exception; its
text names the model and endpoint and never contains the API key (known keys and `sk-…` tokens are redacted).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from studio.errors import ConfigurationError, ModelError

from . import _transport, _wire
from ._transport import Endpoint, EndpointKey
from .base import ChunkCallback, ModelResponse, Usage
from .pricing import cost_from_price, cost_of

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"
API_TYPES = ("openai", "azure")
TRANSPORTS = ("auto", "httpx")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-]{6,}")


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.endswith(".localhost")


class _CallbackFailed(Exception):
    """Carries an exception raised by the caller's `on_chunk` out of the stream parser, as its `__cause__`."""


def _guarded(on_chunk: ChunkCallback) -> ChunkCallback:
    def forward(text: str) -> None:
        try:
            on_chunk(text)
        except Exception as e:
            raise _CallbackFailed() from e

    return forward


def _displayable(url: str) -> str:
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class OpenAIClient:
    """A ModelClient for OpenAI and OpenAI-compatible endpoints (`api_type="openai"`) and Azure OpenAI (`"azure"`).

    `default_params` (temperature, max_tokens, top_p, seed, stop, response_format, ...) go into every request body;
    per-call `params` override them. `price` is AG2's `[prompt, completion]` USD per 1K tokens override.
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_type: str = "openai",
        api_version: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        default_params: Mapping[str, Any] | None = None,
        price: Sequence[float] | None = None,
        stream: bool = False,
        default_headers: Mapping[str, str] | None = None,
        transport: str = "auto",
    ) -> None:
        if api_type not in API_TYPES:
            raise ConfigurationError(f"Unknown api_type '{api_type}' for OpenAIClient. Valid choices: openai, azure.")
        if not isinstance(model, str) or not model:
            raise ConfigurationError(
                f"An OpenAI model config needs a 'model' name (e.g. \"gpt-4o-mini\"); got {model!r}."
            )
        if transport not in TRANSPORTS:
            raise ConfigurationError(f"Unknown transport '{transport}'. Valid choices: {', '.join(TRANSPORTS)}.")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be a non-negative integer, not {max_retries!r}.")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise ConfigurationError(f"timeout must be a positive number of seconds, not {timeout!r}.")
        if price is not None and (len(price) != 2 or not all(isinstance(p, int | float) for p in price)):
            raise ConfigurationError(f"price must be [prompt, completion] USD per 1K tokens, not {price!r}.")
        self.model = model
        self.api_type = api_type
        self.timeout = timeout
        self.max_retries = max_retries
        self.default_params = dict(default_params or {})
        self.price = (float(price[0]), float(price[1])) if price is not None else None
        self.stream = stream
        self.transport = transport
        if api_type == "azure":
            key, self.base_url = self._resolve_azure(api_key, base_url, api_version, azure_endpoint)
            api_version = api_version or os.environ.get("OPENAI_API_VERSION")
        else:
            self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
            key = api_key or os.environ.get("OPENAI_API_KEY") or ""
            if not key:
                if not is_local(self.base_url):
                    raise ConfigurationError(
                        f"No API key for model '{model}' at {_displayable(self.base_url)}: set the OPENAI_API_KEY "
                        'environment variable, or put "api_key" in the llm_config (or its config_list entry).'
                    )
                key = PLACEHOLDER_KEY
        self._api_key = key
        self._key = EndpointKey(
            api_type=api_type,
            base_url=self.base_url if api_type == "openai" else base_url,
            api_key=key,
            api_version=api_version,
            azure_endpoint=azure_endpoint or (os.environ.get("AZURE_OPENAI_ENDPOINT") if not base_url else None),
            azure_deployment=azure_deployment,
            headers=tuple(sorted((default_headers or {}).items())),
        )
        self._endpoint: Endpoint | None = None
        self._generation = -1
        self._joiner = _wire.HistoryJoiner()

    def _resolve_azure(
        self, api_key: str | None, base_url: str | None, api_version: str | None, azure_endpoint: str | None
    ) -> tuple[str, str]:
        key = api_key or os.environ.get("AZURE_OPENAI_API_KEY") or ""
        if not key:
            raise ConfigurationError(
                f"No API key for Azure model '{self.model}': set the AZURE_OPENAI_API_KEY environment variable, or "
                'put "api_key" in the llm_config (or its config_list entry).'
            )
        if not (api_version or os.environ.get("OPENAI_API_VERSION")):
            raise ConfigurationError(
                f'Azure model \'{self.model}\' needs an API version: put "api_version" (e.g. "2024-06-01") in the '
                "llm_config, or set the OPENAI_API_VERSION environment variable."
            )
        target = base_url or azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not target:
            raise ConfigurationError(
                f'Azure model \'{self.model}\' needs an endpoint: put "azure_endpoint" (or "base_url") in the '
                "llm_config, or set the AZURE_OPENAI_ENDPOINT environment variable."
            )
        return key, target

    def __repr__(self) -> str:  # never show the key
        return (
            f"OpenAIClient(model={self.model!r}, base_url={_displayable(self.base_url)!r}, api_type={self.api_type!r})"
        )

    @property
    def endpoint(self) -> Endpoint:
        """The resolved endpoint (shared SDK client, httpx client, headers), built on first use."""
        endpoint = self._endpoint
        if endpoint is None or self._generation != _transport.generation:
            try:
                endpoint = _transport.endpoint_for(self._key, self.timeout, transport=self.transport)
            except Exception as e:  # the SDK rejects a configuration we could not check up front
                raise ConfigurationError(
                    f"The openai SDK rejected the configuration of model '{self.model}': {self._redact(str(e))}"
                ) from e
            self._endpoint = endpoint
            self._generation = _transport.generation
        return endpoint

    @property
    def sdk_client(self) -> Any:
        """The `openai.OpenAI` (or `AzureOpenAI`) client, shared by every OpenAIClient with the same endpoint."""
        return self.endpoint.sdk

    def create(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        on_chunk: ChunkCallback | None = None,
        **params: Any,
    ) -> ModelResponse:
        started = time.perf_counter()
        merged = {**self.default_params, **params} if params else self.default_params
        stream = on_chunk is not None or bool(merged.get("stream"))
        body = _wire.build_body(self.model, messages, tools, merged, stream=stream, joiner=self._joiner)
        endpoint = self.endpoint
        try:
            response = _transport.send(endpoint, self.model, body, stream=stream, max_retries=self.max_retries)
            try:
                if stream:
                    callback = _guarded(on_chunk) if on_chunk is not None else None
                    message, model, usage = _wire.parse_stream(response.iter_lines(), callback)
                else:
                    message, model, usage = _wire.parse_completion(response.content)
            finally:
                response.close()
        except _CallbackFailed as e:  # the caller's own error (a closed UI stream...), not a model failure
            assert e.__cause__ is not None
            raise e.__cause__  # the caller's exception, as it was
        except ModelError as e:
            e.args = (self._redact(f"Model '{self.model}' at {_displayable(self.base_url)}: {e}"),)
            raise
        except Exception as e:
            wrapped = self._wrap(e)
            if wrapped is None:  # not a failure of the call: a bug, let it through
                raise
            raise wrapped from e
        return self._response(message, model, usage, started)

    def _response(
        self, message: dict[str, Any], model: str | None, raw: dict[str, Any], started: float
    ) -> ModelResponse:
        prompt = int(raw.get("prompt_tokens") or 0)
        completion = int(raw.get("completion_tokens") or 0)
        usage = Usage(prompt, completion, int(raw.get("total_tokens") or prompt + completion))
        if self.price is not None:
            cost, known = cost_from_price(self.price, usage), True
        else:
            cost, known = cost_of(model or self.model, usage)
            if not known and model and model != self.model:
                cost, known = cost_of(self.model, usage)
        latency = (time.perf_counter() - started) * 1000
        return ModelResponse(message, model or self.model, usage, cost, known, latency)

    def _redact(self, text: str) -> str:
        if self._api_key and self._api_key != PLACEHOLDER_KEY:
            text = text.replace(self._api_key, "***")
        return _KEY_PATTERN.sub("sk-***", text)

    def _wrap(self, error: Exception) -> ModelError | None:
        import http.client

        import httpx2
        import openai

        where = f"Model '{self.model}' at {_displayable(self.base_url)}"
        n = self.max_retries
        retries = f" (retried up to {n} time{'' if n == 1 else 's'})" if n else ""
        key_source = "AZURE_OPENAI_API_KEY" if self.api_type == "azure" else "OPENAI_API_KEY"
        if isinstance(error, openai.APIStatusError):
            # The SDK error becomes our __cause__ and shows in tracebacks: a server that echoes the key must not leak
            # it there either.
            error.message = self._redact(error.message)
            error.args = tuple(self._redact(a) if isinstance(a, str) else a for a in error.args)
            status = error.status_code
            retryable = status in (408, 409, 429) or status >= 500
            body = error.body
            detail = body.get("message") if isinstance(body, dict) else body
            detail = str(detail).strip() if detail else f"no error message (body {error.response.text[:200]!r})"
            hint = {
                401: f' Check the API key (llm_config "api_key" or the {key_source} environment variable).',
                403: " The key is not allowed to use this model or endpoint.",
                404: " Check the model name and the base_url.",
                429: " The endpoint is rate-limiting or out of quota; retry later.",
            }.get(status, "")
            text = f"{where} answered HTTP {status}{retries if retryable else ''}: {detail.rstrip('.')}.{hint}"
            return ModelError(self._redact(text), status_code=status, retryable=retryable)
        if isinstance(error, openai.APITimeoutError):
            limit = f" of {self.timeout} s" if self.timeout else ""
            return ModelError(self._redact(f"{where} timed out (timeout{limit}){retries}."), retryable=True)
        if isinstance(error, openai.APIConnectionError):
            cause = error.__cause__ or error
            text = f"{where} could not be reached{retries}: {cause}. Check that the server is running and the base_url."
            return ModelError(self._redact(text), retryable=True)
        if isinstance(error, httpx2.HTTPError | OSError | http.client.HTTPException):  # broken after the headers
            return ModelError(self._redact(f"{where}: reading the response failed: {error!r}."), retryable=True)
        if isinstance(error, openai.OpenAIError):
            return ModelError(self._redact(f"{where}: {error}"))
        return None
