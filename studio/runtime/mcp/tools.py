"""MCP tools as ordinary agent tools: `McpTool` (one per server tool), `mcp_tools()` and `McpToolset`.

An agent needs two things from a tool: the OpenAI-format `schema` to advertise to the model, and a callable for its
`function_map`. `McpTool` is both: a plain object with `name`/`description`/`schema` whose `__call__(**kwargs)`
returns the result text ("Error: ..." when the server reports an error), so the agents treat it like any Python tool.
`call_json()` is the path for raw model output: bad JSON becomes an error result, never an exception.

Names are normalised to the OpenAI pattern `^[a-zA-Z0-9_-]{1,64}$` (optionally prefixed per server, de-duplicated
with `_2`, `_3`...), while the call goes to the server under the tool's original name. `McpToolset` opens one
session per server (in parallel), exposes all tools, and closes every session — and so reaps every stdio child —
when the chat ends.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from studio.errors import ToolError
from studio.runtime.mcp.info import McpToolInfo
from studio.runtime.mcp.params import ServerParams, describe
from studio.runtime.mcp.session import McpSession

_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")
_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


@dataclass(frozen=True, slots=True)
class ToolOverride:
    """Rename and/or redescribe one server tool (calls are reverse-mapped to the original name)."""

    name: str | None = None
    description: str | None = None


@dataclass(slots=True)
class McpServerConfig:
    """One server in a toolset, with its per-server tool options."""

    params: ServerParams
    prefix: str | None = None
    overrides: Mapping[str, ToolOverride | Mapping[str, str]] | None = None
    timeout: float | None = None  # per-call timeout for this server's tools; None = the session default


def normalise_name(name: str) -> str:
    """`name` mapped onto `^[a-zA-Z0-9_-]{1,64}$` (other characters become `_`)."""
    return _BAD_CHARS.sub("_", name)[:64] or "tool"


def _signature(parameters: dict[str, Any]) -> inspect.Signature:
    """A keyword-only signature mirroring the JSON schema, for code that introspects tool callables."""
    required = set(parameters.get("required") or [])
    params = []
    for prop, spec in (parameters.get("properties") or {}).items():
        if not prop.isidentifier():
            continue
        spec = spec if isinstance(spec, dict) else {}
        annotation = _JSON_TYPES.get(spec.get("type"), Any) if isinstance(spec.get("type"), str) else Any
        default = inspect.Parameter.empty if prop in required else spec.get("default")
        params.append(inspect.Parameter(prop, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    params.sort(key=lambda p: p.default is not inspect.Parameter.empty)
    return inspect.Signature(params, return_annotation=str)


class McpTool:
    """One MCP server tool as an agent tool: `schema` for the model, `__call__(**kwargs) -> str` for execution."""

    def __init__(
        self, session: McpSession, info: McpToolInfo, *, name: str, description: str, timeout: float | None = None
    ) -> None:
        if not _NAME_RE.match(name):
            raise ToolError(f"MCP tool name {name!r} is not valid; use 1-64 letters, digits, '_' or '-'.")
        self.session = session
        self.info = info
        self.name = name
        self.description = description
        self.timeout = timeout
        self.__name__ = name
        self.__doc__ = description
        self.__signature__ = _signature(info.parameters)

    @property
    def server_tool_name(self) -> str:
        """The name the server knows the tool by (differs from `name` after prefixing/overrides/normalising)."""
        return self.info.name

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.info.parameters},
        }

    def call(self, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Call the server tool; `(text, is_error)`."""
        return self.session.call_tool(self.info.name, arguments, timeout=self.timeout)

    def call_json(self, arguments: str) -> tuple[str, bool]:
        """Call with the model's raw JSON arguments; malformed JSON or a non-object is an error result."""
        try:
            parsed = json.loads(arguments) if arguments and arguments.strip() else {}
        except (json.JSONDecodeError, TypeError) as exc:
            return (f"Arguments for tool '{self.name}' are not valid JSON ({exc}); send a JSON object.", True)
        if not isinstance(parsed, dict):
            return (f"Arguments for tool '{self.name}' must be a JSON object, got {type(parsed).__name__}.", True)
        return self.call(parsed)

    def __call__(self, **kwargs: Any) -> str:
        text, is_error = self.call(kwargs)
        return f"Error: {text}" if is_error else text

    def __repr__(self) -> str:
        return f"<McpTool {self.name} ({self.session.description})>"


def _override_fields(value: ToolOverride | Mapping[str, str]) -> tuple[str | None, str | None]:
    if isinstance(value, ToolOverride):
        return value.name, value.description
    unknown = set(value) - {"name", "description"}
    if unknown:
        raise ToolError(f"Unknown MCP tool override field(s) {sorted(unknown)}; use 'name' and/or 'description'.")
    return value.get("name"), value.get("description")


def mcp_tools(
    session: McpSession,
    *,
    prefix: str | None = None,
    overrides: Mapping[str, ToolOverride | Mapping[str, str]] | None = None,
    timeout: float | None = None,
    taken: set[str] | None = None,
) -> list[McpTool]:
    """The session's tools as `McpTool`s. `overrides` keys are the server's tool names; `taken` (shared across
    servers by `McpToolset`) makes names unique with `_2`, `_3`... suffixes."""
    infos = session.list_tools()
    overrides = dict(overrides or {})
    missing = set(overrides) - {i.name for i in infos}
    if missing:
        raise ToolError(
            f"MCP tool override(s) for {sorted(missing)} match no tool of the {session.description}; "
            f"it offers {sorted(i.name for i in infos)}."
        )
    taken = set() if taken is None else taken
    tools: list[McpTool] = []
    for info in infos:
        new_name, new_description = _override_fields(overrides.get(info.name, ToolOverride()))
        if new_name is not None:
            if not _NAME_RE.match(new_name):
                raise ToolError(f"Override name {new_name!r} for MCP tool {info.name!r} must match {_NAME_RE.pattern}.")
            name = new_name
        else:
            base = f"{prefix}_{info.name}" if prefix else info.name
            name = normalise_name(base)
        if name in taken:
            stem, n = name, 2
            while name in taken:
                suffix = f"_{n}"
                name, n = stem[: 64 - len(suffix)] + suffix, n + 1
        taken.add(name)
        description = new_description if new_description is not None else info.description
        tools.append(McpTool(session, info, name=name, description=description, timeout=timeout))
    return tools


class McpToolset:
    """All tools of several MCP servers for one chat: `with McpToolset([...]) as ts: agent tools = ts.tools`.

    Sessions open in parallel on `__enter__`/`open()` and close (reaping stdio children) on `__exit__`/`close()`.
    If any server fails to start, the ones that did start are closed and the `ToolError` is raised.
    """

    def __init__(self, servers: Iterable[ServerParams | McpServerConfig], *, start_timeout: float = 10.0) -> None:
        self.configs = [s if isinstance(s, McpServerConfig) else McpServerConfig(s) for s in servers]
        self.start_timeout = start_timeout
        self.sessions: list[McpSession] = []
        self.tools: list[McpTool] = []

    @property
    def function_map(self) -> dict[str, McpTool]:
        return {t.name: t for t in self.tools}

    @property
    def schemas(self) -> list[dict[str, Any]]:
        return [t.schema for t in self.tools]

    def open(self) -> McpToolset:
        if self.sessions:
            return self
        results: list[McpSession | BaseException] = []
        if self.configs:
            with ThreadPoolExecutor(max_workers=min(8, len(self.configs)), thread_name_prefix="mcp-open") as pool:
                futures = [pool.submit(McpSession, c.params, start_timeout=self.start_timeout) for c in self.configs]
                for f in futures:
                    try:
                        results.append(f.result())
                    except BaseException as exc:  # noqa: BLE001 - re-raised below after cleanup
                        results.append(exc)
        self.sessions = [r for r in results if isinstance(r, McpSession)]
        errors = [r for r in results if not isinstance(r, McpSession)]
        try:
            if errors:
                raise errors[0]
            taken: set[str] = set()
            for config, session in zip(self.configs, self.sessions, strict=True):
                self.tools.extend(
                    mcp_tools(
                        session, prefix=config.prefix, overrides=config.overrides, timeout=config.timeout, taken=taken
                    )
                )
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        sessions, self.sessions, self.tools = self.sessions, [], []
        if len(sessions) > 1:  # stdio shutdown can take seconds per server; do them together
            with ThreadPoolExecutor(max_workers=min(8, len(sessions)), thread_name_prefix="mcp-close") as pool:
                list(pool.map(McpSession.close, sessions))
        else:
            for s in sessions:
                s.close()

    def __enter__(self) -> McpToolset:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_servers(servers: Sequence[ServerParams | McpServerConfig]) -> list[str]:
    """Secret-free descriptions of the servers (for approval dialogs and logs)."""
    return [describe(s.params if isinstance(s, McpServerConfig) else s) for s in servers]
