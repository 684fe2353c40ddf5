"""Sample specs for the spec tests: AutoGen Studio files (the verbatim gallery team and its variants), a bundle."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from studio.spec import (
    AgentSpec,
    Bundle,
    MaxMessagesTermination,
    ModelSpec,
    OrTermination,
    PythonToolSpec,
    SecretRef,
    TeamSpec,
    TextMentionTermination,
)

DATA = Path(__file__).parent / "data"

ADD_SOURCE = '''from typing import Annotated


def add(a: Annotated[int, "first"], b: int) -> int:
    """Add two ints."""
    return a + b
'''


def roundrobin_team() -> dict[str, Any]:
    """The "RoundRobin Team" of AUTOGEN_STUDIO_FORMAT.md §2.2, verbatim (agentchat 0.5 shape)."""
    return json.loads((DATA / "ags_roundrobin_team.json").read_text())


def _assistant(team: dict[str, Any]) -> dict[str, Any]:
    return team["config"]["participants"][0]


def selector_team() -> dict[str, Any]:
    """The gallery's "Selector Team": the same assistant plus a critic with an empty workbench."""
    team = roundrobin_team()
    rr_assistant = _assistant(team)
    critic = copy.deepcopy(rr_assistant)
    critic["config"]["name"] = "critic_agent"
    critic["config"]["workbench"]["config"]["tools"] = []
    critic["config"]["system_message"] = (
        "You are a helpful assistant. Critique the assistant's output and suggest improvements."
    )
    team["provider"] = "autogen_agentchat.teams.SelectorGroupChat"
    team["label"] = "Selector Team"
    team["config"]["participants"].append(critic)
    team["config"].update(
        model_client=copy.deepcopy(rr_assistant["config"]["model_client"]),
        selector_prompt=(
            "You are in a role play game. The following roles are available:\n{roles}.\nRead the following "
            "conversation. Then select the next role from {participants} to play. Only return the role.\n\n"
            "{history}\n\nRead the above conversation. Then select the next role from {participants} to play. Only "
            "return the role.\n"
        ),
        allow_repeated_speaker=False,
        max_selector_attempts=3,
        model_client_streaming=False,
    )
    return team


def tools_list_shape() -> dict[str, Any]:
    """agentchat 0.4 shape: `tools` is a list on the AssistantAgent, no workbench, `handoffs: []`."""
    team = roundrobin_team()
    config = _assistant(team)["config"]
    config["tools"] = config.pop("workbench")["config"]["tools"]
    config["handoffs"] = []
    return team


def workbench_list_shape() -> dict[str, Any]:
    """agentchat >= 0.6 shape: component_version 2, `workbench` is a list of StaticStreamWorkbench."""
    team = roundrobin_team()
    agent = _assistant(team)
    agent["version"] = agent["component_version"] = 2
    bench = agent["config"]["workbench"]
    bench["provider"] = "autogen_core.tools.StaticStreamWorkbench"
    bench["label"] = "StaticStreamWorkbench"
    agent["config"]["workbench"] = [bench]
    agent["config"]["max_tool_iterations"] = 1
    return team


def and_of_or_termination() -> dict[str, Any]:
    """AND(OR(Timeout 300, MaxMessage 10), TextMention TERMINATE), as in the format doc."""

    def cond(provider: str, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "provider": provider,
            "component_type": "termination",
            "version": 1,
            "component_version": 1,
            "label": provider.rsplit(".", 1)[-1],
            "config": config,
        }

    return cond(
        "autogen_agentchat.base.AndTerminationCondition",
        {
            "conditions": [
                cond(
                    "autogen_agentchat.base.OrTerminationCondition",
                    {
                        "conditions": [
                            cond("autogen_agentchat.conditions.TimeoutTermination", {"timeout_seconds": 300.0}),
                            cond(
                                "autogen_agentchat.conditions.MaxMessageTermination",
                                {"max_messages": 10, "include_agent_event": False},
                            ),
                        ]
                    },
                ),
                cond("autogen_agentchat.conditions.TextMentionTermination", {"text": "TERMINATE"}),
            ]
        },
    )


USER_PROXY = {
    "provider": "autogen_agentchat.agents.UserProxyAgent",
    "component_type": "agent",
    "version": 1,
    "component_version": 1,
    "description": "An agent that can represent a human user through an input function.",
    "label": "UserProxyAgent",
    "config": {"name": "user_proxy", "description": "a human user"},
}


def small_bundle(**team: Any) -> Bundle:
    """A writer/critic group chat with one model and one tool: valid, and easy to break in one place."""
    return Bundle(
        team=TeamSpec(
            name="review",
            agents=["writer", "critic"],
            termination=OrTermination(
                conditions=[TextMentionTermination(text="APPROVED"), MaxMessagesTermination(max_messages=12)]
            ),
            **team,
        ),
        agents=[
            AgentSpec(name="writer", model="gpt", tools=["add"], system_message="Write."),
            AgentSpec(name="critic", model="gpt", system_message="Critique."),
        ],
        models=[ModelSpec(name="gpt", model="gpt-4o-mini", api_key=SecretRef(env="OPENAI_API_KEY"))],
        tools=[PythonToolSpec(name="add", description="Add two ints.", source=ADD_SOURCE)],
    )
