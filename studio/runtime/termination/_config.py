"""Plain-dict configs for termination conditions: a closed `kind` → class registry, no imports by name.

`to_config()` writes `{"kind": <kind>, <every parameter, defaults included>}`; combinators write
`{"kind": "or" | "and", "conditions": [...]}`. `termination_from_config` reads them back: unknown kinds, unknown or
missing keys and bad values raise `SpecError` (a ValueError) whose `path` points at the offending key, e.g.
`termination.conditions[1].max_messages` when the builder passes `path="termination"`. Parameter names follow
AgentChat's component configs, so the AutoGen Studio importer maps `config` dicts across unchanged.
`FunctionalTermination` wraps Python code and has no config form.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from studio.errors import ConfigurationError, SpecError
from studio.runtime.termination._base import AndTermination, OrTermination, TerminationCondition
from studio.runtime.termination._content import (
    FunctionCallTermination,
    HandoffTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
)
from studio.runtime.termination._events import InvalidParameter
from studio.runtime.termination._limits import (
    ExternalTermination,
    MaxMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)

_LEAVES: tuple[type[TerminationCondition], ...] = (
    MaxMessageTermination,
    TextMentionTermination,
    TokenUsageTermination,
    TimeoutTermination,
    HandoffTermination,
    SourceMatchTermination,
    ExternalTermination,
    FunctionCallTermination,
    StopMessageTermination,
    TextMessageTermination,
)

TERMINATION_KINDS: Mapping[str, type[TerminationCondition]] = MappingProxyType(
    {cls.kind: cls for cls in (*_LEAVES, OrTermination, AndTermination)}
)

# kind -> (required keys, optional keys). Kept beside the registry so a new condition is one line in each.
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "max_messages": (("max_messages",), ("include_agent_event",)),
    "text_mention": (("text",), ("sources",)),
    "token_usage": ((), ("max_total_token", "max_prompt_token", "max_completion_token")),
    "timeout": (("timeout_seconds",), ()),
    "handoff": (("target",), ()),
    "source_match": (("sources",), ()),
    "external": ((), ()),
    "function_call": (("function_name",), ()),
    "stop_message": ((), ()),
    "text_message": ((), ("source",)),
    "or": (("conditions",), ()),
    "and": (("conditions",), ()),
}
assert set(_KEYS) == set(TERMINATION_KINDS)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def termination_from_config(data: Mapping[str, Any], *, path: str = "") -> TerminationCondition:
    """Build the condition (tree) a `to_config()` dict describes."""
    if not isinstance(data, Mapping):
        raise SpecError(f"A termination condition config must be a mapping with a 'kind', got {data!r}.", path=path)
    kind = data.get("kind")
    cls = TERMINATION_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SpecError(
            f"Unknown termination condition kind {kind!r}.",
            path=_at(path, "kind"),
            choices=TERMINATION_KINDS,
            value=kind,
        )
    required, optional = _KEYS[kind]
    params = {k: v for k, v in data.items() if k != "kind"}
    unknown = sorted(set(params) - set(required) - set(optional))
    if unknown:
        raise SpecError(
            f"Termination condition '{kind}' has no parameter '{unknown[0]}'.",
            path=_at(path, unknown[0]),
            choices=(*required, *optional),
            value=unknown[0],
        )
    for key in required:
        if key not in params:
            raise SpecError(f"Termination condition '{kind}' needs '{key}'; add it.", path=_at(path, key))
    if cls is OrTermination or cls is AndTermination:
        return cls(*_children(params["conditions"], _at(path, "conditions")))
    try:
        return cls(**params)
    except InvalidParameter as e:
        raise SpecError(str(e), path=_at(path, e.param), value=params.get(e.param)) from e
    except ConfigurationError as e:
        raise SpecError(str(e), path=path) from e


def _children(items: object, path: str) -> list[TerminationCondition]:
    if not isinstance(items, list) or not items:
        raise SpecError(
            f"'conditions' must be a non-empty list of termination condition configs, got {items!r}.", path=path
        )
    return [termination_from_config(item, path=f"{path}[{i}]") for i, item in enumerate(items)]
