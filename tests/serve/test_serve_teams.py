"""`studio serve`: saved teams behind the OpenAI API, driven by the `openai` client itself against a real server.

Each request must be one run recorded in the store; the model name selects the team; streaming sends each agent
message as it is committed; a bearer token guards every address but loopback, and a keyless server answers only
loopback requests to a loopback host.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from studio.catalog import save_bundle
from studio.errors import ConfigurationError
from studio.serve import serve_teams
from studio.spec import bundle_from_data
from studio.store import list_runs, load_events, open_store
from tests.support.openai_server import free_port_refusing_connections

TOKEN = "serve-test-token-0123456789"


def debate_bundle(name: str = "debate") -> dict:
    replies = ("Bull: buy.", "Bear: sell.", "Synth: hold. DONE")
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {
            "name": name,
            "kind": "group_chat",
            "agents": ["bull", "bear", "synth"],
            "speaker_selection": "round_robin",
            "max_round": 4,
            "termination": {"kind": "text_mention", "text": "DONE"},
        },
        "agents": [
            {"name": n, "kind": "assistant", "model": f"{n}-model", "system_message": f"You are the {n}."}
            for n in ("bull", "bear", "synth")
        ],
        "models": [
            {"name": f"{n}-model", "provider": "scripted", "model": "scripted", "replies": [r], "loop": True}
            for n, r in zip(("bull", "bear", "synth"), replies, strict=True)
        ],
    }


def asking_bundle(name: str = "ask") -> dict:
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["human", "analyst"], "max_turns": 3},
        "agents": [
            {"name": "human", "kind": "user_proxy", "human_input_mode": "ALWAYS"},
            {"name": "analyst", "kind": "assistant", "model": "m"},
        ],
        "models": [
            {"name": "m", "provider": "scripted", "model": "scripted", "replies": ["What region?"], "loop": True}
        ],
    }


def unreachable_bundle(name: str = "broken") -> dict:
    base_url = f"http://127.0.0.1:{free_port_refusing_connections()}/v1"
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["user", "assistant"], "max_turns": 2},
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input_mode": "NEVER"},
            {"name": "assistant", "kind": "assistant", "model": "gone"},
        ],
        "models": [{"name": "gone", "provider": "openai_compatible", "model": "m", "base_url": base_url}],
    }


@pytest.fixture
def store(tmp_path):
    store = open_store(home=tmp_path / "home")
    for data in (debate_bundle(), asking_bundle()):
        bundle, _ = bundle_from_data(data)
        save_bundle(bundle, store=store)
    return store


@pytest.fixture
def served(store):
    with serve_teams(store, "127.0.0.1", 0) as endpoint:
        yield endpoint


def client_for(endpoint, api_key: str = "anything") -> openai.OpenAI:
    return openai.OpenAI(base_url=endpoint.base_url, api_key=api_key, max_retries=0, timeout=30)


def test_a_team_answers_a_chat_completion_and_the_request_is_a_recorded_run(store, served):
    reply = client_for(served).chat.completions.create(
        model="debate", messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": "Buy?"}]
    )
    assert reply.object == "chat.completion" and reply.model == "debate"
    message = reply.choices[0].message
    assert message.role == "assistant" and message.content == "Synth: hold. DONE"
    assert reply.choices[0].finish_reason == "stop"

    runs = list_runs(store=store)
    assert len(runs) == 1
    run = runs[0]
    assert (run.team_name, run.task, run.status) == ("debate", "Buy?", "completed")
    assert reply.id == f"chatcmpl-{run.id}"
    assert reply.usage is not None and reply.usage.total_tokens == run.total_tokens > 0
    assert reply.usage.prompt_tokens == run.prompt_tokens and reply.usage.completion_tokens == run.completion_tokens
    sources = [e.source for e in load_events(run.id, store=store, types=["message"])]
    assert sources == ["bull", "bear", "synth"]


def test_streaming_sends_each_agent_message_as_it_is_committed_then_the_usage(store, served):
    stream = client_for(served).chat.completions.create(
        model="debate",
        messages=[{"role": "user", "content": "Should we buy?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert deltas == ["**bear**: Bear: sell.\n\n", "**synth**: Synth: hold. DONE\n\n"]  # the task is not echoed
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    (run,) = list_runs(store=store)
    assert run.status == "completed" and {c.id for c in chunks} == {f"chatcmpl-{run.id}"}
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == run.total_tokens > 0


def test_models_lists_the_saved_teams_and_an_unknown_team_is_a_404_without_a_run(store, served):
    client = client_for(served)
    assert sorted(m.id for m in client.models.list()) == ["ask", "debate"]
    with pytest.raises(openai.NotFoundError, match="no team named 'nope'"):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="no user message"):
        client.chat.completions.create(model="debate", messages=[{"role": "system", "content": "only rules"}])
    assert list_runs(store=store) == []


def test_serving_only_named_teams(store):
    with serve_teams(store, "127.0.0.1", 0, teams=["ask"]) as endpoint:
        client = client_for(endpoint)
        assert [m.id for m in client.models.list()] == ["ask"]
        with pytest.raises(openai.NotFoundError, match="not served here"):
            client.chat.completions.create(model="debate", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(Exception, match="nope"):
        serve_teams(store, "127.0.0.1", 0, teams=["nope"])


def test_a_team_that_asks_a_human_ends_there_instead_of_waiting(store, served):
    reply = client_for(served).chat.completions.create(
        model="ask", messages=[{"role": "user", "content": "Forecast sales."}]
    )
    assert reply.choices[0].message.content == "What region?"
    (run,) = list_runs(store=store)
    assert run.status == "completed"


def test_a_failed_run_is_a_non_retryable_error_so_the_sdk_does_not_run_the_team_again(store):
    bundle, _ = bundle_from_data(unreachable_bundle())
    save_bundle(bundle, store=store)
    with serve_teams(store, "127.0.0.1", 0) as endpoint:
        client = openai.OpenAI(base_url=endpoint.base_url, api_key="x", max_retries=2, timeout=60)
        with pytest.raises(openai.InternalServerError, match="ended failed"):
            client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "hi"}])
        stream = client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "hi"}],
                                                stream=True)  # fmt: skip
        with pytest.raises(openai.APIError, match="ended failed"):
            list(stream)
    runs = list_runs(store=store)
    assert len(runs) == 2 and {r.status for r in runs} == {"failed"}


def test_with_a_token_every_request_needs_it(store):
    with serve_teams(store, "127.0.0.1", 0, token=TOKEN) as endpoint:
        with pytest.raises(openai.AuthenticationError, match="bearer token"):
            client_for(endpoint, api_key="wrong-token").models.list()
        with pytest.raises(openai.AuthenticationError):
            client_for(endpoint, api_key="wrong-token").chat.completions.create(
                model="debate", messages=[{"role": "user", "content": "Buy?"}]
            )
        assert list_runs(store=store) == []
        reply = client_for(endpoint, api_key=TOKEN).chat.completions.create(
            model="debate", messages=[{"role": "user", "content": "Buy?"}]
        )
        assert reply.choices[0].message.content == "Synth: hold. DONE"


def test_a_non_loopback_address_needs_a_token_to_start_and_on_every_request(store):
    with pytest.raises(ConfigurationError, match="without a bearer token"):
        serve_teams(store, "0.0.0.0", 0)
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to send a request from")
    with serve_teams(store, "0.0.0.0", 0, token=TOKEN) as endpoint:
        base_url = f"http://{address}:{endpoint.port}/v1"
        anonymous = openai.OpenAI(base_url=base_url, api_key="no-token", max_retries=0, timeout=30)
        with pytest.raises(openai.AuthenticationError):
            anonymous.chat.completions.create(model="debate", messages=[{"role": "user", "content": "Buy?"}])
        assert list_runs(store=store) == []
        authorised = openai.OpenAI(base_url=base_url, api_key=TOKEN, max_retries=0, timeout=30)
        reply = authorised.chat.completions.create(model="debate", messages=[{"role": "user", "content": "Buy?"}])
        assert reply.choices[0].message.content == "Synth: hold. DONE"


def test_a_keyless_loopback_server_refuses_rebinding_and_cross_site_shaped_requests(store, served):
    body = json.dumps({"model": "debate", "messages": [{"role": "user", "content": "Buy?"}]})
    rebinding = _post(served.port, body, {"Host": "evil.example", "Content-Type": "application/json"})
    assert rebinding[0] == 403 and "loopback" in rebinding[1]["error"]["message"]
    form_post = _post(served.port, body, {"Host": f"127.0.0.1:{served.port}", "Content-Type": "text/plain"})
    assert form_post[0] == 415
    assert list_runs(store=store) == []
    ok = _post(served.port, body, {"Host": f"localhost:{served.port}", "Content-Type": "application/json"})
    assert ok[0] == 200 and ok[1]["choices"][0]["message"]["content"] == "Synth: hold. DONE"


def _post(port: int, body: str, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", "/v1/chat/completions", skip_host=True)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            conn.putheader(name, value)
        conn.endheaders(body.encode())
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def test_studio_serve_command_takes_its_token_from_the_environment(store, tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "STUDIO_SERVE_TOKEN": TOKEN}
    child = subprocess.Popen(
        [sys.executable, "-m", "studio.cli_serve", "serve", "debate", "--port", "0", "--home", str(tmp_path / "home")],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("Serving 1 team (debate) at http://127.0.0.1:"), child.stderr.read()
        base_url = line.split(" at ", 1)[1].strip()
        anonymous = openai.OpenAI(base_url=base_url, api_key="not-the-token", max_retries=0, timeout=30)
        with pytest.raises(openai.AuthenticationError):
            anonymous.models.list()
        authorised = openai.OpenAI(base_url=base_url, api_key=TOKEN, max_retries=0, timeout=30)
        reply = authorised.chat.completions.create(model="debate", messages=[{"role": "user", "content": "Buy?"}])
        assert reply.choices[0].message.content == "Synth: hold. DONE"
    finally:
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=20) == 0
    (run,) = list_runs(store=store)
    assert run.status == "completed" and run.task == "Buy?"


def test_a_follow_up_reaches_the_team_with_the_conversation_it_follows(store, served):
    client_for(served).chat.completions.create(
        model="debate",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Should we buy GPUs?"},
            {"role": "assistant", "content": "Synth: hold. DONE"},
            {"role": "user", "content": [{"type": "text", "text": "And what are the risks?"}]},
        ],
    )
    (run,) = list_runs(store=store)
    assert run.task == (
        "And what are the risks?\n\nEarlier in this conversation:\n\n"
        "user: Should we buy GPUs?\n\nassistant: Synth: hold. DONE"
    )
    first = load_events(run.id, store=store, types=["message"])[0]
    assert first.content == run.task and "helpful assistant" not in run.task  # the client's system prompt is not a task


def test_only_the_newest_earlier_messages_are_kept_when_the_conversation_is_long(store, served):
    from studio.serve_teams import CONTEXT_CHARS

    history = [{"role": r, "content": f"{i:04d} " + "x" * 995} for i, r in enumerate(["user", "assistant"] * 20)]
    client_for(served).chat.completions.create(
        model="debate", messages=[*history, {"role": "user", "content": "Sum it up."}]
    )
    (run,) = list_runs(store=store)
    assert run.task.startswith("Sum it up.\n\nEarlier in this conversation:")
    assert len(run.task) <= CONTEXT_CHARS + 100
    assert "0039 " in run.task and "0000 " not in run.task  # the newest survive, the oldest go first
