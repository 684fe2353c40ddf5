"""Small bundle factories for the builder tests: a test says which agents, models and team it needs, nothing more."""

from __future__ import annotations

from typing import Any

from studio.spec import Bundle, PythonToolSpec, bundle_from_data


def scripted(name: str, *replies: Any, loop: bool = False) -> dict[str, Any]:
    return {"name": name, "provider": "scripted", "model": name, "replies": list(replies), "loop": loop}


def assistant(name: str, model: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "assistant", "model": model, **fields}


def proxy(name: str, mode: str = "NEVER", **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "user_proxy", "human_input_mode": mode, **fields}


def two_agent(first: str, second: str, **fields: Any) -> dict[str, Any]:
    return {"name": "team", "kind": "two_agent", "agents": [first, second], **fields}


def group(*agents: str, **fields: Any) -> dict[str, Any]:
    return {"name": "team", "kind": "group_chat", "agents": list(agents), **fields}


def bundle(
    team: dict[str, Any],
    agents: list[dict[str, Any]],
    models: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> Bundle:
    """A validated bundle; tool approvals are kept (the test decides what is approved)."""
    data = {"schema_version": 2, "team": team, "agents": agents, "models": models or [], "tools": tools or []}
    return bundle_from_data(data, keep_approvals=True)[0]


def python_tool(name: str, source: str, *, approved: bool, **fields: Any) -> dict[str, Any]:
    spec = PythonToolSpec(name=name, source=source, **fields)
    if approved:
        spec = spec.approve()
    return spec.model_dump(mode="json")


def messages(events: list[Any]) -> list[tuple[str, str]]:
    """(source, content) of the message events, in order."""
    return [(e.source, e.content or "") for e in events if e.type == "message"]
