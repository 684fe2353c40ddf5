"""MCP tools registered on agents behave as ordinary tools; server errors reach the model as error results."""

from __future__ import annotations

from studio import ConversableAgent
from studio.events import ToolResult
from studio.runtime.mcp import McpToolset
from studio.runtime.models import ScriptedClient


def test_an_agent_calls_mcp_tools_over_stdio_and_sees_errors(demo_params):
    client = ScriptedClient(
        [
            {
                "tool_calls": [
                    {"id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}},
                    {"id": "c2", "name": "boom", "arguments": {}},
                ]
            },
            "TERMINATE",
        ]
    )
    caller = ConversableAgent("caller", llm_config={"model": "m", "client": client}, human_input_mode="NEVER")
    executor = ConversableAgent("executor", llm_config=False, human_input_mode="NEVER")
    events = []
    with McpToolset([demo_params()]) as toolset:
        caller.register_tools(toolset.tools, executor=False)
        executor.register_tools(toolset.tools, caller=False)
        assert {t["function"]["name"] for t in caller.llm_config["tools"]} >= {"add", "boom"}
        executor.initiate_chat(caller, message="add and boom", max_turns=2, silent=True, listeners=[events.append])
    results = next(e for e in events if isinstance(e, ToolResult)).results
    assert (results[0]["name"], results[0]["content"], results[0]["is_error"]) == ("add", "5", False)
    assert results[1]["name"] == "boom" and results[1]["is_error"] is True
    assert "nope" in results[1]["content"]
