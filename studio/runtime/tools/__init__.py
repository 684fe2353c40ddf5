"""Function tools for the runtime: schemas, name rules, execution and llm_config editing (RUNTIME.md §1.6).

Nothing here imports pydantic at import time; it is loaded on first need (a pydantic-model parameter, or arguments
that need coercion or fail validation).
"""

from studio.runtime.tools.execute import (
    FunctionMap,
    a_execute_function_call,
    a_execute_tool_calls,
    execute_function_call,
    execute_tool_calls,
    lookup_tool,
    tool_calls_for_event,
)
from studio.runtime.tools.function_tool import FunctionTool, format_json_str, serialize_result
from studio.runtime.tools.llm_config import ToolConfigError, add_tool_to_llm_config, remove_tool, tool_names
from studio.runtime.tools.names import (
    MAX_TOOL_NAME_LENGTH,
    InvalidToolNameError,
    normalize_tool_name,
    validate_tool_name,
)
from studio.runtime.tools.schema import ToolSignatureError, function_schema, parameters_schema

__all__ = [
    "MAX_TOOL_NAME_LENGTH",
    "FunctionMap",
    "FunctionTool",
    "InvalidToolNameError",
    "ToolConfigError",
    "ToolSignatureError",
    "a_execute_function_call",
    "a_execute_tool_calls",
    "add_tool_to_llm_config",
    "execute_function_call",
    "execute_tool_calls",
    "format_json_str",
    "function_schema",
    "lookup_tool",
    "normalize_tool_name",
    "parameters_schema",
    "remove_tool",
    "serialize_result",
    "tool_calls_for_event",
    "tool_names",
    "validate_tool_name",
]
