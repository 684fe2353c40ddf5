"""JSON schema of a Python function, in AG2's tool format (RUNTIME.md §1.6).

`function_schema(f, description=...)` returns
`{"type": "function", "function": {"description", "name", "parameters": {"type": "object", "properties", "required"}}}`
exactly as AG2's `get_function_schema` does: each property is the schema of the parameter's type, then `"default"`
(when the parameter has one), then `"description"` (the first string in `Annotated[T, "..."]`, else the parameter name).
Parameters without a default are `required`, in signature order. The return annotation is ignored.

Design:
* Common types are rendered by our own code, with pydantic's exact output (sorted keys, `anyOf` for unions,
  `Optional[T]` → `{"anyOf": [T, {"type": "null"}]}`, `Literal` → `const`/`enum`, `Enum` → `enum` of values, `list` →
  `items`, `dict` → `additionalProperties`, `tuple` → `prefixItems`, `set` → `uniqueItems`), so `import studio` and
  registering a simple tool never import pydantic. Anything else (pydantic models, dataclasses, TypedDicts, dates,
  constrained `Annotated` types) goes to pydantic's `TypeAdapter`, imported on first use.
* Like AG2, `title` and `description` are dropped from the top-level schema of a parameter's type (and of each member
  of a top-level union); the parameter's own description replaces them.
* pydantic's `$defs` are inlined so each property stands alone; only recursive models cannot be inlined, and their
  definitions are hoisted to `parameters["$defs"]`, where `#/$defs/...` references resolve.
* Defaults are made JSON-ready (enum → value, model → `model_dump(mode="json")`, tuple → list); a default that has no
  JSON form is left out of the schema.
* Unsupported signatures raise `ToolSignatureError` (a `ToolError` and, as in AG2, a `TypeError`): a required
  parameter without annotation, `*args`, `**kwargs`, positional-only parameters, unresolvable annotations. As in AG2, an
  unannotated parameter *with* a default is left out of the schema (the model cannot set it; the function's default is
  used).
* The `parameters` part is cached per function object; every call returns a fresh copy the caller may mutate.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import sys
import types
import typing
import weakref
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from studio.errors import ToolError
from studio.runtime.tools.names import validate_tool_name

__all__ = ["ToolSignatureError", "callable_name", "copy_json", "function_schema", "jsonable", "parameters_schema"]

_NO_JSON = object()
_UNION_ORIGINS = (Union, types.UnionType)
_JSON_TYPE = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_SCALAR_SCHEMA = {str: "string", int: "integer", float: "number", bool: "boolean"}
_PARAMS_CACHE: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


class ToolSignatureError(ToolError, TypeError):
    """A function's signature cannot be offered to a model as a tool. `parameter` names the culprit, if one."""

    def __init__(self, message: str, *, function: str, parameter: str | None = None):
        self.function = function
        self.parameter = parameter
        super().__init__(message)


def callable_name(f: Callable[..., Any]) -> str | None:
    """The name a tool gets by default: `__name__` of a function, or the class name of a callable instance."""
    name = getattr(f, "__name__", None)
    if isinstance(name, str):
        return name
    if isinstance(f, functools.partial | type) or not callable(f):
        return None
    return type(f).__name__


def function_schema(f: Callable[..., Any], *, name: str | None = None, description: str) -> dict[str, Any]:
    """The tool schema of `f` in AG2's format; `name` defaults to `f.__name__` and must be a valid tool name."""
    fname = name if name is not None else callable_name(f)
    if fname is None:
        raise ToolSignatureError(f"Cannot tell the name of the tool {f!r}; pass name=... .", function=repr(f))
    validate_tool_name(fname)
    return {
        "type": "function",
        "function": {"description": description, "name": fname, "parameters": parameters_schema(f, label=fname)},
    }


def parameters_schema(f: Callable[..., Any], *, label: str | None = None) -> dict[str, Any]:
    """The `parameters` object of `f`'s tool schema (a fresh copy of the cached one)."""
    try:
        cached = _PARAMS_CACHE.get(f)
    except TypeError:  # unhashable callable object: no caching
        cached = None
    if cached is None:
        cached = _build_parameters(f, label or callable_name(f) or repr(f))
        try:
            _PARAMS_CACHE[f] = cached
        except TypeError:
            pass
    return copy_json(cached)


def resolved_signature(f: Callable[..., Any], label: str) -> inspect.Signature:
    """`inspect.signature` with string annotations (`from __future__ import annotations`) evaluated."""
    try:
        return inspect.signature(f, eval_str=True)
    except (NameError, AttributeError, SyntaxError, TypeError) as e:
        raise ToolSignatureError(
            f"Cannot read the type hints of the function '{label}': {e}. Make every name used in its annotations "
            "importable at module level.",
            function=label,
        ) from e
    except ValueError as e:
        raise ToolSignatureError(f"The callable '{label}' has no readable signature: {e}.", function=label) from e


def _build_parameters(f: Callable[..., Any], label: str) -> dict[str, Any]:
    sig = resolved_signature(f, label)
    properties: dict[str, Any] = {}
    required: list[str] = []
    missing: list[str] = []
    ctx = _Context()
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL or p.kind is p.VAR_KEYWORD:
            star = "*" if p.kind is p.VAR_POSITIONAL else "**"
            raise ToolSignatureError(
                f"The function '{label}' takes {star}{p.name}; tools are called with named JSON arguments only, so "
                f"replace {star}{p.name} with named, annotated parameters.",
                function=label,
                parameter=p.name,
            )
        if p.kind is p.POSITIONAL_ONLY:
            raise ToolSignatureError(
                f"Parameter '{p.name}' of the function '{label}' is positional-only; tools are called with named "
                "arguments, so remove the '/' from its signature.",
                function=label,
                parameter=p.name,
            )
        if p.annotation is p.empty:
            if p.default is p.empty:
                missing.append(p.name)
            continue  # AG2: an unannotated parameter with a default is not offered to the model
        if p.default is p.empty:
            required.append(p.name)
        try:
            schema = ctx.type_schema(p.annotation, top=True)
        except ToolSignatureError:
            raise
        except Exception as e:  # pydantic cannot render the type
            raise ToolSignatureError(
                f"Parameter '{p.name}' of the function '{label}' has the type {p.annotation!r}, which has no JSON "
                f"schema ({e}). Use JSON-like types (str, int, float, bool, list, dict, Literal, Enum, pydantic models).",
                function=label,
                parameter=p.name,
            ) from e
        if p.default is not p.empty:
            default = jsonable(p.default)
            if default is not _NO_JSON:
                schema["default"] = default
        schema["description"] = _describe(p.annotation, p.name)
        properties[p.name] = schema
    if missing:
        quoted = ", ".join(f"'{m}'" for m in sorted(missing))
        raise ToolSignatureError(
            f"All parameters of the function '{label}' without default values must be annotated. The annotations "
            f"are missing for the following parameters: {quoted}. Add a type hint such as `{missing[0]}: str`.",
            function=label,
            parameter=missing[0],
        )
    params: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if ctx.defs:
        params["$defs"] = ctx.defs
    return params


def _describe(annotation: Any, pname: str) -> str:
    if get_origin(annotation) is Annotated:
        metadata = annotation.__metadata__
        for m in metadata:
            if isinstance(m, str):
                return m
        for m in metadata:  # e.g. pydantic.Field(description=...)
            d = getattr(m, "description", None)
            if isinstance(d, str):
                return d
    return pname


class _Context:
    """Renders types for one function; collects the hoisted definitions of recursive models."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def type_schema(self, tp: Any, *, top: bool) -> dict[str, Any]:
        if tp is Any or tp is object:
            return {}
        if tp is None or tp is type(None):
            return {"type": "null"}
        scalar = _SCALAR_SCHEMA.get(tp) if isinstance(tp, type) else None
        if scalar is not None:
            return {"type": scalar}
        origin = get_origin(tp)
        args = get_args(tp)
        if origin is Annotated:
            if all(isinstance(m, str) for m in tp.__metadata__):
                return self.type_schema(args[0], top=top)
            return self.pydantic_schema(tp, top=top)
        if origin in _UNION_ORIGINS:
            return {"anyOf": [self.type_schema(a, top=top) for a in args]}
        if origin is Literal:
            return _literal_schema(args)
        if tp is list or origin is list:
            return {"items": self.type_schema(args[0] if args else Any, top=False), "type": "array"}
        if tp is dict or origin is dict:
            if not args or args[0] in (str, Any):
                value = self.type_schema(args[1], top=False) if args else {}
                return {"additionalProperties": value if value else True, "type": "object"}
        elif tp is tuple or origin is tuple:
            if not args:
                return {"items": {}, "type": "array"}
            if len(args) == 2 and args[1] is Ellipsis:
                return {"items": self.type_schema(args[0], top=False), "type": "array"}
            if args != ((),):
                items = [self.type_schema(a, top=False) for a in args]
                return {"maxItems": len(items), "minItems": len(items), "prefixItems": items, "type": "array"}
        elif tp in (set, frozenset) or origin in (set, frozenset):
            return {
                "items": self.type_schema(args[0] if args else Any, top=False),
                "type": "array",
                "uniqueItems": True,
            }
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            schema = _enum_schema(tp, top=top)
            if schema is not None:
                return schema
        return self.pydantic_schema(tp, top=top)

    def pydantic_schema(self, tp: Any, *, top: bool) -> dict[str, Any]:
        from pydantic import TypeAdapter  # lazy: only exotic parameter types pay for pydantic

        schema = self.inline(TypeAdapter(tp).json_schema())
        if top:
            schema.pop("title", None)
            schema.pop("description", None)
        return schema

    def inline(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Replace `$ref`s into this schema's own `$defs` by their content; hoist the recursive ones."""
        defs = schema.pop("$defs", None)
        if not defs:
            return schema
        recursive = _recursive_defs(defs)
        renamed: dict[str, str] = {}
        for key in recursive:
            new, n = key, 1
            while new in self.defs or new in renamed.values():
                n += 1
                new = f"{key}_{n}"
            renamed[key] = new

        def sub(node: Any) -> Any:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    key = ref[len("#/$defs/") :]
                    rest = {k: sub(v) for k, v in node.items() if k != "$ref"}
                    if key in renamed:
                        return {"$ref": f"#/$defs/{renamed[key]}", **rest}
                    if key in defs:
                        return {**sub(defs[key]), **rest}
                return {k: sub(v) for k, v in node.items()}
            if isinstance(node, list):
                return [sub(x) for x in node]
            return node

        for key, new in renamed.items():
            self.defs[new] = sub(defs[key])
        return typing.cast(dict[str, Any], sub(schema))


def _recursive_defs(defs: dict[str, Any]) -> set[str]:
    """Names of the definitions that can reach themselves through `$ref`s."""
    edges: dict[str, set[str]] = {}
    for key, body in defs.items():
        found: set[str] = set()
        stack = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    found.add(ref[len("#/$defs/") :])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        edges[key] = found
    result: set[str] = set()
    for start in defs:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            k = todo.pop()
            if k == start:
                result.add(start)
                break
            if k not in seen:
                seen.add(k)
                todo.extend(edges.get(k, ()))
    return result


def _values_schema(values: list[Any]) -> dict[str, Any]:
    kinds = {_JSON_TYPE.get(type(v)) for v in values}
    return {"type": kinds.pop()} if len(kinds) == 1 and None not in kinds else {}


def _literal_schema(args: tuple[Any, ...]) -> dict[str, Any]:
    values = [a.value if isinstance(a, enum.Enum) else a for a in args]
    # Fresh literal values keep their order; duplicates (e.g. via enum aliases) collapse as in pydantic.
    unique: list[Any] = []
    for v in values:
        if not any(type(u) is type(v) and u == v for u in unique):
            unique.append(v)
    type_part = _values_schema(unique)
    if len(unique) == 1:
        return {"const": unique[0], **type_part}
    return {"enum": unique, **type_part}


def _enum_schema(cls: type[enum.Enum], *, top: bool) -> dict[str, Any] | None:
    values = [m.value for m in cls]
    if not all(type(v) in _JSON_TYPE for v in values):
        return None  # e.g. tuple values: let pydantic decide
    schema: dict[str, Any] = {}
    if not top and cls.__doc__:
        schema["description"] = inspect.cleandoc(cls.__doc__)
    schema["enum"] = values
    if not top:
        schema["title"] = cls.__name__
    schema.update(_values_schema(values))
    return schema


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data, or the private `_NO_JSON` marker when it has no JSON form."""
    cls = type(value)
    if value is None or cls in (str, int, float, bool):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return _NO_JSON if any(i is _NO_JSON for i in items) else items
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            jv = jsonable(v)
            if not isinstance(k, str) or jv is _NO_JSON:
                return _NO_JSON
            out[k] = jv
        return out
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    return _NO_JSON


def copy_json(node: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists), several times faster than `copy.deepcopy`."""
    if isinstance(node, dict):
        return {k: copy_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [copy_json(v) for v in node]
    return node
