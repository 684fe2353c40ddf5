"""Editors for the spec fields a generic form cannot draw well: key references, allowed transitions, termination trees.

Each is a `FieldRenderer` (`(field, current value, widget key) -> new value`) for `forms.render_form(overrides=...)`.
The termination builder edits the common shapes — no condition, one condition, or a flat list combined with *any*
(`or`) or *all* (`and`) — and offers the raw YAML for anything deeper (`split_termination` says which); the split and
join are pure functions so they are tested without Streamlit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

from components.widgets.forms import FieldSpec, alert, render_form, yaml_box_text, yaml_box_value

KEY_SOURCES = ("Provider default", "Environment variable", "Stored secret")
_UIDS = itertools.count(1)


# -- key reference ----------------------------------------------------------------------------------------------------


def key_source_of(value: Any) -> str:
    """Which of KEY_SOURCES a stored `api_key` value is."""
    if isinstance(value, Mapping) and value.get("secret"):
        return "Stored secret"
    if isinstance(value, Mapping) and value.get("env"):
        return "Environment variable"
    return "Provider default"


def secret_ref_editor(secret_names: Iterable[str], default_env: str = "OPENAI_API_KEY") -> Callable[..., Any]:
    """An editor for a `SecretRef | None` field: provider default, an environment variable name, or a stored secret
    chosen by name. Only names ever enter the spec; a secret's value is typed on the Settings page."""
    names = sorted(secret_names)

    def render(spec: FieldSpec, current: Any, key: str) -> Any:
        source = st.radio(
            "API key from",
            KEY_SOURCES,
            index=KEY_SOURCES.index(key_source_of(current)),
            key=f"{key}:source",
            horizontal=True,
            help=spec.help or None,
        )
        if source == "Environment variable":
            env = current.get("env") if isinstance(current, Mapping) and current.get("env") else default_env
            name = st.text_input("Environment variable name", value=env, key=f"{key}:env")
            return {"env": name.strip()} if name.strip() else None
        if source == "Stored secret":
            if not names:
                st.info("No secrets are stored yet. Add one on the Settings page, then choose it here.")
                return None
            chosen = current.get("secret") if isinstance(current, Mapping) else None
            options = names if chosen in names or chosen is None else [*names, chosen]
            index = options.index(chosen) if chosen in options else 0
            return {"secret": st.selectbox("Stored secret", options, index=index, key=f"{key}:secret")}
        return None

    return render


# -- allowed transitions ----------------------------------------------------------------------------------------------


def clean_transitions(value: Any, members: Iterable[str]) -> dict[str, list[str]]:
    """The transitions among `members` (sources without targets dropped, order of members kept)."""
    known = list(members)
    table = value if isinstance(value, Mapping) else {}
    out: dict[str, list[str]] = {}
    for source in known:
        targets = [t for t in table.get(source, []) if t in known]
        if targets:
            out[source] = targets
    return out


def transitions_editor(members: Iterable[str] | Callable[[], Iterable[str]]) -> Callable[..., Any]:
    """An editor for `allowed_transitions`: for each participant, who may speak after it. `members` may be a callable,
    read when the editor draws (the members widget above it in the same form decides)."""

    def render(spec: FieldSpec, current: Any, key: str) -> Any:
        names = list(members() if callable(members) else members)
        st.markdown("**Allowed transitions** — who may speak after whom")
        if spec.help:
            st.caption(spec.help)
        if not names:
            st.info("Choose the members first.")
            return {}
        table = current if isinstance(current, Mapping) else {}
        out: dict[str, list[str]] = {}
        for source in names:
            default = [t for t in table.get(source, []) if t in names]
            targets = st.multiselect(f"After {source}", names, default=default, key=f"{key}:{source}")
            if targets:
                out[source] = targets
        return out

    return render


# -- termination tree -------------------------------------------------------------------------------------------------


def leaf_kinds() -> dict[str, Any]:
    """Condition kind → spec class, for every condition that is not `and`/`or`."""
    from studio.spec.termination import AndTermination, AnyTermination, OrTermination

    out: dict[str, Any] = {}
    for cls in AnyTermination.__args__:  # type: ignore[attr-defined]
        if cls not in (AndTermination, OrTermination):
            out[cls.model_fields["kind"].default] = cls
    return out


def _is_leaf(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("kind") not in ("and", "or")


def split_termination(value: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """("any" | "all", leaf conditions) for a tree the builder can edit; None for deeper trees (raw YAML only)."""
    if value is None:
        return "any", []
    if not isinstance(value, Mapping):
        return None
    if _is_leaf(value):
        return "any", [dict(value)]
    conditions = value.get("conditions")
    if isinstance(conditions, list) and all(_is_leaf(c) for c in conditions):
        return ("any" if value.get("kind") == "or" else "all"), [dict(c) for c in conditions]
    return None


def join_termination(mode: str, leaves: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tree for a flat list: None (no condition), the single condition, or an `or`/`and` of them."""
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    return {"kind": "or" if mode == "any" else "and", "conditions": leaves}


def termination_editor() -> Callable[..., Any]:
    """An editor for `termination`: a list of conditions combined with any/all, or the raw YAML of the tree."""

    def render(spec: FieldSpec, current: Any, key: str) -> Any:
        st.markdown("**Termination** — when the conversation ends")
        if spec.help:
            st.caption(spec.help)
        flat = split_termination(current)
        modes = ["Builder", "YAML"] if flat is not None else ["YAML"]
        if flat is None:
            st.caption("This tree nests and/or conditions; edit it as YAML.")
        how = st.radio("Edit as", modes, key=f"{key}:how", horizontal=True, label_visibility="collapsed")
        if how == "YAML" or flat is None:
            text = st.text_area("Termination (YAML)", value=yaml_box_text(current), key=f"{key}:yaml", height=160)
            value, problem = yaml_box_value(text, spec)
            if problem:
                alert(problem, icon="⚠️")
            return value
        return _builder(flat, key)

    return render


def _builder(flat: tuple[str, list[dict[str, Any]]], key: str) -> Any:
    kinds = leaf_kinds()
    items_key = f"{key}:items"
    if items_key not in st.session_state:
        st.session_state[items_key] = [{"uid": next(_UIDS), "data": leaf} for leaf in flat[1]]
    items: list[dict[str, Any]] = st.session_state[items_key]
    mode = st.radio(
        "Stop when", ["any", "all"], index=0 if flat[0] == "any" else 1, key=f"{key}:mode", horizontal=True,
        format_func=lambda m: "any condition fires" if m == "any" else "all conditions have fired",
    )  # fmt: skip
    leaves: list[dict[str, Any]] = []
    for item in items:
        uid = item["uid"]
        kind = item["data"].get("kind")
        with st.container(border=True):
            cols = st.columns([4, 1])
            options = list(kinds)
            chosen = cols[0].selectbox(
                "Condition", options, index=options.index(kind) if kind in options else 0, key=f"{key}:{uid}:kind"
            )
            cols[1].button("Remove", key=f"{key}:{uid}:remove", on_click=_remove, args=(items_key, uid))
            if chosen != kind:
                item["data"] = {"kind": chosen}
            cls = kinds[chosen]
            if cls.__doc__:
                st.caption(cls.__doc__)
            form = render_form(cls, item["data"], key=f"{key}:{uid}:{chosen}")
            item["data"] = form.data
            leaves.append(form.data)
    cols = st.columns([4, 1])
    new_kind = cols[0].selectbox("New condition", list(kinds), key=f"{key}:new")
    del new_kind  # read in the callback, from the selectbox's state at click time
    cols[1].button("Add", key=f"{key}:add", on_click=_add, args=(items_key, f"{key}:new"))
    return join_termination(mode, leaves)


def _remove(items_key: str, uid: int) -> None:
    st.session_state[items_key] = [i for i in st.session_state[items_key] if i["uid"] != uid]


def _add(items_key: str, kind_key: str) -> None:
    kind = st.session_state[kind_key]
    defaults = {"max_messages": {"max_messages": 10}, "timeout": {"timeout_seconds": 300.0}}
    data = {"kind": kind, **defaults.get(kind, {})}
    st.session_state[items_key] = [*st.session_state[items_key], {"uid": next(_UIDS), "data": data}]
