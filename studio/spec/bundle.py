"""`Bundle`: a team with every agent, model and tool it references — the unit that is saved, exported and run.

A bundle is self-contained: its cross-references are checked when it is built (T06, T09), and every problem is
reported with the JSON path of the value that causes it, e.g. `team.agents[2]: unknown agent 'critic'`. All problems
are collected in one pass and raised together (as one pydantic error carrying them in its context; `io` turns that
into a `SpecValidationError` with one issue per path), so a person fixes a broken import in one go.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Annotated, Literal, TypeVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from studio.spec._base import SpecModel
from studio.spec.agent import AgentSpec
from studio.spec.model import ModelSpec
from studio.spec.team import TeamSpec
from studio.spec.termination import AnyTermination, with_speakers
from studio.spec.tool import AnyToolSpec, ToolSpec

CURRENT_SCHEMA_VERSION = 2
"""The schema version this code writes; older files are migrated on load (see `migrations`)."""

Issue = tuple[str, str]
"""(JSON path, message)."""


class Bundle(SpecModel):
    """A team and everything it references: agents, models and tools."""

    schema_version: Literal[2] = CURRENT_SCHEMA_VERSION
    """Version of the file format (older versions are migrated when loaded)."""
    kind: Literal["bundle"] = "bundle"
    """Document kind."""
    team: TeamSpec
    """The team."""
    agents: Annotated[list[AgentSpec], Field(min_length=1, max_length=64)]
    """Every agent the team uses."""
    models: Annotated[list[ModelSpec], Field(max_length=64)] = Field(default_factory=list)
    """Every model the agents (and the speaker selector) use."""
    tools: Annotated[list[ToolSpec], Field(max_length=256)] = Field(default_factory=list)
    """Every tool the agents use."""

    @model_validator(mode="after")
    def _references(self) -> Bundle:
        issues = list(cross_reference_issues(self))
        if issues:
            summary = "; ".join(f"{path}: {message}" for path, message in issues[:3])
            raise PydanticCustomError(
                "bundle_reference",
                "{summary}",
                {"summary": summary, "issues": [{"path": p, "message": m} for p, m in issues]},
            )
        return self

    def agent(self, name: str) -> AgentSpec:
        """The agent called `name` (KeyError if none)."""
        return _by_name(self.agents, name)

    def model(self, name: str) -> ModelSpec:
        """The model called `name` (KeyError if none)."""
        return _by_name(self.models, name)

    def tool(self, name: str) -> AnyToolSpec:
        """The tool called `name` (KeyError if none)."""
        return _by_name(self.tools, name)

    def spoken_termination(self) -> AnyTermination | None:
        """The team's termination tree with its agent references (spec names) turned into the names the agents have
        in the conversation — what a runtime condition, or an exported one, compares message sources with."""
        if self.team.termination is None:
            return None
        return with_speakers(self.team.termination, {agent.name: agent.speaker for agent in self.agents})

    def unapproved_tools(self) -> list[AnyToolSpec]:
        """Tools that cannot run until a person reviews and approves them."""
        return [t for t in self.tools if not t.is_approved]

    def clear_approvals(self) -> Bundle:
        """A copy with every tool approval removed (what an imported file gets)."""
        tools = [t.model_copy(update={"approved_hash": None}) if hasattr(t, "approved_hash") else t for t in self.tools]
        return self.model_copy(update={"tools": tools})


_Named = TypeVar("_Named", AgentSpec, ModelSpec, AnyToolSpec)


def _by_name(items: Iterable[_Named], name: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    choices = sorted(known)
    text = f"unknown {what} {name!r}."
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        text += f" Did you mean {close[0]!r}?"
    text += f" Known {what}s: {', '.join(choices)}." if choices else f" The bundle has no {what}s."
    return text


def _duplicates(kind: str, field: str, names: list[str]) -> Iterable[Issue]:
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            other = f"{field}[{first[name]}]"
            yield f"{field}[{i}].name", f"duplicate {kind} name {name!r} (also {other}); names must be unique."
        else:
            first[name] = i


def cross_reference_issues(bundle: Bundle) -> Iterable[Issue]:
    """Every broken reference and duplicate name in `bundle`, as (path, message)."""
    yield from _duplicates("agent", "agents", [a.name for a in bundle.agents])
    yield from _duplicates("model", "models", [m.name for m in bundle.models])
    yield from _duplicates("tool", "tools", [t.name for t in bundle.tools])
    agents = {a.name for a in bundle.agents}
    models = {m.name for m in bundle.models}
    tools = {t.name for t in bundle.tools}
    yield from _team_issues(bundle.team, agents, models)
    participants = set(bundle.team.agents) | {bundle.team.effective_initiator}
    yield from _speaker_clashes(bundle, participants)
    for i, agent in enumerate(bundle.agents):
        if agent.model is not None and agent.model not in models:
            yield f"agents[{i}].model", _unknown("model", agent.model, models)
        for j, tool in enumerate(agent.tools):
            if tool not in tools:
                yield f"agents[{i}].tools[{j}]", _unknown("tool", tool, tools)
        if agent.tool_executor is not None and agent.tool_executor not in participants:
            yield f"agents[{i}].tool_executor", _unknown("agent", agent.tool_executor, participants)


def _speaker_clashes(bundle: Bundle, participants: set[str]) -> Iterable[Issue]:
    """Two agents of the team must not have the same name in the conversation (`chat_name`, else `name`)."""
    seen: dict[str, str] = {}
    for i, agent in enumerate(bundle.agents):
        if agent.name not in participants:
            continue
        other = seen.setdefault(agent.speaker, agent.name)
        if other != agent.name:
            yield (
                f"agents[{i}].chat_name",
                f"the agents {other!r} and {agent.name!r} would both be called {agent.speaker!r} in the conversation; "
                "give one of them another chat_name.",
            )


def _team_issues(team: TeamSpec, agents: set[str], models: set[str]) -> Iterable[Issue]:
    for i, name in enumerate(team.agents):
        if name not in agents:
            yield f"team.agents[{i}]", _unknown("agent", name, agents)
    if team.initiator is not None and team.initiator not in agents:
        yield "team.initiator", _unknown("agent", team.initiator, agents)
    if team.selector_model is not None and team.selector_model not in models:
        yield "team.selector_model", _unknown("model", team.selector_model, models)
    members = set(team.agents)
    for source, targets in team.allowed_transitions.items():
        if source not in members:
            yield f"team.allowed_transitions.{source}", _unknown("participant", source, members)
        for j, target in enumerate(targets):
            if target not in members:
                yield f"team.allowed_transitions.{source}[{j}]", _unknown("participant", target, members)
