"""Every spec the UI can produce builds — and runs to a stop reason: specs generated over agent kinds, human input
modes, code execution, tools, team kinds, speaker selection, termination trees and summary methods."""

from __future__ import annotations

from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.builder import build_team, validate_bundle
from studio.spec import Bundle, bundle_from_data
from tests.builder.bundles import python_tool

KINDS = ("assistant", "user_proxy", "code_executor")
MODES = (None, "ALWAYS", "TERMINATE", "NEVER")
SELECTIONS = ("round_robin", "auto", "random", "manual", "graph")
REPLIES = ["ok", "```python\nprint('hi')\n```", "Let me think. TERMINATE", "TERMINATE"]
ADD = 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'
TOOLS = [
    {"kind": "builtin", "name": "calc", "builtin": "calculator"},
    {"kind": "builtin", "name": "clock", "builtin": "current_time"},
    python_tool("add", ADD, approved=True),
]


def _termination(names: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    leaves = [
        {"kind": "text_mention", "text": "TERMINATE"},
        {"kind": "text_mention", "text": "TERMINATE", "sources": [names[0]]},
        {"kind": "max_messages", "max_messages": 5},
        {"kind": "token_usage", "max_total_token": 5000},
        {"kind": "timeout", "timeout_seconds": 30.0},
        {"kind": "source_match", "sources": [names[-1]]},
        {"kind": "external"},
        {"kind": "function_call", "function_name": "add"},
        {"kind": "stop_message"},
        {"kind": "text_message", "source": names[-1]},
        {"kind": "handoff", "target": "user"},
    ]
    leaf = st.sampled_from(leaves)
    tree = st.builds(lambda op, a, b: {"kind": op, "conditions": [a, b]}, st.sampled_from(["and", "or"]), leaf, leaf)
    return st.one_of(st.none(), leaf, tree)


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    team_kind = draw(st.sampled_from(["two_agent", "group_chat"]))
    count = 2 if team_kind == "two_agent" else draw(st.integers(2, 4))
    names = [f"agent{i}" for i in range(count)]
    agents = [_agent(draw, name) for name in names]
    team: dict[str, Any] = {
        "name": "generated",
        "kind": team_kind,
        "agents": names,
        "summary_method": draw(st.sampled_from(["last_msg", "reflection_with_llm"])),
        "termination": draw(_termination(names)),
        "limits": {"max_messages": 8, "max_seconds": 30.0, "max_tokens": 50000},
    }
    if team_kind == "two_agent":
        team["max_turns"] = draw(st.none() | st.integers(1, 4))
    else:
        selection = draw(st.sampled_from(SELECTIONS))
        team.update(
            speaker_selection=selection,
            max_round=draw(st.integers(2, 8)),
            send_introductions=draw(st.booleans()),
        )
        if draw(st.booleans()):
            team["initiator"] = "starter"
            agents.append({"name": "starter", "kind": "user_proxy", "human_input_mode": "NEVER"})
        if selection == "auto":
            team["selector_model"] = "m"
        if selection == "graph":
            team["allowed_transitions"] = {n: [names[(i + 1) % count]] for i, n in enumerate(names)}
        else:
            team["allow_repeat_speaker"] = draw(st.booleans())
    data = {
        "schema_version": 2,
        "team": team,
        "agents": agents,
        "models": [{"name": "m", "provider": "scripted", "model": "m", "replies": REPLIES, "loop": True}],
        "tools": TOOLS,
    }
    return bundle_from_data(data, keep_approvals=True)[0]


def _agent(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    agent: dict[str, Any] = {"name": name, "kind": kind, "human_input_mode": draw(st.sampled_from(MODES))}
    if kind == "assistant" or draw(st.booleans()):
        agent["model"] = "m"
        agent["tools"] = draw(st.lists(st.sampled_from(["calc", "clock", "add"]), unique=True, max_size=2))
        agent["stream"] = draw(st.booleans())
    if kind == "code_executor" or (kind == "assistant" and draw(st.booleans())):
        agent["code_execution"] = {"mode": "sandbox", "timeout": 10}
    agent["termination_match"] = draw(st.sampled_from(["exact", "contains", "ends_with"]))
    agent["max_consecutive_auto_reply"] = draw(st.none() | st.integers(0, 3))
    return agent


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@pytest.mark.filterwarnings("ignore:Cannot extract summary using reflection_with_llm")
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(bundle=bundles())
def test_every_generated_spec_validates_builds_and_runs_to_a_stop(bundle: Bundle, tmp_path_factory):
    assert validate_bundle(bundle) == []
    answers = iter(["", "2", "exit"] * 10)
    with build_team(bundle, input_func=lambda prompt: next(answers), work_dir=tmp_path_factory.mktemp("run")) as team:
        assert set(team.agents) >= set(bundle.team.agents)
        result = team.run("Generated task.")
    # AG2 ends some chats before a first message (e.g. a recipient allowed 0 auto replies): no reason then.
    assert result.stop_reason is None or (isinstance(result.stop_reason, str) and result.stop_reason)
    assert len(result.chat_history) <= 8 or bundle.team.kind == "group_chat"
    assert [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE] == []
