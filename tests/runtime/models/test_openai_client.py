"""OpenAIClient against a real local OpenAI-compatible server: replies, tool calls, the request body, shared clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from studio.errors import ConfigurationError
from studio.runtime.models import ModelResponse, OpenAIClient, _wire
from tests.support.openai_server import Reply, ToolCall, serve_in_subprocess, tool_calls_reply

ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two ints",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    },
}


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def test_a_text_reply_comes_back_as_an_assistant_message_with_usage_and_cost(openai_server, transport):
    openai_server.script(Reply("Hello, Ada.", usage={"prompt_tokens": 1000, "completion_tokens": 500}))
    client = OpenAIClient("gpt-4o-mini", base_url=openai_server.base_url, transport=transport)

    response = client.create([{"role": "user", "content": "Say hello to Ada."}])

    assert isinstance(response, ModelResponse)
    assert response.message == {"role": "assistant", "content": "Hello, Ada."}
    assert response.model == "gpt-4o-mini"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (
        1000,
        500,
        1500,
    )
    assert response.cost == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    assert response.cost_known is True
    assert response.latency_ms > 0
    (request,) = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json == {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello to Ada."}]}


def test_a_tool_call_reply_is_returned_in_openai_format(openai_server, transport):
    openai_server.script(tool_calls_reply(("add", {"a": 1, "b": 2}), ToolCall("add", '{"a": 3}', id="call_x")))
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url, transport=transport)

    response = client.create([{"role": "user", "content": "1+2, then 3"}], tools=[ADD_TOOL])

    first, second = response.message["tool_calls"]
    assert response.message["content"] is None
    assert first["type"] == "function" and first["id"]
    assert first["function"] == {"name": "add", "arguments": json.dumps({"a": 1, "b": 2})}
    assert second == {"id": "call_x", "type": "function", "function": {"name": "add", "arguments": '{"a": 3}'}}
    assert openai_server.bodies[0]["tools"] == [ADD_TOOL]


def test_the_request_body_is_what_the_sdk_itself_would_send(openai_server, transport):
    import openai

    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Add 1 and 2 — ünïcode too.", "name": "user_proxy"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "3"},
    ]
    params = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "seed": 7, "stop": ["END"], "tool_choice": "auto"}
    openai_server.script("via the sdk", "via our client", "sdk stream", "our stream")
    sdk = openai.OpenAI(api_key="sk-test", base_url=openai_server.base_url)
    client = OpenAIClient("gpt-4o", api_key="sk-test", base_url=openai_server.base_url, transport=transport)

    sdk.chat.completions.create(model="gpt-4o", messages=messages, tools=[ADD_TOOL], **params)
    client.create(messages, tools=[ADD_TOOL], **params)
    with sdk.chat.completions.create(
        model="gpt-4o", messages=messages, stream=True, stream_options={"include_usage": True}
    ) as stream:
        list(stream)
    client.create(messages, on_chunk=lambda _: None)

    sdk_body, our_body, sdk_stream, our_stream = openai_server.requests
    assert our_body.json == sdk_body.json
    assert our_stream.json == sdk_stream.json
    assert set(our_body.json) == {"model", "messages", "tools", *params}
    for name in ("Authorization", "User-Agent", "Content-Type", "Accept", "X-Stainless-Lang"):
        assert our_body.header(name) == sdk_body.header(name), name


def test_default_params_apply_to_every_call_and_per_call_params_override_them(openai_server):
    openai_server.script("a", "b")
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url, default_params={"temperature": 0, "seed": 1})

    client.create([{"role": "user", "content": "x"}])
    client.create([{"role": "user", "content": "x"}], temperature=0.7, max_tokens=None, extra_body={"top_k": 5})

    first, second = openai_server.bodies
    assert (first["temperature"], first["seed"]) == (0, 1)
    assert (second["temperature"], second["seed"], second["top_k"]) == (0.7, 1, 5)
    assert "max_tokens" not in second  # None means "not given", as with the SDK's defaults


def test_runtime_bookkeeping_keys_are_not_sent(openai_server):
    openai_server.script("ok")
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url)
    tool_result = {"role": "tool", "tool_call_id": "c1", "content": "3", "tool_responses": [{"x": 1}], "context": {}}

    client.create([{"role": "user", "content": "hi", "tool_calls": []}, tool_result])

    assert openai_server.bodies[0]["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
    ]


def test_a_growing_history_is_encoded_once_per_message(openai_server):
    openai_server.script(*["ok"] * 3)
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url)
    history = [{"role": "user", "content": f"message {i}"} for i in range(50)]

    client.create(history)
    before = len(_wire.MESSAGES)
    history.append({"role": "assistant", "content": "one more"})
    client.create(history)
    client.create(history)

    assert len(_wire.MESSAGES) == before + 1
    first, second, third = openai_server.bodies
    assert second["messages"] == first["messages"] + [{"role": "assistant", "content": "one more"}]
    assert third == second


def test_clients_for_the_same_endpoint_share_one_sdk_client_and_one_http_client(openai_server):
    openai_server.script("a", "b")
    one = OpenAIClient("gpt-4o", api_key="sk-one", base_url=openai_server.base_url)
    two = OpenAIClient("gpt-4o-mini", api_key="sk-one", base_url=openai_server.base_url, default_params={"seed": 2})
    other_key = OpenAIClient("gpt-4o", api_key="sk-two", base_url=openai_server.base_url)

    one.create([{"role": "user", "content": "x"}])
    two.create([{"role": "user", "content": "y"}])

    assert one.sdk_client is two.sdk_client
    assert other_key.sdk_client is not one.sdk_client
    assert other_key.sdk_client._client is one.sdk_client._client  # one httpx client (and SSL context) per origin
    assert [r.header("Authorization") for r in openai_server.requests] == ["Bearer sk-one", "Bearer sk-one"]


def test_successive_calls_reuse_one_keep_alive_connection(openai_server, transport):
    openai_server.script("a", "b", "c")
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url, transport=transport)

    for _ in range(3):
        client.create([{"role": "user", "content": "x"}])

    assert len({r.client for r in openai_server.requests}) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_retry(openai_server, transport):
    openai_server.script(Reply("then hangs up", close_after=True), "fresh connection")
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url, transport=transport, max_retries=0)

    client.create([{"role": "user", "content": "x"}])
    time.sleep(0.1)  # let the server's close land, as an idle timeout would
    assert client.create([{"role": "user", "content": "y"}]).message["content"] == "fresh connection"

    first, second = openai_server.requests
    assert first.client != second.client


def test_local_http_endpoints_use_the_stdlib_pool_and_https_ones_httpx(openai_server):
    local = OpenAIClient("gpt-4o", base_url=openai_server.base_url)
    forced = OpenAIClient("gpt-4o", base_url=openai_server.base_url, transport="httpx")
    hosted = OpenAIClient("gpt-4o", api_key="sk-x", base_url="https://api.example.com/v1")

    assert (
        local.endpoint.pool is not None
        and local.endpoint.pool is OpenAIClient("m", base_url=openai_server.base_url).endpoint.pool
    )
    assert forced.endpoint.pool is None and hosted.endpoint.pool is None


def test_building_clients_imports_no_sdk_until_the_first_call():
    code = (
        "import sys\n"
        "from studio.runtime.models import OpenAIClient, make_client\n"
        "clients = [OpenAIClient('gpt-4o', base_url='http://127.0.0.1:9/v1') for _ in range(4)]\n"
        "make_client({'config_list': [{'model': 'a', 'base_url': 'http://localhost:9/v1'}, {'api_type': 'scripted'}]})\n"
        "print(sorted(m for m in ('openai', 'httpx2', 'httpx', 'pydantic') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_root())
    assert out.stdout.strip() == "[]"


def test_openai_base_url_and_api_key_from_the_environment_are_honoured(openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    openai_server.script("from env")

    client = OpenAIClient("gpt-4o")

    assert client.base_url == openai_server.base_url
    assert client.create([{"role": "user", "content": "hi"}]).message["content"] == "from env"
    assert openai_server.requests[0].header("Authorization") == "Bearer sk-from-env"


def test_no_key_for_a_hosted_endpoint_is_a_configuration_error_naming_the_variable():
    with pytest.raises(ConfigurationError) as info:
        OpenAIClient("gpt-4o")
    text = str(info.value)
    assert "OPENAI_API_KEY" in text and '"api_key"' in text and "gpt-4o" in text
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIClient("gpt-4o", base_url="https://llm.example.com/v1")


def test_a_local_server_needs_no_key(openai_server):
    openai_server.script("local")
    client = OpenAIClient("llama3", base_url=openai_server.base_url.replace("127.0.0.1", "localhost"))

    assert client.create([{"role": "user", "content": "hi"}]).message["content"] == "local"
    assert openai_server.requests[0].header("Authorization") == "Bearer not-needed"


def test_an_unknown_model_costs_nothing_and_says_so(openai_server):
    openai_server.script(Reply("hi", usage={"prompt_tokens": 10, "completion_tokens": 10}))
    response = OpenAIClient("my-local-llm", base_url=openai_server.base_url).create([{"role": "user", "content": "x"}])
    assert (response.cost, response.cost_known) == (0.0, False)


def test_a_price_override_prices_the_call_per_1k_tokens_as_in_ag2(openai_server):
    openai_server.script(Reply("hi", usage={"prompt_tokens": 2000, "completion_tokens": 1000}))
    client = OpenAIClient("my-local-llm", base_url=openai_server.base_url, price=[0.01, 0.02])
    response = client.create([{"role": "user", "content": "x"}])
    assert (response.cost, response.cost_known) == (pytest.approx(0.04), True)


def test_azure_requests_go_to_the_deployment_with_api_key_header_and_version(openai_server, transport):
    openai_server.script("from azure")
    client = OpenAIClient(
        "gpt-4o",
        api_type="azure",
        api_key="azure-key",
        azure_endpoint=openai_server.url,
        api_version="2024-06-01",
        transport=transport,
    )

    assert client.create([{"role": "user", "content": "hi"}]).message["content"] == "from azure"
    (request,) = openai_server.requests
    assert request.path == "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01"
    assert request.header("api-key") == "azure-key"
    assert request.header("Authorization") is None


def test_azure_without_a_version_or_endpoint_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_VERSION", raising=False)
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        OpenAIClient("gpt-4o", api_type="azure", azure_endpoint="https://x.openai.azure.com", api_version="2024-06-01")
    with pytest.raises(ConfigurationError, match="OPENAI_API_VERSION"):
        OpenAIClient("gpt-4o", api_type="azure", api_key="k", azure_endpoint="https://x.openai.azure.com")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        OpenAIClient("gpt-4o", api_type="azure", api_key="k", api_version="2024-06-01")


def test_concurrent_calls_from_many_threads_each_get_an_answer(openai_server, transport):
    openai_server.script(lambda body: f"echo {body['messages'][-1]['content']}")
    openai_server.add_reply(*[lambda body: f"echo {body['messages'][-1]['content']}"] * 39)
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url, transport=transport)
    answers: dict[int, str] = {}

    def ask(i: int) -> None:
        answers[i] = client.create([{"role": "user", "content": str(i)}]).message["content"]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert answers == {i: f"echo {i}" for i in range(40)}


def test_a_separate_server_process_in_fast_mode_answers_every_request():
    with serve_in_subprocess() as base_url:
        client = OpenAIClient("gpt-4o", base_url=base_url)
        replies = {client.create([{"role": "user", "content": str(i)}]).message["content"] for i in range(5)}
    assert replies == {"ok"}


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[3])


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents_alone(openai_server):
    openai_server.script("parent", "child", "parent again")
    client = OpenAIClient("gpt-4o", base_url=openai_server.base_url)
    client.create([{"role": "user", "content": "x"}])

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        try:
            os.write(write_end, client.create([{"role": "user", "content": "y"}]).message["content"].encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child_said = os.read(read_end, 100)
    os.close(read_end)

    assert child_said == b"child"
    assert client.create([{"role": "user", "content": "z"}]).message["content"] == "parent again"
    first, second, third = openai_server.requests
    assert second.client != first.client and third.client == first.client


def test_a_proxied_http_endpoint_goes_through_httpx_unless_no_proxy_exempts_it(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert OpenAIClient("m", api_key="sk-x", base_url="http://gpu-box.invalid:8000/v1").endpoint.pool is None

    monkeypatch.setenv("NO_PROXY", "gpu-box.invalid")
    assert OpenAIClient("m", api_key="sk-x", base_url="http://gpu-box.invalid:8000/v1").endpoint.pool is not None
