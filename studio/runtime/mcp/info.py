"""`McpToolInfo` — a tool as an MCP server lists it — and the schema normalisation applied to every listing.

The parameters are reshaped into the OpenAI function-parameters form AgentChat's `McpWorkbench` produces
(`type: object`, `properties`, `required`, `additionalProperties: false` unless the server says otherwise), keeping
`$defs` so nested-model `$ref`s still resolve. The hashes and the suspicious-character list come from `safety`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.runtime.mcp.safety import SuspiciousChar, description_hash, suspicious_characters, tool_fingerprint


@dataclass(frozen=True, slots=True)
class McpToolInfo:
    """A tool as the server lists it, with its input schema normalised to an OpenAI-style parameters object."""

    name: str
    description: str
    parameters: dict[str, Any]
    title: str | None = None

    @property
    def description_hash(self) -> str:
        """SHA-256 of the exact description text."""
        return description_hash(self.description)

    @property
    def fingerprint(self) -> str:
        """Hash of name + description + parameters: pin this when a user approves a server (T37)."""
        return tool_fingerprint(self.name, self.description, self.parameters)

    @property
    def suspicious(self) -> list[SuspiciousChar]:
        """Invisible or bidi characters hidden in the description (empty for honest servers)."""
        return suspicious_characters(self.description)


def normalise_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """An MCP input schema as `{"type": "object", "properties", "required", "additionalProperties": false}`."""
    schema = schema or {}
    out: dict[str, Any] = {
        "type": "object",
        "properties": dict(schema.get("properties") or {}),
        "required": list(schema.get("required") or []),
        "additionalProperties": schema.get("additionalProperties", False),
    }
    for key in ("$defs", "definitions"):  # nested models refer to these; dropping them would break the $refs
        if key in schema:
            out[key] = schema[key]
    return out


def tool_info(tool: Any) -> McpToolInfo:
    """An SDK `Tool` (duck-typed) as `McpToolInfo`."""
    return McpToolInfo(
        name=tool.name,
        description=tool.description or "",
        parameters=normalise_schema(tool.input_schema),
        title=getattr(tool, "title", None),
    )
