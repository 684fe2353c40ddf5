"""AgentSpec, TeamSpec and TerminationSpec: names, kinds, defaults and the rules between fields."""

from __future__ import annotations

import json

import pytest

from studio.spec import (
    AgentSpec,
    AndTermination,
    CodeExecutionSpec,
    MaxMessagesTermination,
    SpecValidationError,
    TeamSpec,
    TextMentionTermination,
    TokenUsageTermination,
    load_spec,
)


def _agent_error(data: dict) -> SpecValidationError:
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps(data), "agent")
    return info.value


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("", "must not be empty"),
        ("a" * 10_000, "10000 characters long; the limit is 64"),
        ("my agent", "contains whitespace"),
        ("ali\u200bce", "U+200B"),
        ("evil\u202egnp", "U+202E"),
        ("\u2066bob", "U+2066"),
        ("1st", "must start with an ASCII letter"),
        ("bad.name", "may contain only ASCII"),
        ("ålice", "must start with an ASCII letter"),
        ("bob\n", "whitespace"),
    ],
)
def test_agent_names_are_plain_identifiers(name, needle):  # T06
    err = _agent_error({"name": name, "model": "m"})
    assert err.path == "name" and needle in str(err)


def test_long_names_are_not_echoed_in_full():  # T06: a 10 000-character name does not become a 10 KB message
    assert len(str(_agent_error({"name": "x" * 10_000, "model": "m"}))) < 300


def test_kind_defaults_follow_ag2():
    assert AgentSpec(name="a", model="m").effective_human_input_mode == "NEVER"
    assert AgentSpec(name="u", kind="user_proxy").effective_human_input_mode == "ALWAYS"
    assert (
        AgentSpec(name="u", kind="user_proxy", human_input_mode="TERMINATE").effective_human_input_mode == "TERMINATE"
    )
    agent = AgentSpec(name="a", model="m")
    assert agent.termination_text == "TERMINATE" and agent.termination_match == "exact"
    assert agent.code_execution.mode == "off" and agent.system_message is None


def test_kind_rules():
    with pytest.raises(ValueError, match="needs a model"):
        AgentSpec(name="a")
    with pytest.raises(ValueError, match="needs code_execution.mode"):
        AgentSpec(name="x", kind="code_executor")
    assert AgentSpec(name="x", kind="code_executor", code_execution=CodeExecutionSpec(mode="sandbox"))
    with pytest.raises(ValueError, match="listed twice"):
        AgentSpec(name="a", model="m", tools=["t", "t"])
    with pytest.raises(ValueError, match="no tools"):
        AgentSpec(name="a", model="m", tool_executor="u")


def test_code_execution_settings():
    assert CodeExecutionSpec(mode="docker", image="python@sha256:" + "a" * 64).image.startswith("python@")
    for bad in ({"work_dir": "../etc"}, {"work_dir": "/abs"}, {"work_dir": ".."}, {"timeout": 0}, {"image": "A B"}):
        with pytest.raises(ValueError):
            CodeExecutionSpec(mode="sandbox", **bad)
    with pytest.raises(ValueError, match="local execution is not isolated"):
        CodeExecutionSpec(mode="local", network=True)
    err = _agent_error({"name": "a", "model": "m", "code_execution": {"mode": "unsafe"}})
    assert err.path == "code_execution.mode" and "docker, local, off, sandbox" in str(err)


def test_two_agent_team_needs_exactly_two_agents_initiator_first():
    team = TeamSpec(name="t", kind="two_agent", agents=["user", "assistant"], max_turns=3)
    assert team.effective_initiator == "user"
    with pytest.raises(ValueError, match="exactly 2 agents"):
        TeamSpec(name="t", kind="two_agent", agents=["a", "b", "c"])
    with pytest.raises(ValueError, match="remove initiator"):
        TeamSpec(name="t", kind="two_agent", agents=["a", "b"], initiator="a")


def test_group_chat_rules():  # T09
    with pytest.raises(ValueError, match="at least 2 participants"):
        TeamSpec(name="t", agents=["solo"])
    with pytest.raises(ValueError, match="at least 1 item"):
        TeamSpec(name="t", agents=[])
    with pytest.raises(ValueError, match="needs a selector_model"):
        TeamSpec(name="t", agents=["a", "b"], speaker_selection="auto")
    with pytest.raises(ValueError, match="needs allowed_transitions"):
        TeamSpec(name="t", agents=["a", "b"], speaker_selection="graph")
    with pytest.raises(ValueError, match="'graph' only"):
        TeamSpec(name="t", agents=["a", "b"], allowed_transitions={"a": ["b"]})
    with pytest.raises(ValueError, match="listed twice"):
        TeamSpec(name="t", agents=["a", "a"])
    with pytest.raises(ValueError, match="max_round"):
        TeamSpec(name="t", agents=["a", "b"], max_turns=3)
    team = TeamSpec(name="t", agents=["a", "b"], initiator="user")
    assert team.effective_initiator == "user" and team.max_round == 10


def test_hard_limits_always_exist():  # T09: a team with no termination still has caps
    limits = TeamSpec(name="t", agents=["a", "b"]).limits
    assert (limits.max_messages, limits.max_seconds, limits.max_tokens) == (50, 600.0, 200_000)
    with pytest.raises(ValueError):
        TeamSpec(name="t", agents=["a", "b"], limits={"max_messages": 0})


def test_selector_prompt_placeholders_are_checked():
    assert TeamSpec(name="t", agents=["a", "b"], selector_prompt="Pick from {agentlist}. {roles}. {{literal}}")
    with pytest.raises(ValueError, match=r"placeholder \{history\}"):
        TeamSpec(name="t", agents=["a", "b"], selector_prompt="{history}")
    with pytest.raises(ValueError, match="not a valid template"):
        TeamSpec(name="t", agents=["a", "b"], selector_prompt="{ unbalanced")


def test_termination_trees():
    tree = AndTermination(
        conditions=[TextMentionTermination(text="DONE"), MaxMessagesTermination(max_messages=4)],
    )
    team = TeamSpec(name="t", agents=["a", "b"], termination=tree)
    assert team.termination == tree
    with pytest.raises(ValueError, match="at least 2 items"):
        AndTermination(conditions=[TextMentionTermination()])
    with pytest.raises(ValueError, match="at least one of"):
        TokenUsageTermination()
    deep: dict = {"kind": "text_mention", "text": "x"}
    for _ in range(9):
        deep = {"kind": "or", "conditions": [deep, {"kind": "external"}]}
    with pytest.raises(SpecValidationError, match="nested more than 8 levels"):
        load_spec(json.dumps({"name": "t", "agents": ["a", "b"], "termination": deep}), "team")


def test_termination_errors_name_the_path_inside_the_tree():
    data = {"kind": "or", "conditions": [{"kind": "text_mention", "text": ""}, {"kind": "max_messages"}]}
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps(data), "termination")
    paths = [issue.path for issue in info.value.issues]
    assert paths == ["conditions[0].text", "conditions[1].max_messages"]


def test_two_agents_of_a_team_cannot_share_a_name_in_the_conversation():
    from studio.spec import bundle_from_data

    data = {
        "schema_version": 2,
        "team": {"name": "t", "kind": "two_agent", "agents": ["a", "b"]},
        "agents": [{"name": "a", "kind": "user_proxy"}, {"name": "b", "model": "m", "chat_name": "a"}],
        "models": [{"name": "m", "provider": "scripted", "replies": ["x"]}],
    }
    with pytest.raises(SpecValidationError) as info:
        bundle_from_data(data)
    assert info.value.path == "agents[1].chat_name" and "would both be called 'a'" in str(info.value)
    data["agents"][1]["chat_name"] = "bee"
    bundle, _ = bundle_from_data(data)
    assert [a.speaker for a in bundle.agents] == ["a", "bee"]
