"""ToolSpec: Python, MCP and built-in tools; approval pinned to a hash of exactly what runs."""

from __future__ import annotations

import json

import pytest

from studio.spec import (
    BuiltinToolSpec,
    McpToolSpec,
    PythonToolSpec,
    SecretRef,
    SpecValidationError,
    dump_spec,
    load_spec,
)
from tests.spec.samples import ADD_SOURCE


def test_python_tool_exposes_its_schema():
    tool = PythonToolSpec(name="add", source=ADD_SOURCE)
    schema = tool.tool_schema()
    assert schema["function"]["name"] == "add" and schema["function"]["description"] == "Add two ints."
    schema["function"]["name"] = "changed"  # a copy: the cached analysis is not affected
    assert tool.tool_schema()["function"]["name"] == "add"


def test_invalid_source_is_a_field_error_with_line_and_column():  # T01
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps({"kind": "python", "name": "f", "source": "def f(:\n  pass\n"}), "tool")
    assert info.value.path == "source"
    assert "line 1, column 7" in str(info.value)


def test_python_approval_is_pinned_to_the_source():
    tool = PythonToolSpec(name="add", source=ADD_SOURCE)
    assert not tool.is_approved
    approved = tool.approve()
    assert approved.is_approved and approved.approved_hash.startswith("sha256:")
    edited = approved.model_copy(update={"source": ADD_SOURCE.replace("a + b", "a - b")})
    assert not edited.is_approved  # editing the source revokes the approval
    forged = PythonToolSpec(name="add", source=ADD_SOURCE, approved_hash="sha256:" + "0" * 64)
    assert not forged.is_approved
    with pytest.raises(ValueError):
        PythonToolSpec(name="add", source=ADD_SOURCE, approved_hash="yes")


def test_loading_a_tool_from_text_clears_its_approval_unless_it_is_our_own():
    approved = PythonToolSpec(name="add", source=ADD_SOURCE).approve()
    text = dump_spec(approved)
    assert not load_spec(text, "tool").is_approved
    assert load_spec(text, "tool", keep_approvals=True).is_approved


def test_mcp_stdio_and_http_rules():
    stdio = McpToolSpec(name="fs", command="npx", args=["-y", "@modelcontextprotocol/server-filesystem", "/data"])
    assert stdio.transport == "stdio" and not stdio.is_approved
    with pytest.raises(ValueError, match="needs a command"):
        McpToolSpec(name="fs")
    with pytest.raises(ValueError, match="needs a url"):
        McpToolSpec(name="web", transport="sse")
    with pytest.raises(ValueError, match="apply to the stdio transport only"):
        McpToolSpec(name="web", transport="streamable_http", url="https://mcp.example.com/mcp", command="x")
    with pytest.raises(ValueError, match="only http:// and https://"):
        McpToolSpec(name="web", transport="sse", url="file:///tmp/sock")
    with pytest.raises(ValueError, match="NUL"):
        McpToolSpec(name="fs", command="bash", args=["-c", "x\x00y"])


def test_mcp_env_and_headers_hold_references_only():  # T15
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps({"kind": "mcp", "name": "fs", "command": "srv", "env": {"TOKEN": "ghp_abcdef"}}), "tool")
    assert info.value.path == "env.TOKEN" and "ghp_abcdef" not in str(info.value)
    tool = McpToolSpec(
        name="web",
        transport="streamable_http",
        url="https://mcp.example.com/mcp",
        headers={"Authorization": SecretRef(secret="mcp-token")},
    )
    assert tool.headers["Authorization"].secret == "mcp-token"


@pytest.mark.parametrize(
    "change",
    [
        {"command": "bash"},
        {"args": ["-c", "touch CANARY"]},
        {"args": ["--yes", "evil-pkg"]},
        {"env": {"HOME": SecretRef(env="HOME")}},
        {"network": True},
    ],
)
def test_mcp_approval_is_pinned_to_command_args_env_and_network(change):  # T14: approve exact argv
    approved = McpToolSpec(name="fs", command="npx", args=["server"]).approve()
    assert approved.is_approved
    assert not approved.model_copy(update=change).is_approved
    assert approved.model_copy(update={"description": "now with more words"}).is_approved


def test_builtins_are_a_closed_list_and_need_no_approval():
    assert BuiltinToolSpec(name="calc", builtin="calculator").is_approved
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps({"kind": "builtin", "name": "sh", "builtin": "shell"}), "tool")
    assert info.value.path == "builtin" and "calculator, current_time, python_exec" in str(info.value)


def test_unknown_tool_kind_lists_the_kinds():
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps({"kind": "pyhton", "name": "f", "source": "def f(): pass"}), "tool")
    assert info.value.path == "kind"
    assert "builtin, mcp, python" in str(info.value) and "Did you mean 'python'?" in str(info.value)
