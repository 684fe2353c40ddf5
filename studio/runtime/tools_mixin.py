"""Tool registration on agents (RUNTIME.md §1.6): the caller advertises a schema, the executor runs the function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class ToolsMixin:
    name: str
    llm_config: Any
    _function_map: dict[str, Callable[..., Any]]

    def _validate_function_name(self, name: str) -> None:
        from studio.runtime.tools import validate_tool_name

        validate_tool_name(name)

    def register_function(
        self, function_map: dict[str, Callable[..., Any] | None], *, silent_override: bool = False
    ) -> None:
        """Add (or, with a None value, remove) functions this agent can execute."""
        for fname, func in function_map.items():
            self._validate_function_name(fname)
            if func is None:
                self._function_map.pop(fname, None)
            else:
                self._function_map[fname] = func

    def update_tool_signature(self, tool_sig: str | dict[str, Any], is_remove: bool = False) -> None:
        from studio.runtime.tools import add_tool_to_llm_config, remove_tool

        if not self.llm_config:
            raise RuntimeError("To update a tool signature, agent must have an llm_config")
        if is_remove:
            remove_tool(self.llm_config, tool_sig if isinstance(tool_sig, str) else tool_sig["function"]["name"])
        else:
            assert isinstance(tool_sig, dict)
            add_tool_to_llm_config(self.llm_config, tool_sig)

    def register_for_llm(
        self, *, name: str | None = None, description: str | None = None, api_style: str = "tool"
    ) -> Callable[[F], F]:
        """Decorator: advertise the function to this agent's model as a tool (the schema comes from type hints)."""
        if not self.llm_config:
            raise RuntimeError("LLM config must be setup before registering a function for LLM.")

        def decorator(func: F) -> F:
            from studio.runtime.tools import function_schema

            tool_name = name or getattr(func, "name", None) or func.__name__
            self._validate_function_name(tool_name)
            desc = description
            if desc is None:
                desc = getattr(func, "description", None) or func.__doc__
                if not desc:
                    raise ValueError("Function description is required, none found.")
            schema = getattr(func, "schema", None)
            if not isinstance(schema, dict) or name is not None or description is not None:
                schema = function_schema(func, name=tool_name, description=desc)
            self.update_tool_signature(schema)
            return func

        return decorator

    def register_for_execution(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator: let this agent execute the function when a model calls it."""

        def decorator(func: F) -> F:
            tool_name = name or getattr(func, "name", None) or func.__name__
            self.register_function({tool_name: func})
            return func

        return decorator

    def register_tools(self, tools: list[Any], *, caller: bool = True, executor: bool = True) -> None:
        """Register ready-made tools (objects with `name`, `schema` and `__call__`, e.g. MCP tools)."""
        for tool in tools:
            if caller:
                if not self.llm_config:
                    raise RuntimeError("LLM config must be setup before registering a function for LLM.")
                self.update_tool_signature(tool.schema)
            if executor:
                self.register_function({tool.name: tool})


def register_function(
    f: Callable[..., Any],
    *,
    caller: Any,
    executor: Any,
    name: str | None = None,
    description: str,
) -> None:
    """Register `f` as a tool: `caller` advertises it to its model, `executor` runs it (AG2's register_function)."""
    f = caller.register_for_llm(name=name, description=description)(f)
    executor.register_for_execution(name=name)(f)
