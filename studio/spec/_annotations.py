"""Read a parameter's annotation and default from the syntax tree into JSON schema — without evaluating either.

`annotation_schema` understands `int`, `float`, `str`, `bool`, `None`, `list[...]`/`Sequence[...]`/`set[...]`,
`tuple[...]`, `dict[str, ...]`, `Optional`, `Union`/`|`, `Literal[...]`, `Annotated[T, "desc"]` (or
`Annotated[T, Field(description=...)]`), `typing.`-qualified names and string (forward-reference) annotations, the way
pydantic renders them for AG2 (`Optional[int]` → `anyOf: [integer, null]`). `Any` is an unconstrained `{}`. Anything
else is the documented fallback: a string, reported to the caller so it can warn. `literal_default` reads a default
with `ast.literal_eval` (literals only: no names, no calls, nothing runs) and keeps it only if it is plain JSON.
"""

from __future__ import annotations

import ast
import math
from typing import Any

_MAX_ANNOTATION_DEPTH = 12
_ARRAY_NAMES = {
    "list",
    "List",
    "Sequence",
    "MutableSequence",
    "Iterable",
    "Collection",
    "set",
    "Set",
    "frozenset",
    "FrozenSet",
    "AbstractSet",
}
_TUPLE_NAMES = {"tuple", "Tuple"}
_DICT_NAMES = {"dict", "Dict", "Mapping", "MutableMapping"}
_SCALARS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "None": {"type": "null"},
    "NoneType": {"type": "null"},
    "Any": {},
    "object": {},
}


def literal_default(node: ast.expr) -> tuple[bool, Any]:
    """Read a default with `ast.literal_eval` (no names, no calls); keep it only if it is plain JSON."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    return (True, value) if _is_json(value, 0) else (False, None)


def _is_json(value: Any, depth: int) -> bool:
    if depth > 20:
        return False
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_is_json(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


Annotation = tuple[dict[str, Any], str | None, str | None]
"""(schema, description from Annotated, the unknown annotation's text if the fallback was used)."""


def annotation_schema(node: ast.expr, depth: int) -> Annotation:
    fallback: Annotation = ({"type": "string"}, None, _text(node))
    if depth > _MAX_ANNOTATION_DEPTH:
        return fallback
    if isinstance(node, ast.Constant):
        if node.value is None:
            return {"type": "null"}, None, None
        if isinstance(node.value, str) and len(node.value) < 500:  # a string annotation: "list[int]"
            try:
                inner = ast.parse(node.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return fallback
            return annotation_schema(inner, depth + 1)
        return fallback
    base = _dotted_tail(node)
    if base is not None:
        return (_SCALARS[base], None, None) if base in _SCALARS else _bare_container(base, fallback)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([node.left, node.right], depth)
    if isinstance(node, ast.Subscript):
        return _subscript(node, depth, fallback)
    return fallback


def _bare_container(base: str, fallback: Annotation) -> Annotation:
    if base in _ARRAY_NAMES or base in _TUPLE_NAMES:
        return {"type": "array"}, None, None
    if base in _DICT_NAMES:
        return {"type": "object"}, None, None
    return fallback


def _subscript(node: ast.Subscript, depth: int, fallback: Annotation) -> Annotation:
    base = _dotted_tail(node.value)
    args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if base == "Annotated" and args:
        schema, desc, unknown = annotation_schema(args[0], depth + 1)
        return schema, _annotated_description(args[1:]) or desc, unknown
    if base == "Optional" and len(args) == 1:
        return _union([args[0], ast.Constant(None)], depth)
    if base == "Union":
        return _union(args, depth)
    if base == "Literal":
        values = [literal_default(a) for a in args]
        if not values or not all(ok for ok, _ in values):
            return fallback
        enum = [v for _, v in values]
        schema: dict[str, Any] = {"enum": enum}
        kinds = {type(v) for v in enum}
        if len(kinds) == 1:
            kind = next(iter(kinds))
            names = {str: "string", int: "integer", float: "number", bool: "boolean"}
            if kind in names:
                schema["type"] = names[kind]
        return schema, None, None
    if base in _ARRAY_NAMES and len(args) == 1:
        items, _, unknown = annotation_schema(args[0], depth + 1)
        return {"type": "array", "items": items}, None, unknown
    if base in _TUPLE_NAMES:
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
            items, _, unknown = annotation_schema(args[0], depth + 1)
            return {"type": "array", "items": items}, None, unknown
        parts = [annotation_schema(a, depth + 1) for a in args]
        unknown = next((u for _, _, u in parts if u is not None), None)
        prefix = [s for s, _, _ in parts]
        return {"type": "array", "prefixItems": prefix, "minItems": len(prefix), "maxItems": len(prefix)}, None, unknown
    if base in _DICT_NAMES and len(args) == 2:
        values, _, unknown = annotation_schema(args[1], depth + 1)
        return {"type": "object", "additionalProperties": values}, None, unknown
    return fallback


def _union(members: list[ast.expr], depth: int) -> Annotation:
    flat: list[ast.expr] = []
    stack = list(reversed(members))
    while stack:
        m = stack.pop()
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.BitOr):
            stack.extend([m.right, m.left])
        else:
            flat.append(m)
    parts = [annotation_schema(m, depth + 1) for m in flat]
    unknown = next((u for _, _, u in parts if u is not None), None)
    schemas: list[dict[str, Any]] = []
    for s, _, _ in parts:
        if s not in schemas:
            schemas.append(s)
    if len(schemas) == 1:
        return schemas[0], None, unknown
    return {"anyOf": schemas}, None, unknown


def _annotated_description(metadata: list[ast.expr]) -> str | None:
    """`Annotated[T, "text"]` or `Annotated[T, Field(description="text")]`, read from the tree."""
    for m in metadata:
        if isinstance(m, ast.Constant) and isinstance(m.value, str):
            return m.value
        if isinstance(m, ast.Call):
            for kw in m.keywords:
                if kw.arg == "description" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    return kw.value.value
    return None


def _dotted_tail(node: ast.expr) -> str | None:
    """`int` → "int", `typing.List` → "List"; None for anything that is not a (dotted) name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _text(node: ast.expr) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):
        text = type(node).__name__
    return text if len(text) <= 80 else text[:80] + "…"
