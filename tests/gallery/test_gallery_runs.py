"""Every gallery team runs end to end: the scripted demo offline (real sandbox for code and tools, a human answered
through input_func), through the RunManager with every event persisted, and the OpenAI variant against a real
OpenAI-protocol server on 127.0.0.1 replaying the same script."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import gallery
from studio.builder import build_team
from studio.catalog import load_gallery
from studio.runtime.agents import ASSISTANT_SYSTEM_MESSAGE
from studio.spec import load_bundle
from studio.store import get_spec, load_events, open_store
from tests.support.openai_server import OpenAIServer, Reply, ToolCall

HUMAN_ANSWER = "Focus on the returns, please."


@dataclass
class Expect:
    speakers: list[str]
    checks: list[Any] = field(default_factory=list)  # f(events, result, work_dir) -> bool


def _code_output(text: str):
    return lambda ev, res, wd: any(e.type == "code_execution" and e.exit_code == 0 and text in e.output for e in ev)


def _tool_result(name: str, prefix: str):
    def check(ev, res, wd):
        results = [r for e in ev if e.type == "tool_result" for r in e.results if r["name"] == name]
        return len(results) == 1 and not results[0]["is_error"] and results[0]["content"].startswith(prefix)

    return check


EXPECT = {
    "coding-assistant": Expect(
        ["executor", "coder", "executor", "coder"],
        [_code_output("Sum: 88"), lambda ev, res, wd: (wd / "workspace" / "fib.py").is_file()],
    ),
    "debate": Expect(
        ["moderator", "bull", "bear", "synthesis", "bull", "bear", "synthesis"],
        [lambda ev, res, wd: res.summary.startswith("Verdict: invest in stages.")],
    ),
    "debugging": Expect(
        ["reporter", "developer", "tester", "reviewer"],
        [
            _code_output("3 tests passed"),
            lambda ev, res, wd: [e.method for e in ev if e.type == "speaker_selected"] == ["auto"] * 3,
        ],
    ),
    "red-team": Expect(["lead", "attacker", "defender", "evaluator", "attacker", "defender", "evaluator"]),
    "human-analyst": Expect(
        ["human", "analyst", "human", "analyst"],
        [
            lambda ev, res, wd: res.human_input == [HUMAN_ANSWER],
            lambda ev, res, wd: [e.content for e in ev if e.type == "message"][2] == HUMAN_ANSWER,
        ],
    ),
    "research-tools": Expect(
        ["user", "researcher", "user", "researcher", "user", "researcher"],
        [
            _tool_result("describe_numbers", "n=5, mean=15.12, median=15.00, stdev=2.62"),
            _tool_result("calculator", "1.56"),
        ],
    ),
}
STOP = "Text 'TERMINATE' mentioned"


def test_every_gallery_team_has_expectations():
    assert set(EXPECT) == {t.id for t in gallery.GALLERY}


def _answer(prompt: str) -> str:
    return HUMAN_ANSWER


def _check(team_id: str, events: list[Any], result: Any, work_dir: Any) -> None:
    expect = EXPECT[team_id]
    assert [e.source for e in events if e.type == "message"] == expect.speakers
    for i, check in enumerate(expect.checks):
        assert check(events, result, work_dir), f"check {i} of {team_id} failed"


def _clients(team: Any) -> list[Any]:
    clients = {id(a.client): a.client for a in team.agents.values() if a.client is not None}
    if team.groupchat is not None and team.groupchat.select_speaker_auto_llm_config:
        selector = team.groupchat._selector_client(team.manager)
        clients[id(selector)] = selector
    return list(clients.values())


@pytest.mark.parametrize("team", gallery.GALLERY, ids=lambda t: t.id)
def test_the_scripted_demo_runs_offline_to_its_end(team: gallery.GalleryTeam, tmp_path):
    bundle = load_bundle(team.file("scripted").read_bytes(), keep_approvals=True)
    events: list[Any] = []
    with build_team(bundle, input_func=_answer, work_dir=tmp_path) as built:
        result = built.run(team.task, listeners=[events.append])
        for client in _clients(built):
            client.assert_exhausted()  # the demo used every scripted reply: the conversation went as written
    assert result.stop_reason == STOP
    _check(team.id, events, result, tmp_path)


def _run_demo(store: Any, team: gallery.GalleryTeam, work_root: Any) -> tuple[Any, list[Any]]:
    """The scripted demo run through a RunManager on `store`: the finished run and its stored events."""
    from studio.runs import RunManager

    manager = RunManager(store, work_root=work_root)
    try:
        run = manager.start_run(team.team_name("scripted"), team.task, input_func=_answer)
        info = manager.wait(run.id, timeout=60)
    finally:
        manager.shutdown()
    return info, load_events(run.id, store=store)


@pytest.mark.parametrize("team", gallery.GALLERY, ids=lambda t: t.id)
def test_the_scripted_demo_runs_through_the_run_manager_with_every_event_stored(team: gallery.GalleryTeam, tmp_path):
    with open_store(home=tmp_path) as store:
        load_gallery(store=store)
        info, stored = _run_demo(store, team, tmp_path / "runs")
        assert (info.status, info.stop_reason) == ("completed", STOP)
        assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
        assert stored[0].type == "run_started" and stored[-1].type == "run_finished"
        assert [e.source for e in stored if e.type == "message"] == EXPECT[team.id].speakers
        assert get_spec(team.team_name("scripted"), kind="team", store=store).id == info.team_id


@pytest.mark.parametrize("team", gallery.GALLERY, ids=lambda t: t.id)
def test_a_scripted_demo_saved_as_copies_still_runs_as_written(team: gallery.GalleryTeam, tmp_path):
    # Another variant took the agents' names first: the demo's agents are stored as copies (developer-2, ...), yet
    # they speak as before — the scripted selector's "developer" still names the developer.
    with open_store(home=tmp_path) as store:
        load_gallery(store=store, variant="local")
        load_gallery(store=store)
        info, stored = _run_demo(store, team, tmp_path / "runs")
        assert (info.status, info.stop_reason) == ("completed", STOP)
        assert [e.source for e in stored if e.type == "message"] == EXPECT[team.id].speakers


def _replayer(team: gallery.GalleryTeam):
    """A server-side script: each request is answered with the next reply of the demo's script for the agent (or
    selector) that sends it, recognised by the system message it carries."""
    demo = load_bundle(team.file("scripted").read_bytes(), keep_approvals=True)
    real = load_bundle(team.file("openai").read_bytes(), keep_approvals=True)
    scripts: dict[str, list[Any]] = {}
    for agent in real.agents:
        if agent.model is not None:
            key = agent.system_message or ASSISTANT_SYSTEM_MESSAGE
            scripts[key] = list(demo.model(demo.agent(agent.name).model).replies)
    if demo.team.selector_model:
        scripts["SELECTOR"] = list(demo.model(demo.team.selector_model).replies)

    def answer(body: dict[str, Any]) -> Reply:
        system = body["messages"][0]["content"]
        key = "SELECTOR" if system.startswith("You are in a role play game") else system
        reply = scripts[key].pop(0)
        if isinstance(reply, str):
            return Reply(reply)
        return Reply(tool_calls=[ToolCall(name=reply.tool, arguments=dict(reply.arguments))])

    return answer, scripts


@pytest.mark.parametrize("team", gallery.GALLERY, ids=lambda t: t.id)
def test_the_openai_variant_runs_against_a_real_openai_protocol_server(
    team: gallery.GalleryTeam, tmp_path, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
):
    key = "sk-test-gallery-key"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    answer, scripts = _replayer(team)
    openai_server.script(*[answer] * 40)
    bundle = load_bundle(team.file("openai").read_bytes(), keep_approvals=True)
    events: list[Any] = []
    with build_team(bundle, input_func=_answer, work_dir=tmp_path) as built:
        result = built.run(team.task, listeners=[events.append])
    assert result.stop_reason == STOP
    _check(team.id, events, result, tmp_path)
    assert all(not replies for replies in scripts.values())
    assert openai_server.unexpected_requests == []
    assert {r.header("authorization") for r in openai_server.requests} == {f"Bearer {key}"}
    assert {b["model"] for b in openai_server.bodies} == {"gpt-4o-mini"}
