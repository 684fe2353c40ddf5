"""Parse untrusted JSON or YAML text into plain data, within limits, or fail with a `SpecError` (T12).

Limits come before work: the size is checked before parsing; JSON nesting beyond the interpreter's recursion limit
fails fast (the C scanner raises RecursionError, caught here) and YAML is first read as an event stream — which is not
recursive — and the data is built straight from the events, so depth is bounded while reading. YAML anchors and aliases
are refused (they are how a small file expands into a huge structure), only null/bool/int/float/str scalars exist
(resolved as `yaml.SafeLoader` does; dates and other tags must be quoted), and duplicate keys are errors in both
formats, as are NaN and Infinity, because they make the meaning of a file ambiguous.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from studio.errors import SpecError

MAX_TEXT_BYTES = 5 * 1024 * 1024
"""Largest spec or import file accepted."""
MAX_DEPTH = 64
"""Deepest nesting of objects and lists accepted."""

Format = Literal["auto", "json", "yaml"]


def parse_text(text: str | bytes, *, format: Format = "auto") -> Any:
    """Parse `text` as JSON or YAML (`auto`: JSON if it starts with `{` or `[`) into plain Python data."""
    if isinstance(text, bytes):
        if len(text) > MAX_TEXT_BYTES:
            raise _too_big(len(text))
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SpecError(f"The file is not valid UTF-8 text (bad byte at offset {e.start}).") from None
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise _too_big(len(text.encode("utf-8", "surrogatepass")))
    text = text.removeprefix("\ufeff")
    if format == "auto":
        format = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    data = _parse_json(text) if format == "json" else _parse_yaml(text)
    check_plain(data)
    return data


def _too_big(size: int) -> SpecError:
    return SpecError(f"The file is {size:,} bytes; the limit is {MAX_TEXT_BYTES:,} bytes (5 MB).")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SpecError(f"The key {key!r} appears twice in the same object; keep only one.")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise SpecError(f"{name} is not a number JSON allows; write a finite number.")


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except SpecError:
        raise
    except json.JSONDecodeError as e:
        raise SpecError(f"The JSON is malformed: {e.msg} (line {e.lineno}, column {e.colno}).") from None
    except RecursionError:
        raise SpecError(f"The JSON is nested too deeply; the limit is {MAX_DEPTH} levels.") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise SpecError(f"The JSON cannot be read: {e}.") from None


# libyaml's event parser when available; the data is built here from the events (PyYAML's composer is ~10x slower).
_YamlLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_SCALARS = {
    _TAG + "null": "null",
    _TAG + "bool": "bool",
    _TAG + "int": "int",
    _TAG + "float": "float",
    _TAG + "str": "str",
}
_COLLECTIONS = {None, "!", _TAG + "map", _TAG + "seq"}


class _Map:
    __slots__ = ("data", "key", "line")

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.key: Any = _NO_KEY
        self.line = 0


_NO_KEY = object()


def _parse_yaml(text: str) -> Any:
    """Build plain data from YAML events: no anchors, no aliases, no custom tags, no duplicate keys, bounded depth."""
    stack: list[list[Any] | _Map] = []
    roots: list[Any] = []
    try:
        for event in yaml.parse(text, Loader=_YamlLoader):
            if isinstance(event, NodeEvent) and event.anchor is not None:
                raise SpecError(
                    f"YAML anchors and aliases (& and *) are not allowed ({_line(event)}); write the values out."
                )
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                if event.tag not in _COLLECTIONS:
                    raise SpecError(f"The YAML tag {event.tag!r} is not allowed ({_line(event)}).")
                if len(stack) >= MAX_DEPTH:
                    raise SpecError(f"The YAML is nested too deeply; the limit is {MAX_DEPTH} levels.")
                stack.append(_Map() if isinstance(event, MappingStartEvent) else [])
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                done = stack.pop()
                _add(stack, roots, done.data if isinstance(done, _Map) else done, event)
            elif isinstance(event, ScalarEvent):
                _add(stack, roots, _scalar(event), event)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise SpecError(f"The YAML is malformed: {e.problem or e.context}{where}.") from None
    except yaml.YAMLError as e:
        raise SpecError(f"The YAML is malformed: {e}.") from None
    if len(roots) != 1:
        raise SpecError(f"The YAML must hold exactly one document; it holds {len(roots)}.")
    return roots[0]


def _line(event: Event) -> str:
    return f"line {event.start_mark.line + 1}" if event.start_mark is not None else "somewhere"


def _add(stack: list[list[Any] | _Map], roots: list[Any], value: Any, event: Event) -> None:
    if not stack:
        roots.append(value)
        return
    top = stack[-1]
    if isinstance(top, list):
        top.append(value)
    elif top.key is _NO_KEY:
        if not isinstance(value, str):
            raise SpecError(f"Every YAML mapping key must be text; found {value!r} ({_line(event)}).")
        if value in top.data:
            raise SpecError(f"The key {value!r} appears twice in the same mapping ({_line(event)}); keep only one.")
        top.key = value
    else:
        top.data[top.key] = value
        top.key = _NO_KEY


def _scalar(event: ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return event.value  # quoted: always text
        tag = _RESOLVER.resolve(ScalarNode, event.value, (True, False))
    kind = _SCALARS.get(tag)
    if kind is None:
        raise SpecError(
            f"The YAML value {event.value[:40]!r} ({_line(event)}) has the type {tag.removeprefix(_TAG)!r}, which is "
            "not allowed; quote it to make it text."
        )
    if kind == "str":
        return event.value
    if kind == "null":
        return None
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    if kind == "bool":
        return _CONSTRUCTOR.construct_yaml_bool(node)
    try:
        return _CONSTRUCTOR.construct_yaml_int(node) if kind == "int" else _CONSTRUCTOR.construct_yaml_float(node)
    except ValueError as e:
        raise SpecError(f"The YAML number {event.value[:40]!r} ({_line(event)}) cannot be read: {e}.") from None


def check_plain(data: Any) -> None:
    """Refuse data that is nested too deeply or holds non-JSON values (NaN, dates, bytes, non-text keys)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise SpecError(f"The document is nested too deeply; the limit is {MAX_DEPTH} levels.")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise SpecError(f"Every key must be text; found the key {key!r}.")
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise SpecError(f"The document is nested too deeply; the limit is {MAX_DEPTH} levels.")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise SpecError("NaN and infinite numbers are not allowed; write a finite number.")
        elif value is not None and not isinstance(value, str | int | bool):
            raise SpecError(
                f"Only text, numbers, true/false, null, lists and objects are allowed; found a {type(value).__name__}."
                " (In YAML, quote dates and other special values.)"
            )
