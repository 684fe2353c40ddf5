"""The access gate for exposed serving (SECURITY.md T50, posture "Network surface").

On 127.0.0.1 the studio needs no login. Bound to any other address it must have `STUDIO_ACCESS_TOKEN` set (the CLI
refuses to start otherwise), and every browser session must present it once (`?token=...` or the form), compared in
constant time. The token is never echoed back.
"""

from __future__ import annotations

import hmac
import os

import streamlit as st

LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}


def bound_address() -> str:
    try:
        return str(st.get_option("server.address") or "")
    except Exception:  # noqa: BLE001 - outside a server (AppTest) the option may be missing
        return ""


def require_access() -> None:
    """Stop the page unless the studio is on loopback or this session presented the access token."""
    if bound_address() in LOOPBACK:
        return
    token = os.environ.get("STUDIO_ACCESS_TOKEN", "")
    if not token:
        st.error("This studio is served on a non-loopback address without STUDIO_ACCESS_TOKEN; refusing to serve.")
        st.stop()
    if st.session_state.get("_access_ok"):
        return
    offered = st.query_params.get("token", "")
    if offered and hmac.compare_digest(offered, token):
        st.session_state["_access_ok"] = True
        return
    with st.form("access"):
        entered = st.text_input("Access token", type="password")
        if st.form_submit_button("Enter") and hmac.compare_digest(entered, token):
            st.session_state["_access_ok"] = True
            st.rerun()
    st.stop()
