"""ModelSpec → one model client per model, shared by every agent that uses it.

Each `ModelSpec` of a build becomes exactly one client (`make_client` over an AG2-style config entry) and every agent
(and the speaker selector) that names the model gets `{"client": <that client>}` as its llm_config. Sharing matters
twice: a scripted model's script is one conversation's script, whoever speaks, and a hosted model's HTTP connection
pool is set up once per build, never per agent or per turn.

Keys: the spec names where a key comes from (`SecretRef`), never the key. `resolve_secret(ref)` turns the reference
into the value (an environment variable, or the studio's secret store); the value goes into the client and nowhere
else — not into an llm_config the agents keep, not into an error message. Defaults that could leak a key are refused:
an `openai` model pointed at another host without an explicit key reference would otherwise send `OPENAI_API_KEY` to
that host, and an `openai_compatible` model without a reference sends a placeholder, never the OpenAI key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from studio.errors import BuildError, StudioError
from studio.spec import ModelSpec, SecretRef
from studio.spec.model import ScriptedToolCall

SecretResolver = Callable[[SecretRef], str]
"""Turns a key reference into the key (raises a StudioError with a sentence saying what to do when it cannot)."""

NO_KEY = "not-needed"
"""What an OpenAI-compatible server without a key reference receives (the runtime's placeholder)."""

_OPENAI_HOSTS = ("api.openai.com",)


def env_only_resolver(ref: SecretRef) -> str:
    """The resolver used when the caller gives none: environment variables only."""
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise BuildError(
                f"The environment variable {ref.env} is not set; set it to the API key, or store the key as a secret "
                "in the studio and point the model at it."
            )
        return value
    raise BuildError(
        f"The key reference {ref.label()} names a stored secret, and no secret store was given to the builder; "
        "run the team through the studio (which has the store), or reference an environment variable instead."
    )


def key_reference(model: ModelSpec, path: str) -> SecretRef | None:
    """Where the model's key comes from, None when it sends none (scripted, local, or a keyless local server)."""
    if model.provider in ("scripted", "local"):
        return None
    if model.api_key is not None:
        return model.api_key
    if model.provider == "openai_compatible":
        return None
    if model.provider == "openai" and model.base_url is not None:
        host = urlsplit(model.base_url).hostname or ""
        if host not in _OPENAI_HOSTS:
            raise BuildError(
                f"The model {model.name!r} sends requests to {host!r} but names no key reference, so it would send "
                "your OPENAI_API_KEY to that host. Set api_key explicitly (e.g. {env: OPENAI_API_KEY}) if that is "
                "what you mean, or use provider 'openai_compatible' for a server that needs no key.",
                path=f"{path}.api_key",
            )
    env = model.key_env_var()
    return SecretRef(env=env) if env else None


def _resolve(model: ModelSpec, path: str, resolve: SecretResolver) -> str | None:
    ref = key_reference(model, path)
    if ref is None:
        return NO_KEY if model.provider == "openai_compatible" else None
    try:
        value = resolve(ref)
    except StudioError as e:
        raise BuildError(
            f"The key of model {model.name!r} ({ref.label()}) is not available: {e}", path=f"{path}.api_key"
        ) from None
    if not isinstance(value, str) or not value:
        raise BuildError(f"The key of model {model.name!r} ({ref.label()}) is empty.", path=f"{path}.api_key")
    return value


def _scripted_reply(reply: str | ScriptedToolCall) -> Any:
    if isinstance(reply, str):
        return reply
    return {"tool_calls": [{"name": reply.tool, "arguments": dict(reply.arguments)}]}


def llm_entry(model: ModelSpec, api_key: str | None) -> dict[str, Any]:
    """The AG2-style config entry `make_client` builds the client from (holds the key: never keep it around)."""
    params = model.params
    if model.provider == "scripted":
        return {
            "api_type": "scripted",
            "model": model.model,
            "replies": [_scripted_reply(r) for r in model.replies],
            "loop": model.loop,
            "stream": params.stream,
        }
    entry: dict[str, Any] = {"model": model.model, "api_key": api_key, "timeout": params.timeout}
    if model.provider == "local":
        entry = {"api_type": "local", "model": model.model}  # in-process: no key, no endpoint, no request timeout
        if model.model_path is not None:
            entry["model_path"] = str(Path(model.model_path).expanduser())
        if model.n_ctx is not None:
            entry["n_ctx"] = model.n_ctx
    elif model.provider == "azure":
        entry.update(
            api_type="azure",
            azure_endpoint=model.base_url,
            api_version=model.api_version,
            azure_deployment=model.azure_deployment or model.model,
        )
    else:
        entry["api_type"] = "openai"
        if model.base_url is not None:
            entry["base_url"] = model.base_url
    for name in ("temperature", "max_tokens", "top_p", "seed"):
        value = getattr(params, name)
        if value is not None:
            entry[name] = value
    if params.stream:
        entry["stream"] = True
    return entry


def build_client(model: ModelSpec, path: str, resolve: SecretResolver) -> Any:
    """The runtime model client for `model` (BuildError naming `path` when it cannot be made)."""
    from studio.runtime.models.config import make_client

    entry = llm_entry(model, _resolve(model, path, resolve))
    try:
        return make_client(entry)
    except StudioError as e:
        raise BuildError(f"The model {model.name!r} cannot be set up: {e}", path=path) from None
    finally:
        entry.clear()  # drop our reference to the key


def agent_llm_config(client: Any, *, stream: bool = False) -> dict[str, Any]:
    """The llm_config an agent gets: the shared client (and the agent's own streaming switch)."""
    config: dict[str, Any] = {"client": client}
    if stream:
        config["stream"] = True
    return config
