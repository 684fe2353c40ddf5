"""Spec forms generated from the pydantic models: one widget per field, the field's docstring as its help.

`describe_fields(Model)` reads a spec class into `FieldSpec`s (pure, tested without Streamlit): `Literal` becomes a
select, `bool` a checkbox, numbers a number input carrying the field's bounds, text a text input (a text area for long
text), nested spec models an expander with their own fields, lists of names one per line (or a multiselect when the
page passes the valid names), anything else (unions, mappings) a small YAML box. `render_form` draws them and returns
what the widgets hold as plain data; it never validates — the page validates with `studio.spec` and hands the
`SpecValidationError.issues` back, which `render_form` shows under the field each issue's JSON path names (issues no
field claims are shown above the form). Widget keys are `"{key}:{path}"`, so an editor can reset a form by changing
`key`.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types as at
import streamlit as st
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from components.widgets.form_issues import assign_issues, belongs, issue_pairs, owner_of

__all__ = [
    "FieldSpec",
    "FormResult",
    "alert",
    "assign_issues",
    "describe_field",
    "describe_fields",
    "field_paths",
    "issue_pairs",
    "owner_of",
    "render_form",
]

WidgetKind = Literal["select", "checkbox", "int", "float", "text", "textarea", "model", "lines", "yaml", "const"]
# Browsers hold numbers as doubles: Streamlit refuses number-input bounds beyond 2**53 - 1.
_JS_MAX = 2**53 - 1
_LONG_TEXT = 10_000
_TEXTAREA_NAMES = frozenset({"source", "system_message", "selector_prompt", "description", "default_auto_reply"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one spec field is edited: widget kind, label, help text, bounds and choices."""

    name: str
    path: str
    kind: WidgetKind
    label: str
    help: str = ""
    optional: bool = False
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    model: type[BaseModel] | None = None


@dataclass(slots=True)
class FormResult:
    """What a form holds: the data, and problems found before validation (YAML boxes that do not parse)."""

    data: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)


FieldRenderer = Callable[[FieldSpec, Any, str], Any]
"""A page-supplied editor for one field: `(field, current value, widget key) -> new value`."""


# -- reading a model (pure) -------------------------------------------------------------------------------------------


def _unwrap_annotated(tp: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        for extra in args[1:]:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return tp, metadata


def _union_members(tp: Any) -> list[Any] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return list(typing.get_args(tp))
    return None


def _bounds(metadata: Iterable[Any]) -> tuple[float | None, float | None, int | None]:
    low = high = None
    max_length = None
    for item in metadata:
        if isinstance(item, at.Ge):
            low = item.ge
        elif isinstance(item, at.Gt):
            low = item.gt
        elif isinstance(item, at.Le):
            high = item.le
        elif isinstance(item, at.Lt):
            high = item.lt
        elif isinstance(item, at.MaxLen):
            max_length = item.max_length
    return low, high, max_length  # type: ignore[return-value]


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.is_required() else info.default


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def describe_field(name: str, info: FieldInfo, prefix: str = "") -> FieldSpec:
    """The `FieldSpec` of one pydantic field."""
    path = f"{prefix}.{name}" if prefix else name
    tp, metadata = _unwrap_annotated(info.annotation)
    metadata = [*info.metadata, *metadata]
    optional = False
    members = _union_members(tp)
    if members is not None and type(None) in members:
        rest = [m for m in members if m is not type(None)]
        optional = True
        tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007 - rebuilt from parts
        tp, more = _unwrap_annotated(tp)
        metadata.extend(more)
    low, high, max_length = _bounds(metadata)
    common: dict[str, Any] = {
        "name": name,
        "path": path,
        "label": _label(name),
        "help": info.description or "",
        "optional": optional,
        "required": info.is_required(),
        "default": _default(info),
        "max_length": max_length,
    }
    origin = typing.get_origin(tp)
    if origin is Literal:
        choices = typing.get_args(tp)
        kind: WidgetKind = "const" if len(choices) == 1 and not optional else "select"
        return FieldSpec(kind=kind, choices=choices, **common)
    if tp is bool:
        return FieldSpec(kind="checkbox", **common)
    if tp in (int, float):
        return FieldSpec(kind="int" if tp is int else "float", minimum=low, maximum=high, **common)
    if tp is str:
        long = name in _TEXTAREA_NAMES or (max_length is not None and max_length >= _LONG_TEXT)
        return FieldSpec(kind="textarea" if long else "text", **common)
    if _is_model(tp):
        return FieldSpec(kind="model", model=tp, **common)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        item, _ = _unwrap_annotated(item)
        if item is str:
            return FieldSpec(kind="lines", **common)
    return FieldSpec(kind="yaml", **common)


def describe_fields(model: type[BaseModel], prefix: str = "") -> list[FieldSpec]:
    """Every field of `model`, in declaration order."""
    return [describe_field(name, info, prefix) for name, info in model.model_fields.items()]


def field_paths(model: type[BaseModel], prefix: str = "", exclude: Iterable[str] = ()) -> list[str]:
    """The JSON path of every field a form for `model` shows, nested models included (parents first)."""
    skip = set(exclude)
    out: list[str] = []
    for spec in describe_fields(model, prefix):
        if spec.name in skip or spec.kind == "const":
            continue
        out.append(spec.path)
        if spec.model is not None:
            out.extend(field_paths(spec.model, spec.path))
    return out


# -- values (pure) ----------------------------------------------------------------------------------------------------


def lines_to_list(text: str) -> list[str]:
    """One item per non-empty line, whitespace trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def yaml_box_text(value: Any) -> str:
    """The text a YAML box starts with: empty for unset/empty values."""
    if value is None or value == {} or value == []:
        return ""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False).rstrip("\n")


def yaml_box_value(text: str, spec: FieldSpec) -> tuple[Any, str | None]:
    """Parse a YAML box: (value, problem). Empty means unset (None if optional, else the field's default)."""
    from studio.errors import SpecError
    from studio.spec._parse import parse_text  # the limits-checked parser every spec read goes through

    if not text.strip():
        return (None if spec.optional else spec.default), None
    try:
        return parse_text(text, format="yaml"), None
    except SpecError as e:
        return text, f"this is not valid YAML: {e}"


def number_bounds(spec: FieldSpec, value: Any) -> dict[str, Any]:
    """min/max arguments for a number input: the field's bounds, unless the current value lies outside them (the
    widget would refuse to render; validation then reports the value next to the field)."""
    cast = int if spec.kind == "int" else float
    out: dict[str, Any] = {}
    low = spec.minimum
    high = spec.maximum
    if low is not None and abs(low) <= _JS_MAX and (value is None or value >= low):
        out["min_value"] = cast(low)
    if high is not None and abs(high) <= _JS_MAX and (value is None or value <= high):
        out["max_value"] = cast(high)
    return out


def clean_number(value: Any, spec: FieldSpec) -> Any:
    if value is None:
        return None
    if spec.kind == "int":
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else value


# -- rendering --------------------------------------------------------------------------------------------------------


def alert(
    text: object, kind: Literal["error", "warning", "info", "success"] = "error", icon: str | None = None
) -> None:
    """Show a message that may quote untrusted text (a value from a file, a server's reply) through the shared safe
    renderer: escaped Markdown, no images or foreign links, controls made visible, length capped."""
    from components.widgets.render import safe_markdown

    getattr(st, kind)(safe_markdown(str(text), max_chars=4000, max_lines=60), icon=icon)


def show_issues(messages: Iterable[str]) -> None:
    for message in messages:
        alert(message, icon="⚠️")


def _select_options(spec: FieldSpec, current: Any, options: Iterable[Any] | None) -> list[Any]:
    values = list(options) if options is not None else list(spec.choices)
    if current is not None and current not in values:
        values.append(current)  # keep an unknown value visible; validation names it
    if spec.optional:
        values = [None, *[v for v in values if v is not None]]
    return values


def _fmt(value: Any) -> str:
    return "(unset)" if value is None else str(value)


def _widget(spec: FieldSpec, current: Any, wkey: str, options: Iterable[Any] | None) -> tuple[Any, str | None]:
    """Draw the default widget for `spec`; returns (value, problem)."""
    help_text = spec.help or None
    if spec.kind == "select" or (options is not None and spec.kind == "text"):
        values = _select_options(spec, current, options)
        index = values.index(current) if current in values else 0
        return st.selectbox(spec.label, values, index=index, key=wkey, help=help_text, format_func=_fmt), None
    if spec.kind == "checkbox":
        return st.checkbox(spec.label, value=bool(current), key=wkey, help=help_text), None
    if spec.kind in ("int", "float"):
        value = current
        if spec.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, int | float) or isinstance(value, bool):
            value = None if spec.optional else (spec.default if spec.default is not None else None)
        raw = st.number_input(
            spec.label,
            value=value,
            step=1 if spec.kind == "int" else None,
            key=wkey,
            help=help_text,
            placeholder="(unset)" if spec.optional else None,
            **number_bounds(spec, value),
        )
        return clean_number(raw, spec), None
    if spec.kind in ("text", "textarea"):
        text = "" if current is None else str(current)
        if spec.kind == "textarea":
            height = 260 if spec.name == "source" else 120
            raw = st.text_area(spec.label, value=text, key=wkey, help=help_text, height=height)
        else:
            raw = st.text_input(spec.label, value=text, key=wkey, help=help_text)
        return (None if spec.optional and raw == "" else raw), None
    if spec.kind == "lines":
        items = current if isinstance(current, list) else []
        if options is not None:
            values = list(dict.fromkeys([*options, *[i for i in items if isinstance(i, str)]]))
            chosen = [i for i in items if i in values]
            return st.multiselect(spec.label, values, default=chosen, key=wkey, help=help_text), None
        text = "\n".join(str(i) for i in items)
        raw = st.text_area(spec.label + " (one per line)", value=text, key=wkey, help=help_text, height=90)
        return lines_to_list(raw), None
    text = yaml_box_text(current)
    raw = st.text_area(spec.label + " (YAML)", value=text, key=wkey, help=help_text, height=100)
    return yaml_box_value(raw, spec)


def render_form(
    model: type[BaseModel],
    data: Mapping[str, Any] | None,
    *,
    key: str,
    issues: Iterable[Any] = (),
    options: Mapping[str, Iterable[Any]] | None = None,
    overrides: Mapping[str, FieldRenderer] | None = None,
    hidden: Callable[[str, dict[str, Any]], bool] | None = None,
    exclude: Iterable[str] = (),
    prefix: str = "",
    _by_field: dict[str, list[str]] | None = None,
) -> FormResult:
    """Draw a form for `model` filled from `data`; return what it holds.

    `options` maps a field path to its valid values (a select or multiselect instead of free text); `overrides` maps a
    field path to a custom editor; `hidden(path, data_so_far)` hides a field (its default is used); `exclude` names
    top-level fields left out (their value in `data` is carried through unchanged). `issues` are shown under the field
    their path names.
    """
    values = dict(data or {})
    options = options or {}
    overrides = overrides or {}
    skip = set(exclude)
    result = FormResult(data={})
    if _by_field is None:
        _by_field, orphans = assign_issues(issues, field_paths(model, prefix, exclude=skip))
        show_issues(orphans)
    for spec in describe_fields(model, prefix):
        current = values.get(spec.name, spec.default)
        if spec.name in skip or spec.kind == "const":
            if spec.name in values or spec.kind == "const":
                result.data[spec.name] = current
            continue
        if hidden is not None and hidden(spec.path, result.data):
            result.data[spec.name] = spec.default
            continue
        wkey = f"{key}:{spec.path}"
        if spec.path in overrides:
            value, problem = overrides[spec.path](spec, current, wkey), None
        elif spec.kind == "model" and spec.model is not None:
            value, inner_problems = _nested(spec, current, key, options, overrides, hidden, _by_field)
            result.problems.extend(inner_problems)
            problem = None
        else:
            value, problem = _widget(spec, current, wkey, options.get(spec.path))
        if problem is not None:
            result.problems.append((spec.path, problem))
            alert(problem, icon="⚠️")
        if spec.kind != "model":
            show_issues(_by_field.get(spec.path, []))
        result.data[spec.name] = value
    return result


def _nested(
    spec: FieldSpec,
    current: Any,
    key: str,
    options: Mapping[str, Iterable[Any]],
    overrides: Mapping[str, FieldRenderer],
    hidden: Callable[[str, dict[str, Any]], bool] | None,
    by_field: dict[str, list[str]],
) -> tuple[Any, list[tuple[str, str]]]:
    assert spec.model is not None
    has_issue = any(belongs(p, spec.path) for p in by_field)
    with st.expander(spec.label, expanded=has_issue):
        if spec.help:
            st.caption(spec.help)
        if spec.optional:
            enabled = st.checkbox(f"Set {spec.label.lower()}", value=current is not None, key=f"{key}:{spec.path}:set")
            if not enabled:
                show_issues(by_field.get(spec.path, []))
                return None, []
        show_issues(by_field.get(spec.path, []))
        inner = render_form(
            spec.model,
            current if isinstance(current, Mapping) else None,
            key=key,
            options=options,
            overrides=overrides,
            hidden=hidden,
            prefix=spec.path,
            _by_field=by_field,
        )
        return inner.data, inner.problems
