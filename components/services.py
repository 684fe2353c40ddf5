"""The studio process's singletons: one store and one RunManager, created once per process (`st.cache_resource`).

Both are thread-safe. On first use the store is opened (`STUDIO_HOME`, or `STUDIO_DATABASE_URL`), runs left `running`
by a crash are marked `interrupted`, orphaned Docker containers are removed (if a daemon answers), and the gallery is
loaded once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass
class Services:
    store: Any
    runs: Any
    home: str


def _boot() -> Services:
    from studio import catalog, runs
    from studio.store import get_setting, open_store

    load_gallery, RunManager = catalog.load_gallery, runs.RunManager
    store = open_store(os.environ.get("STUDIO_DATABASE_URL") or None)
    try:
        from studio.runtime.code import cleanup_orphans  # type: ignore[attr-defined]

        cleanup_orphans()
    except Exception:  # noqa: BLE001 - no Docker daemon is the normal case
        pass
    load_gallery(store=store)
    allow_local = bool(get_setting("code.allow_local", store=store, default=False))
    default_mode = str(get_setting("code.default_mode", store=store, default="sandbox"))
    timeout = float(get_setting("runs.human_input_timeout", store=store, default=600.0))
    runs = RunManager(
        store,
        human_input_timeout=timeout,
        allow_local_code=allow_local,
        code_execution_default=default_mode,
    )
    return Services(store=store, runs=runs, home=str(getattr(store, "home", "")))


@st.cache_resource(show_spinner="Starting the studio…")
def services() -> Services:
    return _boot()
