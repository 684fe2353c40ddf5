"""Advertising tools to a model: editing `llm_config["tools"]` as AG2's `update_tool_signature` does.

`add_tool_to_llm_config` validates the tool's name, warns (`UserWarning: Function 'x' is being overridden.`) unless
`silent_override=True`, removes a tool with the same name and appends the new schema at the end. `remove_tool` drops
every tool with that name and deletes the `"tools"` key once it is empty, so a config without tools sends none.
Both edit the dict in place (the agent owns it) and return it. Errors are `ToolConfigError`, which is also an
`AssertionError` as in AG2.
"""

from __future__ import annotations

import warnings
from typing import Any

from studio.errors import ToolError
from studio.runtime.tools.names import validate_tool_name

__all__ = ["ToolConfigError", "add_tool_to_llm_config", "remove_tool", "tool_names"]


class ToolConfigError(ToolError, AssertionError):
    """The llm_config cannot take (or does not have) the tool."""


def _tool_name(tool: Any) -> Any:
    return tool.get("function", {}).get("name") if isinstance(tool, dict) else None


def add_tool_to_llm_config(
    llm_config: dict[str, Any], schema: dict[str, Any], *, silent_override: bool = False
) -> dict[str, Any]:
    """Add (or replace) the tool `schema` (`{"type": "function", "function": {...}}`) in `llm_config["tools"]`."""
    if not isinstance(llm_config, dict):
        raise ToolConfigError(
            f"To register a tool for the model, the agent must have an llm_config dict; got {llm_config!r}."
        )
    name = _tool_name(schema)
    if not isinstance(schema, dict) or not isinstance(name, str):
        raise ToolConfigError(
            f'A tool schema must look like {{"type": "function", "function": {{"name": ...}}}}; got {schema!r}.'
        )
    validate_tool_name(name)
    tools = llm_config.get("tools") or []
    kept = [t for t in tools if _tool_name(t) != name]
    if len(kept) != len(tools) and not silent_override:
        warnings.warn(f"Function '{name}' is being overridden.", UserWarning, stacklevel=2)
    llm_config["tools"] = [*kept, schema]
    return llm_config


def remove_tool(llm_config: dict[str, Any], name: str) -> dict[str, Any]:
    """Remove the tool called `name` from `llm_config["tools"]` (the key goes away when no tool is left)."""
    if not isinstance(llm_config, dict):
        raise ToolConfigError(f"To remove a tool, the agent must have an llm_config dict; got {llm_config!r}.")
    tools = llm_config.get("tools") or []
    if not tools:
        raise ToolConfigError(f"The agent config doesn't have tool {name}.")
    kept = [t for t in tools if _tool_name(t) != name]
    if kept:
        llm_config["tools"] = kept
    else:
        llm_config.pop("tools", None)
    return llm_config


def tool_names(llm_config: dict[str, Any] | None) -> list[str]:
    """The names of the tools advertised in `llm_config`, in order."""
    if not isinstance(llm_config, dict):
        return []
    return [n for n in (_tool_name(t) for t in llm_config.get("tools") or []) if isinstance(n, str)]
