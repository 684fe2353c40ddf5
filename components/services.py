"""The studio process's singletons: one store and one RunManager, created once per process (`st.cache_resource`).

Both are thread-safe. On first use the store is opened (`STUDIO_HOME`, or `STUDIO_DATABASE_URL`), runs left `running`
by a crash are marked `interrupted`, orphaned Docker containers are removed (if a daemon answers), and the gallery is
loaded once (its local-model variants too when `STUDIO_LOCAL_MODEL=1`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import streamlit as st

LOCAL_MODEL_ENV = "STUDIO_LOCAL_MODEL"
"""Set to 1 (`make run-local`, `studio ui --local-model`) to load the gallery's local-model teams and open on one."""


def local_model_requested() -> bool:
    return os.environ.get(LOCAL_MODEL_ENV, "").strip().lower() in ("1", "true", "yes", "on")


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
    if local_model_requested():
        load_gallery(store=store, variant="local")  # `make run-local`: the gallery teams on the bundled real model
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
