"""Python-script export: a script on the classic API that compiles, reads keys from the environment, and carries every
spec string as an inert literal."""

from __future__ import annotations

import ast
import json
import uuid

from studio.spec import (
    AgentSpec,
    BuiltinToolSpec,
    Bundle,
    CodeExecutionSpec,
    McpToolSpec,
    ModelSpec,
    PythonToolSpec,
    ScriptedToolCall,
    SecretRef,
    TeamSpec,
    TextMentionTermination,
    export_autogen_studio,
    export_python,
    import_autogen_studio,
)
from tests.spec.samples import ADD_SOURCE, roundrobin_team, selector_team, small_bundle


def _tree(bundle: Bundle) -> ast.Module:
    source = export_python(bundle)
    compile(source, "team.py", "exec")
    return ast.parse(source)


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def _kw(call: ast.Call, key: str) -> object:
    return ast.literal_eval(next(k.value for k in call.keywords if k.arg == key))


def test_the_script_uses_the_classic_api_and_has_a_main():
    tree = _tree(small_bundle())
    imported = {a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "studio" for a in n.names}
    assert {
        "AssistantAgent",
        "UserProxyAgent",
        "ConversableAgent",
        "GroupChat",
        "GroupChatManager",
        "register_function",
    } <= imported
    assert [_kw(c, "name") for c in _calls(tree, "AssistantAgent")] == ["writer", "critic"]
    (group,) = _calls(tree, "GroupChat")
    assert _kw(group, "speaker_selection_method") == "round_robin" and _kw(group, "max_round") == 10
    (reg,) = _calls(tree, "register_function")
    assert _kw(reg, "name") == "add" and _kw(reg, "description") == "Add two ints."
    assert any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "add" for n in tree.body)  # the tool source is pasted


def test_keys_come_from_the_environment_never_from_the_file():  # T16
    canary = f"sk-canary-{uuid.uuid4()}"
    data = selector_team()
    data["config"]["model_client"]["config"]["api_key"] = canary
    bundle = import_autogen_studio(data).bundle
    script = export_python(bundle)
    assert canary not in script and canary[10:] not in script
    assert "os.environ.get('OPENAI_API_KEY')" in script
    secret = small_bundle().model_copy(
        update={"models": [ModelSpec(name="gpt", api_key=SecretRef(secret="openai-prod"))]}
    )
    assert "os.environ.get('OPENAI_PROD')" in export_python(secret)


def test_every_spec_string_stays_a_literal():
    nasty = 'x\'\'\' """ \\\nprint("pwned")\n# {roles} \u202e'
    bundle = small_bundle(description=nasty)
    bundle = bundle.model_copy(
        update={
            "agents": [
                bundle.agents[0].model_copy(update={"system_message": nasty, "description": nasty}),
                bundle.agents[1],
            ]
        }
    )
    tree = _tree(bundle)
    writer = next(c for c in _calls(tree, "AssistantAgent") if _kw(c, "name") == "writer")
    assert _kw(writer, "system_message") == nasty and _kw(writer, "description") == nasty
    injected = [
        c
        for c in ast.walk(tree)
        if isinstance(c, ast.Call) and any(isinstance(a, ast.Constant) and a.value == "pwned" for a in c.args)
    ]
    assert injected == []  # the payload never became a call


def test_two_agent_chat_with_scripted_models_and_executors():
    bundle = Bundle(
        team=TeamSpec(name="pair", kind="two_agent", agents=["user", "coder"], max_turns=4),
        agents=[
            AgentSpec(
                name="user",
                kind="user_proxy",
                human_input_mode="NEVER",
                code_execution=CodeExecutionSpec(mode="sandbox", timeout=30),
            ),
            AgentSpec(
                name="coder", model="script", tools=["add"], termination_text="DONE", termination_match="ends_with"
            ),
        ],
        models=[
            ModelSpec(
                name="script",
                provider="scripted",
                model="scripted",
                replies=[ScriptedToolCall(tool="add", arguments={"a": 1, "b": 2}), "3 DONE"],
            )
        ],
        tools=[PythonToolSpec(name="add", source="from __future__ import annotations\n" + ADD_SOURCE)],
    )
    source = export_python(bundle)
    tree = _tree(bundle)
    assert source.startswith('"""Team pair') and "from __future__ import annotations" in source.split("import os")[0]
    (proxy,) = _calls(tree, "UserProxyAgent")
    assert _kw(proxy, "code_execution_config") == {
        "executor": "sandbox",
        "sandbox": {"work_dir": "coding", "timeout": 30, "network": False},
        "last_n_messages": "auto",
    }
    (reg,) = _calls(tree, "register_function")
    assert ast.unparse(reg).count("executor=user") == 1  # the other agent of a two-agent chat runs the tools
    assert "'api_type': 'scripted'" in source and "'tool_calls'" in source
    assert "max_turns=4" in source and "endswith('DONE')" in source


def test_selector_graph_builtins_and_mcp():
    auto = import_autogen_studio(selector_team()).bundle
    tree = _tree(auto)
    (manager,) = _calls(tree, "GroupChatManager")
    assert ast.unparse(manager).endswith("llm_config=gpt_4o_mini)")
    (group,) = _calls(tree, "GroupChat")
    assert _kw(group, "speaker_selection_method") == "auto" and _kw(group, "allow_repeat_speaker") is False

    graph = small_bundle(speaker_selection="graph", allowed_transitions={"writer": ["critic"], "critic": ["writer"]})
    graph = graph.model_copy(
        update={
            "tools": [
                *graph.tools,
                BuiltinToolSpec(name="calculator", builtin="calculator"),
                McpToolSpec(name="fs", command="npx", args=["server"]),
            ],
            "agents": [graph.agents[0].model_copy(update={"tools": ["add", "calculator", "fs"]}), graph.agents[1]],
        }
    )
    source = export_python(graph)
    tree = _tree(graph)
    (group,) = _calls(tree, "GroupChat")
    assert "allowed_or_disallowed_speaker_transitions={writer: [critic], critic: [writer]}" in ast.unparse(group)
    assert "def calculator(" in source and "MCP server fs" in source
    assert [_kw(c, "name") for c in _calls(tree, "register_function")] == ["add", "calculator"]


def test_names_that_clash_with_tools_or_python_get_distinct_variables():
    bundle = Bundle(
        team=TeamSpec(name="t", kind="two_agent", agents=["add", "run"]),
        agents=[AgentSpec(name="add", kind="user_proxy"), AgentSpec(name="run", model="add", tools=["add"])],
        models=[ModelSpec(name="add")],
        tools=[PythonToolSpec(name="add", source=ADD_SOURCE)],
    )
    tree = _tree(bundle)
    assigned = [t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    assert len(set(assigned)) == len(assigned) and "add" not in assigned and "run" not in assigned


def test_the_gallery_team_exports_to_a_script():
    source = export_python(import_autogen_studio(roundrobin_team()).bundle)
    compile(source, "team.py", "exec")
    assert "NOT reviewed or approved" in source
    assert json.dumps("TERMINATE")[1:-1] in source


def test_agents_are_named_as_they_speak_and_termination_sources_follow():
    bundle = Bundle(
        team=TeamSpec(
            name="t",
            kind="two_agent",
            agents=["user", "bot-2"],
            termination=TextMentionTermination(sources=["bot-2"], text="BYE"),
        ),
        agents=[AgentSpec(name="user", kind="user_proxy"), AgentSpec(name="bot-2", chat_name="bot", model="m")],
        models=[ModelSpec(name="m", provider="scripted", replies=["BYE"])],
    )
    tree = _tree(bundle)
    (assistant,) = _calls(tree, "AssistantAgent")
    assert _kw(assistant, "name") == "bot"
    source = export_python(bundle)
    assert "sources=['bot']" in source and "bot-2'" not in source.replace("bot_2", "")
    exported = export_autogen_studio(bundle)
    names = [p["config"]["name"] for p in exported["config"]["participants"]]
    assert "bot" in names and "bot-2" not in names
    assert exported["config"]["termination_condition"]["config"]["sources"] == ["bot"]
