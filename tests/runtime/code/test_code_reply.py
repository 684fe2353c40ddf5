"""`code_execution_config` semantics and the exact reply strings of RUNTIME.md §1.7 (legacy and executor paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.runtime.code import (
    CodeExecutionSettings,
    DockerUnavailableError,
    LocalCodeExecutor,
    SandboxCodeExecutor,
    code_execution_reply,
)

PY_BLOCK = "Here:\n```python\nprint('hi')\nprint(1 + 1)\n```"
SH_FAIL = "```sh\necho shell; exit 3\n```"


def user(content: object) -> dict:
    return {"role": "user", "content": content}


def legacy(tmp_path: Path, **extra) -> CodeExecutionSettings:
    settings = CodeExecutionSettings.from_config(
        {"use_docker": False, "work_dir": str(tmp_path), **extra}, agent_name="u"
    )
    assert settings is not None and settings.legacy
    return settings


def via_executor(tmp_path: Path, timeout: float = 60) -> CodeExecutionSettings:
    settings = CodeExecutionSettings.from_config(
        {"executor": LocalCodeExecutor(tmp_path, timeout=timeout)}, agent_name="u"
    )
    assert settings is not None and not settings.legacy
    return settings


def reply_text(settings: CodeExecutionSettings, content: str) -> str:
    handled, text, _ = code_execution_reply(settings, [user(content)])
    assert handled and text is not None
    return text


def test_false_disables_code_execution() -> None:
    assert CodeExecutionSettings.from_config(False, agent_name="u") is None
    assert code_execution_reply(None, [user(PY_BLOCK)]) == (False, None, None)


def test_success_strings(tmp_path: Path) -> None:
    assert reply_text(legacy(tmp_path), PY_BLOCK) == "exitcode: 0 (execution succeeded)\nCode output: \nhi\n2\n"
    assert reply_text(via_executor(tmp_path), PY_BLOCK) == "exitcode: 0 (execution succeeded)\nCode output: hi\n2\n"


def test_shell_failure_strings(tmp_path: Path) -> None:
    assert reply_text(legacy(tmp_path), SH_FAIL) == "exitcode: 3 (execution failed)\nCode output: \n"
    assert reply_text(via_executor(tmp_path), SH_FAIL) == "exitcode: 3 (execution failed)\nCode output: shell\n"


def test_legacy_failure_shows_stderr_only(tmp_path: Path) -> None:
    text = reply_text(legacy(tmp_path), "```python\nprint('before')\nraise SystemExit('boom')\n```")
    assert text == "exitcode: 1 (execution failed)\nCode output: \nboom\n"


def test_timeout_strings(tmp_path: Path) -> None:
    spin = "```python\nwhile True: pass\n```"
    assert reply_text(legacy(tmp_path, timeout=1), spin) == "exitcode: 1 (execution failed)\nCode output: \nTimeout"
    assert (
        reply_text(via_executor(tmp_path, timeout=1), spin)
        == "exitcode: 124 (execution failed)\nCode output: \nTimeout"
    )


def test_unknown_language_strings(tmp_path: Path) -> None:
    block = "```python3\nprint(1)\n```"
    assert (
        reply_text(legacy(tmp_path), block) == "exitcode: 1 (execution failed)\nCode output: \nunknown language python3"
    )
    assert (
        reply_text(via_executor(tmp_path), block)
        == "exitcode: 1 (execution failed)\nCode output: \nunknown language python3"
    )


def test_legacy_runs_blocks_in_order_and_stops_at_first_failure(tmp_path: Path) -> None:
    content = "```python\nprint(1)\n```\n```sh\necho out; echo err >&2; exit 2\n```\n```python\nprint(2)\n```"
    assert reply_text(legacy(tmp_path), content) == "exitcode: 2 (execution failed)\nCode output: \n1\n\nerr\n"


def test_info_describes_the_execution(tmp_path: Path) -> None:
    handled, _, info = code_execution_reply(via_executor(tmp_path), [user(PY_BLOCK)])
    assert handled
    assert info == {
        "blocks": [{"language": "python", "code": "print('hi')\nprint(1 + 1)"}],
        "exit_code": 0,
        "output": "hi\n2\n",
        "executor": "LocalCodeExecutor",
    }


def test_auto_scans_only_messages_since_the_agent_last_spoke(tmp_path: Path) -> None:
    settings = via_executor(tmp_path)
    messages = [user(PY_BLOCK), {"role": "assistant", "content": "ok"}, user("no code here")]
    assert code_execution_reply(settings, messages) == (False, None, None)
    messages.append(user("```python\nprint('newest')\n```"))
    handled, text, _ = code_execution_reply(settings, messages)
    assert handled and text == "exitcode: 0 (execution succeeded)\nCode output: newest\n"


def test_newest_message_with_code_wins(tmp_path: Path) -> None:
    messages = [user("```python\nprint('old')\n```"), user("```python\nprint('new')\n```"), user("thanks")]
    _, text, _ = code_execution_reply(via_executor(tmp_path), messages)
    assert text == "exitcode: 0 (execution succeeded)\nCode output: new\n"


def test_integer_last_n_messages_ignores_roles(tmp_path: Path) -> None:
    config = {"executor": LocalCodeExecutor(tmp_path), "last_n_messages": 2}
    settings = CodeExecutionSettings.from_config(config, agent_name="u")
    messages = [{"role": "assistant", "content": "```python\nprint('assistant code')\n```"}, user("x")]
    _, text, _ = code_execution_reply(settings, messages)
    assert text == "exitcode: 0 (execution succeeded)\nCode output: assistant code\n"
    settings.last_n_messages = 1
    assert code_execution_reply(settings, messages) == (False, None, None)


def test_multimodal_content_and_empty_content(tmp_path: Path) -> None:
    settings = via_executor(tmp_path)
    parts = [
        {"type": "text", "text": "```python\nprint('parts')\n```"},
        {"type": "image_url", "image_url": {"url": "x"}},
    ]
    _, text, _ = code_execution_reply(settings, [user(None), user(parts)])
    assert text == "exitcode: 0 (execution succeeded)\nCode output: parts\n"
    assert code_execution_reply(settings, [user(None)]) == (False, None, None)


def test_executor_with_legacy_keys_is_rejected(tmp_path: Path) -> None:
    for key, value in (("timeout", 5), ("work_dir", str(tmp_path)), ("use_docker", False)):
        with pytest.raises(ValueError, match=key):
            CodeExecutionSettings.from_config({"executor": LocalCodeExecutor(tmp_path), key: value}, agent_name="u")


def test_bad_last_n_messages_and_bad_config_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="last_n_messages"):
        CodeExecutionSettings.from_config({"use_docker": False, "last_n_messages": -1}, agent_name="u")
    with pytest.raises(ValueError, match="dict or False"):
        CodeExecutionSettings.from_config("yes please", agent_name="u")
    with pytest.raises(ValueError, match="Unknown code executor"):
        CodeExecutionSettings.from_config({"executor": "ipython-embedded"}, agent_name="u")


def test_legacy_defaults_work_dir_coding_and_timeout_600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = CodeExecutionSettings.from_config({"use_docker": False}, agent_name="u")
    assert isinstance(settings.executor, LocalCodeExecutor)
    assert settings.executor.work_dir == tmp_path / "coding"
    assert settings.executor.timeout == 600


def test_use_docker_default_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGEN_USE_DOCKER", "False")
    settings = CodeExecutionSettings.from_config({"work_dir": str(tmp_path)}, agent_name="u")
    assert isinstance(settings.executor, LocalCodeExecutor)
    monkeypatch.setenv("AUTOGEN_USE_DOCKER", "maybe")
    with pytest.raises(ValueError, match="AUTOGEN_USE_DOCKER"):
        CodeExecutionSettings.from_config({"work_dir": str(tmp_path)}, agent_name="u")


def test_T29_docker_requested_but_unreachable_fails_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    monkeypatch.delenv("AUTOGEN_USE_DOCKER", raising=False)
    for config in ({}, {"use_docker": True}, {"use_docker": "python:3-slim"}, {"use_docker": ["a:1", "b:2"]}):
        with pytest.raises(DockerUnavailableError, match="Docker executor unavailable") as info:
            CodeExecutionSettings.from_config({**config, "work_dir": str(tmp_path)}, agent_name="u")
        assert "use_docker=False" in str(info.value)  # says what to do
    assert not list(tmp_path.glob("tmp_code_*"))  # nothing ran natively


def test_named_sandbox_executor_with_its_arguments(tmp_path: Path) -> None:
    config = {"executor": "sandbox", "sandbox": {"work_dir": str(tmp_path), "timeout": 7}}
    settings = CodeExecutionSettings.from_config(config, agent_name="u")
    assert isinstance(settings.executor, SandboxCodeExecutor) and settings.executor.timeout == 7
    assert reply_text(settings, PY_BLOCK) == "exitcode: 0 (execution succeeded)\nCode output: hi\n2\n"
    settings.close()
    assert tmp_path.exists()  # a given work dir is the caller's


def test_named_local_executor_warns(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="unsandboxed"):
        CodeExecutionSettings.from_config({"executor": "local", "local": {"work_dir": str(tmp_path)}}, agent_name="u")


def test_close_leaves_a_given_executor_alone(tmp_path: Path) -> None:
    executor = SandboxCodeExecutor()
    settings = CodeExecutionSettings.from_config({"executor": executor}, agent_name="u")
    settings.close()
    assert executor.work_dir.exists()
    executor.close()
    assert not executor.work_dir.exists()
