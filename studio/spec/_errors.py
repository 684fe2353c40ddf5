"""Turn pydantic's `ValidationError` into a `SpecValidationError`: one issue per JSON path, in words.

Pydantic's locations mix data keys with union tags (`('team', 'termination', 'or', 'conditions', 0, ...)`); the path
is rebuilt by walking the input data alongside the location, so a tag that is not a key is dropped and the result is
the path a person sees in the file: `team.termination.conditions[0].text`. Unknown literal values and kinds carry the
valid choices (and `SpecError` adds a "did you mean"); unknown fields list the fields that exist. Values are quoted
through `_base.quote`, which never prints something that looks like a key.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from studio.errors import SpecError
from studio.spec._base import quote

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class SpecIssue:
    """One problem in a spec: the JSON path, a sentence, and (for a bad choice) the valid choices."""

    path: str
    message: str
    choices: tuple[str, ...] | None = None
    value: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.choices is not None:
            text += f" Valid choices: {', '.join(sorted(self.choices))}."
            if self.value is not None:
                close = difflib.get_close_matches(self.value, self.choices, n=1)
                if close:
                    text += f" Did you mean '{close[0]}'?"
        return text


class SpecValidationError(SpecError):
    """A spec failed validation. `issues` lists every problem; `path`/`choices` describe the first one."""

    def __init__(self, issues: list[SpecIssue]):
        if not issues:
            issues = [SpecIssue("", "The spec is invalid.")]
        first = issues[0]
        super().__init__(first.message, path=first.path, choices=first.choices, value=first.value)
        self.issues = issues
        if len(issues) > 1:
            rest = "\n".join(f"  - {issue}" for issue in issues[1:20])
            more = f"\n  … and {len(issues) - 20} more." if len(issues) > 20 else ""
            self.args = (f"{issues[0]}\n{len(issues) - 1} more problem(s):\n{rest}{more}",)


def join_path(base: str, *parts: str | int) -> str:
    """`join_path("agents", 1, "model")` → `agents[1].model`."""
    path = base
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENT.fullmatch(part):
            path = f"{path}.{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path


def translate(error: ValidationError, data: Any, root: Any, *, prefix: str = "") -> SpecValidationError:
    """Translate `error`, raised while validating `data` against `root` (a model class or a type), into words."""
    issues: list[SpecIssue] = []
    for item in error.errors(include_url=False):
        for issue in _issues(item, data, root, prefix):
            if issue not in issues:
                issues.append(issue)
    return SpecValidationError(issues)


def _issues(item: dict[str, Any], data: Any, root: Any, prefix: str) -> list[SpecIssue]:
    loc: tuple[Any, ...] = tuple(item.get("loc", ()))
    kind: str = item["type"]
    ctx: dict[str, Any] = item.get("ctx") or {}
    value = item.get("input")
    path = _path(loc, data, root, prefix)
    if kind == "bundle_reference":
        return [SpecIssue(join_path(path, *_split(i["path"])), i["message"]) for i in ctx.get("issues", [])]
    if kind == "literal_error":
        choices = tuple(_QUOTED.findall(str(ctx.get("expected", ""))))
        return [SpecIssue(path, f"{quote(value)} is not a valid choice.", choices or None, _str(value))]
    if kind == "union_tag_invalid":
        choices = tuple(_QUOTED.findall(str(ctx.get("expected_tags", ""))))
        tag = ctx.get("tag")
        return [SpecIssue(join_path(path, "kind"), f"unknown kind {quote(tag)}.", choices or None, _str(tag))]
    if kind == "union_tag_not_found":
        return [SpecIssue(path, "the field 'kind' is missing; it says which kind of spec this is.")]
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        fields = _fields_at(root, loc[:-1])
        return [
            SpecIssue(
                path,
                f"unknown field {quote(name)}; remove it or check its spelling.",
                tuple(fields) if fields else None,
                _str(name),
            )
        ]
    if kind == "missing":
        return [SpecIssue(path, "this required field is missing.")]
    message = str(item.get("msg", "is invalid"))
    if kind.startswith("value_error") or message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif isinstance(value, str | int | float | bool) or value is None:
        message = f"{message} (got {quote(value)})."
    else:
        message += "."
    return [SpecIssue(path, message)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.finditer(r"\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|([^.\[\]]+)", path):
        index, key, name = token.groups()
        parts.append(int(index) if index is not None else key if key is not None else name)
    return parts


def _path(loc: tuple[Any, ...], data: Any, root: Any, prefix: str) -> str:
    """The JSON path of `loc` in `data`: union tags and type names are recognised from the types and dropped."""
    parts: list[str | int] = []
    current, tp = data, root
    for i, element in enumerate(loc):
        member = _union_member(tp, element)
        if member is not None:  # a tag (`kind` value) or a type name chosen by pydantic, not a key of the data
            tp = member
            continue
        tp = _step(tp, element)
        if isinstance(current, dict) and element in current:
            parts.append(str(element))
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            parts.append(element)
            current = current[element]
        elif i == len(loc) - 1 and isinstance(current, dict) and isinstance(element, str) and element != "[key]":
            parts.append(element)  # a missing field
    return join_path(prefix, *parts)


def _union_member(tp: Any, element: Any) -> Any:
    """The member of union `tp` that `element` names (by class name or `kind` tag), if it is such a name."""
    members = [m for m in _members(tp) if m is not type(None)]
    if len(members) < 2 or not isinstance(element, str):
        return None
    for m in members:
        if getattr(m, "__name__", None) == element:
            return m
        if isinstance(m, type) and issubclass(m, BaseModel):
            kind = m.model_fields.get("kind")
            if kind is not None and kind.default == element:
                return m
    return None


def _fields_at(root: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model at `loc` (for "unknown field" messages); [] if it cannot be found."""
    tp: Any = root
    for element in loc:
        tp = _step(tp, element)
        if tp is None:
            return []
    tp = _single_model(tp)
    return list(tp.model_fields) if tp is not None else []


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]


def _single_model(tp: Any) -> type[BaseModel] | None:
    models = [m for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
    return models[0] if len(models) == 1 else None


def _step(tp: Any, element: Any) -> Any:
    member = _union_member(tp, element)
    if member is not None:
        return member
    members = _members(tp)
    model = _single_model(tp)
    if model is not None and isinstance(element, str) and element in model.model_fields:
        return model.model_fields[element].annotation
    for m in members:
        origin = typing.get_origin(m)
        args = typing.get_args(m)
        if origin is list and isinstance(element, int) and args:
            return args[0]
        if origin is dict and isinstance(element, str) and len(args) == 2:
            return args[1]
    return None
