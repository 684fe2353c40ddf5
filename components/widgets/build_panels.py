"""The Build page's panels below the editor: per kind (connection test, tool check and approval, MCP tool listing,
team graph and checks), then history/restore, duplicate and delete for a stored spec.

Each panel reads its inputs, calls one `studio` (or `spec_actions`) function and renders the result. Nothing typed or
imported is ever executed here: a tool's source is only parsed (`analyze_tool_source`), an MCP server is started only
after a person approved it, and then only to list its tools.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from components.widgets import spec_actions, spec_editor
from components.widgets.forms import alert, issue_pairs
from components.widgets.kind_forms import unique_name
from components.widgets.render import safe_label
from components.widgets.team_graph import team_graph
from studio.errors import StudioError
from studio.spec import SpecValidationError, analyze_tool_source, spec_from_data, spec_to_data


def _reload(spec_id: str, kind: str) -> None:
    st.session_state["build_pending_select"] = spec_id
    st.session_state[f"build_loaded:{kind}"] = None
    st.rerun()


def _valid(kind: str, data: dict[str, Any], editor_id: str) -> Any:
    """The draft as a spec, or None after putting its issues next to the fields."""
    try:
        return spec_from_data(kind, data, keep_approvals=True)  # type: ignore[arg-type]
    except SpecValidationError as e:
        spec_editor.set_issues(editor_id, issue_pairs(e))
        spec_editor.flash("Fix the problems marked in the form first.", "error")
        st.rerun()


def kind_panel(kind: str, data: dict[str, Any], stored: Any, *, store: Any, key: str) -> None:
    if kind == "model":
        model_panel(data, store=store, key=key)
    elif kind == "tool":
        tool_panel(data, stored, store=store, key=key)
    elif kind == "team":
        team_panel(data, store=store, key=key)


# -- models -----------------------------------------------------------------------------------------------------------


def model_panel(data: dict[str, Any], *, store: Any, key: str) -> None:
    st.divider()
    st.markdown("**Test connection** — one real request to the model with the configured key")
    if st.button("Test connection", key=f"{key}:test", icon="🔌"):
        spec = _valid("model", data, key)
        if spec is not None:
            with st.spinner(f"Asking {spec.model}…"):
                result = spec_actions.check_connection(spec, store=store)
            if result.ok:
                st.success(f"The model answered in {result.latency_ms:.0f} ms ({result.model}):")
                st.code(result.text or "(empty reply)", language=None, wrap_lines=True)
            else:
                st.error("The connection test failed:")
                st.code(result.text, language=None, wrap_lines=True)


# -- tools ------------------------------------------------------------------------------------------------------------


def tool_panel(data: dict[str, Any], stored: Any, *, store: Any, key: str) -> None:
    st.divider()
    if data.get("kind", "python") == "python":
        _python_check(data, key)
    if stored is None:
        return
    try:
        spec = spec_from_data("tool", stored.data, keep_approvals=True)
    except StudioError as e:
        alert(f"The stored tool does not validate: {e}")
        return
    if spec.kind == "python":
        _python_approval(spec, stored, store=store, key=key)
    elif spec.kind == "mcp":
        _mcp_panel(spec, stored, store=store, key=key)


def _python_check(data: dict[str, Any], key: str) -> None:
    st.markdown("**Check** — parse the source (it is never run here) and preview the schema the model sees")
    if not st.button("Check", key=f"{key}:check", icon="🔍"):
        return
    info = analyze_tool_source(
        str(data.get("source") or ""), str(data.get("name") or ""), description=data.get("description") or None
    )
    for issue in info.errors:
        alert(issue)
    for issue in info.warnings:
        alert(issue, "warning")
    if info.ok:
        st.success("The source is valid. JSON schema offered to the model:")
        st.json(info.schema)


def _python_approval(spec: Any, stored: Any, *, store: Any, key: str) -> None:
    if spec.is_approved:
        st.success("Approved: this exact source was reviewed. Editing the source revokes the approval.", icon="✅")
        return
    st.warning(
        "This tool is **not approved**: it cannot run until you review its source and approve it "
        "(imported tools always start unapproved).",
        icon="🛡️",
    )
    st.markdown("**Review the source that will run (in the sandbox):**")
    st.code(spec.source, language="python", line_numbers=True)
    info = spec.analyze()
    for issue in info.warnings:
        alert(issue, "warning")
    if st.button("Approve this source", key=f"{key}:approve", type="primary"):
        _save_approved(spec, stored, store=store)


def _save_approved(spec: Any, stored: Any, *, store: Any) -> None:
    from studio.store import save_spec

    approved = spec_actions.approve_tool(spec)
    ref = save_spec("tool", approved.name, spec_to_data(approved), store=store, spec_id=stored.id, note="approved")
    spec_editor.flash(f"Approved tool '{approved.name}' (version {ref.version}).")
    _reload(ref.id, "tool")


def _mcp_panel(spec: Any, stored: Any, *, store: Any, key: str) -> None:
    if not spec.is_approved:
        st.warning(
            "This MCP server is **not approved**: nothing is started or contacted until you approve it.", icon="🛡️"
        )
        st.markdown("**Review exactly what will be started or contacted:**")
        review: dict[str, Any] = {"transport": spec.transport}
        if spec.transport == "stdio":
            review.update(command=spec.command, args=spec.args, env={k: v.label() for k, v in spec.env.items()},
                          network=spec.network)  # fmt: skip
        else:
            review.update(url=spec.url, headers={k: v.label() for k, v in spec.headers.items()})
        st.code(json.dumps(review, indent=2, ensure_ascii=False), language="json")
        if st.button("Approve this server", key=f"{key}:approve_mcp", type="primary"):
            _save_approved(spec, stored, store=store)
        return
    st.success("Approved: pinned to this command/URL. Changing any of it revokes the approval.", icon="✅")
    if st.button("List tools", key=f"{key}:list_tools", icon="📋"):
        try:
            with st.spinner("Starting the server…"):
                tools = spec_actions.list_mcp_tools(spec, store=store)
        except StudioError as e:
            alert(e)
            return
        st.caption(f"The server offers {len(tools)} tool(s).")
        for info in tools:
            from studio.runtime.mcp import reveal

            with st.container(border=True):
                st.markdown("**" + safe_label(reveal(info.name)) + "**")  # the server chose this name
                st.text(reveal(info.description) or "(no description)")
                for flag in spec_actions.tool_flags(info):
                    st.warning(f"Hidden character in this tool's text: {flag}", icon="🚩")


# -- teams ------------------------------------------------------------------------------------------------------------


def team_panel(data: dict[str, Any], *, store: Any, key: str) -> None:
    st.divider()
    st.markdown("**Team graph** — agents, the manager, allowed transitions and tools")
    bundle = spec_actions.draft_bundle_data(data, store=store)
    team_graph(bundle, key=f"{key}:graph")
    problems = spec_actions.team_problems(data, store=store)
    if problems:
        with st.expander(f"⚠️ {len(problems)} problem(s) would stop a run", expanded=False):
            for problem in problems:
                alert(problem, "warning")


# -- history, duplicate, delete ---------------------------------------------------------------------------------------


def history_panel(stored: Any, *, store: Any, kind: str) -> None:
    from studio.store import restore_version, spec_history

    versions = spec_history(stored.id, store=store)
    with st.expander(f"History ({len(versions)} version(s))"):
        by_version = {v.version: v for v in versions}
        chosen = st.selectbox(
            "Version", list(reversed(by_version)), key=f"history:{stored.id}",
            format_func=lambda n: f"v{n}" + (" (current)" if n == stored.current_version else "")
            + (f" — {by_version[n].note}" if by_version[n].note else ""),
        )  # fmt: skip
        st.code(json.dumps(by_version[chosen].data, indent=2, ensure_ascii=False), language="json")
        if chosen != stored.current_version and st.button(f"Restore version {chosen}", key=f"restore:{stored.id}"):
            ref = restore_version(stored.id, chosen, store=store)
            spec_editor.flash(f"Restored version {chosen} as version {ref.version}.")
            _reload(ref.id, kind)


def duplicate_delete_panel(stored: Any, *, store: Any, kind: str, taken: set[str]) -> None:
    from studio.catalog import delete_spec_checked, spec_users
    from studio.store import duplicate_spec

    with st.expander("Duplicate or delete"):
        new_name = st.text_input(
            "Name of the copy", value=unique_name(f"{stored.name}_copy", taken), key=f"dup:{stored.id}"
        )
        if st.button("Duplicate", key=f"dup_btn:{stored.id}", icon="📄"):
            try:
                data = dict(stored.data)
                data["name"] = new_name
                spec_from_data(kind, data, keep_approvals=True)  # type: ignore[arg-type]
                ref = duplicate_spec(stored.id, new_name, store=store)
            except StudioError as e:
                alert(e)
            else:
                spec_editor.flash(f"Duplicated as '{new_name}'.")
                _reload(ref.id, kind)
        confirm = st.checkbox(f"Yes, delete the {kind} '{stored.name}'", key=f"del_ok:{stored.id}")
        if st.button("Delete", key=f"del_btn:{stored.id}", icon="🗑️", disabled=not confirm):
            try:
                delete_spec_checked(kind, stored.id, store=store)
            except StudioError as e:
                alert(f"Not deleted: {e}")
                users = spec_users(kind, stored.name, store=store)
                if users:
                    st.markdown("Used by:")
                    for ref in users:
                        st.markdown(f"- {ref.kind} **{ref.name}** at `{ref.path}`")
            else:
                spec_editor.flash(f"Deleted the {kind} '{stored.name}'.")
                st.session_state[f"build_loaded:{kind}"] = None
                st.rerun()
