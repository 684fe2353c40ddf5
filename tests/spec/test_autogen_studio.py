"""AutoGen Studio import and export: the gallery teams, all three AssistantAgent shapes, and the safety rules."""

from __future__ import annotations

import base64
import copy
import json
import urllib.parse
import uuid

import psutil
import pytest

from studio.errors import SpecError
from studio.spec import (
    DEFAULT_SELECTOR_PROMPT,
    LOCAL_SERVE_BASE_URL,
    AgentSpec,
    Bundle,
    ModelSpec,
    TeamSpec,
    dump_bundle,
    export_autogen_studio,
    import_autogen_studio,
    import_bundle,
    is_autogen_studio,
)
from tests.spec.samples import (
    USER_PROXY,
    and_of_or_termination,
    roundrobin_team,
    selector_team,
    small_bundle,
    tools_list_shape,
    workbench_list_shape,
)


def _model_client(team: dict, index: int = 0) -> dict:
    return team["config"]["participants"][index]["config"]["model_client"]


def _round_trip(data: dict) -> None:
    """import → export → import gives an equal bundle, and the export serialises to the same bytes again."""
    first = import_autogen_studio(data).bundle
    exported = export_autogen_studio(first)
    second = import_autogen_studio(json.loads(json.dumps(exported))).bundle
    assert second == first
    assert json.dumps(export_autogen_studio(second), sort_keys=True) == json.dumps(exported, sort_keys=True)


def test_the_verbatim_gallery_roundrobin_team():
    result = import_autogen_studio(roundrobin_team())
    b = result.bundle
    assert result.warnings == [] and result.source_format == "autogen_studio"
    assert b.team.name == "RoundRobin_Team" and b.team.kind == "two_agent"
    assert b.team.agents == ["user", "assistant_agent"]
    user, assistant = b.agent("user"), b.agent("assistant_agent")
    assert user.kind == "user_proxy" and user.effective_human_input_mode == "NEVER"
    assert assistant.model == "gpt-4o-mini" and assistant.tools == ["calculator"]
    assert assistant.system_message.startswith("You are a helpful assistant. Solve tasks carefully.")
    assert b.model("gpt-4o-mini").provider == "openai" and b.model("gpt-4o-mini").api_key is None
    calculator = b.tool("calculator")
    assert calculator.kind == "python" and not calculator.is_approved  # imported tools need approval
    assert calculator.tool_schema()["function"]["parameters"]["required"] == ["a", "b", "operator"]
    assert b.team.termination.kind == "or"
    assert [c.kind for c in b.team.termination.conditions] == ["text_mention", "max_messages"]


def test_all_three_assistant_shapes_import_alike():
    expected = import_autogen_studio(roundrobin_team()).bundle
    for shape in (tools_list_shape(), workbench_list_shape()):
        assert import_autogen_studio(shape).bundle == expected


def test_the_selector_team():
    b = import_autogen_studio(selector_team()).bundle
    team = b.team
    assert team.kind == "group_chat" and team.speaker_selection == "auto"
    assert team.agents == ["assistant_agent", "critic_agent"] and team.initiator == "user"
    assert team.selector_model == "gpt-4o-mini" and len(b.models) == 1  # the same client is one model
    assert team.selector_prompt == DEFAULT_SELECTOR_PROMPT  # AgentChat's default maps to AG2's default
    assert team.allow_repeat_speaker is False and team.max_retries_for_selecting_speaker == 2
    assert b.agent("critic_agent").tools == []


def test_user_proxy_and_and_of_or_termination():
    data = selector_team()
    data["config"]["participants"].append(copy.deepcopy(USER_PROXY))
    data["config"]["termination_condition"] = and_of_or_termination()
    b = import_autogen_studio(data).bundle
    human = b.agent("user_proxy")
    assert human.kind == "user_proxy" and human.effective_human_input_mode == "ALWAYS"
    assert human.description == "a human user"
    tree = b.team.termination
    assert tree.kind == "and" and tree.conditions[0].kind == "or"
    assert tree.conditions[0].conditions[0].timeout_seconds == 300.0
    assert "user_proxy" in b.team.agents and b.team.initiator == "user"


@pytest.mark.parametrize(
    "make",
    [roundrobin_team, selector_team, tools_list_shape, workbench_list_shape],
    ids=["roundrobin", "selector", "tools_list", "workbench_list"],
)
def test_round_trips(make):
    _round_trip(make())


def test_round_trip_of_and_of_or_with_a_user_proxy_and_max_turns():
    data = selector_team()
    data["config"]["participants"].append(copy.deepcopy(USER_PROXY))
    data["config"]["termination_condition"] = and_of_or_termination()
    data["config"]["max_turns"] = 7
    assert import_autogen_studio(data).bundle.team.max_round == 8  # the task message is AG2's round 1
    _round_trip(data)


def test_round_trip_of_azure_ollama_and_local_models():
    data = selector_team()
    _model_client(data, 0).update(
        provider="AzureOpenAIChatCompletionClient",  # a WELL_KNOWN alias
        config={
            "model": "gpt-4o",
            "azure_endpoint": "https://r.openai.azure.com",
            "azure_deployment": "dep",
            "api_version": "2024-06-01",
            "temperature": 0.1,
        },
    )
    _model_client(data, 1).update(provider="OllamaChatCompletionClient", config={"model": "llama3.1"})
    data["config"]["model_client"]["config"] = {
        "model": "qwen",
        "base_url": "http://localhost:1234/v1",
        "model_info": {
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "family": "unknown",
            "structured_output": False,
        },
    }
    b = import_autogen_studio(data).bundle
    kinds = {m.name: (m.provider, m.preset) for m in b.models}
    assert kinds == {
        "gpt-4o": ("azure", None),
        "llama3_1": ("openai_compatible", "ollama"),
        "qwen": ("openai_compatible", "lmstudio"),
    }
    assert b.model("gpt-4o").params.temperature == 0.1 and b.model("gpt-4o").azure_deployment == "dep"
    _round_trip(data)


def test_a_key_in_the_file_is_replaced_by_a_reference_and_never_exported():  # T15, T16
    canary = f"sk-canary-{uuid.uuid4()}"
    data = selector_team()
    _model_client(data)["config"]["api_key"] = canary
    data["config"]["model_client"]["config"]["api_key"] = canary
    result = import_bundle(json.dumps(data))
    assert result.bundle.model(result.bundle.agents[1].model).api_key.env == "OPENAI_API_KEY"
    assert any("key value" in w and "NOT imported" in w for w in result.warnings)
    outputs = [
        dump_bundle(result.bundle),
        dump_bundle(result.bundle, "yaml"),
        json.dumps(export_autogen_studio(result.bundle)),
        repr(result.bundle),
        "\n".join(result.warnings),
    ]
    for text in outputs:
        for form in (canary, base64.b64encode(canary.encode()).decode(), urllib.parse.quote(canary), canary[10:]):
            assert form not in text
    assert '"env": "OPENAI_API_KEY"' in outputs[0] and "env: OPENAI_API_KEY" in outputs[1]  # the reference remains


def test_unknown_provider_is_rejected_with_its_json_path():  # T10
    data = selector_team()
    _model_client(data, 1)["provider"] = "acme.FooClient"
    with pytest.raises(SpecError) as info:
        import_autogen_studio(data)
    err = info.value
    assert err.path == "config.participants[1].config.model_client.provider"
    assert str(err).startswith("config.participants[1].config.model_client.provider: unknown provider 'acme.FooClient'")
    assert "autogen_ext.models.openai.OpenAIChatCompletionClient" in err.choices


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.update(provider="autogen_agentchat.teams.MagenticOneGroupChat"), "provider"),
        (lambda d: d["config"]["participants"][0].update(provider="my.Agent"), "config.participants[0].provider"),
        (
            lambda d: d["config"]["termination_condition"]["config"]["conditions"][1].update(provider="x.Stop"),
            "config.termination_condition.config.conditions[1].provider",
        ),
        (
            lambda d: d["config"]["participants"][0]["config"]["workbench"].update(provider="evil.Bench"),
            "config.participants[0].config.workbench.provider",
        ),
        (
            lambda d: d["config"]["participants"][0]["config"]["model_context"].update(provider="x.Context"),
            "config.participants[0].config.model_context.provider",
        ),
    ],
)
def test_every_component_kind_rejects_unknown_providers(edit, path):  # T10
    data = roundrobin_team()
    edit(data)
    with pytest.raises(SpecError) as info:
        import_autogen_studio(data)
    assert info.value.path == path and "unknown provider" in str(info.value)


def test_component_type_mismatch():  # T11
    data = roundrobin_team()
    _model_client(data)["component_type"] = "tool"
    with pytest.raises(SpecError, match="component_type is 'tool'") as info:
        import_autogen_studio(data)
    assert info.value.path == "config.participants[0].config.model_client.component_type"


def test_unsupported_settings_are_dropped_with_a_warning():  # T11: never silently
    data = roundrobin_team()
    config = data["config"]["participants"][0]["config"]
    config.update(handoffs=["planner"], max_tool_iterations=3, reflect_on_tool_use=True, memory=[{"x": 1}])
    _model_client(data)["config"]["frequency_penalty"] = 0.5
    warnings = import_autogen_studio(data).warnings
    for key in (
        "handoffs",
        "max_tool_iterations",
        "reflect_on_tool_use",
        "memory",
        "model_client.config.frequency_penalty",
    ):
        assert any(f".{key}: not supported" in w for w in warnings), key


def test_gallery_envelope():
    gallery = {
        "id": "g",
        "name": "Default gallery",
        "metadata": {"author": "x", "version": "1"},
        "components": {
            "agents": [],
            "models": [],
            "tools": [],
            "terminations": [],
            "teams": [roundrobin_team(), selector_team()],
        },
    }
    assert is_autogen_studio(gallery) and not is_autogen_studio({"schema_version": 2})
    assert import_autogen_studio(gallery).bundle.team.name == "RoundRobin_Team"
    second = import_autogen_studio(gallery, team_index=1)
    assert second.bundle.team.name == "Selector_Team"
    assert any("holds 2 teams" in w for w in second.warnings)
    with pytest.raises(SpecError, match="no team number 5"):
        import_autogen_studio(gallery, team_index=5)


def test_tool_problems_name_the_source_path():
    data = roundrobin_team()
    tool = data["config"]["participants"][0]["config"]["workbench"]["config"]["tools"][0]["config"]
    tool["source_code"] += "\ndef helper():\n    pass\n"
    with pytest.raises(SpecError) as info:
        import_autogen_studio(data)
    assert info.value.path.endswith("workbench.config.tools[0].source")
    assert "exactly one top-level `def`" in str(info.value)
    tool["source_code"] = "def calculator(): pass"
    tool["global_imports"] = ["os; import evil"]
    with pytest.raises(SpecError, match="not a module name"):
        import_autogen_studio(data)


def test_two_different_tools_with_one_name_are_refused():
    data = selector_team()
    critic_tools = data["config"]["participants"][1]["config"]["workbench"]["config"]["tools"]
    other = copy.deepcopy(data["config"]["participants"][0]["config"]["workbench"]["config"]["tools"][0])
    other["config"]["source_code"] = "def calculator(a: float) -> str:\n    return str(a)\n"
    critic_tools.append(other)
    with pytest.raises(SpecError, match="two different tools are both named 'calculator'"):
        import_autogen_studio(data)


def _mcp_team() -> dict:
    data = roundrobin_team()
    data["config"]["participants"][0]["config"]["workbench"] = {
        "provider": "autogen_ext.tools.mcp.McpWorkbench",
        "component_type": "workbench",
        "config": {
            "server_params": {
                "type": "StdioServerParams",
                "command": "bash",
                "args": ["-c", "touch CANARY"],
                "env": {"GITHUB_TOKEN": "ghp_secretvalue123"},
            }
        },
    }
    return data


def test_an_mcp_server_is_imported_unapproved_and_nothing_is_spawned():  # T14, T15
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = import_autogen_studio(_mcp_team())
    tool = result.bundle.tool("mcp_bash")
    assert tool.kind == "mcp" and tool.command == "bash" and tool.args == ["-c", "touch CANARY"]
    assert not tool.is_approved and tool.env["GITHUB_TOKEN"].env == "GITHUB_TOKEN"
    assert "ghp_secretvalue123" not in dump_bundle(result.bundle) + "".join(result.warnings)
    assert any("disabled until you review" in w for w in result.warnings)
    export_autogen_studio(result.bundle)
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
    _round_trip(_mcp_team())


def test_export_shape_is_what_ags_0_4_loads():
    exported = export_autogen_studio(import_autogen_studio(workbench_list_shape()).bundle)
    agent = exported["config"]["participants"][0]
    assert agent["component_version"] == 1 and isinstance(agent["config"]["workbench"], dict)
    assert agent["config"]["workbench"]["provider"] == "autogen_core.tools.StaticWorkbench"
    assert "api_key" not in json.dumps(exported)
    assert exported == export_autogen_studio(import_autogen_studio(roundrobin_team()).bundle)
    original = roundrobin_team()
    assert agent == original["config"]["participants"][0]  # the gallery agent comes back verbatim
    assert (
        exported["config"]["termination_condition"]["config"] == original["config"]["termination_condition"]["config"]
    )


def test_export_refuses_what_ags_cannot_express():
    with pytest.raises(SpecError) as info:
        export_autogen_studio(small_bundle(speaker_selection="random"))
    assert info.value.path == "team.speaker_selection"


def test_a_studio_two_agent_chat_exports_both_agents():
    b = Bundle(
        team=TeamSpec(name="pair", kind="two_agent", agents=["human", "helper"]),
        agents=[AgentSpec(name="human", kind="user_proxy"), AgentSpec(name="helper", model="m")],
        models=[ModelSpec(name="m")],
    )
    names = [p["config"]["name"] for p in export_autogen_studio(b)["config"]["participants"]]
    assert names == ["human", "helper"]  # a human (ALWAYS) proxy is a real participant, not the task sender


def test_a_local_model_exports_as_a_client_of_studio_serve_model():
    bundle = Bundle(
        team=TeamSpec(name="pair", kind="two_agent", agents=["user", "bot"]),
        agents=[AgentSpec(name="user", kind="user_proxy"), AgentSpec(name="bot", model="tiny")],
        models=[ModelSpec(name="tiny", provider="local", model_path="/models/tiny.gguf", params={"max_tokens": 64})],
    )
    exported = export_autogen_studio(bundle)
    (client,) = [
        a["config"]["model_client"] for a in exported["config"]["participants"] if "model_client" in a["config"]
    ]
    assert client["provider"] == "autogen_ext.models.openai.OpenAIChatCompletionClient"
    assert client["config"]["base_url"] == LOCAL_SERVE_BASE_URL == "http://127.0.0.1:8000/v1"  # studio serve-model
    assert client["config"]["model"] == "smollm2-135m-instruct" and client["config"]["max_tokens"] == 64
    assert client["config"]["model_info"]["function_calling"] is False and "api_key" not in client["config"]
    assert "/models/tiny.gguf" not in json.dumps(exported)  # a local path is not the endpoint's business
    back = import_autogen_studio(exported).bundle.model("smollm2-135m-instruct")
    assert (back.provider, back.base_url) == ("openai_compatible", LOCAL_SERVE_BASE_URL)
