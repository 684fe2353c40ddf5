"""The termination-condition protocol and the two combinators, `|` (Or) and `&` (And).

A condition is a small state machine fed *deltas*: the events a chat produced since the last evaluation (the task
message(s) first, then each turn's events). `cond(delta)` returns a `StopMessage` the first time the condition holds
and `None` otherwise; after it fired, `terminated` is true and calling it again raises `TerminatedException` until
`reset()`. Leaf conditions keep running totals, so one evaluation costs O(len(delta)) and never re-walks the history.

Combination follows AgentChat (RUNTIME.md §3.8): Or calls every child on every delta (so a message counter keeps
counting while a sibling fires) and joins the contents of all children that fired with `", "`; And skips children that
already fired, remembers their stop messages, and fires once every child has fired — possibly in different deltas —
joining the collected contents in firing order. Nesting is kept as written (no flattening): `(a & b) & c` collects
`a & b` as one unit, exactly like AgentChat, and `to_config()` round-trips the same tree.

Deliberate differences from AgentChat: Or raises `TerminatedException` (a `RuntimeError`, so code expecting AgentChat's
`RuntimeError` still works) rather than a bare `RuntimeError`; `start()` exists so the timeout clock starts when the
run starts (RUNTIME.md §7), and it propagates to every child.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from studio.errors import StudioError
from studio.events import BaseEvent

Delta = Sequence[BaseEvent]


@dataclass(frozen=True, slots=True)
class StopMessage:
    """Why a chat stopped: `content` is the stop reason shown to the user, `source` names the condition(s) that fired."""

    content: str
    source: str


class TerminatedException(StudioError, RuntimeError):
    """A condition that already fired was evaluated again without `reset()` (a bug in the chat loop, not a user error)."""


class TerminationCondition:
    """Base of every condition. Leaf subclasses implement `_evaluate` and `_clear`; the base keeps the fired flag."""

    __slots__ = ("_terminated",)

    kind: ClassVar[str] = ""

    def __init__(self) -> None:
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    def start(self) -> None:
        """Called by the chat when a run starts. Only clocks care; it never clears a fired condition."""

    def reset(self) -> None:
        """Forget everything seen so far (counts, fired flag, a pending external stop, the clock)."""
        self._terminated = False
        self._clear()

    def __call__(self, delta: Delta) -> StopMessage | None:
        if self._terminated:
            raise _already_terminated(self)
        stop = self._evaluate(delta)
        if stop is not None:
            self._terminated = True
        return stop

    def _evaluate(self, delta: Delta) -> StopMessage | None:
        raise NotImplementedError

    def _clear(self) -> None:
        """Subclasses reset their own state here."""

    def to_config(self) -> dict[str, Any]:
        """A plain, JSON-ready dict `{"kind": ..., <parameters>}` that `from_config` turns back into this condition."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, data: dict[str, Any], *, path: str = "") -> TerminationCondition:
        """Build a condition from `to_config()` output. Raises `SpecError` (a ValueError) naming `path` on bad input."""
        from studio.runtime.termination._config import termination_from_config

        cond = termination_from_config(data, path=path)
        if not isinstance(cond, cls):
            from studio.errors import SpecError

            raise SpecError(
                f"The config describes a {type(cond).__name__} (kind '{cond.kind}'), not a {cls.__name__}; "
                f"use TerminationCondition.from_config to accept any kind.",
                path=path,
                value=data.get("kind"),
            )
        return cond

    def __or__(self, other: TerminationCondition) -> OrTermination:
        if not isinstance(other, TerminationCondition):
            return NotImplemented
        return OrTermination(self, other)

    def __and__(self, other: TerminationCondition) -> AndTermination:
        if not isinstance(other, TerminationCondition):
            return NotImplemented
        return AndTermination(self, other)

    def __repr__(self) -> str:
        try:
            params = {k: v for k, v in self.to_config().items() if k != "kind"}
        except Exception:  # a condition that cannot be serialised (FunctionalTermination) still gets a repr
            params = {}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def _already_terminated(cond: TerminationCondition) -> TerminatedException:
    return TerminatedException(
        f"The termination condition {cond!r} has already been reached; call reset() on it before evaluating it again."
    )


def _as_sequence(delta: Delta) -> Delta:
    # Composites hand the same delta to several children, so a one-shot iterator must be materialised once.
    return delta if isinstance(delta, (list, tuple)) else list(delta)


def _join(stops: Sequence[StopMessage]) -> StopMessage:
    return StopMessage(content=", ".join(s.content for s in stops), source=", ".join(s.source for s in stops))


class _Composite(TerminationCondition):
    __slots__ = ("conditions",)

    def __init__(self, *conditions: TerminationCondition) -> None:
        super().__init__()
        if not conditions:
            from studio.errors import ConfigurationError

            raise ConfigurationError(f"{type(self).__name__} needs at least one condition to combine; none was given.")
        for c in conditions:
            if not isinstance(c, TerminationCondition):
                raise TypeError(
                    f"{type(self).__name__} combines termination conditions, but got {c!r} "
                    f"({type(c).__name__}); pass instances such as MaxMessageTermination(10)."
                )
        self.conditions: tuple[TerminationCondition, ...] = conditions

    def start(self) -> None:
        for c in self.conditions:
            c.start()

    def reset(self) -> None:
        self._terminated = False
        self._clear()
        for c in self.conditions:
            c.reset()

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "conditions": [c.to_config() for c in self.conditions]}

    def __repr__(self) -> str:
        op = " | " if isinstance(self, OrTermination) else " & "
        return "(" + op.join(repr(c) for c in self.conditions) + ")"


class OrTermination(_Composite):
    """Fires when any child fires on the same delta; every child sees every delta."""

    __slots__ = ()
    kind: ClassVar[str] = "or"

    @property
    def terminated(self) -> bool:
        return any(c.terminated for c in self.conditions)

    def __call__(self, delta: Delta) -> StopMessage | None:
        if self.terminated:
            raise _already_terminated(self)
        delta = _as_sequence(delta)
        stops: list[StopMessage] = []
        for c in self.conditions:
            stop = c(delta)
            if stop is not None:
                stops.append(stop)
        return _join(stops) if stops else None


class AndTermination(_Composite):
    """Fires once every child has fired, possibly on different deltas; children that fired are not called again."""

    __slots__ = ("_collected",)
    kind: ClassVar[str] = "and"

    def __init__(self, *conditions: TerminationCondition) -> None:
        super().__init__(*conditions)
        self._collected: list[StopMessage] = []

    @property
    def terminated(self) -> bool:
        return all(c.terminated for c in self.conditions)

    def __call__(self, delta: Delta) -> StopMessage | None:
        if self.terminated:
            raise _already_terminated(self)
        delta = _as_sequence(delta)
        pending = False
        for c in self.conditions:
            if c.terminated:
                continue
            stop = c(delta)
            if stop is None:
                pending = True
            else:
                self._collected.append(stop)
        if pending:
            return None
        stop = _join(self._collected)
        self._collected.clear()
        return stop

    def _clear(self) -> None:
        self._collected.clear()


# AgentChat's names, so code written against autogen_agentchat.base reads the same.
OrTerminationCondition = OrTermination
AndTerminationCondition = AndTermination
