"""The state of the chat running on this thread: its event bus, termination condition and stop reason.

A top-level `initiate_chat` opens a `ChatContext` (and a bus, unless the caller — the run manager — already runs one);
nested chats reuse the outer bus so a run has one gap-free event sequence. Termination conditions are evaluated on the
*delta*: the events emitted since the last evaluation, collected by a bus listener.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from studio.events import BaseEvent, EventBus


class ChatContext:
    __slots__ = ("bus", "termination", "delta", "stop_reason", "stopped", "owns_bus", "printer", "_listener")

    def __init__(self, bus: EventBus, termination: Any = None, *, owns_bus: bool = False, printer: Any = None):
        self.bus = bus
        self.printer = printer
        self.termination = termination
        self.delta: list[BaseEvent] = []
        self.stop_reason: str | None = None
        self.stopped = False
        self.owns_bus = owns_bus
        self._listener = None
        if termination is not None:
            delta = self.delta
            self._listener = delta.append
            bus.subscribe(self._listener)

    def close(self) -> None:
        if self._listener is not None:
            self.bus.unsubscribe(self._listener)
            self._listener = None

    def note_reason(self, reason: str) -> None:
        """Record why the chat ended (the first reason wins)."""
        if self.stop_reason is None:
            self.stop_reason = reason

    def check_termination(self) -> bool:
        """Evaluate the termination condition on the events since the last check. True → the chat must stop."""
        if self.stopped:
            return True
        cond = self.termination
        if cond is None:
            return False
        delta = self.delta
        if not delta:
            return False
        batch = list(delta)
        delta.clear()
        stop = cond(batch)
        if stop is not None:
            self.stopped = True
            self.note_reason(stop.content)
            return True
        return False


_current: contextvars.ContextVar[ChatContext | None] = contextvars.ContextVar("studio_chat_context", default=None)


def current_chat() -> ChatContext | None:
    return _current.get()


@contextmanager
def chat_context(ctx: ChatContext) -> Iterator[ChatContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
        ctx.close()
