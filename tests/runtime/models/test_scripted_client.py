"""ScriptedClient: replies in order, exceptions, callables, loud exhaustion, O(1) recording, thread safety."""

from __future__ import annotations

import json
import threading

import pytest

from studio.errors import ModelError
from studio.runtime.models import ModelResponse, ScriptedClient, ScriptedRequest, ScriptExhaustedError, Usage
from studio.runtime.models.scripted import _content_tokens

HI = [{"role": "user", "content": "hi"}]


def test_replies_come_back_in_order_as_assistant_messages():
    client = ScriptedClient(["first", "second"])

    assert client.create(HI).message == {"role": "assistant", "content": "first"}
    assert client.create(HI).message == {"role": "assistant", "content": "second"}
    assert client.remaining == 0
    client.assert_exhausted()


def test_an_exception_in_the_script_is_raised_at_its_turn():
    client = ScriptedClient([ModelError("rate limited", status_code=429, retryable=True), TimeoutError, "after"])

    with pytest.raises(ModelError, match="rate limited") as info:
        client.create(HI)
    assert info.value.status_code == 429
    with pytest.raises(TimeoutError):
        client.create(HI)
    assert client.create(HI).message["content"] == "after"


def test_simplified_tool_calls_are_filled_out_into_openai_format():
    client = ScriptedClient([{"tool_calls": [{"name": "add", "arguments": {"a": 1}}, {"name": "ping"}]}])

    message = client.create(HI).message

    assert message["role"] == "assistant" and message["content"] is None
    first, second = message["tool_calls"]
    assert first["type"] == "function" and first["id"] and first["id"] != second["id"]
    assert first["function"] == {"name": "add", "arguments": json.dumps({"a": 1})}
    assert second["function"] == {"name": "ping", "arguments": "{}"}


def test_full_tool_calls_and_model_responses_pass_through():
    call = {"id": "call_9", "type": "function", "function": {"name": "add", "arguments": '{"a":2}'}}
    canned = ModelResponse({"role": "assistant", "content": "canned"}, "gpt-4o", Usage(3, 4, 7), 0.5, True)
    client = ScriptedClient([{"content": "calling", "tool_calls": [call]}, canned])

    assert client.create(HI).message == {"role": "assistant", "content": "calling", "tool_calls": [call]}
    assert client.create(HI) is canned


def test_a_callable_item_sees_the_request_and_may_return_any_reply_kind():
    def reply(request: ScriptedRequest) -> str:
        return f"you said {request.messages[-1]['content']} at temperature {request.params['temperature']}"

    client = ScriptedClient([reply, lambda request: {"tool_calls": [{"name": "t"}]}])

    assert client.create(HI, temperature=0.5).message["content"] == "you said hi at temperature 0.5"
    assert client.create(HI).message["tool_calls"][0]["function"]["name"] == "t"


def test_a_single_callable_answers_every_call_forever():
    client = ScriptedClient(lambda request: f"call {request.index}")

    assert [client.create(HI).message["content"] for _ in range(3)] == ["call 1", "call 2", "call 3"]
    assert client.remaining is None


def test_running_out_of_script_fails_loudly_with_what_was_asked():
    client = ScriptedClient(["only"], model="helper")
    client.create(HI)

    with pytest.raises(ScriptExhaustedError) as info:
        client.create([{"role": "user", "content": "hello?"}, {"role": "user", "content": "anyone there?"}])

    text = str(info.value)
    assert "scripted with 1 reply" in text and "call #2" in text and "anyone there?" in text and "helper" in text
    assert isinstance(info.value, ModelError)


def test_assert_exhausted_names_the_unused_replies():
    client = ScriptedClient(["used", "unused"])
    client.create(HI)

    with pytest.raises(AssertionError, match="1 unused scripted reply.*'unused'"):
        client.assert_exhausted()


def test_calls_are_recorded_by_reference_and_not_at_all_with_record_false():
    history = list(HI)
    recording = ScriptedClient(["a", "b"])
    recording.create(history, tools=[{"type": "function"}], temperature=0)
    recording.create(history)
    assert [c.index for c in recording.calls] == [1, 2]
    assert recording.calls[0].messages is history and recording.calls[0].params == {"temperature": 0}

    silent = ScriptedClient(["a"] * 1000, record=False)
    for _ in range(1000):
        silent.create(history)
    assert silent.calls == [] and silent.call_count == 1000


def test_a_loop_script_cycles_forever():
    client = ScriptedClient.from_config({"replies": ["ping", "pong"], "loop": True})
    assert [client.create(HI).message["content"] for _ in range(5)] == ["ping", "pong", "ping", "pong", "ping"]
    assert client.remaining is None


def test_from_config_builds_a_json_demo_script_including_errors():
    client = ScriptedClient.from_config(
        {"model": "demo", "replies": ["hi", {"error": "quota", "status_code": 429}], "stream": True}
    )
    assert client.model == "demo" and client.stream is True
    assert client.create(HI).message["content"] == "hi"
    with pytest.raises(ModelError, match="quota") as info:
        client.create(HI)
    assert info.value.status_code == 429


def test_streaming_delivers_the_text_in_a_few_chunks():
    chunks: list[str] = []
    response = ScriptedClient(["a reply long enough to be split"]).create(HI, on_chunk=chunks.append)

    assert len(chunks) > 1 and "".join(chunks) == response.message["content"]


def test_usage_is_estimated_from_the_text_and_stays_right_as_history_grows():
    client = ScriptedClient(lambda request: "x" * 40)
    history = [{"role": "system", "content": "s" * 400}]
    for turn in range(100):
        history.append({"role": "user", "content": "u" * (turn % 13)})
        usage = client.create(history).usage
        assert usage.prompt_tokens == sum(_content_tokens(m) for m in history)
        assert usage.completion_tokens == 10 and usage.total_tokens == usage.prompt_tokens + 10
        history.append({"role": "assistant", "content": "x" * 40})
    rebuilt = [{"role": "system", "content": "other"}] + history[5:]  # a trimmed history is counted afresh
    assert client.create(rebuilt).usage.prompt_tokens == sum(_content_tokens(m) for m in rebuilt)


def test_concurrent_callers_each_consume_exactly_one_reply():
    client = ScriptedClient([f"reply {i}" for i in range(400)])
    seen: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            text = client.create(HI).message["content"]
            with lock:
                seen.append(text)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(seen) == sorted(f"reply {i}" for i in range(400))
    assert len(client.calls) == 400
    client.assert_exhausted()


def test_a_script_item_of_an_unknown_kind_is_reported():
    with pytest.raises(ModelError, match="cannot reply with 42"):
        ScriptedClient([42]).create(HI)
