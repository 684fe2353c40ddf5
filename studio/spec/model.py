"""`ModelSpec`: which model an agent talks to, where, and where its key comes from.

One flat model rather than a union per provider, because the UI renders it as one form whose provider select shows or
hides fields; the cross-field rules (azure needs an endpoint, scripted replies only for scripted) live in one
validator. The key is a `SecretRef` — a name, never a value — so a spec, an export or a run snapshot cannot leak it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, field_validator, model_validator

from studio.spec._base import Description, HttpUrl, Name, SecretRef, SpecModel

Provider = Literal["openai", "azure", "openai_compatible", "local", "scripted"]
Preset = Literal["ollama", "lmstudio", "vllm"]

PRESET_BASE_URLS: dict[str, str] = {
    "ollama": "http://localhost:11434/v1",
    "lmstudio": "http://localhost:1234/v1",
    "vllm": "http://localhost:8000/v1",
}
"""Default endpoints of the local OpenAI-compatible servers the studio knows by name."""

LOCAL_MODEL_NAME = "smollm2-135m-instruct"
"""The display name of the bundled local model (SmolLM2-135M-Instruct, shipped by `parley-studio[local]`)."""

LOCAL_SERVE_BASE_URL = "http://127.0.0.1:8000/v1"
"""Where `studio serve-model` serves the local model by default: what a `local` model becomes in an export for a tool
that cannot run GGUF files itself (AutoGen Studio)."""

DEFAULT_ENV_KEYS: dict[str, str] = {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY"}
"""The environment variable each provider reads when `api_key` is not set."""


class ModelParams(SpecModel):
    """Sampling and transport parameters sent with every request. Unset means the provider's default."""

    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    """Sampling temperature, 0 (deterministic) to 2 (very random)."""
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """Upper bound on the tokens generated per reply."""
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """Nucleus sampling: only tokens within this cumulative probability are considered."""
    timeout: Annotated[float, Field(gt=0.0, le=3600.0)] = 60.0
    """Seconds to wait for one model request before it fails."""
    stream: bool = False
    """Stream the reply token by token (the playground shows it as it is written)."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    """Seed for providers that support reproducible sampling."""


class ModelInfo(SpecModel):
    """What a model can do. Required by AutoGen Studio for model names it does not know (local servers)."""

    function_calling: bool = True
    """The model accepts tools and answers with tool calls."""
    vision: bool = False
    """The model accepts images."""
    json_output: bool = False
    """The model supports JSON mode."""
    structured_output: bool = False
    """The model supports structured output (a JSON schema for the reply)."""
    family: Annotated[str, Field(min_length=1, max_length=64)] = "unknown"
    """Model family, e.g. `gpt-4o`, `llama-3`, or `unknown`."""


class ScriptedToolCall(SpecModel):
    """A scripted reply that calls a tool instead of answering with text."""

    tool: Name
    """Name of the tool to call."""
    arguments: dict[str, JsonValue] = Field(default_factory=dict)
    """Arguments of the call, as the model would send them."""


class ModelSpec(SpecModel):
    """A model an agent can talk to: provider, model name, endpoint, key reference and parameters."""

    name: Name
    """Name other specs use to refer to this model, e.g. `gpt4o-mini`."""
    description: Description = ""
    """What this model is for (free text)."""
    provider: Provider = "openai"
    """`openai`, `azure` (Azure OpenAI), `openai_compatible` (any server speaking the OpenAI protocol: Ollama,
    LM Studio, vLLM, ...), `local` (a GGUF model run on this machine by llama.cpp: no key, no network; needs
    `pip install 'parley-studio[local]'`) or `scripted` (fixed replies, for demos and tests; no network)."""
    preset: Preset | None = None
    """For `openai_compatible`: a known local server whose default address fills `base_url`."""
    model: Annotated[str, Field(min_length=1, max_length=256)] = "gpt-4o-mini"
    """Model name as the provider knows it, e.g. `gpt-4o-mini`, `llama3.1:8b`."""
    base_url: HttpUrl | None = None
    """Endpoint of the API (http or https). Required for `openai_compatible`; for `azure` it is the resource
    endpoint, e.g. `https://my-resource.openai.azure.com`."""
    api_key: SecretRef | None = None
    """Where the key comes from: `{env: OPENAI_API_KEY}` or `{secret: name}`. Unset: `openai` reads
    `OPENAI_API_KEY`, `azure` reads `AZURE_OPENAI_API_KEY`, `openai_compatible` sends no key."""
    api_version: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._-]+$")] | None = None
    """Azure only: the API version, e.g. `2024-06-01`."""
    azure_deployment: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z._-]+$")] | None = None
    """Azure only: the deployment name (defaults to the model name)."""
    model_path: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Local only: absolute path of a GGUF model file (`~/` allowed). Unset: the bundled SmolLM2-135M-Instruct."""
    n_ctx: Annotated[int, Field(ge=256, le=131_072)] | None = None
    """Local only: the context window in tokens (history + reply must fit). Unset: 2048."""
    params: ModelParams = Field(default_factory=ModelParams)
    """Request parameters (temperature, max tokens, timeout, ...)."""
    model_info: ModelInfo | None = None
    """Capabilities of the model; leave unset for OpenAI's own models."""
    replies: list[str | ScriptedToolCall] = Field(default_factory=list, max_length=10_000)
    """Scripted only: the replies, in order. A text is an answer; an object calls a tool."""
    loop: bool = False
    """Scripted only: start again from the first reply when the script runs out (otherwise that is an error)."""

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in PRESET_BASE_URLS and data.get("base_url") is None:
            data = {**data, "base_url": PRESET_BASE_URLS[data["preset"]]}
        if isinstance(data, dict) and data.get("provider") == "local" and not data.get("model"):
            data = {**data, "model": LOCAL_MODEL_NAME}
        return data

    @field_validator("model_path")
    @classmethod
    def _gguf_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not (value.startswith("/") or value.startswith("~/")) or not value.lower().endswith(".gguf"):
            raise ValueError(
                f"model_path must be the absolute path of a .gguf file (e.g. /models/qwen2.5-0.5b.gguf or "
                f"~/models/x.gguf), not {value!r}; leave it unset for the bundled SmolLM2."
            )
        if any(ord(c) < 32 for c in value):
            raise ValueError("model_path contains control characters.")
        return value

    @model_validator(mode="after")
    def _provider_rules(self) -> ModelSpec:
        p = self.provider
        if self.preset is not None and p != "openai_compatible":
            raise ValueError(f"preset {self.preset!r} is for provider 'openai_compatible', not {p!r}.")
        if p == "openai_compatible" and self.base_url is None:
            raise ValueError("An openai_compatible model needs base_url (or a preset: ollama, lmstudio, vllm).")
        if p == "azure" and self.base_url is None:
            raise ValueError("An azure model needs base_url: the resource endpoint, https://<name>.openai.azure.com.")
        if p == "azure" and self.api_version is None:
            raise ValueError("An azure model needs api_version, e.g. '2024-06-01'.")
        if p != "azure" and (self.api_version is not None or self.azure_deployment is not None):
            raise ValueError("api_version and azure_deployment apply to provider 'azure' only.")
        if p != "scripted" and (self.replies or self.loop):
            raise ValueError("replies and loop apply to provider 'scripted' only.")
        if p == "scripted" and (self.base_url is not None or self.api_key is not None):
            raise ValueError("A scripted model has no endpoint and no key; remove base_url and api_key.")
        if p == "local" and (self.base_url is not None or self.api_key is not None):
            raise ValueError(
                "A local model runs in this process and has no endpoint and no key; remove base_url and api_key "
                "(to use a model served elsewhere, choose provider 'openai_compatible')."
            )
        if p != "local" and (self.model_path is not None or self.n_ctx is not None):
            raise ValueError("model_path and n_ctx apply to provider 'local' only.")
        return self

    @classmethod
    def from_preset(cls, name: str, preset: Preset, model: str, **fields: Any) -> ModelSpec:
        """A model on a local OpenAI-compatible server: `ModelSpec.from_preset("local", "ollama", "llama3.1")`."""
        return cls(name=name, provider="openai_compatible", preset=preset, model=model, **fields)

    def key_env_var(self) -> str | None:
        """The environment variable the key is read from, if it comes from one (default for the provider if unset)."""
        if self.api_key is not None:
            return self.api_key.env
        return DEFAULT_ENV_KEYS.get(self.provider)
