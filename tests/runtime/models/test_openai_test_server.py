"""The local OpenAI-compatible test server itself, spoken to with plain http.client (no SDK involved)."""

from __future__ import annotations

import http.client
import json

from tests.support.openai_server import HTTPError, OpenAIServer, tool_calls_reply


def _connect(server: OpenAIServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)


def _post(conn: http.client.HTTPConnection, body: dict, path: str = "/v1/chat/completions") -> tuple[int, bytes]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def test_replies_follow_the_script_over_one_keep_alive_connection(openai_server):
    openai_server.script(
        "one", tool_calls_reply(("add", {"a": 1})), HTTPError(429, "slow", headers={"Retry-After": "2"})
    )
    conn = _connect(openai_server)
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    status, first = _post(conn, body)
    sock = conn.sock
    _, second = _post(conn, body, path="/chat/completions")
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body))
    third = conn.getresponse()

    assert status == 200 and conn.sock is sock  # the same connection served all three
    completion = json.loads(first)
    assert completion["object"] == "chat.completion" and completion["choices"][0]["message"]["content"] == "one"
    assert (
        completion["usage"]["total_tokens"]
        == completion["usage"]["prompt_tokens"] + completion["usage"]["completion_tokens"]
    )
    call = json.loads(second)["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "add", "arguments": '{"a": 1}'}
    assert third.status == 429 and third.getheader("Retry-After") == "2"
    assert json.loads(third.read())["error"]["message"] == "slow"
    assert [r.path for r in openai_server.requests] == [
        "/v1/chat/completions",
        "/chat/completions",
        "/v1/chat/completions",
    ]
    assert openai_server.requests[0].json == body and json.loads(openai_server.requests[0].body) == body


def test_streaming_sends_chunks_then_usage_then_done(openai_server):
    openai_server.script("streamed words")
    conn = _connect(openai_server)
    body = {"model": "m", "messages": [], "stream": True, "stream_options": {"include_usage": True}}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body))
    response = conn.getresponse()

    events = [line[6:] for line in response.read().decode().split("\n") if line.startswith("data: ")]

    assert response.getheader("Content-Type") == "text/event-stream"
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "streamed words"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_an_exhausted_script_answers_500_and_records_the_request(openai_server):
    status, body = _post(_connect(openai_server), {"model": "m", "messages": [{"role": "user", "content": "extra"}]})

    assert status == 500 and "script is exhausted" in json.loads(body)["error"]["message"]
    assert len(openai_server.unexpected_requests) == 1


def test_models_are_listed(openai_server):
    conn = _connect(openai_server)
    conn.request("GET", "/v1/models")
    listing = json.loads(conn.getresponse().read())
    assert listing["data"][0]["id"] == "test-model"


def test_fast_mode_answers_a_fixed_reply_without_recording():
    with OpenAIServer(fast=True, fast_reply="fixed") as server:
        conn = _connect(server)
        replies = [json.loads(_post(conn, {"model": "m", "messages": []})[1]) for _ in range(3)]
        assert {r["choices"][0]["message"]["content"] for r in replies} == {"fixed"}
        assert server.requests == []
