"""How AgentChat's message kinds map onto `studio.events`, plus the argument checks the conditions share.

* a *chat message* is a `Message` event (the task message included). Two rare kinds are marked by `role`:
  `role="stop"` is a StopMessage, `role="handoff"` is a HandoffMessage whose `target` is the agent handed to. A *text
  message* is a plain `Message`: content set, no tool calls or tool responses, role not tool/function/stop/handoff.
* *agent events* are `ToolCall`, `ToolResult` and `CodeExecution` — the events AgentChat puts in a turn's
  `inner_messages`. `ModelCall`, `StreamChunk`, `SpeakerSelected`, human-input and run events are telemetry: they are
  never counted or searched (`ModelCall` feeds only `TokenUsageTermination`).
* the *text* of an event (what `TextMentionTermination` searches) is, piece by piece: a Message's content, its tool-call
  names/arguments and tool-response contents; a ToolCall's names and arguments; a ToolResult's contents; a
  CodeExecution's output. Pieces are searched separately, so a match never spans two of them.

Validation errors are `InvalidParameter` (a `ConfigurationError`, hence a ValueError) naming the parameter, so config
loading can point at the exact key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeGuard

from studio.errors import ConfigurationError
from studio.events import BaseEvent, CodeExecution, Message, ToolCall, ToolResult

AGENT_EVENT_TYPES: tuple[type[BaseEvent], ...] = (ToolCall, ToolResult, CodeExecution)
_TEXTLESS_ROLES = frozenset({"tool", "function", "stop", "handoff"})


def _calls_text(calls: list[dict[str, Any]]) -> Iterator[str]:
    for call in calls:
        fn = call.get("function") or call  # OpenAI shape {"function": {...}} or our flat {"name", "arguments"}
        yield str(fn.get("name", ""))
        yield str(fn.get("arguments", ""))


def event_texts(event: BaseEvent) -> Iterator[str]:
    """The searchable text pieces of a chat message or agent event (nothing for telemetry events)."""
    if isinstance(event, Message):
        if event.content is not None:
            yield event.content if isinstance(event.content, str) else str(event.content)
        if event.tool_calls:
            yield from _calls_text(event.tool_calls)
        if event.tool_responses:
            for r in event.tool_responses:
                yield str(r.get("content", ""))
    elif isinstance(event, ToolCall):
        yield from _calls_text(event.calls)
    elif isinstance(event, ToolResult):
        for r in event.results:
            yield str(r.get("content", ""))
    elif isinstance(event, CodeExecution):
        yield event.output


def is_text_message(event: BaseEvent) -> TypeGuard[Message]:
    return (
        isinstance(event, Message)
        and event.content is not None
        and not event.tool_calls
        and not event.tool_responses
        and event.role not in _TEXTLESS_ROLES
    )


class InvalidParameter(ConfigurationError):
    """A constructor argument is invalid; `param` names it so config loading can report the exact key."""

    def __init__(self, message: str, *, param: str) -> None:
        self.param = param
        super().__init__(message)


def positive_int(cls: str, name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidParameter(f"{cls} {name} must be a whole number of at least 1, got {value!r}.", param=name)


def nonempty_name(cls: str, param: str, value: object, *, what: str = "") -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"{cls} {what or param} must be a non-empty string, got {value!r}.", param=param)
    return value


def name_list(cls: str, param: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise InvalidParameter(
            f"{cls} {param} must be a non-empty list of agent names such as ['user'], got {values!r}.", param=param
        )
    return tuple(nonempty_name(cls, param, v, what=f"{param} entry") for v in values)
