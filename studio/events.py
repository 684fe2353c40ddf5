"""The typed events of a run: one schema for the runtime, the store, the UI, the CLI and replay.

Events are slotted dataclasses discriminated by `type`, so emitting one costs well under a microsecond and importing
this module costs nothing (no pydantic at import time: `import studio` stays fast). Untrusted dicts (a file, a row)
are checked with `validate_event`, which builds a pydantic `TypeAdapter` over the same dataclasses on first use.

Every event has `run_id`, `seq` (gap-free per run, assigned by the `EventBus`) and `ts` (UTC, seconds since the epoch).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal


@dataclass(slots=True, kw_only=True)
class BaseEvent:
    type: ClassVar[str] = ""
    run_id: str = ""
    seq: int = 0
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        for name in _field_names(type(self)):
            d[name] = getattr(self, name)
        return d


@dataclass(slots=True, kw_only=True)
class RunStarted(BaseEvent):
    type: ClassVar[str] = "run_started"
    task: str = ""
    team: str = ""
    session_id: str = ""


@dataclass(slots=True, kw_only=True)
class Message(BaseEvent):
    """A chat message as it was sent from `source` to `target` (the task message has source `user` in team runs)."""

    type: ClassVar[str] = "message"
    source: str
    target: str = ""
    content: str | None = None
    role: str = "assistant"
    tool_calls: list[dict[str, Any]] | None = None
    tool_responses: list[dict[str, Any]] | None = None


@dataclass(slots=True, kw_only=True)
class ToolCall(BaseEvent):
    """A model asked for tool calls: each call is `{"id", "name", "arguments"}` (arguments is the raw JSON text)."""

    type: ClassVar[str] = "tool_call"
    source: str
    calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ToolResult(BaseEvent):
    """The executor's answers, in call order: each `{"call_id", "name", "content", "is_error"}`."""

    type: ClassVar[str] = "tool_result"
    source: str
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class CodeExecution(BaseEvent):
    type: ClassVar[str] = "code_execution"
    source: str
    blocks: list[dict[str, str]] = field(default_factory=list)
    exit_code: int = 0
    output: str = ""
    executor: str = ""


@dataclass(slots=True, kw_only=True)
class SpeakerSelected(BaseEvent):
    type: ClassVar[str] = "speaker_selected"
    speaker: str
    method: str = ""
    round: int = 0


@dataclass(slots=True, kw_only=True)
class HumanInputRequested(BaseEvent):
    type: ClassVar[str] = "human_input_requested"
    source: str
    prompt: str = ""
    request_id: str = ""


@dataclass(slots=True, kw_only=True)
class HumanInput(BaseEvent):
    type: ClassVar[str] = "human_input"
    source: str
    content: str = ""
    request_id: str = ""


@dataclass(slots=True, kw_only=True)
class ModelCall(BaseEvent):
    type: ClassVar[str] = "model_call"
    source: str
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0
    purpose: str = "reply"  # reply | summary | speaker_selection


@dataclass(slots=True, kw_only=True)
class StreamChunk(BaseEvent):
    type: ClassVar[str] = "stream_chunk"
    source: str
    content: str = ""
    message_id: str = ""


@dataclass(slots=True, kw_only=True)
class Error(BaseEvent):
    type: ClassVar[str] = "error"
    source: str = ""
    error_type: str = ""
    message: str = ""


@dataclass(slots=True, kw_only=True)
class RunFinished(BaseEvent):
    type: ClassVar[str] = "run_finished"
    status: Literal["completed", "failed", "cancelled", "interrupted"] = "completed"
    stop_reason: str = ""
    summary: str = ""


Event = (
    RunStarted
    | Message
    | ToolCall
    | ToolResult
    | CodeExecution
    | SpeakerSelected
    | HumanInputRequested
    | HumanInput
    | ModelCall
    | StreamChunk
    | Error
    | RunFinished
)

EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.type: cls
    for cls in (
        RunStarted,
        Message,
        ToolCall,
        ToolResult,
        CodeExecution,
        SpeakerSelected,
        HumanInputRequested,
        HumanInput,
        ModelCall,
        StreamChunk,
        Error,
        RunFinished,
    )
}

_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


def event_from_dict(data: dict[str, Any]) -> BaseEvent:
    """Rebuild an event from `to_dict()` output we wrote ourselves (trusted rows). Unknown types raise ValueError."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"Unknown event type {kind!r}; known types: {', '.join(sorted(EVENT_TYPES))}.")
    names = _field_names(cls)
    return cls(**{k: v for k, v in data.items() if k in names})


_adapter: Any = None


def validate_event(data: dict[str, Any]) -> BaseEvent:
    """Validate an untrusted dict against the event schema (pydantic, strict field types) and build the event."""
    global _adapter
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"Unknown event type {kind!r}; known types: {', '.join(sorted(EVENT_TYPES))}.")
    if _adapter is None:
        from pydantic import TypeAdapter

        _adapter = {name: TypeAdapter(c) for name, c in EVENT_TYPES.items()}
    body = {k: v for k, v in data.items() if k != "type"}
    return _adapter[kind].validate_python(body)


# ---------------------------------------------------------------------------------------------------------------------
# The bus: assigns run_id/seq and hands each event to the listeners, in order, on the emitting thread.

Listener = Callable[[BaseEvent], None]


class EventBus:
    """Delivers events to listeners. Thread-safe: `seq` is gap-free even when several threads emit."""

    __slots__ = ("run_id", "_listeners", "_seq", "_lock")

    def __init__(self, listeners: Iterable[Listener] = (), *, run_id: str = "", start_seq: int = 0):
        self.run_id = run_id
        self._listeners: list[Listener] = list(listeners)
        self._seq = start_seq
        self._lock = threading.Lock()

    @property
    def seq(self) -> int:
        return self._seq

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: BaseEvent) -> BaseEvent:
        with self._lock:
            self._seq += 1
            event.seq = self._seq
            event.run_id = self.run_id
            for listener in self._listeners:
                listener(event)
        return event


_current: contextvars.ContextVar[EventBus | None] = contextvars.ContextVar("studio_event_bus", default=None)


def current_bus() -> EventBus | None:
    """The bus of the chat running on this thread/context, or None outside a chat."""
    return _current.get()


@contextmanager
def use_bus(bus: EventBus) -> Iterator[EventBus]:
    token = _current.set(bus)
    try:
        yield bus
    finally:
        _current.reset(token)


def emit(event: BaseEvent) -> None:
    """Emit on the current bus if there is one (a no-op outside a chat)."""
    bus = _current.get()
    if bus is not None:
        bus.emit(event)


__all__ = [
    "BaseEvent",
    "RunStarted",
    "Message",
    "ToolCall",
    "ToolResult",
    "CodeExecution",
    "SpeakerSelected",
    "HumanInputRequested",
    "HumanInput",
    "ModelCall",
    "StreamChunk",
    "Error",
    "RunFinished",
    "Event",
    "EVENT_TYPES",
    "EventBus",
    "Listener",
    "current_bus",
    "use_bus",
    "emit",
    "event_from_dict",
    "validate_event",
]
