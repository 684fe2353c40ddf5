"""Failures through OpenAIClient: retries with backoff, which statuses are retried, timeouts, and key hygiene."""

from __future__ import annotations

import time
import traceback
import uuid

import pytest

from studio.errors import ModelError
from studio.runtime.models import OpenAIClient
from tests.support.openai_server import Disconnect, HTTPError, Reply, free_port_refusing_connections

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_a_429_is_retried_after_the_retry_after_delay(openai_server, transport):
    openai_server.script(HTTPError(429, "slow down", headers={"Retry-After": "0.4"}), "made it")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    started = time.perf_counter()
    response = client.create(HI)

    assert response.message["content"] == "made it"
    assert time.perf_counter() - started >= 0.4
    assert [r.header("x-stainless-retry-count") for r in openai_server.requests] == ["0", "1"]


def test_a_retry_after_beyond_the_bound_is_not_waited_for(openai_server, transport):
    openai_server.script(HTTPError(429, "come back tomorrow", headers={"Retry-After": "86400"}), "never sent")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    started = time.perf_counter()
    with pytest.raises(ModelError) as info:
        client.create(HI)

    assert time.perf_counter() - started < 5
    assert (info.value.status_code, info.value.retryable) == (429, True)
    assert "come back tomorrow" in str(info.value) and "rate-limiting" in str(info.value)
    assert len(openai_server.requests) == 1


def test_a_500_is_retried_with_backoff_then_succeeds(openai_server, transport):
    openai_server.script(HTTPError(500, "transient"), "recovered")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    started = time.perf_counter()
    assert client.create(HI).message["content"] == "recovered"

    assert time.perf_counter() - started >= 0.5 * 0.75  # first backoff: 0.5 s minus at most 25 % jitter
    assert len(openai_server.requests) == 2


def test_a_persistent_500_fails_after_max_retries_with_a_retryable_model_error(openai_server, transport):
    fast = {"retry-after-ms": "10"}
    openai_server.script(*[HTTPError(503, "overloaded", headers=fast)] * 3)
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url, max_retries=2)

    with pytest.raises(ModelError) as info:
        client.create(HI)

    assert (info.value.status_code, info.value.retryable) == (503, True)
    assert "overloaded" in str(info.value) and "retried up to 2 times" in str(info.value)
    assert len(openai_server.requests) == 3 and openai_server.remaining == 0
    import openai

    assert isinstance(info.value.__cause__, openai.InternalServerError)


@pytest.mark.parametrize(("status", "sdk_error"), [(400, "BadRequestError"), (401, "AuthenticationError")])
def test_client_errors_are_not_retried(openai_server, status, sdk_error, transport):
    import openai

    openai_server.script(HTTPError(status, "you did it wrong"), "never sent")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    with pytest.raises(ModelError) as info:
        client.create(HI)

    assert (info.value.status_code, info.value.retryable) == (status, False)
    assert isinstance(info.value.__cause__, getattr(openai, sdk_error))
    assert len(openai_server.requests) == 1
    assert "gpt-4o" in str(info.value) and openai_server.base_url in str(info.value)


def _canary() -> str:
    return f"sk-canary-{uuid.uuid4()}"


@pytest.mark.parametrize("status", [401, 500])
def test_the_api_key_never_appears_in_an_error_even_if_the_server_echoes_it(openai_server, status, transport):
    key = _canary()
    openai_server.script(
        *[HTTPError(status, f"Incorrect API key provided: {key}", headers={"retry-after-ms": "1"})] * 3
    )
    client = OpenAIClient("gpt-4o", transport=transport, api_key=key, base_url=openai_server.base_url)

    with pytest.raises(ModelError) as info:
        client.create(HI)

    assert openai_server.requests[0].header("Authorization") == f"Bearer {key}"  # the key was really sent
    assert key not in str(info.value) and key not in repr(info.value)
    assert key not in "".join(traceback.format_exception(info.value))  # nor in the SDK error it was raised from
    assert "***" in str(info.value)
    assert key not in repr(client)


def test_the_api_key_never_appears_in_a_connection_error(transport):
    key = _canary()
    client = OpenAIClient(
        "gpt-4o",
        transport=transport,
        api_key=key,
        base_url=f"http://127.0.0.1:{free_port_refusing_connections()}/v1",
        max_retries=1,
    )

    with pytest.raises(ModelError) as info:
        client.create(HI)

    text = "".join(traceback.format_exception(info.value))
    assert info.value.retryable and info.value.status_code is None
    assert "could not be reached" in str(info.value)
    assert key not in text


def test_a_timeout_is_retried_and_then_reported(openai_server, transport):
    openai_server.script(Reply("too late", delay=1.0), "in time")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url, timeout=0.3, max_retries=1)
    assert client.create(HI).message["content"] == "in time"

    openai_server.script(Reply("too late", delay=1.0))
    impatient = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url, timeout=0.3, max_retries=0)
    with pytest.raises(ModelError, match="timed out") as info:
        impatient.create(HI)
    assert info.value.retryable


def test_a_dropped_connection_is_retried(openai_server, transport):
    openai_server.script(Disconnect(), "second try")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    assert client.create(HI).message["content"] == "second try"
    assert len(openai_server.requests) == 2


def test_a_response_cut_off_midway_is_retried(openai_server, transport):
    openai_server.script(Disconnect(midway=True), "whole answer")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)

    assert client.create(HI).message["content"] == "whole answer"
    assert len(openai_server.requests) == 2


def test_a_body_that_is_not_a_completion_is_a_model_error(openai_server, transport):
    openai_server.script(lambda body: HTTPError(200, body=b"<html>proxy login</html>"))
    with pytest.raises(ModelError, match="not JSON"):
        OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url).create(HI)


def test_an_exhausted_server_script_shows_up_as_an_unexpected_request(openai_server, transport):
    openai_server.script("only one")
    client = OpenAIClient("gpt-4o", transport=transport, base_url=openai_server.base_url)
    client.create(HI)

    with pytest.raises(ModelError, match="script is exhausted") as info:
        client.create([{"role": "user", "content": "one too many"}])

    assert info.value.status_code == 500
    (unexpected,) = openai_server.unexpected_requests
    assert unexpected.messages[-1]["content"] == "one too many"
