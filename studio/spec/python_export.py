"""Bundle → a runnable Python script on the classic API (`from studio import AssistantAgent, ...`).

The script is what a person would write by hand with AG2: llm_config dicts, agents, `register_function`, a
`GroupChat` and its manager, `initiate_chat`. Every value taken from the spec is written with `repr()`, so no text in a
spec can break out of its string literal; the only code pasted verbatim is tool source, which *is* code and is marked
as unreviewed when it was never approved. Keys are read from the environment variable the spec's reference names
(a stored secret becomes an environment variable of the same name, upper-cased), never written into the script.
Agents are built inside `build()`, so tool source at module level cannot clash with them. The team's termination tree
and hard limits become one termination condition (`studio.runtime.termination`), passed to `initiate_chat`.
"""

from __future__ import annotations

import ast
import keyword
import re
from typing import Any

from studio.spec.agent import AgentSpec
from studio.spec.bundle import Bundle
from studio.spec.model import ModelSpec, ScriptedToolCall
from studio.spec.team import DEFAULT_SELECTOR_PROMPT
from studio.spec.termination import AndTermination, AnyTermination, OrTermination
from studio.spec.tool import AnyToolSpec, BuiltinToolSpec, McpToolSpec, PythonToolSpec

_CLASSES = {
    "max_messages": "MaxMessageTermination",
    "text_mention": "TextMentionTermination",
    "source_match": "SourceMatchTermination",
    "token_usage": "TokenUsageTermination",
    "timeout": "TimeoutTermination",
    "external": "ExternalTermination",
    "function_call": "FunctionCallTermination",
    "stop_message": "StopMessageTermination",
    "text_message": "TextMessageTermination",
    "handoff": "HandoffTermination",
}
_BUILTINS = {
    "calculator": (
        "def {name}(a: Annotated[float, 'first operand'], b: Annotated[float, 'second operand'],\n"
        "           operator: Annotated[Literal['+', '-', '*', '/'], 'the operation']) -> str:\n"
        "    if operator == '+':\n        return str(a + b)\n"
        "    if operator == '-':\n        return str(a - b)\n"
        "    if operator == '*':\n        return str(a * b)\n"
        "    if operator == '/':\n        return 'Error: Division by zero' if b == 0 else str(a / b)\n"
        "    return 'Error: Invalid operator. Please use +, -, *, or /'\n",
        "Add, subtract, multiply or divide two numbers.",
    ),
    "current_time": (
        "def {name}() -> str:\n    return datetime.datetime.now(datetime.timezone.utc).isoformat()\n",
        "The current date and time (UTC, ISO 8601).",
    ),
    "python_exec": (
        "def {name}(code: Annotated[str, 'Python code to run']) -> str:\n"
        "    from studio.runtime.code.base import CodeBlock\n"
        "    from studio.runtime.code.sandbox import SandboxCodeExecutor\n\n"
        "    result = SandboxCodeExecutor(timeout=60).execute_code_blocks([CodeBlock(code=code, language='python')])\n"
        "    return f'exitcode: {{result.exit_code}}\\n{{result.output}}'\n",
        "Run Python code in the sandbox (no network, no host files) and return its output.",
    ),
}
_RESERVED = {
    "os",
    "sys",
    "build",
    "run",
    "termination",
    "content_str",
    "datetime",
    "Annotated",
    "Literal",
    "AssistantAgent",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "UserProxyAgent",
    "register_function",
    "groupchat",
    "manager",
    "initiator",
    "recipient",
    "task",
    "result",
}


def export_python(bundle: Bundle) -> str:
    """A self-contained script that runs the bundle's team on a task given on the command line."""
    return _Writer(bundle).script()


def _env_name(model: ModelSpec) -> str | None:
    if model.api_key is not None and model.api_key.secret is not None:
        return re.sub(r"[^A-Za-z0-9]+", "_", model.api_key.secret).upper()
    return model.key_env_var() if model.provider != "openai_compatible" or model.api_key is not None else None


class _Writer:
    def __init__(self, bundle: Bundle) -> None:
        self.b = bundle
        self.taken = set(_RESERVED) | {t.name for t in bundle.tools}
        self.vars: dict[str, str] = {}

    def var(self, key: str, base: str) -> str:
        name = re.sub(r"\W", "_", base)
        if not name.isidentifier() or keyword.iskeyword(name) or name in self.taken:
            name = f"{name}_{key.split(':')[0]}"
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        self.vars[key] = name
        return name

    def script(self) -> str:
        team = self.b.team
        future, tools = self._tools()
        lines = [
            f'"""Team {team.name}, exported from Parley Studio.',
            "",
            'Run it:  python this_file.py "your task"',
            "",
            "Keys are read from environment variables; none is written in this file.",
            '"""',
            "",
        ]
        lines += future + [
            "import datetime",
            "import os",
            "import sys",
            "from typing import Annotated, Literal",
            "",
            "from studio import (",
            "    AssistantAgent,",
            "    ConversableAgent,",
            "    GroupChat,",
            "    GroupChatManager,",
            "    UserProxyAgent,",
            "    content_str,",
            "    register_function,",
            ")",
            "from studio.runtime.termination import (",
            *[f"    {c}," for c in sorted(set(_CLASSES.values()))],
            ")",
            "",
            f"TEAM_DESCRIPTION = {team.description!r}",
            "",
        ]
        lines += tools + self._termination_function() + self._build() + self._run()
        return "\n".join(lines).rstrip() + "\n"

    # -- tools -----------------------------------------------------------------------------------------------------
    def _tools(self) -> tuple[list[str], list[str]]:
        future: list[str] = []
        out = ["", "# ---- Tools " + "-" * 100]
        for tool in self.b.tools:
            out.append("")
            if isinstance(tool, PythonToolSpec):
                if not tool.is_approved:
                    out.append(f"# Tool {tool.name}: NOT reviewed or approved in the studio — read it before running.")
                body, hoisted = _split_future(tool.source)
                future += [h for h in hoisted if h not in future]
                out += [body.rstrip(), ""]
            elif isinstance(tool, BuiltinToolSpec):
                source, _ = _BUILTINS[tool.builtin]
                out += [f"# Built-in tool {tool.name} ({tool.builtin}).", source.format(name=tool.name).rstrip(), ""]
            else:
                out.append(
                    f"# MCP server {tool.name} ({tool.transport}) is not exported to scripts: connect it with "
                    "studio.runtime.mcp after reviewing its command/URL."
                )
        return future, out

    def _tool_description(self, tool: AnyToolSpec) -> str:
        if isinstance(tool, PythonToolSpec):
            schema = tool.tool_schema()
            return str(schema["function"]["description"] or tool.name)
        if isinstance(tool, BuiltinToolSpec):
            return tool.description or _BUILTINS[tool.builtin][1]
        return tool.description or tool.name

    # -- termination -----------------------------------------------------------------------------------------------
    def _termination_function(self) -> list[str]:
        limits = self.b.team.limits
        parts = [
            f"MaxMessageTermination(max_messages={limits.max_messages!r})",
            f"TimeoutTermination(timeout_seconds={limits.max_seconds!r})",
            f"TokenUsageTermination(max_total_token={limits.max_tokens!r})",
        ]
        if (termination := self.b.spoken_termination()) is not None:
            parts.insert(0, _condition(termination))
        return [
            "",
            "",
            "def termination():",
            '    """The team\'s termination conditions, or its hard limits."""',
            "    return " + " | ".join(parts),
            "",
        ]

    # -- agents ----------------------------------------------------------------------------------------------------
    def _build(self) -> list[str]:
        team = self.b.team
        out = ["", "def build():", '    """Create the agents; return (initiator, recipient) for initiate_chat."""']
        used = {a.model for a in self.b.agents if a.model} | ({team.selector_model} if team.selector_model else set())
        for model in self.b.models:
            if model.name in used:
                out.append(f"    {self.var('model:' + model.name, model.name)} = {_llm_config(model)}")
        names = [*team.agents] + ([team.initiator] if team.initiator and team.initiator not in team.agents else [])
        for name in names:
            agent = self.b.agent(name)
            out.append(f"    {self.var('agent:' + name, name)} = {self._agent(agent)}")
        out += self._registrations(names)
        first = self.vars["agent:" + team.effective_initiator]
        if team.kind == "two_agent":
            out.append(f"    return {first}, {self.vars['agent:' + team.agents[1]]}")
        else:
            out += self._group()
            out.append(f"    return {first}, manager")
        return out + [""]

    def _agent(self, agent: AgentSpec) -> str:
        cls = {"assistant": "AssistantAgent", "user_proxy": "UserProxyAgent", "code_executor": "ConversableAgent"}
        args = [f"name={agent.speaker!r}"]
        if agent.system_message is not None:
            args.append(f"system_message={agent.system_message!r}")
        if agent.description:
            args.append(f"description={agent.description!r}")
        llm = self.vars.get(f"model:{agent.model}") if agent.model else None
        args.append(f"llm_config={llm or 'False'}")
        args.append(f"human_input_mode={agent.effective_human_input_mode!r}")
        if agent.max_consecutive_auto_reply is not None:
            args.append(f"max_consecutive_auto_reply={agent.max_consecutive_auto_reply!r}")
        if agent.default_auto_reply:
            args.append(f"default_auto_reply={agent.default_auto_reply!r}")
        if not (agent.termination_text == "TERMINATE" and agent.termination_match == "exact"):
            args.append(f"is_termination_msg={_is_termination(agent)}")
        args.append(f"code_execution_config={_code_config(agent)}")
        return f"{cls[agent.kind]}(\n" + "".join(f"        {a},\n" for a in args) + "    )"

    def _registrations(self, names: list[str]) -> list[str]:
        out: list[str] = []
        team = self.b.team
        for name in names:
            agent = self.b.agent(name)
            if agent.tool_executor is not None:
                executor = agent.tool_executor
            elif team.kind == "two_agent" and name in team.agents:
                executor = team.agents[1] if name == team.agents[0] else team.agents[0]
            else:
                executor = name
            for tool_name in agent.tools:
                tool = self.b.tool(tool_name)
                if isinstance(tool, McpToolSpec):
                    continue
                out.append(
                    f"    register_function({tool_name}, caller={self.vars['agent:' + name]}, "
                    f"executor={self.vars['agent:' + executor]}, name={tool_name!r}, "
                    f"description={self._tool_description(tool)!r})"
                )
        return out

    def _group(self) -> list[str]:
        team = self.b.team
        members = ", ".join(self.vars["agent:" + n] for n in team.agents)
        method = "round_robin" if team.speaker_selection == "graph" else team.speaker_selection
        args = [
            f"agents=[{members}]",
            "messages=[]",
            f"max_round={team.max_round!r}",
            f"speaker_selection_method={method!r}",
            f"send_introductions={team.send_introductions!r}",
        ]
        if team.speaker_selection == "graph":
            graph = ", ".join(
                f"{self.vars['agent:' + s]}: [{', '.join(self.vars['agent:' + t] for t in targets)}]"
                for s, targets in team.allowed_transitions.items()
            )
            args += [f"allowed_or_disallowed_speaker_transitions={{{graph}}}", "speaker_transitions_type='allowed'"]
        else:
            args.append(f"allow_repeat_speaker={team.allow_repeat_speaker!r}")
        if team.speaker_selection == "auto":
            args.append(f"max_retries_for_selecting_speaker={team.max_retries_for_selecting_speaker!r}")
            if team.selector_prompt != DEFAULT_SELECTOR_PROMPT:
                args.append(f"select_speaker_message_template={team.selector_prompt!r}")
        selector = self.vars.get(f"model:{team.selector_model}") if team.speaker_selection == "auto" else None
        return [
            "    groupchat = GroupChat(",
            *[f"        {a}," for a in args],
            "    )",
            f"    manager = GroupChatManager(groupchat=groupchat, llm_config={selector or 'False'})",
        ]

    def _run(self) -> list[str]:
        team = self.b.team
        extra = f", max_turns={team.max_turns!r}" if team.kind == "two_agent" and team.max_turns else ""
        return [
            "",
            "def run(task: str):",
            '    """Run the team on `task` and return the ChatResult."""',
            "    initiator, recipient = build()",
            f"    return initiator.initiate_chat(recipient, message=task{extra}, "
            f"summary_method={team.summary_method!r}, termination=termination())",
            "",
            "",
            'if __name__ == "__main__":',
            '    task = " ".join(sys.argv[1:]) or input("Task: ")',
            "    result = run(task)",
            '    print("\\n--- summary ---")',
            "    print(result.summary)",
        ]


def _split_future(source: str) -> tuple[str, list[str]]:
    """Move `from __future__` imports out of a tool's source: Python allows them only at the top of the file."""
    tree = ast.parse(source)
    lines = source.splitlines()
    hoisted: list[str] = []
    drop: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            hoisted.append("from __future__ import " + ", ".join(a.name for a in node.names))
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop), hoisted


def _llm_config(model: ModelSpec) -> str:
    entry: dict[str, str] = {"model": repr(model.model)}
    if model.provider == "scripted":
        entry = {
            "model": repr(model.model),
            "api_type": "'scripted'",
            "replies": repr([_reply(r) for r in model.replies]),
            "loop": repr(model.loop),
        }
    elif model.provider == "local":
        entry["api_type"] = "'local'"
        if model.model_path is not None:
            entry["model_path"] = f"os.path.expanduser({model.model_path!r})"
        if model.n_ctx is not None:
            entry["n_ctx"] = repr(model.n_ctx)
    else:
        if model.provider == "azure":
            entry.update(api_type="'azure'", azure_endpoint=repr(model.base_url), api_version=repr(model.api_version))
            if model.azure_deployment:
                entry["azure_deployment"] = repr(model.azure_deployment)
        elif model.base_url is not None:
            entry["base_url"] = repr(model.base_url)
        env = _env_name(model)
        if env is not None:
            entry["api_key"] = f"os.environ.get({env!r})"
        entry["timeout"] = repr(model.params.timeout)
    if model.params.stream:
        entry["stream"] = "True"
    params = {
        k: repr(v) for k, v in model.params.model_dump().items() if v is not None and k not in ("timeout", "stream")
    }
    body = "{" + ", ".join(f"{k!r}: {v}" for k, v in entry.items()) + "}"
    extra = "".join(f", {k!r}: {v}" for k, v in params.items())
    return "{'config_list': [" + body + "]" + extra + "}"


def _reply(reply: str | ScriptedToolCall) -> Any:
    if isinstance(reply, str):
        return reply
    return {"tool_calls": [{"name": reply.tool, "arguments": reply.arguments}]}


def _is_termination(agent: AgentSpec) -> str:
    text = agent.termination_text
    if text is None:
        return "lambda message: False"
    body = {
        "exact": f"content_str(message.get('content')) == {text!r}",
        "contains": f"{text!r} in content_str(message.get('content'))",
        "ends_with": f"content_str(message.get('content')).rstrip().endswith({text!r})",
    }[agent.termination_match]
    return f"lambda message: {body}"


def _code_config(agent: AgentSpec) -> str:
    ex = agent.code_execution
    if ex.mode == "off":
        return "False"
    work_dir = "coding" if ex.work_dir is None else f"coding/{ex.work_dir}"
    kwargs: dict[str, Any] = {"work_dir": work_dir, "timeout": ex.timeout}
    if ex.mode in ("sandbox", "docker"):
        kwargs["network"] = ex.network
    if ex.mode == "docker":
        kwargs["image"] = ex.image
    return repr({"executor": ex.mode, ex.mode: kwargs, "last_n_messages": ex.last_n_messages})


def _condition(cond: AnyTermination) -> str:
    if isinstance(cond, AndTermination | OrTermination):
        op = " & " if isinstance(cond, AndTermination) else " | "
        return "(" + op.join(_condition(c) for c in cond.conditions) + ")"
    args = ", ".join(f"{k}={v!r}" for k, v in cond.model_dump().items() if k != "kind" and v is not None)
    return f"{_CLASSES[cond.kind]}({args})"
