"""The Settings page's parts: masked secret rows, the default-model editor, and the code-execution rules.

`secret_rows` shows only what `list_secrets` returns (names and masks — nothing is decrypted for display).
`code_problem` is the rule the page enforces: local execution, as the default or merely allowed, needs the person's
explicit confirmation.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from components.widgets.field_editors import secret_ref_editor
from components.widgets.forms import FieldSpec
from components.widgets.spec_actions import PRESETS, apply_preset, local_model_note, preset_labels, preset_of

CODE_MODES: dict[str, str] = {
    "sandbox": "Sandbox (bubblewrap: no network, no host files, limits) — recommended",
    "docker": "Docker (a hardened container; needs a Docker daemon)",
    "local": "Local (no isolation at all)",
}
LOCAL_WARNING = (
    "Local code execution is allowed: code written by a model runs as your user, with your files, your network and "
    "your credentials, without any sandbox. Use it only for code you would run yourself."
)
_DEFAULT_FIELDS = ("provider", "preset", "model", "base_url", "api_key")


def secret_rows(secrets: Iterable[Any]) -> list[dict[str, str]]:
    """Table rows for stored secrets: name, masked value, last change."""
    return [
        {"name": s.name, "value": s.masked, "updated": time.strftime("%Y-%m-%d %H:%M", time.localtime(s.updated_at))}
        for s in secrets
    ]


def code_problem(mode: str, allow_local: bool, confirmed: bool) -> str | None:
    """Why these code-execution settings cannot be saved (None: they can)."""
    if mode not in CODE_MODES:
        return f"Unknown code-execution mode {mode!r}; choose sandbox, docker or local."
    if mode == "local" and not allow_local:
        return "The default 'local' needs 'Allow local, unsandboxed code execution' switched on."
    if (mode == "local" or allow_local) and not confirmed:
        return "Confirm that you understand local execution has no isolation."
    return None


def check_default_model(data: Mapping[str, Any]) -> None:
    """Raise a SpecValidationError if the default endpoint would not make a valid model."""
    from studio.spec import spec_from_data

    spec_from_data("model", {"name": "default", **data})


def default_model_editor(current: Mapping[str, Any] | None, secret_names: Iterable[str]) -> dict[str, Any]:
    """Preset, model name, base URL and key source of the default model; returns the setting's value."""
    from studio.spec.model import DEFAULT_ENV_KEYS

    data = dict(current or {"provider": "openai", "model": "gpt-4o-mini"})
    labels = preset_labels(data)
    label = st.selectbox("Preset", labels, index=labels.index(preset_of(data)), key="default_model_preset")
    if label != preset_of(data):
        data = apply_preset(data, label)
    provider = PRESETS[label]["provider"]
    cols = st.columns(2)
    model = cols[0].text_input("Model", value=str(data.get("model") or "gpt-4o-mini"), key="default_model_name")
    out: dict[str, Any] = {"provider": provider, "model": model.strip()}
    if PRESETS[label].get("preset"):
        out["preset"] = PRESETS[label]["preset"]
    if provider == "scripted":
        out["replies"] = list(data.get("replies") or ["Hello from the scripted model. TERMINATE"])
        return out
    if provider == "local":
        st.caption(local_model_note())
        return out
    base = cols[1].text_input(
        "Base URL", value=str(data.get("base_url") or ""), key=f"default_model_base_url:{label}",
        help="Empty: the provider's own endpoint.",
    )  # fmt: skip
    if base.strip():
        out["base_url"] = base.strip()
    if provider == "azure":
        out["api_version"] = str(data.get("api_version") or "2024-06-01")
    editor = secret_ref_editor(secret_names, default_env=DEFAULT_ENV_KEYS.get(provider, "OPENAI_API_KEY"))
    spec = FieldSpec(name="api_key", path="api_key", kind="yaml", label="API key", optional=True)
    key_ref = editor(spec, data.get("api_key"), "default_model_key")
    if key_ref is not None:
        out["api_key"] = key_ref
    return out
