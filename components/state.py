"""Typed access to `st.session_state`: every key the pages share, initialised with `setdefault`."""

from __future__ import annotations

from typing import Any

import streamlit as st

DEFAULTS: dict[str, Any] = {
    "session_id": None,  # the playground's open session
    "run_id": None,  # the run the playground follows
    "replay_run_id": None,  # the run the replay page shows
    "replay_step": 0,
    "build_kind": "team",
    "build_selected": None,
}


def init() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def get(key: str) -> Any:
    init()
    return st.session_state[key]


def put(key: str, value: Any) -> None:
    st.session_state[key] = value
