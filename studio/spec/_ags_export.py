"""Bundle → AutoGen Studio team component, in the shape AGS 0.4.2.2 (agentchat 0.5.x) loads.

Each agent's tools go into one `StaticWorkbench` object (component_version 1); an agent whose only tool is an MCP
server gets an `McpWorkbench` instead. No key is ever written: AGS reads `OPENAI_API_KEY` (or the Azure variable) from
its environment, and MCP env/header references are written as `${NAME}` placeholders the user fills in. The task
sender the importer adds (a silent user proxy) is left out again, since AGS provides its own `user`. What AGS cannot
express (random, manual or graph speaker selection) is a `SpecError` naming the field, never a silent change. A
`local` model (a GGUF file run in-process) becomes an OpenAI client pointed at `studio serve-model`'s default address.
"""

from __future__ import annotations

import json
from typing import Any

from studio.errors import SpecError
from studio.spec._ags_import import AGS_SELECTOR_PROMPT
from studio.spec.agent import AgentSpec
from studio.spec.bundle import Bundle
from studio.spec.model import LOCAL_SERVE_BASE_URL, ModelInfo, ModelSpec, ScriptedToolCall
from studio.spec.team import DEFAULT_SELECTOR_PROMPT
from studio.spec.termination import AndTermination, AnyTermination, OrTermination
from studio.spec.tool import AnyToolSpec, BuiltinToolSpec, McpToolSpec, PythonToolSpec

_A = "autogen_agentchat."
_DESCRIPTIONS = {
    "autogen_ext.models.openai.OpenAIChatCompletionClient": "Chat completion client for OpenAI hosted models.",
    "autogen_agentchat.agents.AssistantAgent": "An agent that provides assistance with tool use.",
    "autogen_agentchat.agents.UserProxyAgent": "An agent that can represent a human user through an input function.",
    "autogen_core.tools.StaticWorkbench": "A workbench that provides a static set of tools that do not change after\n"
    "    each tool execution.",
    "autogen_core.tools.FunctionTool": "Create custom tools by wrapping standard Python functions.",
    "autogen_core.model_context.UnboundedChatCompletionContext": "An unbounded chat completion context that keeps a "
    "view of the all the messages.",
    "autogen_agentchat.conditions.TextMentionTermination": "Terminate the conversation if a specific text is "
    "mentioned.",
    "autogen_agentchat.conditions.MaxMessageTermination": "Terminate the conversation after a maximum number of "
    "messages have been exchanged.",
}
_TERMINATIONS = {
    "and": "base.AndTerminationCondition",
    "or": "base.OrTerminationCondition",
    "max_messages": "conditions.MaxMessageTermination",
    "text_mention": "conditions.TextMentionTermination",
    "source_match": "conditions.SourceMatchTermination",
    "token_usage": "conditions.TokenUsageTermination",
    "timeout": "conditions.TimeoutTermination",
    "external": "conditions.ExternalTermination",
    "function_call": "conditions.FunctionCallTermination",
    "stop_message": "conditions.StopMessageTermination",
    "text_message": "conditions.TextMessageTermination",
    "handoff": "conditions.HandoffTermination",
}
_BUILTIN_SOURCES = {
    "calculator": (
        "def calculator(a: float, b: float, operator: str) -> str:\n"
        '    if operator == "+":\n        return str(a + b)\n'
        '    if operator == "-":\n        return str(a - b)\n'
        '    if operator == "*":\n        return str(a * b)\n'
        '    if operator == "/":\n        return "Error: Division by zero" if b == 0 else str(a / b)\n'
        '    return "Error: Invalid operator. Please use +, -, *, or /"\n',
        "A simple calculator that performs basic arithmetic operations",
    ),
    "current_time": (
        "def current_time() -> str:\n    import datetime\n\n"
        "    return datetime.datetime.now(datetime.timezone.utc).isoformat()\n",
        "The current date and time (UTC, ISO 8601)",
    ),
}
DEFAULT_MAX_ROUND = 10


def _comp(
    provider: str, ctype: str, config: dict[str, Any], *, label: str | None = None, description: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"provider": provider, "component_type": ctype, "version": 1, "component_version": 1}
    desc = description if description is not None else _DESCRIPTIONS.get(provider)
    if desc is not None:
        out["description"] = desc
    out["label"] = label or provider.rsplit(".", 1)[-1]
    out["config"] = config
    return out


def export_team(bundle: Bundle) -> dict[str, Any]:
    """The bundle's team as an AGS team component."""
    team = bundle.team
    config: dict[str, Any] = {}
    if team.kind == "two_agent":
        first = bundle.agent(team.agents[0])
        names = team.agents[1:] if is_task_sender(first) else list(team.agents)
        max_turns = team.max_turns
    else:
        if team.speaker_selection not in ("round_robin", "auto"):
            raise SpecError(
                f"AutoGen Studio has no team for speaker selection {team.speaker_selection!r}; use "
                "round_robin or auto to export.",
                path="team.speaker_selection",
            )
        names = list(team.agents)
        max_turns = team.max_round - 1 if team.max_round != DEFAULT_MAX_ROUND else None
    config["participants"] = [
        _agent(bundle, bundle.agent(n), f"agents[{bundle.agents.index(bundle.agent(n))}]") for n in names
    ]
    if (termination := bundle.spoken_termination()) is not None:
        config["termination_condition"] = _termination(termination)
    if max_turns is not None:
        config["max_turns"] = max_turns
    provider = _A + "teams.RoundRobinGroupChat"
    if team.kind == "group_chat" and team.speaker_selection == "auto":
        provider = _A + "teams.SelectorGroupChat"
        assert team.selector_model is not None  # guaranteed by TeamSpec
        config["model_client"] = _model(bundle.model(team.selector_model))
        prompt = team.selector_prompt
        config["selector_prompt"] = (
            AGS_SELECTOR_PROMPT
            if prompt == DEFAULT_SELECTOR_PROMPT
            else prompt.replace("{agentlist}", "{participants}")
        )
        config["allow_repeated_speaker"] = team.allow_repeat_speaker
        config["max_selector_attempts"] = team.max_retries_for_selecting_speaker + 1
        config["model_client_streaming"] = False
    config["emit_team_events"] = False
    return _comp(provider, "team", config, label=team.name, description=team.description)


def is_task_sender(agent: AgentSpec) -> bool:
    """The silent user proxy the AGS importer adds to send the task (AGS has its own, so export leaves it out)."""
    return (
        agent.kind == "user_proxy"
        and agent.effective_human_input_mode == "NEVER"
        and agent.model is None
        and not agent.tools
        and agent.code_execution.mode == "off"
    )


def _agent(bundle: Bundle, agent: AgentSpec, path: str) -> dict[str, Any]:
    if agent.kind == "user_proxy":
        return _comp(_A + "agents.UserProxyAgent", "agent", {"name": agent.speaker, "description": agent.description})
    if agent.kind == "code_executor":
        return _code_executor(bundle, agent)
    config: dict[str, Any] = {"name": agent.speaker}
    assert agent.model is not None  # an assistant always has one
    config["model_client"] = _model(bundle.model(agent.model))
    config["workbench"] = _workbench([bundle.tool(t) for t in agent.tools], f"{path}.tools")
    config["model_context"] = _comp(
        "autogen_core.model_context.UnboundedChatCompletionContext", "chat_completion_context", {}
    )
    config["description"] = agent.description
    if agent.system_message is not None:
        config["system_message"] = agent.system_message
    config.update(
        model_client_stream=agent.stream, reflect_on_tool_use=False, tool_call_summary_format="{result}", metadata={}
    )
    return _comp(_A + "agents.AssistantAgent", "agent", config, label="AssistantAgent")


def _code_executor(bundle: Bundle, agent: AgentSpec) -> dict[str, Any]:
    ex = agent.code_execution
    if ex.mode == "docker":
        executor = _comp(
            "autogen_ext.code_executors.docker.DockerCommandLineCodeExecutor",
            "code_executor",
            {"image": ex.image, "timeout": ex.timeout},
        )
    else:
        executor = _comp(
            "autogen_ext.code_executors.local.LocalCommandLineCodeExecutor", "code_executor", {"timeout": ex.timeout}
        )
    config: dict[str, Any] = {"name": agent.speaker, "code_executor": executor, "description": agent.description}
    if agent.model is not None:
        config["model_client"] = _model(bundle.model(agent.model))
    if agent.system_message is not None:
        config["system_message"] = agent.system_message
    return _comp(_A + "agents.CodeExecutorAgent", "agent", config)


def _workbench(tools: list[AnyToolSpec], path: str) -> dict[str, Any]:
    mcp = [t for t in tools if isinstance(t, McpToolSpec)]
    if mcp and len(tools) > 1:
        raise SpecError(
            "AutoGen Studio 0.4 gives an agent one workbench: an MCP server cannot be exported together "
            "with other tools; give it to an agent of its own.",
            path=path,
        )
    if mcp:
        return _comp("autogen_ext.tools.mcp.McpWorkbench", "workbench", {"server_params": _mcp_params(mcp[0])})
    return _comp(
        "autogen_core.tools.StaticWorkbench", "workbench", {"tools": [_tool(t) for t in tools]}, label="StaticWorkbench"
    )


def _tool(tool: AnyToolSpec) -> dict[str, Any]:
    if isinstance(tool, BuiltinToolSpec) and tool.builtin == "python_exec":
        executor = _comp(
            "autogen_ext.code_executors.local.LocalCommandLineCodeExecutor", "code_executor", {"timeout": 60}
        )
        return _comp(
            "autogen_ext.tools.code_execution.PythonCodeExecutionTool",
            "tool",
            {"executor": executor, "description": tool.description or "Execute Python code blocks."},
        )
    if isinstance(tool, BuiltinToolSpec):
        source, description = _BUILTIN_SOURCES[tool.builtin]
        name = tool.builtin
        description = tool.description or description
    else:
        assert isinstance(tool, PythonToolSpec)
        source, name, description = tool.source, tool.name, tool.description
    return _comp(
        "autogen_core.tools.FunctionTool",
        "tool",
        {
            "source_code": source,
            "name": name,
            "description": description,
            "global_imports": [],
            "has_cancellation_support": False,
        },
    )


def _mcp_params(tool: McpToolSpec) -> dict[str, Any]:
    if tool.transport == "stdio":
        return {
            "type": "StdioServerParams",
            "command": tool.command,
            "args": list(tool.args),
            "env": {k: f"${{{v.env or v.secret}}}" for k, v in sorted(tool.env.items())},
            "read_timeout_seconds": tool.timeout,
        }
    kind = "SseServerParams" if tool.transport == "sse" else "StreamableHttpServerParams"
    return {
        "type": kind,
        "url": tool.url,
        "headers": {k: f"${{{v.env or v.secret}}}" for k, v in sorted(tool.headers.items())},
        "timeout": tool.timeout,
        "sse_read_timeout": tool.read_timeout,
    }


def _model(model: ModelSpec) -> dict[str, Any]:
    params = {k: v for k, v in model.params.model_dump().items() if v is not None and k != "stream"}
    if params.get("timeout") == 60.0:
        del params["timeout"]
    if model.provider == "scripted":
        return _comp(
            "autogen_ext.models.replay.ReplayChatCompletionClient",
            "model",
            {"chat_completions": [_scripted(r, i) for i, r in enumerate(model.replies)]},
        )
    config: dict[str, Any] = {"model": model.model}
    info = model.model_info
    if model.provider == "local":
        # AGS cannot run a GGUF file: the model is reached through `studio serve-model` on its default address.
        config["base_url"] = LOCAL_SERVE_BASE_URL
        provider = "autogen_ext.models.openai.OpenAIChatCompletionClient"
        info = info or ModelInfo(function_calling=False)
    elif model.provider == "azure":
        config.update(azure_endpoint=model.base_url, api_version=model.api_version)
        if model.azure_deployment is not None:
            config["azure_deployment"] = model.azure_deployment
        provider = "autogen_ext.models.openai.AzureOpenAIChatCompletionClient"
    else:
        if model.base_url is not None:
            config["base_url"] = model.base_url
        provider = "autogen_ext.models.openai.OpenAIChatCompletionClient"
    config.update(params)
    if info is None and model.provider == "openai_compatible":
        info = ModelInfo()  # AGS needs model_info for model names it does not know
    if info is not None:
        config["model_info"] = info.model_dump()
    return _comp(provider, "model", config)


def _scripted(reply: str | ScriptedToolCall, index: int) -> Any:
    if isinstance(reply, str):
        return reply
    call = {"id": f"call_{index}", "name": reply.tool, "arguments": json.dumps(reply.arguments, sort_keys=True)}
    return {
        "finish_reason": "function_calls",
        "content": [call],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0},
        "cached": False,
    }


def _termination(cond: AnyTermination) -> dict[str, Any]:
    provider = _A + _TERMINATIONS[cond.kind]
    if isinstance(cond, AndTermination | OrTermination):
        return _comp(provider, "termination", {"conditions": [_termination(c) for c in cond.conditions]})
    config = {k: v for k, v in cond.model_dump().items() if k != "kind" and v is not None}
    return _comp(provider, "termination", config)
