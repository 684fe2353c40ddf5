"""Content conditions: they fire on what a delta contains — a mention, a speaker, a handoff, a function call.

Each scans the delta once and stops at the first match (what a message, an agent event and its text are:
`_events.py`). `FunctionalTermination` hands the delta to user code and has no config form.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from studio.errors import ConfigurationError
from studio.events import Message, ToolResult
from studio.runtime.termination._base import Delta, StopMessage, TerminationCondition
from studio.runtime.termination._events import event_texts, is_text_message, name_list, nonempty_name


class TextMentionTermination(TerminationCondition):
    """Stops when `text` is a substring of any message or agent event (tool results, code output) from `sources`."""

    __slots__ = ("text", "sources", "_allowed")
    kind: ClassVar[str] = "text_mention"

    def __init__(self, text: str, sources: Sequence[str] | None = None) -> None:
        super().__init__()
        cls = type(self).__name__
        self.text = nonempty_name(cls, "text", text)
        self.sources: tuple[str, ...] | None = None if sources is None else name_list(cls, "sources", sources)
        self._allowed = None if self.sources is None else frozenset(self.sources)

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        text, allowed = self.text, self._allowed
        for e in delta:
            if allowed is not None and getattr(e, "source", None) not in allowed:
                continue
            for piece in event_texts(e):
                if text in piece:
                    return StopMessage(f"Text '{text}' mentioned", "TextMentionTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "sources": None if self.sources is None else list(self.sources)}


class SourceMatchTermination(TerminationCondition):
    """Stops on any chat message whose source is listed (`["user"]` fires on the task message)."""

    __slots__ = ("sources", "_allowed")
    kind: ClassVar[str] = "source_match"

    def __init__(self, sources: Sequence[str]) -> None:
        super().__init__()
        self.sources = name_list(type(self).__name__, "sources", sources)
        self._allowed = frozenset(self.sources)

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if isinstance(e, Message) and e.source in self._allowed:
                return StopMessage(f"'{e.source}' answered", "SourceMatchTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "sources": list(self.sources)}


class TextMessageTermination(TerminationCondition):
    """Stops on a plain text message from `source` — or from anyone when `source` is None (the task message too)."""

    __slots__ = ("source",)
    kind: ClassVar[str] = "text_message"

    def __init__(self, source: str | None = None) -> None:
        super().__init__()
        self.source = None if source is None else nonempty_name(type(self).__name__, "source", source)

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if is_text_message(e) and (self.source is None or e.source == self.source):
                return StopMessage(f"Text message received from '{e.source}'", "TextMessageTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source}


class HandoffTermination(TerminationCondition):
    """Stops on a handoff to `target`: a `Message` with `role="handoff"` whose `target` is that agent."""

    __slots__ = ("target",)
    kind: ClassVar[str] = "handoff"

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = nonempty_name(type(self).__name__, "target", target)

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if isinstance(e, Message) and e.role == "handoff" and e.target == self.target:
                return StopMessage(f"Handoff to {self.target} from {e.source} detected.", "HandoffTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target}


class StopMessageTermination(TerminationCondition):
    """Stops on a stop message: a `Message` with `role="stop"` (no built-in agent sends one; custom agents may)."""

    __slots__ = ()
    kind: ClassVar[str] = "stop_message"

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if isinstance(e, Message) and e.role == "stop":
                return StopMessage("Stop message received", "StopMessageTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind}


class FunctionCallTermination(TerminationCondition):
    """Stops once a `ToolResult` reports that `function_name` was executed (even if it returned an error)."""

    __slots__ = ("function_name",)
    kind: ClassVar[str] = "function_call"

    def __init__(self, function_name: str) -> None:
        super().__init__()
        self.function_name = nonempty_name(type(self).__name__, "function_name", function_name)

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if isinstance(e, ToolResult) and any(r.get("name") == self.function_name for r in e.results):
                return StopMessage(f"Function '{self.function_name}' was executed.", "FunctionCallTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "function_name": self.function_name}


class FunctionalTermination(TerminationCondition):
    """Stops when `func(delta)` returns True. Synchronous only; it wraps Python code, so it has no config form."""

    __slots__ = ("func",)
    kind: ClassVar[str] = "functional"

    def __init__(self, func: Callable[[Delta], bool]) -> None:
        super().__init__()
        if not callable(func):
            raise TypeError(f"FunctionalTermination needs a callable taking the delta, got {func!r}.")
        if inspect.iscoroutinefunction(func):
            raise ConfigurationError(
                f"FunctionalTermination runs on the chat thread and takes a plain function; {func!r} is async. "
                "Wrap it in a synchronous function."
            )
        self.func = func

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        result = self.func(delta)
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()  # avoid a "coroutine was never awaited" warning on top of the error
            raise TypeError(
                f"FunctionalTermination's function {self.func!r} returned an awaitable; it must return a bool."
            )
        if result:
            return StopMessage("Functional termination condition met", "FunctionalTermination")
        return None

    def to_config(self) -> dict[str, Any]:
        raise ConfigurationError(
            "FunctionalTermination wraps a Python function and cannot be written to a config; "
            "use a declarative condition (max_messages, text_mention, ...) in specs."
        )

    def __repr__(self) -> str:
        return f"FunctionalTermination({getattr(self.func, '__qualname__', repr(self.func))})"
