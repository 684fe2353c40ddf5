"""make_client: AG2-style llm_config parsing, config_list defaults, and falling back to the next entry on failure."""

from __future__ import annotations

import pytest

from studio.errors import ConfigurationError, ModelError
from studio.runtime.models import (
    FallbackClient,
    OpenAIClient,
    ScriptedClient,
    ScriptExhaustedError,
    make_client,
)
from tests.support.openai_server import HTTPError, OpenAIServer, free_port_refusing_connections

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def second_server():
    with OpenAIServer() as server:
        yield server


def test_no_llm_config_means_no_client():
    assert make_client(None) is None
    assert make_client(False) is None


def test_a_client_instance_is_used_as_is():
    scripted = ScriptedClient(["x"])
    assert make_client(scripted) is scripted
    assert make_client({"config_list": [{"client": scripted}]}) is scripted
    assert make_client({"model": "ignored", "client": scripted}) is scripted


def test_a_single_model_dict_builds_an_openai_client_whose_params_go_into_every_request(openai_server):
    openai_server.script("ok")
    client = make_client(
        {
            "model": "gpt-4o-mini",
            "base_url": openai_server.base_url,
            "temperature": 0.1,
            "max_tokens": 64,
            "response_format": {"type": "json_object"},
            "cache_seed": 42,
            "tools": [{"type": "function", "function": {"name": "ignored_here"}}],
            "timeout": 30,
            "price": [0.001, 0.002],
        }
    )
    assert isinstance(client, OpenAIClient)
    assert (client.model, client.timeout, client.price, client.stream) == ("gpt-4o-mini", 30, (0.001, 0.002), False)

    client.create(HI)

    assert openai_server.bodies[0] == {
        "model": "gpt-4o-mini",
        "temperature": 0.1,
        "max_tokens": 64,
        "response_format": {"type": "json_object"},
        "messages": HI,
    }


def test_config_list_entries_inherit_top_level_defaults_and_override_them(openai_server):
    config = {
        "temperature": 0,
        "stream": True,
        "config_list": [
            {"model": "gpt-4o", "base_url": openai_server.base_url, "temperature": 0.9},
            {"model": "gpt-4o-mini", "base_url": openai_server.base_url},
        ],
    }
    client = make_client(config)

    assert isinstance(client, FallbackClient)
    first, second = client.clients
    assert client.stream is True and first.stream is True
    assert first.default_params == {"temperature": 0.9} and second.default_params == {"temperature": 0}


def test_an_unknown_api_type_lists_the_valid_ones():
    with pytest.raises(ConfigurationError) as info:
        make_client(
            {"config_list": [{"model": "x", "api_type": "scripted"}, {"model": "claude", "api_type": "anthropic"}]}
        )
    text = str(info.value)
    assert "config_list[1].api_type 'anthropic'" in text and "openai, azure, scripted" in text


def test_malformed_configs_are_configuration_errors():
    for bad, fragment in [
        ({"config_list": []}, "non-empty list"),
        ({"config_list": ["gpt-4o"]}, "config_list[0] must be a dict"),
        ("gpt-4o", "llm_config must be a dict"),
        ({"base_url": "http://localhost:1/v1"}, "needs a 'model'"),
        ({"model": "m", "base_url": "http://localhost:1/v1", "replies": ["x"]}, "only apply to api_type"),
        ({"api_type": "scripted", "replies": "hello"}, "must be a list"),
        ({"config_list": [{"client": object()}]}, "must be a ModelClient"),
    ]:
        with pytest.raises(ConfigurationError) as info:
            make_client(bad)
        assert fragment in str(info.value), (bad, str(info.value))


def test_a_misconfigured_later_entry_fails_up_front_naming_the_entry(openai_server):
    config = {"config_list": [{"model": "local", "base_url": openai_server.base_url}, {"model": "gpt-4o"}]}
    with pytest.raises(ConfigurationError, match=r"config_list\[1\].*OPENAI_API_KEY"):
        make_client(config)


def test_a_scripted_entry_is_a_json_demo_model():
    client = make_client({"api_type": "scripted", "model": "demo", "replies": ["one", "two"]})
    assert isinstance(client, ScriptedClient) and client.model == "demo"
    assert [client.create(HI).message["content"] for _ in range(2)] == ["one", "two"]


def test_a_persistently_failing_endpoint_falls_back_to_the_next(openai_server, second_server):
    openai_server.script(*[HTTPError(500, "down", headers={"retry-after-ms": "1"})] * 3)
    second_server.script("from the backup")
    client = make_client(
        {
            "config_list": [
                {"model": "gpt-4o", "base_url": openai_server.base_url},
                {"model": "gpt-4o-mini", "base_url": second_server.base_url},
            ]
        }
    )

    response = client.create(HI)

    assert response.message["content"] == "from the backup" and response.model == "gpt-4o-mini"
    assert client.last_index == 1
    assert len(openai_server.requests) == 3 and len(second_server.requests) == 1


def test_a_refused_connection_falls_back_to_the_next(second_server):
    second_server.script("still here")
    dead = f"http://127.0.0.1:{free_port_refusing_connections()}/v1"
    client = make_client(
        {
            "max_retries": 0,
            "config_list": [{"model": "a", "base_url": dead}, {"model": "b", "base_url": second_server.base_url}],
        }
    )

    assert client.create(HI).message["content"] == "still here"
    assert client.last_index == 1


def test_when_every_entry_fails_the_error_lists_each_failure(openai_server):
    openai_server.script(HTTPError(401, "bad key"))
    client = make_client(
        {
            "config_list": [
                {"model": "a", "base_url": openai_server.base_url},
                {"api_type": "scripted", "replies": [{"error": "scripted outage", "status_code": 503}]},
            ]
        }
    )

    with pytest.raises(ModelError) as info:
        client.create(HI)

    text = str(info.value)
    assert "All 2 model configs failed" in text and "[0]" in text and "bad key" in text and "scripted outage" in text
    assert info.value.status_code == 503


def test_a_script_running_out_is_never_hidden_by_fallback():
    client = make_client(
        {"config_list": [{"api_type": "scripted", "replies": []}, {"api_type": "scripted", "replies": ["x"]}]}
    )
    with pytest.raises(ScriptExhaustedError):
        client.create(HI)
