"""AgentSpec → agents: kinds, human input, termination rules, and the code-execution policy (sandbox by default,
Docker on request, local only when enabled, never a silent fallback)."""

from __future__ import annotations

import pytest

from studio.builder import build_team
from studio.errors import BuildError
from studio.runtime import AssistantAgent, UserProxyAgent
from studio.runtime.agents import ASSISTANT_SYSTEM_MESSAGE, USER_PROXY_DESCRIPTIONS
from studio.runtime.code import LocalCodeExecutor, SandboxCodeExecutor
from tests.builder.bundles import assistant, bundle, messages, proxy, scripted, two_agent

CODE = "```python\nprint('hello from the sandbox')\n```"


def _coder_and(executor: dict, *replies: str, **team: object):
    return bundle(
        two_agent(executor["name"], "coder", **team),
        [executor, assistant("coder", "m", termination_text=None)],
        [scripted("m", *replies)],
    )


def test_kinds_map_to_the_runtime_classes_with_ag2_defaults():
    b = bundle(
        two_agent("human", "bot"),
        [proxy("human", mode="ALWAYS"), assistant("bot", "m")],
        [scripted("m", "x")],
    )
    with build_team(b) as team:
        human, bot = team.agents["human"], team.agents["bot"]
        assert type(human) is UserProxyAgent and type(bot) is AssistantAgent
        assert human.human_input_mode == "ALWAYS" and bot.human_input_mode == "NEVER"
        assert bot.system_message == ASSISTANT_SYSTEM_MESSAGE
        assert human.description == USER_PROXY_DESCRIPTIONS["ALWAYS"]
        assert human.llm_config is False and human.code_executor is None  # no legacy Docker executor behind our back
        assert team.initiator is human and team.recipient is bot


def test_spec_fields_reach_the_agent():
    b = bundle(
        two_agent("user", "bot"),
        [
            proxy("user", default_auto_reply="go on", max_consecutive_auto_reply=3),
            assistant("bot", "m", system_message="Be brief.", description="A brief bot."),
        ],
        [scripted("m", "x")],
    )
    with build_team(b) as team:
        user, bot = team.agents["user"], team.agents["bot"]
        assert bot.system_message == "Be brief." and bot.description == "A brief bot."
        assert user.max_consecutive_auto_reply() == 3
        assert user._default_auto_reply == "go on"


@pytest.mark.parametrize(
    ("match", "message", "ends"),
    [
        ("exact", "TERMINATE", True),
        ("exact", "done. TERMINATE", False),
        ("contains", "done. TERMINATE now", True),
        ("ends_with", "done. TERMINATE \n", True),
        ("ends_with", "TERMINATE, then more", False),
    ],
)
def test_termination_text_is_matched_as_the_spec_says(match: str, message: str, ends: bool):
    b = bundle(
        two_agent("user", "bot"),
        [proxy("user", termination_match=match), assistant("bot", "m")],
        [scripted("m", message, "(should not be asked)")],
    )
    with build_team(b) as team:
        assert team.agents["user"]._is_termination_msg({"content": message}) is ends


def test_no_termination_text_means_the_agent_never_stops_on_content():
    b = bundle(two_agent("user", "bot"), [proxy("user", termination_text=None), assistant("bot", "m")], [scripted("m")])
    with build_team(b) as team:
        assert team.agents["user"]._is_termination_msg({"content": "TERMINATE"}) is False


def test_human_input_reaches_the_input_func():
    asked: list[str] = []
    b = bundle(
        two_agent("human", "bot", max_turns=2),
        [proxy("human", mode="ALWAYS"), assistant("bot", "m", termination_text=None)],
        [scripted("m", "What region?", "Thanks.")],
    )

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "Europe"

    with build_team(b, input_func=answer) as team:
        result = team.run("Analyse.")
    assert len(asked) == 1 and "Provide feedback to bot" in asked[0]
    assert [m["content"] for m in result.chat_history] == ["Analyse.", "What region?", "Europe", "Thanks."]
    assert result.human_input == ["Europe"]


def test_a_code_executor_runs_the_blocks_it_receives_in_the_sandbox(tmp_path):
    b = _coder_and(
        {"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox", "timeout": 20}},
        CODE,
        "Done.",
        max_turns=2,
    )
    events: list = []
    with build_team(b, work_dir=tmp_path) as team:
        runner = team.agents["runner"]
        assert type(runner) is UserProxyAgent and runner.human_input_mode == "NEVER"
        assert isinstance(runner.code_executor, SandboxCodeExecutor)
        assert runner.code_executor.work_dir == tmp_path / "workspace"
        assert team.code_executors == [runner.code_executor]
        team.run("Say hello.", listeners=[events.append])
    (run,) = [e for e in events if e.type == "code_execution"]
    assert run.exit_code == 0 and "hello from the sandbox" in run.output
    assert messages(events)[2][1].startswith("exitcode: 0 (execution succeeded)")


def test_a_work_dir_name_in_the_spec_is_a_sub_directory_of_the_run(tmp_path):
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox", "work_dir": "w1"}})
    with build_team(b, work_dir=tmp_path) as team:
        assert team.agents["runner"].code_executor.work_dir == tmp_path / "w1"


def test_local_execution_is_refused_unless_enabled_explicitly(tmp_path):
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "local"}}, CODE, "Done.")
    with pytest.raises(BuildError) as info:
        build_team(b, work_dir=tmp_path)
    assert info.value.path == "agents[0].code_execution.mode"
    assert "must be enabled explicitly in Settings" in str(info.value)
    with build_team(b, work_dir=tmp_path, allow_local_code=True) as team:
        assert isinstance(team.agents["runner"].code_executor, LocalCodeExecutor)


def test_docker_without_a_daemon_is_an_error_not_a_fallback(tmp_path, monkeypatch: pytest.MonkeyPatch):
    # T29: a Docker executor that cannot reach its daemon must never quietly become another executor.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "docker"}})
    with pytest.raises(BuildError) as info:
        build_team(b, work_dir=tmp_path)
    assert info.value.path == "agents[0].code_execution"
    assert "Docker executor unavailable" in str(info.value)


def test_the_deployment_can_put_sandbox_agents_in_docker_or_turn_code_off(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox"}})
    with pytest.raises(BuildError, match="Docker executor unavailable"):
        build_team(b, work_dir=tmp_path, code_execution_default="docker")
    with pytest.raises(BuildError, match="turned off in Settings"):
        build_team(b, work_dir=tmp_path, code_execution_default="off")
    with pytest.raises(BuildError, match="'sandbox'.*'docker'.*'off'"):
        build_team(b, work_dir=tmp_path, code_execution_default="local")


def test_an_assistant_with_code_execution_runs_code_sent_to_it(tmp_path):
    # AG2: code execution is a reply function of any agent, checked before its model is asked.
    b = bundle(
        two_agent("writer", "checker", max_turns=1),
        [
            assistant("writer", "w", termination_text=None),
            assistant("checker", "c", code_execution={"mode": "sandbox"}),
        ],
        [scripted("w"), scripted("c", "(the model is not asked: the code runs first)")],
    )
    with build_team(b, work_dir=tmp_path) as team:
        result = team.run(CODE)
    assert "hello from the sandbox" in result.chat_history[-1]["content"]


def test_without_a_work_dir_the_build_makes_a_temporary_one_and_removes_it():
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox"}})
    team = build_team(b)
    run_dir = team.work_dir
    assert run_dir.is_dir()
    team.close()
    team.close()  # idempotent
    assert not run_dir.exists()


def test_a_given_work_dir_is_kept(tmp_path):
    b = _coder_and({"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox"}})
    build_team(b, work_dir=tmp_path / "run").close()
    assert (tmp_path / "run").is_dir()
