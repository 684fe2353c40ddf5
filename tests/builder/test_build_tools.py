"""Tools: approval gates Python tools and MCP servers (T13, T14), approved source runs only in the sandbox (T35),
built-ins come from the closed registry, and each tool is registered on its caller and its executor."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest

from studio.builder import build_team, validate_bundle
from studio.errors import BuildError
from tests.builder.bundles import assistant, bundle, group, proxy, python_tool, scripted, two_agent

DEMO_SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_servers" / "demo_server.py"

ADD = '''from typing import Annotated


def add(a: Annotated[int, "first"], b: int) -> int:
    """Add two ints."""
    return a + b
'''

CANARY_TOOL = '''open("canary.txt", "w").write("module level ran")
try:
    open({host!r}, "w").write("escaped")
except OSError:
    pass


def probe() -> str:
    """Report where it runs."""
    import os
    return os.getcwd()
'''


def _tool_team(tool: dict, *replies, caller_tools=None, **team):
    name = tool["name"]
    return bundle(
        two_agent("user", "bot", **team),
        [proxy("user", termination_text=None), assistant("bot", "m", tools=caller_tools or [name])],
        [scripted("m", *replies)],
        [tool],
    )


def _call(tool: str, **arguments):
    return {"tool": tool, "arguments": arguments}


def test_an_unapproved_python_tool_does_not_build_and_its_module_never_runs(tmp_path):
    host = tmp_path / "HOST_CANARY"
    b = _tool_team(python_tool("probe", CANARY_TOOL.format(host=str(host)), approved=False), _call("probe"), "done")
    with pytest.raises(BuildError) as info:
        build_team(b, work_dir=tmp_path / "run")
    assert info.value.path == "tools[0]"
    assert "'probe'" in str(info.value) and "review and approval" in str(info.value)
    assert validate_bundle(b) and "review and approval" in validate_bundle(b)[0]
    assert not host.exists() and not list(tmp_path.rglob("canary.txt"))


def test_a_trusted_tool_runs_in_the_sandbox_and_its_side_effects_stay_in_the_run_dir(tmp_path, monkeypatch):
    # T35: module-level code runs only inside the sandbox, with cwd = the run's tools directory.
    monkeypatch.chdir(tmp_path)
    host = tmp_path / "HOST_CANARY"
    b = _tool_team(
        python_tool("probe", CANARY_TOOL.format(host=str(host)), approved=False), _call("probe"), "done", max_turns=2
    )
    events: list = []
    with build_team(b, work_dir=tmp_path / "run", trust_tools=True) as team:
        team.run("Where do you run?", listeners=[events.append])
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.results[0]["content"] == "/workspace" and not result.results[0]["is_error"]
    assert (tmp_path / "run" / "tools" / "canary.txt").read_text() == "module level ran"
    assert not host.exists() and not (tmp_path / "canary.txt").exists()


def test_an_approved_tool_gets_the_schema_read_from_its_source_and_answers(tmp_path):
    b = _tool_team(python_tool("add", ADD, approved=True), _call("add", a=2, b=3), "It is 5.", max_turns=2)
    events: list = []
    with build_team(b, work_dir=tmp_path) as team:
        (schema,) = team.agents["bot"].llm_config["tools"]
        assert schema["function"]["name"] == "add" and schema["function"]["description"] == "Add two ints."
        assert schema["function"]["parameters"]["required"] == ["a", "b"]
        assert "add" in team.agents["user"].function_map and "add" not in team.agents["bot"].function_map
        team.run("2 + 3?", listeners=[events.append])
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.source == "user" and result.results[0]["content"] == "5"


def test_editing_an_approved_source_revokes_the_approval(tmp_path):
    tool = python_tool("add", ADD, approved=True)
    tool["source"] = tool["source"].replace("a + b", "a - b")
    with pytest.raises(BuildError, match="review and approval"):
        build_team(_tool_team(tool, "x"), work_dir=tmp_path)


def test_a_failing_tool_becomes_an_error_result_for_the_model(tmp_path):
    source = 'def boom(x: int) -> int:\n    """Fail."""\n    return 1 // x\n'
    b = _tool_team(python_tool("boom", source, approved=True), _call("boom", x=0), "Oops.", max_turns=2)
    events: list = []
    with build_team(b, work_dir=tmp_path) as team:
        team.run("go", listeners=[events.append])
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.results[0]["is_error"] and "ZeroDivisionError" in result.results[0]["content"]
    assert not result.results[0]["content"].startswith("Error: Error:")


def test_malformed_arguments_are_fed_back_not_raised(tmp_path):
    b = _tool_team(python_tool("add", ADD, approved=True), "x")
    with build_team(b, work_dir=tmp_path) as team:
        tool = team.agents["user"].function_map["add"]
        content, is_error = tool.call_json("{not json")
        assert is_error and "must be in JSON format" in content
        assert tool.call_json('{"a": 1, "b": 2}') == ("3", False)


@pytest.mark.parametrize(
    ("builtin", "arguments", "check"),
    [
        ("calculator", {"a": 7, "b": 6, "operator": "*"}, lambda out: out == "42"),
        ("calculator", {"a": 1, "b": 0, "operator": "/"}, lambda out: "Division by zero" in out),
        ("current_time", {}, lambda out: out[:2] == "20" and "T" in out),
        ("python_exec", {"code": "print(6 * 7)"}, lambda out: out.startswith("exitcode: 0") and "42" in out),
    ],
)
def test_builtin_tools(tmp_path, builtin, arguments, check):
    tool = {"kind": "builtin", "name": f"my_{builtin}", "builtin": builtin}
    b = _tool_team(tool, _call(f"my_{builtin}", **arguments), "ok", max_turns=2)
    events: list = []
    with build_team(b, work_dir=tmp_path) as team:
        team.run("go", listeners=[events.append])
    (result,) = [e for e in events if e.type == "tool_result"]
    assert check(result.results[0]["content"]), result.results[0]


def test_python_exec_runs_with_no_network_and_no_host_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    code = (
        f"import os\nprint(os.path.exists({str(secret)!r}))\nimport socket\nsocket.create_connection(('127.0.0.1', 9))"
    )
    tool = {"kind": "builtin", "name": "py", "builtin": "python_exec"}
    with build_team(_tool_team(tool, "x"), work_dir=tmp_path / "run") as team:
        content, _ = team.agents["user"].function_map["py"].call_json({"code": code})
    assert "False" in content and "exitcode: 1" in content


def test_in_a_group_chat_the_caller_runs_its_own_tools(tmp_path):
    b = bundle(
        group("calc", "critic", initiator="user", max_round=5),
        [
            assistant("calc", "c", tools=["add"], termination_text=None),
            assistant("critic", "k", termination_text=None),
            proxy("user"),
        ],
        [scripted("c", _call("add", a=1, b=1), "1 + 1 is 2."), scripted("k", "Agreed.")],
        [python_tool("add", ADD, approved=True)],
    )
    events: list = []
    with build_team(b, work_dir=tmp_path) as team:
        assert "add" in team.agents["calc"].function_map and "tools" in team.agents["calc"].llm_config
        team.run("What is 1 + 1?", listeners=[events.append])
    speakers = [e.speaker for e in events if e.type == "speaker_selected"]
    # round robin gives calc the first turn; the function-call filter then picks calc again, to run its own call
    assert speakers == ["calc", "calc", "critic", "calc"]
    assert [e for e in events if e.type == "tool_result"][0].results[0]["content"] == "2"


def test_tool_executor_names_who_runs_the_calls(tmp_path):
    b = bundle(
        group("asker", "runner", "other", max_round=3),
        [
            assistant("asker", "a", tools=["add"], tool_executor="runner"),
            proxy("runner"),
            assistant("other", "o"),
        ],
        [scripted("a", _call("add", a=1, b=2)), scripted("o", "x")],
        [python_tool("add", ADD, approved=True)],
    )
    with build_team(b, work_dir=tmp_path) as team:
        assert "add" in team.agents["runner"].function_map
        assert "add" not in team.agents["asker"].function_map
        assert "add" not in team.agents["other"].function_map


def test_a_tool_on_an_agent_without_a_model_is_reported(tmp_path):
    b = bundle(
        two_agent("user", "bot"),
        [proxy("user", tools=["calc"]), assistant("bot", "m")],
        [scripted("m")],
        [{"kind": "builtin", "name": "calc", "builtin": "calculator"}],
    )
    with pytest.raises(BuildError) as info:
        build_team(b, work_dir=tmp_path)
    assert info.value.path == "agents[0].tools"


def test_a_group_tool_executor_outside_the_group_is_reported(tmp_path):
    b = bundle(
        group("a", "b", initiator="boss"),
        [assistant("a", "m", tools=["calc"], tool_executor="boss"), assistant("b", "m"), proxy("boss")],
        [scripted("m")],
        [{"kind": "builtin", "name": "calc", "builtin": "calculator"}],
    )
    assert validate_bundle(b)[0].startswith("agents[0].tool_executor:")


def _mcp_tool(**fields):
    return {
        "kind": "mcp",
        "name": "demo",
        "transport": "stdio",
        "command": sys.executable,
        "args": [str(DEMO_SERVER), "stdio"],
        "timeout": 30.0,
        **fields,
    }


def _demo_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("demo_server.py" in part for part in child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_an_unapproved_mcp_server_is_never_started(tmp_path):
    # T14: nothing is spawned while building or validating; the build refuses the unapproved server.
    b = _tool_team(_mcp_tool(), "x", caller_tools=["demo"])
    assert "MCP server 'demo'" in validate_bundle(b)[0]
    with pytest.raises(BuildError, match="needs review and approval"):
        build_team(b, work_dir=tmp_path)
    assert _demo_children() == []


def test_an_approved_mcp_server_starts_on_open_and_its_tools_are_registered(tmp_path):
    from studio.spec import McpToolSpec

    spec = McpToolSpec.model_validate(_mcp_tool(tools=["add", "echo"])).approve()
    b = _tool_team(
        spec.model_dump(mode="json"), _call("add", a=20, b=22), "42 it is.", caller_tools=["demo"], max_turns=2
    )
    events: list = []
    team = build_team(b, work_dir=tmp_path)
    try:
        assert _demo_children() == [] and len(team.toolsets) == 1  # built, not started
        team.open()
        assert len(_demo_children()) == 1
        names = [t["function"]["name"] for t in team.agents["bot"].llm_config["tools"]]
        assert names == ["add", "echo"]
        team.run("20 + 22?", listeners=[events.append])
    finally:
        team.close()
    assert _demo_children() == []
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.results[0]["content"] == "42"


def test_an_mcp_tool_list_naming_a_missing_tool_fails_at_open(tmp_path):
    from studio.spec import McpToolSpec

    spec = McpToolSpec.model_validate(_mcp_tool(tools=["nope"])).approve()
    team = build_team(_tool_team(spec.model_dump(mode="json"), "x", caller_tools=["demo"]), work_dir=tmp_path)
    try:
        with pytest.raises(BuildError, match="offers no tool named 'nope'"):
            team.open()
    finally:
        team.close()
    assert _demo_children() == []
