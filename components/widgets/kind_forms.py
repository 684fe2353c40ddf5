"""The Build page's form for each kind of spec: which fields show for which provider or team kind, which fields pick
from stored names, and the special editors (preset, key source, transitions, termination).

The visibility rules (`model_hidden`, `team_hidden`, `agent_hidden`) and the templates of new specs are pure functions;
the `render_*` functions are `spec_editor.FormRenderer`s, closed over the names the page read from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

from components.widgets.field_editors import secret_ref_editor, termination_editor, transitions_editor
from components.widgets.forms import FormResult, render_form
from components.widgets.spec_actions import PRESETS, apply_preset, local_model_note, preset_labels, preset_of

KINDS: dict[str, str] = {"Models": "model", "Tools": "tool", "Agents": "agent", "Teams": "team"}
TOOL_KINDS = ("python", "mcp", "builtin")
TOOL_TEMPLATE = '''def my_tool(text: str) -> str:
    """Return the text in upper case (describe what your tool does here: the model reads it)."""
    return text.upper()
'''
_GROUP_ONLY = {
    "initiator",
    "speaker_selection",
    "selector_model",
    "selector_prompt",
    "max_retries_for_selecting_speaker",
    "allow_repeat_speaker",
    "allowed_transitions",
    "send_introductions",
    "max_round",
}
_AUTO_ONLY = {"selector_model", "selector_prompt", "max_retries_for_selecting_speaker"}


# -- pure rules -------------------------------------------------------------------------------------------------------


def unique_name(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... — the first not in `taken`."""
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}_{n}" in used:
        n += 1
    return f"{base}_{n}"


def template(kind: str, *, taken: Iterable[str] = (), settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The data a new spec of `kind` starts from (studio-wide defaults from Settings applied)."""
    settings = settings or {}
    if kind == "model":
        base = dict(settings.get("models.default") or {})
        return {"name": unique_name("new_model", taken), "provider": "openai", "model": "gpt-4o-mini", **base}
    if kind == "tool":
        return {"kind": "python", "name": unique_name("my_tool", taken), "source": TOOL_TEMPLATE}
    if kind == "agent":
        return {
            "name": unique_name("agent", taken),
            "kind": "assistant",
            "system_message": "You are a helpful assistant.",
        }
    limits = settings.get("teams.default_limits")
    data: dict[str, Any] = {
        "name": unique_name("team", taken),
        "kind": "group_chat",
        "agents": [],
        "termination": {"kind": "or", "conditions": [{"kind": "text_mention", "text": "TERMINATE"},
                                                     {"kind": "max_messages", "max_messages": 20}]},
    }  # fmt: skip
    if isinstance(limits, Mapping):
        data["limits"] = dict(limits)
    return data


def model_hidden(path: str, data: Mapping[str, Any]) -> bool:
    """Fields of other providers are hidden (and left at their defaults, which the provider rules require)."""
    provider = data.get("provider", "openai")
    if path in ("api_version", "azure_deployment"):
        return provider != "azure"
    if path in ("replies", "loop"):
        return provider != "scripted"
    if path in ("model_path", "n_ctx"):
        return provider != "local"
    if path in ("base_url", "api_key", "model_info"):
        return provider in ("scripted", "local")
    return False


def team_hidden(path: str, data: Mapping[str, Any]) -> bool:
    """Group-chat fields are hidden for a two-agent chat and `max_turns` for a group chat; the selector's fields show
    only for `auto` selection and the transitions only for `graph`."""
    group = data.get("kind", "group_chat") == "group_chat"
    if path == "max_turns":
        return group
    if path in _GROUP_ONLY and not group:
        return True
    if path in _AUTO_ONLY:
        return data.get("speaker_selection") != "auto"
    if path == "allowed_transitions":
        return data.get("speaker_selection") != "graph"
    return False


def agent_hidden(path: str, data: Mapping[str, Any]) -> bool:
    """Code-execution details show only when code execution is on; docker's image only for docker."""
    if not path.startswith("code_execution.") or path == "code_execution.mode":
        return False
    mode = data.get("mode", "off")
    if path == "code_execution.image":
        return mode != "docker"
    return mode == "off"


def tool_class(kind: str) -> Any:
    from studio.spec import BuiltinToolSpec, McpToolSpec, PythonToolSpec

    return {"python": PythonToolSpec, "mcp": McpToolSpec, "builtin": BuiltinToolSpec}[kind]


# -- renderers --------------------------------------------------------------------------------------------------------


def model_form(secret_names: Iterable[str]) -> Callable[[dict[str, Any], str, list[tuple[str, str]]], FormResult]:
    from studio.spec import ModelSpec
    from studio.spec.model import DEFAULT_ENV_KEYS

    names = list(secret_names)

    def render(draft: dict[str, Any], key: str, issues: list[tuple[str, str]]) -> FormResult:
        labels = preset_labels(draft)
        label = st.selectbox(
            "Preset", labels, index=labels.index(preset_of(draft)), key=f"{key}:preset_label",
            help="OpenAI, Azure OpenAI, a local OpenAI-compatible server (Ollama, LM Studio, vLLM, any other), a GGUF "
            "model run here by llama.cpp (with the local extra), or a scripted model that answers from a list.",
        )  # fmt: skip
        if PRESETS[label]["provider"] == "local":
            st.caption(local_model_note())
        previous = st.session_state.get(f"{key}:preset_prev")
        data = apply_preset(draft, label) if label != preset_of(draft) else dict(draft)
        if previous is not None and previous != label:
            # The base URL widget already exists: point it at the new preset's address before it draws.
            st.session_state[f"{key}:base_url"] = data.get("base_url") or ""
            st.session_state[f"{key}:model"] = data.get("model") or ""  # the local preset names its model
        st.session_state[f"{key}:preset_prev"] = label
        provider = PRESETS[label]["provider"]
        editor = secret_ref_editor(names, default_env=DEFAULT_ENV_KEYS.get(provider, "OPENAI_API_KEY"))
        return render_form(
            ModelSpec, data, key=key, issues=issues, exclude={"provider", "preset"},
            overrides={"api_key": editor}, hidden=model_hidden,
        )  # fmt: skip

    return render


def tool_form(draft: dict[str, Any], key: str, issues: list[tuple[str, str]]) -> FormResult:
    kind = draft.get("kind", "python")
    kind = st.radio(
        "Tool kind", TOOL_KINDS, index=TOOL_KINDS.index(kind) if kind in TOOL_KINDS else 0, key=f"{key}:kind",
        horizontal=True, format_func=lambda k: {"python": "Python function", "mcp": "MCP server", "builtin": "Built-in"}[k],
    )  # fmt: skip
    data = dict(draft) if draft.get("kind", "python") == kind else {"name": draft.get("name", ""), "kind": kind}
    if kind == "builtin":
        data.setdefault("builtin", "calculator")
    result = render_form(tool_class(kind), data, key=f"{key}:{kind}", issues=issues, exclude={"approved_hash"})
    result.data["kind"] = kind
    if kind == "python" and result.data.get("source"):
        with st.expander("Source preview", expanded=False):
            st.code(result.data["source"], language="python", line_numbers=True)
    return result


def agent_form(
    model_names: Iterable[str], tool_names: Iterable[str], agent_names: Iterable[str]
) -> Callable[[dict[str, Any], str, list[tuple[str, str]]], FormResult]:
    from studio.spec import AgentSpec

    options = {"model": list(model_names), "tools": list(tool_names), "tool_executor": list(agent_names)}

    def render(draft: dict[str, Any], key: str, issues: list[tuple[str, str]]) -> FormResult:
        result = render_form(AgentSpec, draft, key=key, issues=issues, options=options, hidden=agent_hidden)
        mode = (result.data.get("code_execution") or {}).get("mode")
        if mode == "local":
            st.warning(
                "Code execution 'local' runs the code this agent receives as you, with your files and network, "
                "without any isolation. Runs refuse it unless Settings allow local execution."
            )
        return result

    return render


def team_form(
    agent_names: Iterable[str], model_names: Iterable[str]
) -> Callable[[dict[str, Any], str, list[tuple[str, str]]], FormResult]:
    from studio.spec import TeamSpec

    agents = list(agent_names)
    options = {"agents": agents, "initiator": agents, "selector_model": list(model_names)}

    def render(draft: dict[str, Any], key: str, issues: list[tuple[str, str]]) -> FormResult:
        members = lambda: st.session_state.get(f"{key}:agents", draft.get("agents", []))  # noqa: E731
        overrides = {"allowed_transitions": transitions_editor(members), "termination": termination_editor()}
        return render_form(
            TeamSpec, draft, key=key, issues=issues, options=options, overrides=overrides, hidden=team_hidden
        )

    return render
