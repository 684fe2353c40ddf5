"""`LocalCodeExecutor`: AG2's local executor with a scrubbed environment and a whole-tree kill."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from code_probes import processes_matching

from studio.runtime.code import CodeBlock, LocalCodeExecutor
from studio.runtime.code.local import pid_namespace_available

KILL_MODES = [
    pytest.param(True, id="pid-namespace"),
    pytest.param(False, id="killpg+proc-walk"),
]


def _executor(tmp_path: Path, pid_namespace: bool, **kwargs) -> LocalCodeExecutor:
    if pid_namespace and not pid_namespace_available():
        pytest.skip("unshare --pid is not usable here (needs root)")
    return LocalCodeExecutor(work_dir=tmp_path, pid_namespace=pid_namespace, **kwargs)


def test_python_and_shell_blocks_output_stderr_then_stdout(tmp_path: Path) -> None:
    executor = LocalCodeExecutor(work_dir=tmp_path, timeout=10)
    result = executor.execute_code_blocks(
        [
            CodeBlock("import sys\nprint('out')\nprint('err', file=sys.stderr)", "python"),
            CodeBlock("echo shell-out; echo shell-err >&2", "bash"),
        ]
    )
    assert result.exit_code == 0
    assert result.output == "err\nout\nshell-err\nshell-out\n"
    assert result.stdout == "out\nshell-out\n"
    assert result.stderr == "err\nshell-err\n"


def test_runs_python_with_sys_executable_in_the_work_dir(tmp_path: Path) -> None:
    result = LocalCodeExecutor(work_dir=tmp_path).execute_code_blocks(
        [CodeBlock("import os, sys\nprint(sys.executable)\nprint(os.getcwd())\nprint(os.environ['HOME'])", "python")]
    )
    assert result.output.splitlines() == [sys.executable, str(tmp_path), str(tmp_path)]


def test_stops_at_first_failure(tmp_path: Path) -> None:
    result = LocalCodeExecutor(work_dir=tmp_path).execute_code_blocks(
        [CodeBlock("print(1)", "python"), CodeBlock("echo shell; exit 3", "sh"), CodeBlock("print(2)", "python")]
    )
    assert (result.exit_code, result.output) == (3, "1\nshell\n")


def test_unknown_language_is_exit_1(tmp_path: Path) -> None:
    result = LocalCodeExecutor(work_dir=tmp_path).execute_code_blocks([CodeBlock("console.log(1)", "javascript")])
    assert (result.exit_code, result.output) == (1, "\nunknown language javascript")


def test_filename_header_is_kept_and_escape_refused(tmp_path: Path) -> None:
    work = tmp_path / "work"
    executor = LocalCodeExecutor(work_dir=work)
    result = executor.execute_code_blocks([CodeBlock("# filename: pkg/hello.py\nprint('hello')", "python")])
    assert result.output == "hello\n"
    assert (work / "pkg" / "hello.py").read_text().startswith("# filename: pkg/hello.py")
    escaped = executor.execute_code_blocks([CodeBlock("# filename: ../evil.py\nprint('x')", "python")])
    assert (escaped.exit_code, escaped.output) == (1, "Filename is not in the workspace")
    assert not (tmp_path / "evil.py").exists()


def test_child_environment_has_no_parent_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "sk-canary-local-0b9e7c"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    monkeypatch.setenv("PARLEY_TEST_CANARY", canary)
    executor = LocalCodeExecutor(work_dir=tmp_path, env={"EXTRA_VAR": "visible"})
    result = executor.execute_code_blocks(
        [CodeBlock("import os\nprint(sorted(os.environ))\nprint(os.environ.get('EXTRA_VAR'))", "python"),
         CodeBlock("env", "sh")]
    )  # fmt: skip
    assert result.exit_code == 0
    assert canary not in result.output
    assert "OPENAI_API_KEY" not in result.output
    assert "visible" in result.output


@pytest.mark.parametrize("pid_namespace", KILL_MODES)
def test_timeout_kills_setsid_grandchild_and_returns_promptly(tmp_path: Path, marker: str, pid_namespace: bool) -> None:
    executor = _executor(tmp_path, pid_namespace, timeout=1.5)
    code = (
        "import subprocess, time\n"
        f"subprocess.Popen(['setsid', 'sleep', '{marker}'])\n"
        "print('child started', flush=True)\n"
        "time.sleep(100)\n"
    )
    start = time.monotonic()
    result = executor.execute_code_blocks([CodeBlock(code, "python")])
    elapsed = time.monotonic() - start
    assert result.exit_code == 124 and result.timed_out
    assert result.output == "child started\n\nTimeout"
    assert elapsed < 3.5, f"reader hung for {elapsed:.1f}s on a pipe held by the grandchild"
    time.sleep(0.2)
    assert processes_matching(marker) == []


@pytest.mark.parametrize("pid_namespace", KILL_MODES)
def test_daemon_left_behind_is_killed_when_the_block_ends(tmp_path: Path, marker: str, pid_namespace: bool) -> None:
    executor = _executor(tmp_path, pid_namespace, timeout=10)
    code = f"import subprocess\nsubprocess.Popen(['setsid', 'sleep', '{marker}'])\nprint('done')\n"
    start = time.monotonic()
    result = executor.execute_code_blocks([CodeBlock(code, "python")])
    assert (result.exit_code, result.output) == (0, "done\n")
    assert time.monotonic() - start < 3
    time.sleep(0.2)
    assert processes_matching(marker) == []


@pytest.mark.parametrize("pid_namespace", KILL_MODES)
def test_cancel_from_another_thread(tmp_path: Path, marker: str, pid_namespace: bool) -> None:
    executor = _executor(tmp_path, pid_namespace, timeout=60)
    code = f"import subprocess, time\nsubprocess.Popen(['sleep', '{marker}'])\nprint('partial', flush=True)\ntime.sleep(100)\n"
    threading.Timer(0.7, executor.cancel).start()
    start = time.monotonic()
    result = executor.execute_code_blocks([CodeBlock(code, "python"), CodeBlock("print('never')", "python")])
    assert time.monotonic() - start < 2.7
    assert result.exit_code == 125 and result.cancelled
    assert result.output == "partial\n\nCancelled"
    time.sleep(0.2)
    assert processes_matching(marker) == []


def test_output_cap_with_marker(tmp_path: Path) -> None:
    result = LocalCodeExecutor(work_dir=tmp_path, output_cap=1000).execute_code_blocks(
        [CodeBlock("print('x' * 50000)", "python")]
    )
    assert result.exit_code == 0 and result.truncated
    assert result.output == "x" * 1000 + "\n[output truncated: 49001 bytes omitted]"


def test_timeout_below_one_second_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        LocalCodeExecutor(work_dir=tmp_path, timeout=0.5)


def test_default_work_dir_is_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    executor = LocalCodeExecutor()
    assert executor.work_dir == tmp_path
    executor.execute_code_blocks([CodeBlock("open('made_here.txt', 'w').write('1')", "python")])
    assert (tmp_path / "made_here.txt").exists()
