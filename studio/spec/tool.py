"""`ToolSpec`: a tool an agent may call — Python source, an MCP server, or a built-in — and how approval works.

Approval follows Jupyter's notebook-trust model (SECURITY lessons 1, 2, 4): a person reviews exactly what will run
and the spec records `approved_hash`, the sha256 of that content (the source for Python; transport, command, args,
env/header names and URL for MCP). `is_approved` recomputes the hash, so editing anything that runs revokes the
approval by construction, and a hash copied from elsewhere approves only the very content it was computed from.
Bundles read from outside the studio have their approvals cleared on load (see `io.load_bundle`): an imported file
cannot approve itself. Validation never executes a source (`tool_source`), and nothing here spawns an MCP server.
"""

from __future__ import annotations

import hashlib
import json
import keyword
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from studio.spec._base import ENV_PATTERN, Description, HttpUrl, Name, SecretRef, SpecModel
from studio.spec.tool_source import MAX_SOURCE_BYTES, ToolSourceInfo, analyze_tool_source

BUILTIN_TOOLS: tuple[str, ...] = ("calculator", "current_time", "python_exec")
"""The built-in tools, implemented by the studio itself."""

ApprovalHash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
_HEADER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*$"


def _sha256(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class PythonToolSpec(SpecModel):
    """A Python function typed (or imported) as source. It runs only in the sandbox, and only once approved."""

    kind: Literal["python"] = "python"
    """Tool kind: Python source."""
    name: Name
    """Tool name; the source must define exactly one top-level function with this name."""
    description: Description = ""
    """What the tool does, as the model sees it (defaults to the function's docstring)."""
    source: str
    """Python source: exactly one top-level `def` (or `async def`) named like the tool; module-level imports allowed.
    It is parsed, never executed, until a person approves it."""
    timeout: Annotated[float, Field(gt=0.0, le=600.0)] = 30.0
    """Seconds one call may take before it is killed."""
    approved_hash: ApprovalHash | None = None
    """sha256 of the source a person reviewed and approved; editing the source revokes the approval."""

    @field_validator("name")
    @classmethod
    def _python_identifier(cls, value: str) -> str:
        if "-" in value or keyword.iskeyword(value):
            raise ValueError(
                f"The Python tool name {value!r} must be a Python identifier (letters, digits and '_'), because the "
                "source defines a function with that name."
            )
        return value

    @field_validator("source")
    @classmethod
    def _valid_source(cls, value: str, info: ValidationInfo) -> str:
        name = info.data.get("name")
        if not isinstance(name, str):  # the name error is reported on its own; still refuse a huge source
            if len(value) > MAX_SOURCE_BYTES:
                raise ValueError(f"The tool source is larger than the limit of {MAX_SOURCE_BYTES:,} bytes (256 KB).")
            return value
        result = analyze_tool_source(value, name, description=info.data.get("description") or None)
        if result.errors:
            details = "; ".join(str(issue) for issue in result.errors[:5])
            more = f" (and {len(result.errors) - 5} more)" if len(result.errors) > 5 else ""
            raise ValueError(f"The tool source is not valid: {details}{more}.")
        return value

    def analyze(self) -> ToolSourceInfo:
        """The parsed view of the source: schema, docstring, warnings (cached; never executes the source)."""
        return analyze_tool_source(self.source, self.name, description=self.description or None)

    def tool_schema(self) -> dict[str, Any]:
        """The OpenAI-format tool schema derived from the source's signature."""
        schema = self.analyze().schema
        assert schema is not None  # a validated spec always has one
        return schema

    def content_hash(self) -> str:
        """sha256 of what runs: the name and the source."""
        return _sha256({"kind": "python", "name": self.name, "source": self.source})

    @property
    def is_approved(self) -> bool:
        """True if a person approved exactly this source."""
        return self.approved_hash == self.content_hash()

    def approve(self) -> PythonToolSpec:
        """A copy marked as approved for its current source (call only after a person reviewed it)."""
        return self.model_copy(update={"approved_hash": self.content_hash()})


class McpToolSpec(SpecModel):
    """An MCP server whose tools the agent may call. Nothing is spawned or contacted until a person approves it."""

    kind: Literal["mcp"] = "mcp"
    """Tool kind: an MCP server."""
    name: Name
    """Name agents use to refer to this server's tools."""
    description: Description = ""
    """What the server offers (free text)."""
    transport: Literal["stdio", "sse", "streamable_http"] = "stdio"
    """How to reach the server: a local process (`stdio`, run in the sandbox) or a URL (`sse`, `streamable_http`)."""
    command: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """stdio: the program to start, e.g. `uvx`. Approval pins the exact command and arguments."""
    args: list[Annotated[str, Field(max_length=4096)]] = Field(default_factory=list, max_length=256)
    """stdio: the program's arguments, exactly as they will be passed."""
    env: dict[Annotated[str, Field(max_length=128, pattern=ENV_PATTERN)], SecretRef] = Field(default_factory=dict)
    """stdio: environment variables for the server, each taken from a secret reference (never a value here)."""
    url: HttpUrl | None = None
    """sse / streamable_http: the server's URL."""
    headers: dict[Annotated[str, Field(max_length=128, pattern=_HEADER_PATTERN)], SecretRef] = Field(
        default_factory=dict
    )
    """sse / streamable_http: HTTP headers, each taken from a secret reference (e.g. Authorization)."""
    tools: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = None
    """Only these tools of the server are offered to the model; unset means all of them."""
    timeout: Annotated[float, Field(gt=0.0, le=600.0)] = 30.0
    """Seconds to wait for the server to start or answer a request."""
    read_timeout: Annotated[float, Field(gt=0.0, le=3600.0)] = 300.0
    """Seconds to wait for one tool call's result."""
    network: bool = False
    """stdio: let the server's process reach the network (off by default)."""
    approved_hash: ApprovalHash | None = None
    """sha256 of the transport, command, arguments, env/header names and URL a person approved."""

    @model_validator(mode="after")
    def _transport_rules(self) -> McpToolSpec:
        if self.transport == "stdio":
            if self.command is None:
                raise ValueError("A stdio MCP server needs a command (the program to start).")
            if self.url is not None or self.headers:
                raise ValueError("url and headers apply to the sse and streamable_http transports, not stdio.")
            if "\x00" in self.command or any("\x00" in a for a in self.args):
                raise ValueError("The MCP command and its arguments must not contain NUL bytes.")
        else:
            if self.url is None:
                raise ValueError(f"A {self.transport} MCP server needs a url.")
            if self.command is not None or self.args or self.env or self.network:
                raise ValueError("command, args, env and network apply to the stdio transport only.")
        return self

    def content_hash(self) -> str:
        """sha256 of what the approval covers: what is started or contacted, and with which secret references."""
        return _sha256(
            {
                "kind": "mcp",
                "name": self.name,
                "transport": self.transport,
                "command": self.command,
                "args": self.args,
                "env": {k: v.label() for k, v in self.env.items()},
                "url": self.url,
                "headers": {k: v.label() for k, v in self.headers.items()},
                "network": self.network,
            }
        )

    @property
    def is_approved(self) -> bool:
        """True if a person approved exactly this server configuration."""
        return self.approved_hash == self.content_hash()

    def approve(self) -> McpToolSpec:
        """A copy marked as approved for its current configuration (only after a person reviewed it)."""
        return self.model_copy(update={"approved_hash": self.content_hash()})


class BuiltinToolSpec(SpecModel):
    """A tool the studio implements itself (no user code): calculator, current time, Python in the sandbox."""

    kind: Literal["builtin"] = "builtin"
    """Tool kind: built-in."""
    name: Name
    """Name agents use to refer to this tool."""
    builtin: Literal["calculator", "current_time", "python_exec"]
    """Which built-in: `calculator` (arithmetic), `current_time` (UTC time), `python_exec` (run Python in the
    sandbox)."""
    description: Description = ""
    """Description shown to the model (empty: the built-in's own)."""

    @property
    def is_approved(self) -> bool:
        """Built-ins are the studio's own code and need no approval."""
        return True


ToolSpec = Annotated[PythonToolSpec | McpToolSpec | BuiltinToolSpec, Field(discriminator="kind")]
"""A tool: `kind` is `python`, `mcp` or `builtin`."""

AnyToolSpec = PythonToolSpec | McpToolSpec | BuiltinToolSpec
