"""Optional OpenTelemetry tracing for chats, turns, model calls, tool calls and code execution.

Cost model. Tracing is off unless `enable_tracing()` is called or `STUDIO_TRACING=1` is set. When it is off, `span()`
is one global-bool check returning a shared no-op span (`NOOP_SPAN`, well under a microsecond) and OpenTelemetry is
never imported. When it is on, spans are real OTel spans and parenting follows the OTel context: nested `with span()`
blocks nest, and `wrap_context(fn)` carries the current context into another thread (the pool that runs concurrent
tool calls), where plain threads would start a new trace.

How to instrument (span names and attributes are a contract with dashboards; keep them):

    from studio.runtime.tracing import span, set_attributes, wrap_context, INPUT_TOKENS, OUTPUT_TOKENS

    with span("chat", initiator=a.name, recipient=b.name, kind="two_agent"):       # kind: two_agent | group
        with span("turn", speaker=speaker.name, round=i):
            with span("model_call", model=client.model) as sp:
                response = client.create(...)
                set_attributes(sp, {INPUT_TOKENS: u.prompt_tokens, OUTPUT_TOKENS: u.completion_tokens},
                               cost=response.cost)
            with span("tool_call", tool_name=name) as sp:
                text, is_error = tool.call(args)
                sp.set_attribute("is_error", is_error)
            with span("code_execution", language=lang) as sp:
                sp.set_attribute("exit_code", result.exit_code)

    pool.submit(wrap_context(run_tool), call)   # the worker's span becomes a child of the current span

`span()` takes keyword attributes plus an optional positional mapping for dotted keys such as
`gen_ai.usage.input_tokens`. The object bound by `as` is always usable (`set_attribute`, `set_attributes`,
`record_exception`, `add_event`), whether tracing is on or off. Attribute values that are None are dropped;
values OTel cannot store (dicts, objects) are stored as `str(value)`. An exception leaving a span is recorded on it
and marks it as an error (OTel's default), then propagates unchanged.

`enable_tracing(provider)` uses that provider (tests pass one with an `InMemorySpanExporter`); without one it uses
the global provider, installing an SDK `TracerProvider` if none is set (`STUDIO_TRACING=console` also prints spans).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from studio.errors import ConfigurationError

F = TypeVar("F", bound=Callable[..., Any])

INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
TRACER_NAME = "parley-studio"

_ENV_VALUE = os.environ.get("STUDIO_TRACING", "").strip().lower()
_enabled: bool = _ENV_VALUE in ("1", "true", "yes", "on", "console")
_tracer: Any = None  # an opentelemetry Tracer once tracing is on; created lazily for the environment switch
_lock = threading.Lock()


class _NoopSpan:
    """The span returned when tracing is off: a context manager and span in one, doing nothing."""

    __slots__ = ()

    def __enter__(self) -> _NoopSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def set_attribute(self, key: str, value: Any) -> None:
        return None

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        return None

    def record_exception(self, exception: BaseException, attributes: Mapping[str, Any] | None = None) -> None:
        return None

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        return None

    def is_recording(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOOP_SPAN"


NOOP_SPAN = _NoopSpan()


def span(name: str, attributes: Mapping[str, Any] | None = None, /, **attrs: Any) -> Any:
    """A context manager for a span called `name`; binds the span (or `NOOP_SPAN` when tracing is off)."""
    if not _enabled:
        return NOOP_SPAN
    tracer = _tracer if _tracer is not None else _tracer_from_env()
    merged = dict(attributes) if attributes else {}
    merged.update(attrs)
    return tracer.start_as_current_span(name, attributes=_clean(merged))


def set_attributes(target: Any, attributes: Mapping[str, Any] | None = None, /, **attrs: Any) -> None:
    """Set attributes on a span from `span()` (no-op on `NOOP_SPAN` or None)."""
    if target is None or target is NOOP_SPAN:
        return
    merged = dict(attributes) if attributes else {}
    merged.update(attrs)
    target.set_attributes(_clean(merged))


def wrap_context(fn: F) -> F:
    """`fn` bound to the caller's OTel context, so spans it opens in another thread get the right parent."""
    if not _enabled:
        return fn
    from opentelemetry import context as otel_context

    captured = otel_context.get_current()

    @functools.wraps(fn)
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        token = otel_context.attach(captured)
        try:
            return fn(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return run_in_context  # type: ignore[return-value]


def enable_tracing(tracer_provider: Any = None) -> None:
    """Turn tracing on, with `tracer_provider` or the global/default SDK provider."""
    global _enabled, _tracer
    with _lock:
        provider = tracer_provider if tracer_provider is not None else _default_provider()
        _tracer = provider.get_tracer(TRACER_NAME)
        _enabled = True


def disable_tracing() -> None:
    """Turn tracing off; spans already open still end normally."""
    global _enabled, _tracer
    with _lock:
        _enabled = False
        _tracer = None


def tracing_enabled() -> bool:
    return _enabled


def _tracer_from_env() -> Any:
    global _tracer
    with _lock:
        if _tracer is None:
            _tracer = _default_provider().get_tracer(TRACER_NAME)
        return _tracer


def _default_provider() -> Any:
    try:
        from opentelemetry import trace
    except ImportError as exc:
        raise ConfigurationError(
            "Tracing was enabled (enable_tracing() or STUDIO_TRACING) but OpenTelemetry is not installed; "
            "install it with `pip install parley-studio[tracing]` or unset STUDIO_TRACING."
        ) from exc
    provider = trace.get_tracer_provider()
    if not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return provider  # the application configured OTel itself: respect that
    try:
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        return provider  # API only: spans are created but not exported
    sdk_provider = TracerProvider()
    if _ENV_VALUE == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        sdk_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(sdk_provider)
    return trace.get_tracer_provider()


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if isinstance(value, str | bool | int | float):
            out[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str | bool | int | float) for v in value):
            out[key] = list(value)
        else:
            out[key] = str(value)
    return out
