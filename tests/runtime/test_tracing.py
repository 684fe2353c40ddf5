"""Tracing with the real OpenTelemetry SDK (in-memory exporter): names, attributes and parent/child relations, the
thread hand-over, and the near-zero cost when tracing is off."""

from __future__ import annotations

import os
import subprocess
import sys
import timeit
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from studio.runtime.tracing import (
    INPUT_TOKENS,
    NOOP_SPAN,
    OUTPUT_TOKENS,
    disable_tracing,
    enable_tracing,
    set_attributes,
    span,
    tracing_enabled,
    wrap_context,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    try:
        yield exporter
    finally:
        disable_tracing()


def _by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    spans = exporter.get_finished_spans()
    assert len({s.name for s in spans}) == len(spans), [s.name for s in spans]
    return {s.name: s for s in spans}


def _parent_id(s: ReadableSpan) -> int | None:
    return s.parent.span_id if s.parent is not None else None


def test_a_chat_records_nested_spans_with_their_attributes(exporter: InMemorySpanExporter) -> None:
    with span("chat", initiator="user", recipient="assistant", kind="two_agent"):  # noqa: SIM117 - shows the tree
        with span("turn", speaker="assistant", round=1):
            with span("model_call", model="gpt-test") as sp:
                set_attributes(sp, {INPUT_TOKENS: 12, OUTPUT_TOKENS: 3}, cost=0.0021)
            with span("tool_call", tool_name="add") as sp:
                sp.set_attribute("is_error", False)
            with span("code_execution", language="python") as sp:
                sp.set_attribute("exit_code", 0)
    spans = _by_name(exporter)
    assert set(spans) == {"chat", "turn", "model_call", "tool_call", "code_execution"}
    chat, turn = spans["chat"], spans["turn"]
    assert dict(chat.attributes or {}) == {"initiator": "user", "recipient": "assistant", "kind": "two_agent"}
    assert dict(turn.attributes or {}) == {"speaker": "assistant", "round": 1}
    assert dict(spans["model_call"].attributes or {}) == {
        "model": "gpt-test",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "cost": 0.0021,
    }
    assert dict(spans["tool_call"].attributes or {}) == {"tool_name": "add", "is_error": False}
    assert dict(spans["code_execution"].attributes or {}) == {"language": "python", "exit_code": 0}
    assert chat.parent is None
    assert _parent_id(turn) == chat.context.span_id
    for child in ("model_call", "tool_call", "code_execution"):
        assert _parent_id(spans[child]) == turn.context.span_id
    assert len({s.context.trace_id for s in spans.values()}) == 1


def test_wrap_context_parents_a_span_opened_in_a_worker_thread(exporter: InMemorySpanExporter) -> None:
    def run_tool(name: str) -> str:
        with span("tool_call", tool_name=name):
            return name

    with span("turn", speaker="assistant", round=2), ThreadPoolExecutor(2) as pool:
        assert pool.submit(wrap_context(run_tool), "wrapped").result() == "wrapped"
        pool.submit(run_tool, "bare").result()
    finished = exporter.get_finished_spans()
    turn = next(s for s in finished if s.name == "turn")
    tools = {s.attributes["tool_name"]: s for s in finished if s.name == "tool_call" and s.attributes}
    assert _parent_id(tools["wrapped"]) == turn.context.span_id
    assert tools["wrapped"].context.trace_id == turn.context.trace_id
    # Without wrap_context the worker thread starts a new trace: the helper is what makes the difference.
    assert tools["bare"].parent is None and tools["bare"].context.trace_id != turn.context.trace_id


def test_an_exception_is_recorded_on_the_span_and_propagates(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="bad tool"), span("tool_call", tool_name="boom"):
        raise ValueError("bad tool")
    (s,) = exporter.get_finished_spans()
    assert s.status.status_code is StatusCode.ERROR
    assert [e.name for e in s.events] == ["exception"]


def test_attribute_values_are_cleaned(exporter: InMemorySpanExporter) -> None:
    with span("turn", speaker=None, round=3, tags=["a", "b"], extra={"k": 1}) as sp:
        set_attributes(sp, note=None, obj=Path("/x"))
    (s,) = exporter.get_finished_spans()
    assert dict(s.attributes or {}) == {"round": 3, "tags": ("a", "b"), "extra": "{'k': 1}", "obj": "/x"}


def test_disabled_tracing_records_nothing_and_costs_almost_nothing(exporter: InMemorySpanExporter) -> None:
    disable_tracing()
    assert not tracing_enabled()
    assert span("chat", initiator="a") is NOOP_SPAN
    with span("chat", initiator="a", recipient="b", kind="group") as sp:
        assert sp is NOOP_SPAN and not sp.is_recording()
        sp.set_attribute("x", 1)
        set_attributes(sp, {INPUT_TOKENS: 1})
        with span("turn", speaker="a", round=1):
            pass
    fn = object()
    assert wrap_context(fn) is fn  # type: ignore[arg-type]
    assert exporter.get_finished_spans() == ()
    n = 100_000
    per_call = min(timeit.repeat(lambda: span("turn", speaker="a", round=1), number=n, repeat=3)) / n
    assert per_call < 2e-6, f"disabled span() costs {per_call * 1e9:.0f} ns"


def test_re_enabling_after_disable_records_again(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider()
    second = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(second))
    disable_tracing()
    with span("chat"):
        pass
    enable_tracing(provider)
    assert tracing_enabled()
    with span("chat", kind="group"):
        pass
    assert exporter.get_finished_spans() == ()
    assert [s.name for s in second.get_finished_spans()] == ["chat"]


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "STUDIO_TRACING"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_environment_switch_enables_tracing_with_the_sdk_default_provider() -> None:
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from studio.runtime.tracing import span, tracing_enabled\n"
        "with span('chat', kind='group') as sp:\n"
        "    print(tracing_enabled(), sp.is_recording(), isinstance(trace.get_tracer_provider(), TracerProvider))\n"
    )
    assert _python(code, STUDIO_TRACING="1") == "True True True"


def test_disabled_tracing_never_imports_opentelemetry() -> None:
    code = (
        "import sys\n"
        "from studio.runtime.tracing import span, wrap_context\n"
        "with span('chat'):\n"
        "    wrap_context(print)\n"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))\n"
    )
    assert _python(code) == "False"
