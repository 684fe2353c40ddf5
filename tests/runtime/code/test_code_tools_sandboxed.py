"""Spec-defined Python tools run only inside the sandbox: SECURITY.md T33–T35 (and "validate never executes")."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from studio.errors import ToolError
from studio.runtime.code import SandboxCodeExecutor, SandboxedTool, check_tool_source

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (make deb)")

ADD = "def add(a: int, b: int) -> int:\n    print('noise on stdout')\n    return a + b\n"


@pytest.fixture
def executor(tmp_path: Path):
    ex = SandboxCodeExecutor(work_dir=tmp_path / "sandbox-work")
    yield ex
    ex.close()


def test_call_returns_json_content_and_tool_prints_do_not_break_it(executor: SandboxCodeExecutor) -> None:
    tool = SandboxedTool("add", ADD, executor=executor)
    assert tool.call({"a": 2, "b": 3}) == ("5", False)
    assert tool(a=1, b=1) == "2"
    assert "noise on stdout" in tool.last_logs


def test_string_results_are_returned_verbatim_and_others_as_json(executor: SandboxCodeExecutor) -> None:
    src = "def f(kind: str):\n    return {'s': 'text', 'd': {'k': [1, 2]}, 'n': None}[kind]\n"
    tool = SandboxedTool("f", src, executor=executor)
    assert tool.call({"kind": "s"}) == ("text", False)
    assert json.loads(tool.call({"kind": "d"})[0]) == {"k": [1, 2]}
    assert tool.call({"kind": "n"}) == ("null", False)


def test_async_tool_is_awaited(executor: SandboxCodeExecutor) -> None:
    tool = SandboxedTool("f", "async def f(x: int):\n    return x * 2\n", executor=executor)
    assert tool.call({"x": 21}) == ("42", False)


def test_T33_tool_that_raises_is_an_error_result(executor: SandboxCodeExecutor) -> None:
    tool = SandboxedTool("boom", "def boom():\n    raise ValueError('nope')\n", executor=executor)
    assert tool.call({}) == ("Error: ValueError: nope", True)
    with pytest.raises(ToolError, match="ValueError: nope"):
        tool()


def test_T33_non_json_return_value_is_stringified(executor: SandboxCodeExecutor) -> None:
    src = "class Thing:\n    def __str__(self):\n        return 'a thing'\ndef f():\n    return Thing()\n"
    assert SandboxedTool("f", src, executor=executor).call({}) == ("a thing", False)


def test_T33_100_mb_result_is_truncated(executor: SandboxCodeExecutor) -> None:
    tool = SandboxedTool("f", "def f():\n    return 'x' * 100_000_000\n", executor=executor, output_cap=10_000)
    content, is_error = tool.call({})
    assert not is_error
    assert content == "x" * 10_000 + "\n[output truncated: 99990000 characters omitted]"


def test_T33_crash_and_bad_arguments_are_errors(executor: SandboxCodeExecutor) -> None:
    crash = SandboxedTool("f", "import os\ndef f():\n    os._exit(3)\n", executor=executor)
    content, is_error = crash.call({})
    assert is_error and content.startswith("Error: tool 'f' crashed (exit status 3)")
    add = SandboxedTool("add", ADD, executor=executor)
    content, is_error = add.call({"a": 1})
    assert is_error and content.startswith("Error: TypeError:") and "'b'" in content
    content, is_error = add.call({"a": object()})
    assert is_error and "not JSON-encodable" in content


def test_T34_hanging_tool_is_killed_by_its_timeout(executor: SandboxCodeExecutor) -> None:
    tool = SandboxedTool("f", "import time\ndef f():\n    time.sleep(10**6)\n", executor=executor, timeout=1)
    start = time.monotonic()
    content, is_error = tool.call({})
    assert time.monotonic() - start < 2.5
    assert (content, is_error) == ("Error: tool 'f' timed out after 1 s and was killed.", True)


def test_T35_module_level_side_effect_lands_only_in_the_sandbox_work_dir(
    executor: SandboxCodeExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio_cwd = tmp_path / "studio-cwd"
    studio_cwd.mkdir()
    monkeypatch.chdir(studio_cwd)
    src = "open('CANARY', 'w').write('module level ran')\n\ndef probe() -> str:\n    return 'called'\n"
    tool = SandboxedTool("probe", src, executor=executor)
    assert not (executor.work_dir / "CANARY").exists()  # constructing (validating) executed nothing
    assert tool.call({}) == ("called", False)
    assert (executor.work_dir / "CANARY").read_text() == "module level ran"
    assert not (studio_cwd / "CANARY").exists()
    assert not Path("CANARY").exists()


def test_T35_tool_cannot_read_the_studio_environment(
    executor: SandboxCodeExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-tool-3c1d")
    tool = SandboxedTool("env", "import os\ndef env():\n    return dict(os.environ)\n", executor=executor)
    content, is_error = tool.call({})
    assert not is_error and "sk-canary-tool-3c1d" not in content and "OPENAI_API_KEY" not in content


def test_T02_validation_parses_only_and_never_executes(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    sources = [
        f"def f(x=__import__('os').system('touch {canary}')):\n    return x\n",
        f"@exec(\"open({str(canary)!r}, 'w')\")\ndef f():\n    pass\n",
        f"open({str(canary)!r}, 'w')\ndef f():\n    pass\n",
        f"class K:\n    def __init_subclass__(cls):\n        open({str(canary)!r}, 'w')\nclass L(K):\n    pass\ndef f():\n    pass\n",
    ]
    for source in sources:
        check_tool_source("f", source)
        SandboxedTool("f", source, executor={"work_dir": str(tmp_path / "w")}).close()
    assert not canary.exists()


def test_invalid_sources_are_rejected_with_a_message() -> None:
    with pytest.raises(ToolError, match="does not parse at line 1"):
        check_tool_source("f", "def f(:\n    pass")
    with pytest.raises(ToolError, match="top-level function named 'f'"):
        check_tool_source("f", "def g():\n    pass")
    with pytest.raises(ToolError, match="not a Python identifier"):
        check_tool_source("my tool", "def f():\n    pass")


def test_tool_with_its_own_executor_cleans_up(tmp_path: Path) -> None:
    tool = SandboxedTool("add", ADD)
    work_dir = tool.executor.work_dir
    assert tool.call({"a": 1, "b": 2}) == ("3", False)
    tool.close()
    assert not os.path.exists(work_dir)
