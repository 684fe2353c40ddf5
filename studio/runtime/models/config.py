"""`make_client(llm_config)`: AG2-style llm_config parsing into a ModelClient.

Accepted shapes, as in AG2: `None`/`False` (no model: returns None); a dict of one model
(`{"model", "api_key", "base_url", "api_type", "temperature", ...}`); a dict with `config_list: [entry, ...]`, whose
other top-level keys are defaults every entry inherits (the entry wins); a ModelClient instance (returned as is).
An entry is one of: `{"client": <ModelClient>}` (that instance), `api_type` "openai" (the default; also any
OpenAI-compatible server — Ollama, vLLM, LM Studio, DeepSeek... — given its `base_url`) or "azure" → OpenAIClient,
"scripted" → `ScriptedClient.from_config(entry)`, "local" → `LocalClient.from_config(entry)` (a GGUF model run by
llama.cpp in-process: `model_path`, `n_ctx`, `n_threads`; needs the `parley-studio[local]` extra).

Keys are sorted into three kinds. Client keys configure the client. Ignored keys are AG2 options handled elsewhere
(`tools`/`functions` by the agent) or not applicable (`cache_seed`, `tags`, `filter_dict`). Every other key is a
request parameter (temperature, max_tokens, top_p, seed, stop, response_format, tool_choice, ...) sent in each request
body, so provider-specific parameters pass through as AG2 passes them; a misspelt one is reported by the server.
`stream: true` sets the client's `stream` attribute, which tells the agent to stream (pass `on_chunk`).

Several entries make a `FallbackClient`. Every entry is built up front, so a misconfigured entry (say, a missing key)
is a `ConfigurationError` from `make_client`, naming the entry — at call time only model failures fall back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.errors import ConfigurationError

from .base import ModelClient
from .fallback import FallbackClient
from .openai_client import API_TYPES, OpenAIClient
from .scripted import ScriptedClient

VALID_API_TYPES = (*API_TYPES, "scripted", "local")
CLIENT_KEYS = frozenset(
    {
        "model",
        "api_key",
        "base_url",
        "api_base",
        "api_type",
        "api_version",
        "azure_endpoint",
        "azure_deployment",
        "timeout",
        "max_retries",
        "price",
        "default_headers",
        "stream",
        "client",
        "transport",
    }
)
SCRIPTED_KEYS = frozenset({"replies", "loop", "record"})
IGNORED_KEYS = frozenset(
    {"cache_seed", "cache", "tools", "functions", "tags", "filter_dict", "api_rate_limit", "config_list", "n_retries"}
)


def make_client(llm_config: Mapping[str, Any] | ModelClient | None | bool) -> ModelClient | None:
    """The ModelClient for an AG2-style `llm_config`, or None when the config is None/False (no model)."""
    if llm_config is None or llm_config is False:
        return None
    if not isinstance(llm_config, Mapping):
        if isinstance(llm_config, ModelClient):
            return llm_config
        raise ConfigurationError(
            f'llm_config must be a dict (e.g. {{"model": "gpt-4o-mini"}} or {{"config_list": [...]}}), None or '
            f"False, not {llm_config!r}."
        )
    config_list = llm_config.get("config_list")
    defaults = {k: v for k, v in llm_config.items() if k != "config_list"}
    if config_list is None:
        return _entry_client(defaults, "llm_config")
    if not isinstance(config_list, list | tuple) or not config_list:
        raise ConfigurationError(
            f"llm_config.config_list must be a non-empty list of model configs, not {config_list!r}."
        )
    clients = []
    for index, entry in enumerate(config_list):
        if not isinstance(entry, Mapping):
            raise ConfigurationError(f"llm_config.config_list[{index}] must be a dict, not {entry!r}.")
        clients.append(_entry_client({**defaults, **entry}, f"llm_config.config_list[{index}]"))
    if len(clients) == 1:
        return clients[0]
    stream = bool(defaults.get("stream", getattr(clients[0], "stream", False)))
    return FallbackClient(clients, stream=stream)


def _entry_client(entry: dict[str, Any], path: str) -> ModelClient:
    if entry.get("client") is not None:
        client = entry["client"]
        if not isinstance(client, ModelClient):
            raise ConfigurationError(
                f"{path}.client must be a ModelClient (with .model and .create()), not {client!r}."
            )
        return client
    api_type = entry.get("api_type") or "openai"
    if api_type == "scripted":
        return ScriptedClient.from_config(entry)
    if api_type == "local":
        from .local import LocalClient  # llama.cpp itself is imported only when the model is first used

        try:
            return LocalClient.from_config(entry)
        except ConfigurationError as e:
            raise ConfigurationError(f"{path}: {e}") from None
    if api_type not in API_TYPES:
        raise ConfigurationError(
            f"{path}.api_type '{api_type}' is not supported. Valid choices: {', '.join(VALID_API_TYPES)}. "
            'OpenAI-compatible servers (Ollama, vLLM, LM Studio, DeepSeek, ...) use api_type "openai" with '
            "their base_url."
        )
    stray = sorted(k for k in SCRIPTED_KEYS if k in entry)
    if stray:
        raise ConfigurationError(f"{path}: {', '.join(stray)} only apply to api_type \"scripted\", not '{api_type}'.")
    params = {k: v for k, v in entry.items() if k not in CLIENT_KEYS and k not in IGNORED_KEYS}
    try:
        return OpenAIClient(
            entry.get("model"),  # type: ignore[arg-type]  # validated by OpenAIClient
            api_key=entry.get("api_key"),
            base_url=entry.get("base_url") or entry.get("api_base"),
            api_type=api_type,
            api_version=entry.get("api_version"),
            azure_endpoint=entry.get("azure_endpoint"),
            azure_deployment=entry.get("azure_deployment"),
            timeout=entry.get("timeout"),
            max_retries=entry.get("max_retries", 2),
            default_params=params,
            price=entry.get("price"),
            stream=bool(entry.get("stream", False)),
            default_headers=entry.get("default_headers"),
            transport=entry.get("transport", "auto"),
        )
    except ConfigurationError as e:
        raise ConfigurationError(f"{path}: {e}") from None
