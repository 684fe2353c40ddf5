"""Settings: secrets, the default model endpoint, code-execution defaults, limits, the data directory, the version.

Secrets are typed here once and listed masked (at most the last 4 characters; the form clears itself on submit, so a
value never stays in the page). Specs reference them by name. Code execution defaults to the sandbox; "local" runs
code unsandboxed, so choosing it needs an explicit confirmation and the page then carries a permanent warning. The
values are the store's settings (`code.default_mode`, `code.allow_local`, `runs.human_input_timeout`,
`teams.default_limits`, `models.default`); the run manager reads them when the studio starts.
"""

from __future__ import annotations

import streamlit as st

import studio
from components.services import services
from components.widgets import settings_forms, spec_editor
from components.widgets.forms import alert, render_form
from components.widgets.spec_actions import mask_url
from studio.errors import StudioError
from studio.spec import TeamLimits
from studio.store import delete_secret, get_setting, list_secrets, set_secret, set_setting

st.title("Settings")
spec_editor.show_flash()
svc = services()
store = svc.store

if get_setting("code.allow_local", False, store=store):
    st.warning(settings_forms.LOCAL_WARNING, icon="⚠️")

# -- secrets ------------------------------------------------------------------------------------------------------------
st.subheader("Secrets")
st.caption("API keys and tokens, encrypted in the studio's store. Models reference a secret by its name.")
secrets = list_secrets(store=store)
if secrets:
    st.table(settings_forms.secret_rows(secrets))
else:
    st.caption("No secrets stored.")
if st.session_state.pop("_secret_stored", False):
    # Empty the inputs on the server too (clear_on_submit empties them in the browser): a typed value must not
    # stay in the session once it is stored.
    st.session_state["secret_name"] = ""
    st.session_state["secret_value"] = ""
with st.form("secret_form", clear_on_submit=True):
    cols = st.columns(2)
    name = cols[0].text_input("Secret name", key="secret_name", placeholder="openai-prod")
    value = cols[1].text_input("Value", key="secret_value", type="password")
    if st.form_submit_button("Store secret", icon="🔐"):
        try:
            info = set_secret(name.strip(), value, store=store)
        except StudioError as e:
            alert(e)
        else:
            spec_editor.flash(f"Stored the secret '{info.name}' ({info.masked}).")
            st.session_state["_secret_stored"] = True
            st.rerun()
if secrets:
    cols = st.columns([3, 1])
    doomed = cols[0].selectbox("Delete a secret", [s.name for s in secrets], key="secret_delete")
    if cols[1].button("Delete secret", key="secret_delete_btn", icon="🗑️"):
        delete_secret(doomed, store=store)
        spec_editor.flash(f"Deleted the secret '{doomed}'.")
        st.rerun()

# -- default model ------------------------------------------------------------------------------------------------------
st.subheader("Default model endpoint")
st.caption("What a new model in Build starts from.")
default_model = settings_forms.default_model_editor(
    get_setting("models.default", None, store=store), [s.name for s in secrets]
)
if st.button("Save default model", key="save_default_model"):
    try:
        settings_forms.check_default_model(default_model)
    except StudioError as e:
        alert(e)
    else:
        set_setting("models.default", default_model, store=store)
        spec_editor.flash("Saved the default model endpoint.")
        st.rerun()

# -- code execution -----------------------------------------------------------------------------------------------------
st.subheader("Code execution")
modes = list(settings_forms.CODE_MODES)
current_mode = str(get_setting("code.default_mode", "sandbox", store=store))
mode = st.radio(
    "Default executor for agents that run code",
    modes,
    index=modes.index(current_mode) if current_mode in modes else 0,
    key="code_mode",
    format_func=lambda m: settings_forms.CODE_MODES[m],
)
allow_local = st.checkbox(
    "Allow local, unsandboxed code execution",
    value=bool(get_setting("code.allow_local", False, store=store)),
    key="code_allow_local",
)
confirmed = True
if mode == "local" or allow_local:
    st.error(settings_forms.LOCAL_WARNING, icon="⚠️")
    confirmed = st.checkbox(
        "I understand that local execution runs code with my user's rights, files and network, with no isolation.",
        key="code_local_confirm",
    )
if st.button("Save code execution", key="save_code", disabled=not confirmed):
    problem = settings_forms.code_problem(mode, allow_local, confirmed)
    if problem:
        st.error(problem)
    else:
        set_setting("code.default_mode", mode, store=store)
        set_setting("code.allow_local", bool(allow_local), store=store)
        spec_editor.flash("Saved the code-execution defaults; runs started after the studio restarts use them.")
        st.rerun()

# -- limits -------------------------------------------------------------------------------------------------------------
st.subheader("Limits")
timeout = st.number_input(
    "Human input timeout (seconds)",
    min_value=5.0,
    max_value=86_400.0,
    value=float(get_setting("runs.human_input_timeout", 600.0, store=store)),
    key="human_timeout",
    help="How long a run waits for a person's answer before it ends.",
)
st.markdown("Default limits of a new team")
limits = render_form(TeamLimits, get_setting("teams.default_limits", None, store=store), key="default_limits")
if st.button("Save limits", key="save_limits"):
    try:
        checked = TeamLimits.model_validate(limits.data).model_dump(mode="json")
    except ValueError as e:
        alert(f"The limits are not valid: {e}")
    else:
        set_setting("runs.human_input_timeout", float(timeout), store=store)
        set_setting("teams.default_limits", checked, store=store)
        spec_editor.flash("Saved the limits.")
        st.rerun()

# -- data and version ---------------------------------------------------------------------------------------------------
st.subheader("Data")
st.markdown(f"**Data directory (STUDIO_HOME):** `{svc.home}`")
st.markdown(f"**Database:** `{mask_url(str(getattr(store, 'url', '')))}`")
st.markdown(f"**Parley Studio version:** `{studio.__version__}`")
