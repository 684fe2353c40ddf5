"""`TeamSpec`: how agents talk — a two-agent chat or a group chat — and when the conversation must stop.

The team names its agents; the bundle checks that those names resolve (a team alone cannot know the agents). The
group-chat fields follow AG2's `GroupChat` (RUNTIME.md §2): `max_round` counts the task message, `auto` selection
asks `selector_model` with `selector_prompt` (AG2's `select_speaker_message_template`, `{roles}` and `{agentlist}`
filled in), `graph` restricts who may follow whom. `termination` is an AgentChat-style condition tree that applies on
top of the agents' own rules, and `limits` are hard caps that always apply, whatever the spec says (T09).
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from studio.spec._base import Description, Name, SpecModel
from studio.spec.termination import MAX_TREE_DEPTH, TerminationSpec, tree_depth

SpeakerSelection = Literal["round_robin", "auto", "random", "manual", "graph"]

DEFAULT_SELECTOR_PROMPT = (
    "You are in a role play game. The following roles are available:\n"
    "                {roles}.\n"
    "                Read the following conversation.\n"
    "                Then select the next role from {agentlist} to play. Only return the role."
)
"""AG2's default `select_speaker_message_template`."""

SELECTOR_PLACEHOLDERS = ("roles", "agentlist")


class TeamLimits(SpecModel):
    """Hard limits of every run of this team; the run stops when any is reached, even if nothing else stops it."""

    max_messages: Annotated[int, Field(ge=1, le=10_000)] = 50
    """Most messages a run may produce."""
    max_seconds: Annotated[float, Field(gt=0.0, le=24 * 3600.0)] = 600.0
    """Most wall-clock seconds a run may take."""
    max_tokens: Annotated[int, Field(ge=1, le=100_000_000)] = 200_000
    """Most model tokens (prompt + completion) a run may use."""


class TeamSpec(SpecModel):
    """A team: which agents talk, in what order, and when they stop."""

    name: Name
    """Team name."""
    description: Description = ""
    """What the team does (free text)."""
    kind: Literal["two_agent", "group_chat"] = "group_chat"
    """`two_agent`: the first agent sends the task to the second and they take turns. `group_chat`: a manager picks
    the next speaker each round."""
    agents: Annotated[list[Name], Field(min_length=1, max_length=64)]
    """Agent names. For a two-agent chat exactly two, the initiator first; for a group chat, the participants."""
    initiator: Name | None = None
    """Group chat: the agent that sends the task. Unset: the first participant. It may be an agent that is not a
    participant: it then only sends the task (like AutoGen Studio's user)."""
    max_turns: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Two-agent chat: stop after this many turns (one turn = a message each way)."""
    summary_method: Literal["last_msg", "reflection_with_llm"] = "last_msg"
    """How the result summary is made: the last message, or a model-written summary."""
    speaker_selection: SpeakerSelection = "round_robin"
    """Group chat: `round_robin` (in order), `auto` (a model picks), `random`, `manual` (a human picks), or `graph`
    (round robin restricted to the allowed transitions)."""
    selector_model: Name | None = None
    """Group chat, `auto`: the model that picks the next speaker."""
    selector_prompt: Annotated[str, Field(min_length=1, max_length=20_000)] = DEFAULT_SELECTOR_PROMPT
    """Group chat, `auto`: the instructions for the selector; `{roles}` and `{agentlist}` are filled in."""
    max_retries_for_selecting_speaker: Annotated[int, Field(ge=0, le=10)] = 2
    """Group chat, `auto`: extra attempts when the selector's answer names no single agent."""
    allow_repeat_speaker: bool = True
    """Group chat: whether the same agent may speak twice in a row (for `graph`, self-loops decide)."""
    allowed_transitions: dict[Name, list[Name]] = Field(default_factory=dict)
    """Group chat, `graph`: for each agent, the agents that may speak after it."""
    send_introductions: bool = False
    """Group chat: tell every agent who the others are before the chat starts."""
    max_round: Annotated[int, Field(ge=1, le=10_000)] = 10
    """Group chat: most rounds (the task message is round 1)."""
    termination: TerminationSpec | None = None
    """When the conversation ends (conditions can be combined with and/or). Unset: the agents' own rules and the
    limits decide."""
    limits: TeamLimits = Field(default_factory=TeamLimits)
    """Hard limits that always apply."""

    @field_validator("agents")
    @classmethod
    def _unique_agents(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for agent in value:
            if agent in seen:
                raise ValueError(f"The agent {agent!r} is listed twice; every participant must be unique.")
            seen.add(agent)
        return value

    @field_validator("selector_prompt")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            fields = [f for _, f, spec, conv in string.Formatter().parse(value) if f is not None or spec or conv]
        except ValueError as e:
            raise ValueError(f"The selector prompt is not a valid template ({e}); write literal braces as {{{{ }}}}.")
        for field in fields:
            if field not in SELECTOR_PLACEHOLDERS:
                raise ValueError(
                    f"The selector prompt uses the placeholder {{{field}}}; only {{roles}} and {{agentlist}} exist "
                    "(write literal braces as {{ }})."
                )
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> TeamSpec:
        if self.kind == "two_agent":
            if len(self.agents) != 2:
                raise ValueError(
                    f"A two-agent chat needs exactly 2 agents (the initiator first); it lists {len(self.agents)}."
                )
            if self.initiator is not None:
                raise ValueError("A two-agent chat is always started by its first agent; remove initiator.")
        else:
            self._group_rules()
        if self.termination is not None and tree_depth(self.termination) > MAX_TREE_DEPTH:
            raise ValueError(f"The termination tree is nested more than {MAX_TREE_DEPTH} levels deep; flatten it.")
        return self

    def _group_rules(self) -> None:
        if len(self.agents) < 2:
            raise ValueError(
                f"A group chat needs at least 2 participants; it lists {len(self.agents)}. Add an agent or make it a "
                "two-agent chat."
            )
        if self.max_turns is not None:
            raise ValueError("max_turns applies to two-agent chats; a group chat is limited by max_round.")
        if self.speaker_selection == "auto" and self.selector_model is None:
            raise ValueError("Speaker selection 'auto' needs a selector_model (the model that picks the next speaker).")
        if self.speaker_selection == "graph" and not self.allowed_transitions:
            raise ValueError("Speaker selection 'graph' needs allowed_transitions (who may speak after whom).")
        if self.speaker_selection != "graph" and self.allowed_transitions:
            raise ValueError("allowed_transitions applies to speaker selection 'graph' only.")

    @property
    def effective_initiator(self) -> str:
        """The agent that sends the task."""
        if self.kind == "two_agent" or self.initiator is None:
            return self.agents[0]
        return self.initiator
