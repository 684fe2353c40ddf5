"""Composable termination conditions for every chat (two-agent and group), after AgentChat (RUNTIME.md §3.8).

How a chat uses one (`termination=` argument)::

    cond = TextMentionTermination("DONE") | MaxMessageTermination(10)
    cond.start()                            # when the run starts: starts any timeout clock
    stop = cond([task_message])             # the task message(s) count
    while stop is None:
        ...                                 # one turn
        stop = cond(turn_events)            # only the events produced since the last evaluation
    reason = stop.content                   # e.g. "Text 'DONE' mentioned"
    cond.reset()                            # when the run ends, so the next run starts afresh

Deltas are lists of `studio.events` events; each evaluation costs O(len(delta)). A chat with no condition should
skip building deltas altogether (`if termination is not None`). `ExternalTermination.set()` may be called from any
thread. Configs: `cond.to_config()` / `TerminationCondition.from_config(d)` over the closed `TERMINATION_KINDS`.

Our choices where AgentChat leaves room or has a defect: the timeout clock starts at `start()` (or the first
evaluation), not at construction; every already-fired condition, Or included, raises `TerminatedException` (a
`RuntimeError`); a stop message is a `Message` with `role="stop"` and a handoff a `Message` with `role="handoff"` and
`target`; agent events are `ToolCall`, `ToolResult` and `CodeExecution`.
"""

from studio.runtime.termination._base import (
    AndTermination,
    AndTerminationCondition,
    Delta,
    OrTermination,
    OrTerminationCondition,
    StopMessage,
    TerminatedException,
    TerminationCondition,
)
from studio.runtime.termination._config import TERMINATION_KINDS, termination_from_config
from studio.runtime.termination._content import (
    FunctionalTermination,
    FunctionCallTermination,
    HandoffTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
)
from studio.runtime.termination._events import AGENT_EVENT_TYPES, event_texts
from studio.runtime.termination._limits import (
    ExternalTermination,
    MaxMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)

__all__ = [
    "AGENT_EVENT_TYPES",
    "TERMINATION_KINDS",
    "AndTermination",
    "AndTerminationCondition",
    "Delta",
    "ExternalTermination",
    "FunctionCallTermination",
    "FunctionalTermination",
    "HandoffTermination",
    "MaxMessageTermination",
    "OrTermination",
    "OrTerminationCondition",
    "SourceMatchTermination",
    "StopMessage",
    "StopMessageTermination",
    "TerminatedException",
    "TerminationCondition",
    "TextMentionTermination",
    "TextMessageTermination",
    "TimeoutTermination",
    "TokenUsageTermination",
    "event_texts",
    "termination_from_config",
]
