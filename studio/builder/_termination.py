"""A team's termination: its spec condition tree, OR its hard limits, OR the Stop button.

`TeamSpec.termination` (AgentChat-style data) compiles node by node into `studio.runtime.termination` objects through
the runtime's closed `kind` registry (`termination_from_config`). Every `external` node of the tree becomes the one
Stop button of the build (`StopButton`, an `ExternalTermination` that also sets one linked condition per spec node:
a condition object can appear only once in a tree), so pressing Stop fires every one of them. The result is always
`spec | max_messages | timeout | token_usage | external`: the limits apply even when the spec sets nothing (T09, T58),
and Stop works even when the spec's tree would not let an `external` node fire alone (inside an `and`).

Agents' own rules (AG2's `is_termination_msg`: `termination_text` matched exactly, as a substring or as a suffix)
are separate: they belong to each agent and are built with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.errors import BuildError, SpecError
from studio.runtime.messages import content_str
from studio.runtime.termination import (
    AndTermination,
    ExternalTermination,
    MaxMessageTermination,
    OrTermination,
    TerminationCondition,
    TimeoutTermination,
    TokenUsageTermination,
    termination_from_config,
)
from studio.spec import TeamSpec
from studio.spec.termination import AndTermination as AndSpec
from studio.spec.termination import AnyTermination
from studio.spec.termination import ExternalTermination as ExternalSpec
from studio.spec.termination import OrTermination as OrSpec


class StopButton(ExternalTermination):
    """The run's Stop button: an `ExternalTermination` that also sets every condition `link()`ed to it."""

    __slots__ = ("_linked",)

    def __init__(self) -> None:
        super().__init__()
        self._linked: list[ExternalTermination] = []

    def link(self) -> ExternalTermination:
        """A separate condition for one `external` node of the spec tree, set whenever the button is."""
        linked = ExternalTermination()
        self._linked.append(linked)
        if self.is_set:
            linked.set()
        return linked

    def set(self) -> None:
        super().set()
        for linked in self._linked:
            linked.set()


def compile_condition(node: AnyTermination, external: StopButton, path: str) -> TerminationCondition:
    """The runtime condition for one spec node (and its children)."""
    if isinstance(node, ExternalSpec):
        return external.link()
    if isinstance(node, AndSpec | OrSpec):
        children = [compile_condition(c, external, f"{path}.conditions[{i}]") for i, c in enumerate(node.conditions)]
        return AndTermination(*children) if isinstance(node, AndSpec) else OrTermination(*children)
    config = {k: v for k, v in node.model_dump(mode="json").items() if v is not None}
    try:
        return termination_from_config(config, path=path)
    except SpecError as e:
        raise BuildError(str(e), path=e.path or path) from None


def limits_condition(team: TeamSpec) -> TerminationCondition:
    """The team's hard limits: messages, wall-clock seconds and tokens."""
    limits = team.limits
    return (
        MaxMessageTermination(limits.max_messages)
        | TimeoutTermination(limits.max_seconds)
        | TokenUsageTermination(max_total_token=limits.max_tokens)
    )


def team_termination(team: TeamSpec, external: StopButton, tree: AnyTermination | None = None) -> TerminationCondition:
    """spec tree | hard limits | Stop. `tree` is the team's termination as the agents speak
    (`Bundle.spoken_termination`); unset, the team's own tree."""
    condition = limits_condition(team) | external
    tree = tree if tree is not None else team.termination
    if tree is not None:
        condition = compile_condition(tree, external, "team.termination") | condition
    return condition


def is_termination_msg(text: str | None, match: str) -> Callable[[dict[str, Any]], bool]:
    """An agent's AG2 `is_termination_msg` for its `termination_text` and `termination_match`."""
    if text is None:
        return _never
    if match == "exact":
        return lambda message: content_str(message.get("content")) == text
    if match == "contains":
        return lambda message: text in content_str(message.get("content"))
    return lambda message: content_str(message.get("content")).rstrip().endswith(text)


def _never(message: dict[str, Any]) -> bool:
    return False
