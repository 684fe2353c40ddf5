"""Budget and control conditions: message count, token usage, timeout and the external Stop button.

Each keeps a running total (or a clock / a flag) so an evaluation looks at each event of the delta once. The timeout
clock starts when the run starts (`start()`), never at construction (RUNTIME.md §7); the external flag is a
`threading.Event`, so `set()` is safe from any thread.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, ClassVar

from studio.errors import ConfigurationError
from studio.events import BaseEvent, Message, ModelCall
from studio.runtime.termination._base import Delta, StopMessage, TerminationCondition
from studio.runtime.termination._events import AGENT_EVENT_TYPES, InvalidParameter, positive_int


class MaxMessageTermination(TerminationCondition):
    """Stops once `max_messages` chat messages (the task included; agent events too if asked) have been seen."""

    __slots__ = ("max_messages", "include_agent_event", "_count", "_counted")
    kind: ClassVar[str] = "max_messages"

    def __init__(self, max_messages: int, include_agent_event: bool = False) -> None:
        super().__init__()
        positive_int(type(self).__name__, "max_messages", max_messages)
        if not isinstance(include_agent_event, bool):
            raise InvalidParameter(
                f"MaxMessageTermination include_agent_event must be true or false, got {include_agent_event!r}.",
                param="include_agent_event",
            )
        self.max_messages = max_messages
        self.include_agent_event = include_agent_event
        self._counted: tuple[type[BaseEvent], ...] = (
            (Message, *AGENT_EVENT_TYPES) if include_agent_event else (Message,)
        )
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        counted = self._counted
        self._count += sum(1 for e in delta if isinstance(e, counted))
        if self._count >= self.max_messages:
            return StopMessage(
                f"Maximum number of messages {self.max_messages} reached, current message count: {self._count}",
                "MaxMessageTermination",
            )
        return None

    def _clear(self) -> None:
        self._count = 0

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "max_messages": self.max_messages, "include_agent_event": self.include_agent_event}


class TokenUsageTermination(TerminationCondition):
    """Stops when the summed `ModelCall` tokens reach any given limit (total = prompt + completion when not reported)."""

    __slots__ = ("max_total_token", "max_prompt_token", "max_completion_token", "_total", "_prompt", "_completion")
    kind: ClassVar[str] = "token_usage"

    def __init__(
        self,
        max_total_token: int | None = None,
        max_prompt_token: int | None = None,
        max_completion_token: int | None = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        if max_total_token is None and max_prompt_token is None and max_completion_token is None:
            raise ConfigurationError(
                f"{cls} needs at least one limit: pass max_total_token, max_prompt_token or max_completion_token."
            )
        positive_int(cls, "max_total_token", max_total_token, optional=True)
        positive_int(cls, "max_prompt_token", max_prompt_token, optional=True)
        positive_int(cls, "max_completion_token", max_completion_token, optional=True)
        self.max_total_token = max_total_token
        self.max_prompt_token = max_prompt_token
        self.max_completion_token = max_completion_token
        self._total = self._prompt = self._completion = 0

    @property
    def usage(self) -> tuple[int, int, int]:
        """(total, prompt, completion) tokens seen since the last reset."""
        return self._total, self._prompt, self._completion

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        for e in delta:
            if isinstance(e, ModelCall):
                self._prompt += e.prompt_tokens
                self._completion += e.completion_tokens
                self._total += e.total_tokens or (e.prompt_tokens + e.completion_tokens)
        if (
            (self.max_total_token is not None and self._total >= self.max_total_token)
            or (self.max_prompt_token is not None and self._prompt >= self.max_prompt_token)
            or (self.max_completion_token is not None and self._completion >= self.max_completion_token)
        ):
            return StopMessage(
                f"Token usage limit reached, total token count: {self._total}, prompt token count: {self._prompt}, "
                f"completion token count: {self._completion}.",
                "TokenUsageTermination",
            )
        return None

    def _clear(self) -> None:
        self._total = self._prompt = self._completion = 0

    def to_config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "max_total_token": self.max_total_token,
            "max_prompt_token": self.max_prompt_token,
            "max_completion_token": self.max_completion_token,
        }


class TimeoutTermination(TerminationCondition):
    """Stops at the first evaluation at least `timeout_seconds` after the run started.

    The clock starts at `start()` (the chat calls it when the run starts), or at the first evaluation if nobody called
    `start()` — never at construction (AgentChat's defect, RUNTIME.md §7). `reset()` stops the clock. It is checked only
    at evaluation points: it never interrupts a running agent.
    """

    __slots__ = ("timeout_seconds", "_started_at")
    kind: ClassVar[str] = "timeout"

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        if (
            not isinstance(timeout_seconds, (int, float))
            or isinstance(timeout_seconds, bool)
            or not math.isfinite(timeout_seconds)
            or timeout_seconds <= 0
        ):
            raise InvalidParameter(
                f"TimeoutTermination timeout_seconds must be a positive number of seconds, got {timeout_seconds!r}.",
                param="timeout_seconds",
            )
        self.timeout_seconds = timeout_seconds
        self._started_at: float | None = None

    def start(self) -> None:
        self._started_at = time.monotonic()

    @property
    def remaining(self) -> float | None:
        """Seconds left before the limit (never negative), or None while the clock has not started."""
        if self._started_at is None:
            return None
        return max(0.0, self.timeout_seconds - (time.monotonic() - self._started_at))

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        if self._started_at is None:
            self._started_at = time.monotonic()
        if time.monotonic() - self._started_at >= self.timeout_seconds:
            return StopMessage(f"Timeout of {self.timeout_seconds} seconds reached", "TimeoutTermination")
        return None

    def _clear(self) -> None:
        self._started_at = None

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "timeout_seconds": self.timeout_seconds}


class ExternalTermination(TerminationCondition):
    """Stops at the next evaluation after `set()` — callable from any thread (the studio's Stop button).

    Graceful: the current turn finishes first. A `set()` before the run starts is kept until evaluated; `reset()`
    clears it, so a chat should reset when a run ends (as AgentChat does), not between `set()` and the run.
    """

    __slots__ = ("_requested",)
    kind: ClassVar[str] = "external"

    def __init__(self) -> None:
        super().__init__()
        self._requested = threading.Event()

    def set(self) -> None:
        self._requested.set()

    @property
    def is_set(self) -> bool:
        return self._requested.is_set()

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        if self._requested.is_set():
            return StopMessage("External termination requested", "ExternalTermination")
        return None

    def _clear(self) -> None:
        self._requested.clear()

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind}
