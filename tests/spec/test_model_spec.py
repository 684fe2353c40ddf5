"""ModelSpec: providers, presets, key references (never values), endpoints, parameter ranges."""

from __future__ import annotations

import json

import pytest

from studio.spec import ModelSpec, SecretRef, SpecValidationError, load_spec, looks_like_secret

KEY = "sk-canary-0123456789abcdef0123456789abcdef"


def _error(data: dict) -> SpecValidationError:
    with pytest.raises(SpecValidationError) as info:
        load_spec(json.dumps(data), "model")
    return info.value


def test_presets_fill_the_local_server_address():
    assert ModelSpec.from_preset("local", "ollama", "llama3.1").base_url == "http://localhost:11434/v1"
    assert ModelSpec.from_preset("lm", "lmstudio", "qwen").base_url == "http://localhost:1234/v1"
    assert ModelSpec.from_preset("v", "vllm", "mistral").base_url == "http://localhost:8000/v1"
    explicit = ModelSpec(name="o", provider="openai_compatible", preset="ollama", base_url="http://gpu:11434/v1")
    assert explicit.base_url == "http://gpu:11434/v1"
    with pytest.raises(ValueError, match="preset 'ollama' is for provider 'openai_compatible'"):
        ModelSpec(name="o", provider="openai", preset="ollama")


def test_provider_rules():
    with pytest.raises(ValueError, match="needs base_url"):
        ModelSpec(name="c", provider="openai_compatible", model="llama")
    with pytest.raises(ValueError, match="needs api_version"):
        ModelSpec(name="az", provider="azure", base_url="https://r.openai.azure.com")
    with pytest.raises(ValueError, match="apply to provider 'azure' only"):
        ModelSpec(name="o", api_version="2024-06-01")
    with pytest.raises(ValueError, match="apply to provider 'scripted' only"):
        ModelSpec(name="o", replies=["hi"])
    with pytest.raises(ValueError, match="no endpoint and no key"):
        ModelSpec(name="s", provider="scripted", api_key=SecretRef(env="X"))
    scripted = ModelSpec(name="s", provider="scripted", replies=["hi", {"tool": "add", "arguments": {"a": 1}}])
    assert scripted.replies[1].tool == "add" and scripted.replies[1].arguments == {"a": 1}


def test_unknown_provider_and_missing_model_name_name_the_field():  # T07
    err = _error({"name": "m", "provider": "acme"})
    assert err.path == "provider" and "Valid choices: azure, local, openai, openai_compatible, scripted" in str(err)
    err = _error({"name": "m", "provider": "opneai"})
    assert "Did you mean 'openai'?" in str(err)
    err = _error({"name": "m", "model": ""})
    assert err.path == "model" and "at least 1 character" in str(err)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/v1",
        "gopher://x",
        "javascript:alert(1)",
        "http://",
        "http://user:pass@example.com/v1",
        "https://api.example.com/v1?key=abc",
        "https://api.example.com/v1?api_key=abc",
        "http://exa mple.com",
        "http://example.com:99999/v1",
    ],
)
def test_base_url_accepts_only_plain_http_urls(url):  # T07
    err = _error({"name": "m", "provider": "openai_compatible", "base_url": url})
    assert err.path == "base_url"


def test_loopback_and_link_local_urls_are_syntactically_valid():  # T07: confirming them is the UI's job
    for url in ("http://169.254.169.254/latest", "http://127.0.0.1:8501", "https://[::1]:8443/v1"):
        assert ModelSpec(name="m", provider="openai_compatible", base_url=url).base_url == url


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"temperature": "abc"}, "params.temperature"),
        ({"temperature": "0.5"}, "params.temperature"),
        ({"temperature": 2.5}, "params.temperature"),
        ({"max_tokens": -1}, "params.max_tokens"),
        ({"max_tokens": 1.5}, "params.max_tokens"),
        ({"timeout": 0}, "params.timeout"),
        ({"top_p": 1.1}, "params.top_p"),
        ({"stream": "yes"}, "params.stream"),
        ({"seed": True}, "params.seed"),
    ],
)
def test_parameters_out_of_range_or_of_the_wrong_type(params, path):  # T08
    err = _error({"name": "m", "params": params})
    assert err.path == path
    assert err.issues[0].message.endswith(".")


def test_a_key_value_is_rejected_with_advice_and_never_echoed():  # T15, T16
    for api_key in (KEY, {"env": KEY}, {"secret": KEY}):
        err = _error({"name": "m", "api_key": api_key})
        assert err.path == "api_key"
        assert "secret" in str(err).lower()
        assert KEY not in str(err) and KEY[:20] not in repr(err.issues)


def test_secret_reference_names_exactly_one_source():
    assert SecretRef(env="OPENAI_API_KEY").label() == "env:OPENAI_API_KEY"
    assert SecretRef(secret="openai-prod").label() == "secret:openai-prod"
    with pytest.raises(ValueError, match="exactly one"):
        SecretRef()
    with pytest.raises(ValueError, match="exactly one"):
        SecretRef(env="A", secret="b")
    with pytest.raises(ValueError, match="not an environment variable name"):
        SecretRef(env="MY-KEY")


def test_key_environment_variable_defaults_per_provider():
    assert ModelSpec(name="m").key_env_var() == "OPENAI_API_KEY"
    azure = ModelSpec(name="a", provider="azure", base_url="https://r.openai.azure.com", api_version="2024-06-01")
    assert azure.key_env_var() == "AZURE_OPENAI_API_KEY"
    assert ModelSpec.from_preset("l", "ollama", "x").key_env_var() is None
    assert ModelSpec(name="m", api_key=SecretRef(secret="prod")).key_env_var() is None


def test_secret_detector():
    assert looks_like_secret(KEY) and looks_like_secret("Bearer abc") and looks_like_secret("AIzaSyA-xyz")
    assert looks_like_secret("aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF")
    for name in ("OPENAI_API_KEY", "openai-prod", "gpt-4o-mini", "llama3.1:8b", "AZURE_OPENAI_API_KEY"):
        assert not looks_like_secret(name)


def test_a_local_model_defaults_to_the_bundled_file_and_takes_no_endpoint_or_key():
    bundled = ModelSpec(name="tiny", provider="local")
    assert (bundled.model, bundled.model_path, bundled.n_ctx) == ("smollm2-135m-instruct", None, None)
    own = ModelSpec(name="q", provider="local", model="qwen", model_path="~/models/qwen2.5-0.5b.gguf", n_ctx=8192)
    assert own.model_path == "~/models/qwen2.5-0.5b.gguf" and own.key_env_var() is None
    with pytest.raises(ValueError, match="no endpoint and no key.*openai_compatible"):
        ModelSpec(name="l", provider="local", base_url="http://127.0.0.1:8000/v1")
    with pytest.raises(ValueError, match="no endpoint and no key"):
        ModelSpec(name="l", provider="local", api_key=SecretRef(env="OPENAI_API_KEY"))
    with pytest.raises(ValueError, match="model_path and n_ctx apply to provider 'local' only"):
        ModelSpec(name="o", n_ctx=4096)


@pytest.mark.parametrize("path", ["models/x.gguf", "/etc/passwd", "C:\\models\\x.gguf", "/dev/zero", "~root.gguf"])
def test_a_local_model_path_must_be_an_absolute_gguf_file(path):
    err = _error({"name": "l", "provider": "local", "model_path": path})
    assert err.path == "model_path" and "absolute path of a .gguf file" in str(err)


def test_a_local_context_window_is_bounded():
    assert _error({"name": "l", "provider": "local", "n_ctx": 16}).path == "n_ctx"
    assert _error({"name": "l", "provider": "local", "n_ctx": 10**7}).path == "n_ctx"
