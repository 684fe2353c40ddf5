"""Bundle cross-validation: every reference resolves, names are unique, and errors name the JSON path."""

from __future__ import annotations

import pytest

from studio.spec import Bundle, SpecValidationError, bundle_from_data, spec_to_data


def _issues(data: dict) -> dict[str, str]:
    with pytest.raises(SpecValidationError) as info:
        bundle_from_data(data)
    return {issue.path: issue.message for issue in info.value.issues}


def test_a_valid_bundle(bundle: Bundle):
    assert bundle.agent("writer").tools == ["add"]
    assert bundle.model("gpt").model == "gpt-4o-mini"
    assert bundle.tool("add").kind == "python"
    with pytest.raises(KeyError):
        bundle.agent("nobody")


def test_team_referencing_a_deleted_agent_names_the_path(bundle: Bundle):  # T09
    data = spec_to_data(bundle)
    data["team"]["agents"].append("critic2")
    issues = _issues(data)
    assert issues == {"team.agents[2]": "unknown agent 'critic2'. Did you mean 'critic'? Known agents: critic, writer."}


def test_every_broken_reference_is_reported_at_once(bundle: Bundle):  # T09
    data = spec_to_data(bundle)
    data["agents"][0]["model"] = "gpt5"
    data["agents"][0]["tools"] = ["add", "search"]
    data["agents"][1]["tools"] = ["add"]
    data["agents"][1]["tool_executor"] = "ghost"
    data["team"].update(speaker_selection="auto", selector_model="selector")
    issues = _issues(data)
    assert set(issues) == {"agents[0].model", "agents[0].tools[1]", "agents[1].tool_executor", "team.selector_model"}
    assert "unknown model 'gpt5'" in issues["agents[0].model"]
    assert "unknown tool 'search'" in issues["agents[0].tools[1]"]


def test_duplicate_names(bundle: Bundle):  # T06
    data = spec_to_data(bundle)
    data["agents"].append({**data["agents"][1]})
    data["models"].append({**data["models"][0]})
    data["tools"].append({**data["tools"][0]})
    issues = _issues(data)
    assert "duplicate agent name 'critic' (also agents[1])" in issues["agents[2].name"]
    assert "duplicate model name 'gpt'" in issues["models[1].name"]
    assert "duplicate tool name 'add'" in issues["tools[1].name"]


def test_graph_transitions_must_name_participants(bundle: Bundle):  # T09
    data = spec_to_data(bundle)
    data["team"].update(speaker_selection="graph", allowed_transitions={"writer": ["critic", "editor"], "boss": []})
    issues = _issues(data)
    assert set(issues) == {"team.allowed_transitions.writer[1]", "team.allowed_transitions.boss"}
    assert "unknown participant 'editor'" in issues["team.allowed_transitions.writer[1]"]


def test_structural_team_errors_come_with_the_team_path(bundle: Bundle):  # T09
    data = spec_to_data(bundle)
    data["team"]["agents"] = ["writer"]
    assert "at least 2 participants" in _issues(data)["team"]
    data["team"]["agents"] = ["writer", "critic"]
    data["team"]["speaker_selection"] = "auto"
    assert "needs a selector_model" in _issues(data)["team"]


def test_initiator_outside_the_group_must_exist(bundle: Bundle):
    data = spec_to_data(bundle)
    data["team"]["initiator"] = "boss"
    assert "unknown agent 'boss'" in _issues(data)["team.initiator"]


def test_approvals_are_cleared_unless_kept(bundle: Bundle):
    approved = bundle.model_copy(update={"tools": [bundle.tools[0].approve()]})
    assert approved.unapproved_tools() == []
    assert bundle_from_data(spec_to_data(approved))[0].unapproved_tools() == [bundle.tools[0]]
    kept, _ = bundle_from_data(spec_to_data(approved), keep_approvals=True)
    assert kept == approved
