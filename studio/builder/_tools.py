"""ToolSpec → runtime tools, and the spec → runtime mapping of who calls a tool and who runs it.

Caller and executor (AG2's `register_function(f, caller=..., executor=...)`):

* the **caller** is the agent that lists the tool in `tools`: its model is offered the tool's schema, so it must have a
  model;
* the **executor** is the agent that runs the call: the agent's `tool_executor` when set; otherwise, in a two-agent
  chat, the *other* agent (AG2's assistant + user-proxy pattern: the proxy runs what the assistant asks for); in a
  group chat, the caller itself (the group's function-call filter then picks it to speak next and it answers its own
  call). A group chat's executor must be a participant: a non-member initiator never receives the call.

Kinds:

* `python` — user-written source. Unless approved (the spec's `approved_hash` is the sha256 of exactly this source) or
  the caller passes `trust_tools=True`, the build fails naming the tool (SECURITY lesson 2, T13). Approved source runs
  only inside the run's code sandbox, through `SandboxedTool` — it is never imported or executed in this process — and
  its schema comes from reading the source (`analyze_tool_source`), not from running it.
* `builtin` — the closed registry in `studio.builder.builtins`.
* `mcp` — an `McpToolset` per server, built here but opened only by `BuiltTeam.open()`: nothing is spawned or contacted
  while building or validating. Every transport needs approval, not only stdio: an HTTP server's headers carry stored
  secrets, and an imported file must not be able to send them to a URL of its choosing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.builder import builtins
from studio.builder._code import sandbox_executor
from studio.builder._models import SecretResolver
from studio.errors import BuildError, StudioError
from studio.runtime.tools import FunctionTool, format_json_str
from studio.spec import AgentSpec, BuiltinToolSpec, Bundle, McpToolSpec, PythonToolSpec, SecretRef


def tool_index(bundle: Bundle) -> dict[str, int]:
    return {tool.name: i for i, tool in enumerate(bundle.tools)}


def executor_of(bundle: Bundle, agent: AgentSpec) -> str:
    """The name of the agent that runs `agent`'s tool calls (see the module docstring)."""
    if agent.tool_executor is not None:
        return agent.tool_executor
    team = bundle.team
    if team.kind == "two_agent" and agent.name in team.agents:
        return team.agents[1] if agent.name == team.agents[0] else team.agents[0]
    return agent.name


def approval_problem(tool: Any, path: str, *, trust_tools: bool) -> str | None:
    """Why the tool may not run (None when it may)."""
    if trust_tools or tool.is_approved:
        return None
    if isinstance(tool, PythonToolSpec):
        what = f"The Python tool {tool.name!r} has not been reviewed: its source was imported or edited since"
        action = "Review its source in Build → Tools and approve it"
    else:
        what = f"The MCP server {tool.name!r} has not been reviewed: its command/URL was imported or edited since"
        action = "Review its command, arguments and URL in Build → Tools and approve it"
    return (
        f"{path}: {what} a person last approved it, so it needs review and approval before it can run. {action} "
        "(or run with --trust-tools if you wrote it yourself)."
    )


class SandboxPythonTool(FunctionTool):
    """A spec's Python tool: the schema read from the source, each call run by `SandboxedTool` in the sandbox."""

    def __init__(self, sandboxed: Any, schema: dict[str, Any]):
        self._setup(sandboxed.__call__, sandboxed.name, schema["function"].get("description") or "")
        self._schema = schema
        self.sandboxed = sandboxed

    def call_json(self, arguments: str | bytes | dict[str, Any] | None = "{}") -> tuple[str, bool]:
        args, error = _parse_arguments(self.name, arguments)
        if error is not None:
            return error, True
        return self.sandboxed.call(args)

    async def a_call_json(self, arguments: str | bytes | dict[str, Any] | None = "{}") -> tuple[str, bool]:
        import asyncio

        return await asyncio.to_thread(self.call_json, arguments)


def _parse_arguments(name: str, arguments: Any) -> tuple[dict[str, Any], str | None]:
    """The model's JSON arguments as a dict, or AG2's error text (the model's mistake becomes an observation)."""
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}, None
    if isinstance(arguments, dict):
        return arguments, None
    text = arguments.decode("utf-8", "replace") if isinstance(arguments, bytes) else str(arguments)
    try:
        parsed = json.loads(format_json_str(text) if ("\n" in text or "\t" in text) else text)
    except json.JSONDecodeError as e:
        return {}, f"Error: {e}\n The argument must be in JSON format."
    if not isinstance(parsed, dict):
        return {}, f"Error: {name}() argument after ** must be a mapping, not {type(parsed).__name__}"
    return parsed, None


class ToolFactory:
    """Builds each tool of one build once (an agent list may name a tool several times across agents)."""

    def __init__(self, bundle: Bundle, *, run_dir: Path, resolve: SecretResolver):
        self.bundle = bundle
        self.run_dir = run_dir
        self.resolve = resolve
        self.index = tool_index(bundle)
        self.executors: list[Any] = []  # sandboxes this factory made (to cancel on stop, close at the end)
        self._tools: dict[str, Any] = {}
        self._tool_sandbox: Any = None

    def get(self, name: str) -> Any:
        """A `FunctionTool` for python/builtin tools, an unopened `McpToolset` for MCP servers."""
        if name not in self._tools:
            i = self.index[name]
            spec = self.bundle.tools[i]
            path = f"tools[{i}]"
            if isinstance(spec, PythonToolSpec):
                self._tools[name] = self._python(spec, path)
            elif isinstance(spec, BuiltinToolSpec):
                self._tools[name] = self._builtin(spec)
            else:
                self._tools[name] = self._mcp(spec, path)
        return self._tools[name]

    def _python(self, spec: PythonToolSpec, path: str) -> SandboxPythonTool:
        from studio.runtime.code.tool_runner import SandboxedTool

        info = spec.analyze()
        if info.schema is None:  # a validated spec always has one; a hand-made one may not
            raise BuildError(f"The tool source is not valid: {'; '.join(map(str, info.errors))}", path=f"{path}.source")
        if self._tool_sandbox is None:
            self._tool_sandbox = sandbox_executor(self.run_dir, "tools")
            self.executors.append(self._tool_sandbox)
        try:
            sandboxed = SandboxedTool(
                spec.name,
                spec.source,
                executor=self._tool_sandbox,
                timeout=spec.timeout,
                description=spec.description,
            )
        except StudioError as e:
            raise BuildError(str(e), path=f"{path}.source") from None
        return SandboxPythonTool(sandboxed, info.schema)

    def _builtin(self, spec: BuiltinToolSpec) -> FunctionTool:
        description = spec.description or builtins.BUILTIN_DESCRIPTIONS[spec.builtin]
        if spec.builtin in builtins.IN_PROCESS:
            return FunctionTool(builtins.IN_PROCESS[spec.builtin], name=spec.name, description=description)
        executor = sandbox_executor(self.run_dir, "python_exec")
        self.executors.append(executor)
        return FunctionTool(builtins.python_exec_tool(executor), name=spec.name, description=description)

    def _secret(self, ref: SecretRef, path: str) -> str:
        try:
            return self.resolve(ref)
        except StudioError as e:
            raise BuildError(f"The secret {ref.label()} is not available: {e}", path=path) from None

    def _mcp(self, spec: McpToolSpec, path: str) -> Any:
        from studio.runtime import mcp

        if spec.transport == "stdio":
            assert spec.command is not None  # the spec requires one for stdio
            cwd = self.run_dir / "mcp" / spec.name
            cwd.mkdir(parents=True, exist_ok=True)
            env = {k: self._secret(ref, f"{path}.env.{k}") for k, ref in spec.env.items()}
            params: Any = mcp.StdioServerParams(
                spec.command, list(spec.args), env=env, cwd=str(cwd), read_timeout_seconds=spec.read_timeout
            )
        else:
            assert spec.url is not None
            headers = {k: self._secret(ref, f"{path}.headers.{k}") for k, ref in spec.headers.items()}
            cls = mcp.SseServerParams if spec.transport == "sse" else mcp.StreamableHttpServerParams
            params = cls(spec.url, headers=headers or None, timeout=spec.timeout, sse_read_timeout=spec.read_timeout)
        return mcp.McpToolset([mcp.McpServerConfig(params, timeout=spec.read_timeout)], start_timeout=spec.timeout)


def offered_mcp_tools(spec: McpToolSpec, toolset: Any, path: str) -> list[Any]:
    """The opened server's tools the spec offers (all, or the `tools` it lists)."""
    tools = list(toolset.tools)
    if spec.tools is None:
        return tools
    by_server_name = {t.server_tool_name: t for t in tools}
    missing = [name for name in spec.tools if name not in by_server_name]
    if missing:
        raise BuildError(
            f"The MCP server {spec.name!r} offers no tool named {', '.join(map(repr, missing))}; it offers "
            f"{', '.join(sorted(by_server_name)) or 'none'}.",
            path=f"{path}.tools",
        )
    return [by_server_name[name] for name in spec.tools]
