"""The closed provider tables of the AutoGen Studio importer/exporter: provider string → what it becomes here.

A provider not in these tables is rejected with its JSON path; no class named in a file is ever imported.
"""

from __future__ import annotations

from typing import Any

_A = "autogen_agentchat."
_X = "autogen_ext."

TEAM_PROVIDERS: dict[str, str] = {
    _A + "teams.RoundRobinGroupChat": "round_robin",
    _A + "teams.SelectorGroupChat": "selector",
}
AGENT_PROVIDERS: dict[str, str] = {
    _A + "agents.AssistantAgent": "assistant",
    _A + "agents.UserProxyAgent": "user_proxy",
    _A + "agents.CodeExecutorAgent": "code_executor",
}
MODEL_PROVIDERS: dict[str, str] = {
    _X + "models.openai.OpenAIChatCompletionClient": "openai",
    "OpenAIChatCompletionClient": "openai",
    "openai_chat_completion_client": "openai",
    _X + "models.openai.AzureOpenAIChatCompletionClient": "azure",
    "AzureOpenAIChatCompletionClient": "azure",
    "azure_openai_chat_completion_client": "azure",
    _X + "models.ollama.OllamaChatCompletionClient": "ollama",
    "OllamaChatCompletionClient": "ollama",
    _X + "models.replay.ReplayChatCompletionClient": "replay",
}
"""Known model clients, including AutoGen's WELL_KNOWN_PROVIDERS aliases."""
TOOL_PROVIDERS: dict[str, str] = {
    "autogen_core.tools.FunctionTool": "function",
    _X + "tools.code_execution.PythonCodeExecutionTool": "python_exec",
}
WORKBENCH_PROVIDERS: dict[str, str] = {
    "autogen_core.tools.StaticWorkbench": "static",
    "autogen_core.tools.StaticStreamWorkbench": "static",
    _X + "tools.mcp.McpWorkbench": "mcp",
}
TERMINATION_PROVIDERS: dict[str, str] = {
    _A + "base.AndTerminationCondition": "and",
    _A + "base.OrTerminationCondition": "or",
    _A + "conditions.MaxMessageTermination": "max_messages",
    _A + "conditions.TextMentionTermination": "text_mention",
    _A + "conditions.SourceMatchTermination": "source_match",
    _A + "conditions.TokenUsageTermination": "token_usage",
    _A + "conditions.TimeoutTermination": "timeout",
    _A + "conditions.ExternalTermination": "external",
    _A + "conditions.FunctionCallTermination": "function_call",
    _A + "conditions.StopMessageTermination": "stop_message",
    _A + "conditions.TextMessageTermination": "text_message",
    _A + "conditions.HandoffTermination": "handoff",
}
CONTEXT_PROVIDERS: dict[str, str] = {
    "autogen_core.model_context.UnboundedChatCompletionContext": "unbounded",
    "autogen_core.model_context.BufferedChatCompletionContext": "buffered",
    "autogen_core.model_context.HeadAndTailChatCompletionContext": "head_and_tail",
    "autogen_core.model_context.TokenLimitedChatCompletionContext": "token_limited",
}
"""Model contexts: the unbounded one is what our agents do; the others are dropped with a warning."""
EXECUTOR_PROVIDERS: dict[str, str] = {
    _X + "code_executors.local.LocalCommandLineCodeExecutor": "local",
    _X + "code_executors.docker.DockerCommandLineCodeExecutor": "docker",
    _X + "code_executors.jupyter.JupyterCodeExecutor": "jupyter",
}

IMPLICIT_USER = "user"
"""Name of the agent that stands for AGS's task sender (the `user` source), added on import."""


def is_autogen_studio(data: Any) -> bool:
    """True if `data` looks like an AGS component (`provider` + `config`) or an AGS gallery (`components`)."""
    if not isinstance(data, dict) or "schema_version" in data:
        return False
    if isinstance(data.get("provider"), str) and isinstance(data.get("config"), dict):
        return True
    components = data.get("components")
    return isinstance(components, dict) and isinstance(components.get("teams"), list)
