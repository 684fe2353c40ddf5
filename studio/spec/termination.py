"""`TerminationSpec`: AgentChat's composable termination conditions, as data, with `and`/`or` trees.

One class per condition, discriminated by `kind`, with the parameters and semantics of RUNTIME.md §3.8 (the builder
compiles them into runtime condition objects). `text_mention` is a substring match and `max_messages` counts the
task message, as in AgentChat; `timeout` counts from the start of the run. `and`/`or` need at least two conditions;
nesting is limited so a tree stays something a person can read (and a hostile file cannot recurse without bound).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from studio.spec._base import SpecModel

MAX_TREE_DEPTH = 8
_Text = Annotated[str, Field(min_length=1, max_length=1000)]
_Sources = list[Annotated[str, Field(min_length=1, max_length=64)]]


class MaxMessagesTermination(SpecModel):
    """Stop after this many messages (the task message counts)."""

    kind: Literal["max_messages"] = "max_messages"
    """Condition kind."""
    max_messages: Annotated[int, Field(ge=1, le=100_000)]
    """Number of messages after which the chat stops."""
    include_agent_event: bool = False
    """Also count agent events (tool calls, tool results)."""


class TextMentionTermination(SpecModel):
    """Stop when a message (or tool result) contains this text."""

    kind: Literal["text_mention"] = "text_mention"
    """Condition kind."""
    text: _Text = "TERMINATE"
    """Text that ends the chat when it appears anywhere in a message."""
    sources: _Sources | None = None
    """Only messages from these agents count (unset: everyone, including the task)."""


class SourceMatchTermination(SpecModel):
    """Stop as soon as one of these agents has spoken."""

    kind: Literal["source_match"] = "source_match"
    """Condition kind."""
    sources: Annotated[_Sources, Field(min_length=1)]
    """Agents whose message ends the chat (`user` is the task)."""


class TokenUsageTermination(SpecModel):
    """Stop when the tokens used so far reach a limit (at least one limit is required)."""

    kind: Literal["token_usage"] = "token_usage"
    """Condition kind."""
    max_total_token: Annotated[int, Field(ge=1)] | None = None
    """Limit on prompt + completion tokens."""
    max_prompt_token: Annotated[int, Field(ge=1)] | None = None
    """Limit on prompt tokens."""
    max_completion_token: Annotated[int, Field(ge=1)] | None = None
    """Limit on completion tokens."""

    @model_validator(mode="after")
    def _one_limit(self) -> TokenUsageTermination:
        if self.max_total_token is None and self.max_prompt_token is None and self.max_completion_token is None:
            raise ValueError(
                "token_usage needs at least one of max_total_token, max_prompt_token, max_completion_token."
            )
        return self


class TimeoutTermination(SpecModel):
    """Stop once this many seconds have passed since the run started (checked between turns)."""

    kind: Literal["timeout"] = "timeout"
    """Condition kind."""
    timeout_seconds: Annotated[float, Field(gt=0.0, le=7 * 24 * 3600.0)]
    """Seconds after which the chat stops."""


class ExternalTermination(SpecModel):
    """Stop when someone presses Stop (graceful: after the current turn)."""

    kind: Literal["external"] = "external"
    """Condition kind."""


class FunctionCallTermination(SpecModel):
    """Stop after this tool has been executed."""

    kind: Literal["function_call"] = "function_call"
    """Condition kind."""
    function_name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    """Name of the tool whose execution ends the chat."""


class StopMessageTermination(SpecModel):
    """Stop when an agent sends a stop message."""

    kind: Literal["stop_message"] = "stop_message"
    """Condition kind."""


class TextMessageTermination(SpecModel):
    """Stop at the first text message (from `source` if set; unset, the task itself counts)."""

    kind: Literal["text_message"] = "text_message"
    """Condition kind."""
    source: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Only a text message from this agent counts."""


class HandoffTermination(SpecModel):
    """Stop when an agent hands off to this target."""

    kind: Literal["handoff"] = "handoff"
    """Condition kind."""
    target: Annotated[str, Field(min_length=1, max_length=64)]
    """Handoff target that ends the chat, e.g. `user`."""


class AndTermination(SpecModel):
    """Stop once every condition has fired (possibly in different turns)."""

    kind: Literal["and"] = "and"
    """Condition kind."""
    conditions: Annotated[list[TerminationSpec], Field(min_length=2, max_length=32)]
    """The conditions that must all fire."""


class OrTermination(SpecModel):
    """Stop as soon as any condition fires."""

    kind: Literal["or"] = "or"
    """Condition kind."""
    conditions: Annotated[list[TerminationSpec], Field(min_length=2, max_length=32)]
    """The conditions, any of which ends the chat."""


TerminationSpec = Annotated[
    MaxMessagesTermination
    | TextMentionTermination
    | SourceMatchTermination
    | TokenUsageTermination
    | TimeoutTermination
    | ExternalTermination
    | FunctionCallTermination
    | StopMessageTermination
    | TextMessageTermination
    | HandoffTermination
    | AndTermination
    | OrTermination,
    Field(discriminator="kind"),
]
"""A termination condition; `kind` selects which."""

AnyTermination = (
    MaxMessagesTermination
    | TextMentionTermination
    | SourceMatchTermination
    | TokenUsageTermination
    | TimeoutTermination
    | ExternalTermination
    | FunctionCallTermination
    | StopMessageTermination
    | TextMessageTermination
    | HandoffTermination
    | AndTermination
    | OrTermination
)

AndTermination.model_rebuild()
OrTermination.model_rebuild()


def tree_depth(condition: AnyTermination) -> int:
    """Depth of an and/or tree (a single condition is 1)."""
    if isinstance(condition, AndTermination | OrTermination):
        return 1 + max(tree_depth(c) for c in condition.conditions)
    return 1


def walk(condition: AnyTermination) -> list[AnyTermination]:
    """Every condition in the tree, parents before children."""
    out: list[AnyTermination] = []
    stack: list[AnyTermination] = [condition]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, AndTermination | OrTermination):
            stack.extend(reversed(node.conditions))
    return out


def with_speakers(condition: AnyTermination, names: Mapping[str, str]) -> AnyTermination:
    """The tree with its agent references (`sources`, `source`) turned from spec names into conversation names."""
    if isinstance(condition, AndTermination | OrTermination):
        return condition.model_copy(update={"conditions": [with_speakers(c, names) for c in condition.conditions]})
    update: dict[str, object] = {}
    sources = getattr(condition, "sources", None)
    if sources:
        update["sources"] = [names.get(s, s) for s in sources]
    source = getattr(condition, "source", None)
    if isinstance(source, str):
        update["source"] = names.get(source, source)
    return condition.model_copy(update=update) if update else condition
