"""`FunctionTool`: a Python callable the model can call with JSON arguments.

`call_json(arguments)` is the whole executor side of one tool call and never raises for anything the model caused.
It returns `(content, is_error)` with AG2's texts (RUNTIME.md §1.6):

* arguments that are not JSON → `"Error: {JSONDecodeError}\\n The argument must be in JSON format."`. As in AG2, raw
  newlines and tabs inside strings are escaped first (models often send them); an empty string or `None` means `{}`
  (AG2 would report a JSON error; some providers send `""` for tools without parameters);
* arguments that do not fit the signature → `"Error: {pydantic validation text}"` (lax coercion as `validate_call`:
  `"5"` becomes 5 for an `int`, a dict becomes the pydantic model a parameter asks for);
* an exception from the function → `"Error: {e}"`.

Return values become text as AG2's `serialize_to_str` does: a `str` as is, a pydantic model as `model_dump_json()`,
JSON data (numbers, bools, None, lists, dicts) as `json.dumps(..., ensure_ascii=False)` (so 5 → `"5"`, None → `"null"`),
anything else as `str(value)` (AG2 would report an error instead).

Speed: arguments of the right JSON type pass through `_coerce`'s own checks; pydantic (`validate_call`) is imported
and built only the first time a call needs coercion or fails, or the function takes a type only pydantic knows.
The schema is computed on first access of `.schema`, so executor-only tools never build one.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

from studio.errors import ToolError
from studio.runtime.tools._coerce import ArgumentPlan, build_plan
from studio.runtime.tools._concurrency import run_awaitable
from studio.runtime.tools.names import validate_tool_name
from studio.runtime.tools.schema import (
    ToolSignatureError,
    callable_name,
    copy_json,
    function_schema,
    resolved_signature,
)

__all__ = ["FunctionTool", "format_json_str", "serialize_result"]

_loads = json.loads
_decode = json.JSONDecoder().decode  # what json.loads(str) runs, minus its argument checks
_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple})
_JSONDecodeError = json.JSONDecodeError
_NO_PLAN = ArgumentPlan({}, frozenset(), False)


class FunctionTool:
    """A callable with a tool name, a description, a lazily built schema and a JSON entry point."""

    __slots__ = ("__weakref__", "_plan", "_schema", "_validated", "description", "func", "is_async", "name")

    def __init__(self, func: Callable[..., Any], *, name: str | None = None, description: str | None = None):
        if isinstance(func, FunctionTool):
            name = func.name if name is None else name
            description = func.description if description is None else description
            func = func.func
        if not callable(func):
            raise ToolError(f"A tool must be a function or another callable; got {func!r}.")
        tool_name = name if name is not None else callable_name(func)
        if tool_name is None:
            raise ToolSignatureError(f"Cannot tell the name of the tool {func!r}; pass name=... .", function=repr(func))
        validate_tool_name(tool_name)
        self._setup(func, tool_name, (inspect.getdoc(func) or "") if description is None else description)

    @classmethod
    def wrap(cls, func: Callable[..., Any], name: str) -> FunctionTool:
        """A tool for an entry of a `function_map` (no name check: the key is whatever the map was given)."""
        tool = cls.__new__(cls)
        tool._setup(func, name, "")
        return tool

    def _setup(self, func: Callable[..., Any], name: str, description: str) -> None:
        self.func = func
        self.name = name
        self.description = description
        call = getattr(func, "__call__", None)  # noqa: B004 -- an async __call__ makes an instance async
        self.is_async = inspect.iscoroutinefunction(func) or (
            not inspect.isroutine(func) and inspect.iscoroutinefunction(call)
        )
        self._schema: dict[str, Any] | None = None
        self._plan: ArgumentPlan | None = None
        self._validated: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"FunctionTool(name={self.name!r}, func={self.func!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly, so a decorated function stays usable from Python."""
        return self.func(*args, **kwargs)

    @property
    def schema(self) -> dict[str, Any]:
        """AG2's tool schema (`{"type": "function", "function": {...}}`); raises `ToolSignatureError` if impossible."""
        if self._schema is None:
            self._schema = function_schema(self.func, name=self.name, description=self.description)
        return copy_json(self._schema)

    def call_json(self, arguments: str | bytes | dict[str, Any] | None = "{}") -> tuple[str, bool]:
        """Run the tool on the model's JSON arguments; `(content, is_error)`, never raising for model mistakes."""
        raw, failed = self._begin(arguments)
        if failed:
            return raw, True
        cls = raw.__class__
        if cls is str:  # the hot path: most tools return text
            return raw, False
        if cls is int:
            return int.__repr__(raw), False
        if cls not in _PLAIN and inspect.isawaitable(raw):
            try:
                raw = run_awaitable(raw)
            except Exception as e:
                return f"Error: {e}", True
        return _serialize_safely(raw)

    async def a_call_json(self, arguments: str | bytes | dict[str, Any] | None = "{}") -> tuple[str, bool]:
        """`call_json` for async callers: an async tool is awaited on the running loop; a sync one runs inline."""
        raw, failed = self._begin(arguments)
        if failed:
            return raw, True
        if inspect.isawaitable(raw):
            try:
                raw = await raw
            except Exception as e:
                return f"Error: {e}", True
        return _serialize_safely(raw)

    def _begin(self, arguments: Any) -> tuple[Any, bool]:
        """Parse, check and call: `(return value, False)` (maybe an awaitable) or `(error content, True)`."""
        cls = arguments.__class__
        if cls is str and (not arguments or arguments.isspace()) or arguments is None:
            args: Any = {}
        elif isinstance(arguments, dict):
            args = arguments
        else:
            text = arguments
            if cls is str and ("\n" in text or "\t" in text):
                text = format_json_str(text)
            try:
                args = _decode(text) if cls is str else _loads(text)
            except (_JSONDecodeError, TypeError) as e:
                return f"Error: {e}\n The argument must be in JSON format.", True
            if args.__class__ is not dict:
                return f"Error: {self.name}() argument after ** must be a mapping, not {type(args).__name__}", True
        try:
            plan = self._plan or self._make_plan()
            kwargs = plan.coerce(args)
            if kwargs is not None:
                return self.func(**kwargs), False
            return (self._validated or self._make_validated())(**args), False
        except Exception as e:  # the function failed, or pydantic rejected the arguments
            return f"Error: {e}", True

    def _make_plan(self) -> ArgumentPlan:
        try:
            plan = build_plan(resolved_signature(self.func, self.name))
        except ToolSignatureError:
            plan = _NO_PLAN  # unreadable signature: leave binding to Python
        self._plan = plan
        return plan

    def _make_validated(self) -> Callable[..., Any]:
        """`pydantic.validate_call` around the function (the function itself if pydantic cannot wrap it)."""
        func = self.func
        target = func if inspect.isroutine(func) or _is_partial(func) else getattr(func, "__call__", func)  # noqa: B004
        try:
            from pydantic import validate_call

            validated = validate_call(config={"arbitrary_types_allowed": True})(target)
        except Exception:  # builtins, exotic callables: Python's own TypeError texts will do
            validated = func
        self._validated = validated
        return validated


def _is_partial(func: Any) -> bool:
    import functools

    return isinstance(func, functools.partial)


def _serialize_safely(value: Any) -> tuple[str, bool]:
    try:
        return serialize_result(value), False
    except Exception as e:  # a __str__ that raises
        return f"Error: {e}", True


def serialize_result(value: Any) -> str:
    """A tool's return value as message text (AG2's `serialize_to_str`, with `str()` as the last resort)."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int:
        return int.__repr__(value)
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass (e.g. a str Enum): its text, not its repr
    if value is None or cls is bool or cls is float:
        return json.dumps(value)
    pydantic = sys.modules.get("pydantic")  # no pydantic imported means no pydantic model exists
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump_json()
    if isinstance(value, dict | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, default=_json_default)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _json_default(o: Any) -> Any:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(o, pydantic.BaseModel):
        return o.model_dump(mode="json")
    if isinstance(o, set | frozenset):
        return list(o)
    return str(o)


def format_json_str(jstr: str) -> str:
    """AG2's `_format_json_str`: drop newlines outside strings, escape raw newlines and tabs inside them."""
    result = []
    inside_quotes = False
    last_char = " "
    for char in jstr:
        if last_char != "\\" and char == '"':
            inside_quotes = not inside_quotes
        last_char = char
        if not inside_quotes and char == "\n":
            continue
        if inside_quotes and char == "\n":
            char = "\\n"
        if inside_quotes and char == "\t":
            char = "\\t"
        result.append(char)
    return "".join(result)
