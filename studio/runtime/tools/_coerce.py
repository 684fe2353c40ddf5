"""Fast argument checking for tool calls: the common case without pydantic.

A model's arguments are almost always already of the right JSON type (`{"a": 1, "b": 2}` for `a: int, b: int`). For
those we check and pass them on with a few type tests per argument. The contract that keeps this exact: a converter
here only accepts a value when pydantic's lax `validate_call` would accept it *and return the same thing*; in every
other case (a string for an int, a missing or unknown argument, an enum in a general union, a pydantic model...) it
answers "don't know" and the caller hands the arguments to pydantic, which coerces them or produces the validation
error text the model gets back.

Unions follow pydantic's smart mode: a value that strictly matches a member wins; without a strict match we defer.
`Optional[T]` is the exception: its only other member is `None`, so `T`'s lax rules apply directly.
"""

from __future__ import annotations

import enum
import inspect
import types
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

__all__ = ["MISS", "ArgumentPlan", "build_plan"]

MISS: Any = object()  # "not accepted here": the caller falls back to pydantic
_ABSENT: Any = object()
_NONE_TYPE = type(None)
_SCALARS = (str, int, float, bool, _NONE_TYPE)
Converter = Callable[[Any], Any]


class _Unsupported(Exception):
    """The type needs pydantic; raised while building a converter."""


def _str(v: Any) -> Any:
    return v if v.__class__ is str else MISS


def _int(v: Any) -> Any:
    return v if v.__class__ is int else MISS


def _bool(v: Any) -> Any:
    return v if v.__class__ is bool else MISS


def _none(v: Any) -> Any:
    return None if v is None else MISS


def _float_strict(v: Any) -> Any:
    return v if v.__class__ is float else MISS


def _float(v: Any) -> Any:
    cls = v.__class__
    if cls is float:
        return v
    if cls is int:  # pydantic turns 5 into 5.0 for a float parameter
        try:
            return float(v)
        except OverflowError:
            return MISS
    return MISS


def _always_miss(v: Any) -> Any:
    return MISS


def converter(tp: Any, strict: bool) -> Converter | None:
    """A converter for values of type `tp` (None means "any value as is"); raises `_Unsupported`."""
    if tp is Any or tp is object:
        return None
    if tp is str:
        return _str
    if tp is int:
        return _int
    if tp is bool:
        return _bool
    if tp is float:
        return _float_strict if strict else _float
    if tp is None or tp is _NONE_TYPE:
        return _none
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        if all(isinstance(m, str) for m in tp.__metadata__):
            return converter(args[0], strict)
        raise _Unsupported  # constraints (Field, Gt, ...) are pydantic's business
    if origin is Union or origin is types.UnionType:
        return _union(args, strict)
    if origin is Literal:
        return _literal(args)
    if tp is list or origin is list:
        return _list(converter(args[0], strict) if args else None)
    if tp is dict or origin is dict:
        if args and args[0] not in (str, Any):
            raise _Unsupported  # JSON keys are strings; other key types need coercion
        return _dict(converter(args[1], strict) if args else None)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _always_miss if strict else _enum(tp)  # JSON never holds a member, so no strict match
    raise _Unsupported


def _union(args: tuple[Any, ...], strict: bool) -> Converter | None:
    others = [a for a in args if a is not _NONE_TYPE]
    if len(others) == 1 and len(args) == 2:
        inner = converter(others[0], strict)
        if inner is None:
            return None

        def optional(v: Any) -> Any:
            return None if v is None else inner(v)

        return optional
    members = [converter(a, True) for a in args]

    def union(v: Any) -> Any:
        for c in members:
            if c is None:
                return v
            r = c(v)
            if r is not MISS:
                return r
        return MISS

    return union


def _literal(args: tuple[Any, ...]) -> Converter:
    if not all(type(a) in _SCALARS for a in args):
        raise _Unsupported  # enum members as literals: pydantic converts values to members
    allowed = frozenset((type(a), a) for a in args)

    def literal(v: Any) -> Any:
        cls = v.__class__
        return v if cls in _SCALARS and (cls, v) in allowed else MISS

    return literal


def _list(item: Converter | None) -> Converter:
    def check_list(v: Any) -> Any:
        if v.__class__ is not list:
            return MISS
        if item is None:
            return v
        out = []
        for x in v:
            y = item(x)
            if y is MISS:
                return MISS
            out.append(y)
        return out

    return check_list


def _dict(value: Converter | None) -> Converter:
    def check_dict(v: Any) -> Any:
        if v.__class__ is not dict:
            return MISS
        if value is None:
            return v
        out = {}
        for k, x in v.items():
            y = value(x)
            if y is MISS or k.__class__ is not str:
                return MISS
            out[k] = y
        return out

    return check_dict


def _enum(cls: type[enum.Enum]) -> Converter:
    by_value = cls._value2member_map_

    def check_enum(v: Any) -> Any:
        if v.__class__ not in _SCALARS:
            return MISS
        m = by_value.get(v)
        return m if m is not None and m.value.__class__ is v.__class__ else MISS

    return check_enum


class ArgumentPlan:
    """How to check one function's keyword arguments quickly; `coerce` returns None when pydantic must decide."""

    __slots__ = ("converters", "fast", "required")

    def __init__(self, converters: dict[str, Converter | None], required: frozenset[str], fast: bool):
        self.converters = converters
        self.required = required
        self.fast = fast

    def coerce(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not self.fast:
            return None
        converters = self.converters
        out = {}
        for k, v in args.items():
            c = converters.get(k, _ABSENT)
            if c is not None:
                if c is _ABSENT:
                    return None  # unknown argument: pydantic words the error
                v = c(v)
                if v is MISS:
                    return None
            out[k] = v
        if not self.required <= args.keys():
            return None  # missing argument: pydantic words the error
        return out


def build_plan(sig: inspect.Signature) -> ArgumentPlan:
    converters: dict[str, Converter | None] = {}
    required: set[str] = set()
    fast = True
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD or p.kind is p.POSITIONAL_ONLY:
            fast = False  # rare; pydantic knows how to bind these
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        if p.default is p.empty:
            required.add(p.name)
        if p.annotation is p.empty:
            converters[p.name] = None
            continue
        try:
            converters[p.name] = converter(p.annotation, False)
        except _Unsupported:
            converters[p.name] = _always_miss
    return ArgumentPlan(converters, frozenset(required), fast)
