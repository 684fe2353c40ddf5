"""Build: design models, tools, agents and teams as forms (or YAML/JSON), saved as versioned specs.

Thin over `studio`: the list comes from `list_specs`, the editor is `widgets.spec_editor` with the kind's form from
`widgets.kind_forms`, Save validates with `studio.spec.spec_from_data` and stores with `save_spec` (a new version),
history/restore/duplicate are the store's, and Delete goes through `studio.catalog.delete_spec_checked`, which refuses
while another spec uses the name. Kind-specific panels (connection test, tool check and approval, MCP listing, the
team graph) live in `widgets/build_panels.py`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import state
from components.services import services
from components.widgets import build_panels as panels
from components.widgets import kind_forms, spec_editor
from components.widgets.forms import issue_pairs
from components.widgets.spec_actions import carry_approval
from studio.errors import StudioError
from studio.spec import SpecValidationError, spec_from_data, spec_to_data
from studio.store import list_secrets, list_settings, list_specs, save_spec

NEW = "__new__"

st.title("Build")
spec_editor.show_flash()
store = services().store
state.init()

labels = list(kind_forms.KINDS)
current_label = next((lbl for lbl, k in kind_forms.KINDS.items() if k == state.get("build_kind")), "Teams")
chosen = st.segmented_control(
    "Kind", labels, default=current_label, key="build_kind_label", label_visibility="collapsed"
)
label = chosen or current_label  # clicking the selected segment again deselects it: keep the kind
kind = kind_forms.KINDS[label]
state.put("build_kind", kind)
editor_id = f"build-{kind}"

specs = list_specs(kind, store=store)
by_id = {s.id: s for s in specs}
names = {s.name for s in specs}
list_key = f"build_list:{kind}"
pending = st.session_state.pop("build_pending_select", None)
if pending is not None:
    st.session_state[list_key] = pending
if st.session_state.get(list_key) not in (NEW, *by_id):
    st.session_state[list_key] = specs[0].id if specs else NEW

left, right = st.columns([1, 3], gap="large")
with left:
    st.subheader(label)
    if st.button(f"New {kind}", key=f"new:{kind}", icon="➕", use_container_width=True):
        st.session_state[f"build_loaded:{kind}"] = None
        st.session_state["build_pending_select"] = NEW
        st.rerun()
    options = [NEW, *by_id]
    selected = st.radio(
        f"Saved {kind}s",
        options,
        key=list_key,
        format_func=lambda i: "(new, unsaved)" if i == NEW else by_id[i].name,
    )
    if not specs:
        st.caption(f"No {kind}s saved yet.")

stored = by_id.get(selected) if selected != NEW else None
loaded = (selected, stored.version if stored else None)
if st.session_state.get(f"build_loaded:{kind}") != loaded:
    settings = list_settings(store=store)
    spec_editor.open_draft(
        editor_id, stored.data if stored else kind_forms.template(kind, taken=names, settings=settings)
    )
    st.session_state[f"build_loaded:{kind}"] = loaded


def _form() -> Any:
    if kind == "model":
        return kind_forms.model_form([s.name for s in list_secrets(store=store)])
    if kind == "tool":
        return kind_forms.tool_form
    models = [s.name for s in list_specs("model", store=store)]
    agents = [s.name for s in list_specs("agent", store=store)]
    if kind == "agent":
        return kind_forms.agent_form(models, [s.name for s in list_specs("tool", store=store)], agents)
    return kind_forms.team_form(agents, models)


def _save(data: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    if problems:
        spec_editor.set_issues(editor_id, problems)
        st.rerun()
    try:
        spec = spec_from_data(kind, data, keep_approvals=True)  # type: ignore[arg-type]
    except SpecValidationError as e:
        spec_editor.open_draft(editor_id, data)
        spec_editor.set_issues(editor_id, issue_pairs(e))
        st.rerun()
    spec = carry_approval(spec, stored.data if stored else None)
    try:
        ref = save_spec(kind, spec.name, spec_to_data(spec), store=store, spec_id=stored.id if stored else None)
    except StudioError as e:
        spec_editor.set_issues(editor_id, issue_pairs(e))
        st.rerun()
    spec_editor.flash(f"Saved {kind} '{spec.name}' as version {ref.version}.")
    st.session_state["build_pending_select"] = ref.id
    st.session_state[f"build_loaded:{kind}"] = None
    st.rerun()


with right:
    if stored is not None:
        st.subheader(stored.name)
        st.caption(f"Version {stored.version} · id `{stored.id}`")
    else:
        st.subheader(f"New {kind}")
    result = spec_editor.spec_editor(editor_id, _form())
    if st.button("Save", key=f"save:{kind}", type="primary", icon="💾"):
        _save(result.data, result.problems)
    panels.kind_panel(kind, result.data, stored, store=store, key=editor_id)
    if stored is not None:
        panels.history_panel(stored, store=store, kind=kind)
        panels.duplicate_delete_panel(stored, store=store, kind=kind, taken=names)
