"""ModelSpec → model clients: keys come from references (never the spec), one client per model, real HTTP requests."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from studio.builder import build_team
from studio.errors import BuildError
from studio.runtime.models.local import INSTALL_HINT, bundled_model_path, local_model_available
from studio.spec import SecretRef
from tests.builder.bundles import assistant, bundle, proxy, scripted, two_agent
from tests.support.openai_server import OpenAIServer, Reply

needs_local_model = pytest.mark.skipif(
    not local_model_available(), reason=f"the local model extra is missing: {INSTALL_HINT}"
)


def _hosted(model: dict, **team: object):
    return bundle(
        two_agent("user", "bot", max_turns=1, **team),
        [proxy("user"), assistant("bot", "m", termination_text=None)],
        [model],
    )


def test_an_openai_model_gets_its_key_from_the_reference_and_talks_to_the_endpoint(openai_server: OpenAIServer):
    key = f"sk-test-{uuid.uuid4().hex}"
    openai_server.script(Reply("hello from the server"))
    model = {"name": "m", "provider": "openai", "model": "gpt-4o-mini", "base_url": openai_server.base_url}
    model["api_key"] = {"secret": "prod"}
    asked: list[SecretRef] = []

    def resolve(ref: SecretRef) -> str:
        asked.append(ref)
        return key

    with build_team(_hosted(model), resolve_secret=resolve) as team:
        result = team.run("hi")
    assert asked == [SecretRef(secret="prod")]
    assert result.chat_history[-1]["content"] == "hello from the server"
    (request,) = openai_server.requests
    assert request.header("authorization") == f"Bearer {key}"
    assert request.json is not None and request.json["model"] == "gpt-4o-mini"


def test_an_openai_compatible_server_without_a_reference_never_receives_the_openai_key(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
):
    canary = f"sk-canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    openai_server.script(Reply("local answer"))
    model = {"name": "m", "provider": "openai_compatible", "model": "llama3", "base_url": openai_server.base_url}
    with build_team(_hosted(model)) as team:
        team.run("hi")
    (request,) = openai_server.requests
    assert canary not in (request.header("authorization") or "")
    assert canary.encode() not in request.raw


def test_an_openai_model_pointed_at_another_host_needs_an_explicit_key_reference():
    model = {"name": "m", "provider": "openai", "model": "gpt-4o-mini", "base_url": "https://proxy.example/v1"}
    with pytest.raises(BuildError) as info:
        build_team(_hosted(model))
    assert info.value.path == "models[0].api_key"
    assert "OPENAI_API_KEY" in str(info.value) and "proxy.example" in str(info.value)


def test_a_missing_environment_key_is_a_build_error_that_names_the_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PARLEY_TEST_NO_SUCH_KEY", raising=False)
    model = {"name": "m", "provider": "openai", "model": "gpt-4o-mini", "api_key": {"env": "PARLEY_TEST_NO_SUCH_KEY"}}
    with pytest.raises(BuildError) as info:
        build_team(_hosted(model))
    assert info.value.path == "models[0].api_key"
    assert "PARLEY_TEST_NO_SUCH_KEY" in str(info.value)


def test_a_stored_secret_without_a_store_is_a_build_error():
    model = {"name": "m", "provider": "openai", "model": "gpt-4o-mini", "api_key": {"secret": "prod"}}
    with pytest.raises(BuildError, match="secret store"):
        build_team(_hosted(model))


def test_a_resolver_failure_is_reported_without_the_key(openai_server: OpenAIServer):
    from studio.errors import ConfigurationError

    def resolve(ref: SecretRef) -> str:
        raise ConfigurationError("The secret 'prod' does not exist; add it in Settings.")

    model = {"name": "m", "provider": "openai", "model": "x", "base_url": openai_server.base_url}
    model["api_key"] = {"secret": "prod"}
    with pytest.raises(BuildError, match="add it in Settings") as info:
        build_team(_hosted(model), resolve_secret=resolve)
    assert info.value.path == "models[0].api_key"


def test_an_azure_model_calls_the_deployment_with_an_api_key_header(openai_server: OpenAIServer):
    key = f"azure-test-{uuid.uuid4().hex}"
    openai_server.script(Reply("from azure"))
    model = {
        "name": "m",
        "provider": "azure",
        "model": "gpt-4o",
        "base_url": openai_server.url,
        "api_version": "2024-06-01",
        "azure_deployment": "prod-4o",
        "api_key": {"env": "PARLEY_TEST_AZURE_KEY"},
    }
    with build_team(_hosted(model), resolve_secret=lambda ref: key) as team:
        result = team.run("hi")
    assert result.chat_history[-1]["content"] == "from azure"
    (request,) = openai_server.requests
    assert "/openai/deployments/prod-4o/chat/completions" in request.path
    assert request.header("api-key") == key


def test_request_parameters_of_the_spec_are_sent(openai_server: OpenAIServer):
    openai_server.script(Reply("ok"))
    model = {"name": "m", "provider": "openai_compatible", "model": "x", "base_url": openai_server.base_url}
    model["params"] = {"temperature": 0.2, "max_tokens": 50, "seed": 7}
    with build_team(_hosted(model)) as team:
        team.run("hi")
    body = openai_server.bodies[0]
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.2, 50, 7)


def test_agents_using_the_same_model_share_one_client_and_one_script():
    b = bundle(
        two_agent("a", "b", max_turns=2),
        [assistant("a", "shared", termination_text=None), assistant("b", "shared", termination_text=None)],
        [scripted("shared", "one", "two", "three")],
    )
    with build_team(b) as team:
        assert team.agents["a"].client is team.agents["b"].client
        result = team.run("start")
    # a sent the task; b, a, b answered from the one script, in conversation order.
    assert [m["content"] for m in result.chat_history] == ["start", "one", "two", "three"]


def test_streaming_comes_from_the_model_params_or_the_agent():
    b = bundle(
        two_agent("a", "b"),
        [assistant("a", "plain", stream=True), assistant("b", "streamed")],
        [scripted("plain", "x"), {**scripted("streamed", "y"), "params": {"stream": True}}],
    )
    with build_team(b) as team:
        assert team.agents["a"].llm_config.get("stream") is True
        assert team.agents["a"].client.stream is False
        assert team.agents["b"].client.stream is True


def test_llm_configs_hold_no_key(openai_server: OpenAIServer):
    key = f"sk-test-{uuid.uuid4().hex}"
    model = {"name": "m", "provider": "openai", "model": "x", "base_url": openai_server.base_url}
    model["api_key"] = {"env": "WHATEVER"}
    with build_team(_hosted(model), resolve_secret=lambda ref: key) as team:
        agent = team.agents["bot"]
        assert key not in repr(agent.llm_config) and key not in repr(team)


def test_a_local_model_entry_names_the_file_and_context_and_no_key():
    from studio.builder._models import key_reference, llm_entry
    from studio.spec import ModelSpec

    spec = ModelSpec(name="m", provider="local", model_path="~/models/x.gguf", n_ctx=4096, params={"max_tokens": 9})
    assert key_reference(spec, "models[0]") is None
    entry = llm_entry(spec, None)
    assert entry == {
        "api_type": "local",
        "model": "smollm2-135m-instruct",
        "model_path": str(Path("~/models/x.gguf").expanduser()),
        "n_ctx": 4096,
        "max_tokens": 9,
    }


@needs_local_model
def test_a_local_model_talks_through_the_bundled_file_and_never_asks_for_a_key():
    model = {"name": "m", "provider": "local", "params": {"max_tokens": 24, "temperature": 0.2}}

    def resolve(ref: SecretRef) -> str:
        raise AssertionError(f"a local model asked for a key: {ref}")

    with build_team(_hosted(model), resolve_secret=resolve) as team:
        client = team.agents["bot"].client
        assert type(client).__name__ == "LocalClient" and client.path == bundled_model_path()
        result = team.run("Name one colour.")
    reply = result.chat_history[-1]
    assert reply["role"] == "user" and reply["name"] == "bot" and reply["content"].strip()  # as the user proxy sees it
    assert result.cost["usage_including_cached_inference"]["total_cost"] == 0.0


@needs_local_model
def test_a_local_model_file_that_is_missing_is_a_build_error_naming_the_model(tmp_path: Path):
    model = {"name": "m", "provider": "local", "model_path": str(tmp_path / "nowhere.gguf")}
    with pytest.raises(BuildError, match="nowhere.gguf' does not exist") as info:
        build_team(_hosted(model))
    assert info.value.path == "models[0]"
