"""`LocalCodeExecutor`: AG2's local command-line executor, minus its two dangerous habits.

It runs code **unsandboxed**, as the studio's own user, with the host's filesystem and network — it exists for the
classic API's ``use_docker=False`` (AutoGen compatibility) and as an explicit, warned choice in the studio. What it
fixes relative to AG2 (RUNTIME.md §4.3):

* **Environment**: the child gets a small explicit environment (PATH, HOME=work dir, LANG, PYTHONUNBUFFERED, TMPDIR)
  plus whatever `env=` adds — never a copy of ours, so ``OPENAI_API_KEY`` and friends are not visible.
* **Whole-tree kill**: when we may create a PID namespace (root, ``unshare`` present and working), every block runs as
  ``unshare --pid --fork --kill-child --mount-proc``: killing that one process takes the namespace — and anything that
  ``setsid()``-ed or double-forked inside it — down with it, and the pipes reach EOF at once. Otherwise we kill the
  process group *and* every descendant found by walking ``/proc`` (a ``setsid`` child is still a descendant while its
  parent lives), and the reader stops at the deadline regardless (`_proc`), so a leftover holding the pipe cannot hang
  us; every child also carries a random ``PARLEY_EXEC_TOKEN`` in its environment, so a daemon whose parent already
  exited is still found (unless it wipes its environment — only the namespace is airtight). Either way a block's
  leftovers are killed when its main process exits.

Python runs with ``sys.executable`` (or `python=`), shells with ``bash``; cwd is the work dir (created if missing).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from studio.errors import CodeExecutionError
from studio.runtime.code._blocks import DEFAULT_OUTPUT_CAP, BlockExecutor
from studio.runtime.code._proc import ProcOutcome, kill_group, run_process

_TOKEN_VAR = "PARLEY_EXEC_TOKEN"  # marks a block's processes so the /proc walk finds them without a PID namespace
_UNSHARE = ("--pid", "--fork", "--kill-child", "--mount-proc")
# Inside the namespace a small shell is PID 1, so the code itself is not: PID 1 ignores default-action signals
# (a script's own `kill -TERM $$` would be lost) and the kernel kills everything else when PID 1 exits.
_INIT = ("/bin/sh", "-c", '"$@"; exit $?', "sh")


@functools.cache
def pid_namespace_available() -> bool:
    """True when ``unshare --pid`` works here without a user namespace (i.e. we are root); probed once."""
    exe = shutil.which("unshare")
    if exe is None or os.geteuid() != 0:
        return False
    try:
        probe = subprocess.run(
            [exe, *_UNSHARE, *_INIT, "true"], capture_output=True, timeout=10, env={"PATH": os.defpath}
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def minimal_env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child environment: only what programs need to start, nothing inherited that could be a secret."""
    env = {
        "PATH": os.environ.get("PATH") or os.defpath,
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": tempfile.gettempdir(),
    }
    env.update(extra or {})
    return env


def _tree_members(root: int, token: bytes) -> list[int]:
    """Descendants of `root`, plus every process whose environment carries `token` (inherited across ``setsid``
    and re-parenting, so it also finds a daemon whose parent already exited)."""
    children: dict[int, list[int]] = {}
    marked: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/environ", "rb") as f:
                if token in f.read():
                    marked.append(int(entry))
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the fields we want follow the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = list(marked), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes], token: str) -> None:
    """Kill the child's process group, its descendants and every process marked with the run's `token`."""
    needle = f"{_TOKEN_VAR}={token}".encode()
    for _ in range(2):  # a second pass catches children forked while the first one ran
        kill_group(proc)
        for pid in _tree_members(proc.pid, needle):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


class LocalCodeExecutor(BlockExecutor):
    """Run Python and shell blocks on the host (no sandbox) with a scrubbed environment and whole-tree kill."""

    def __init__(
        self,
        work_dir: str | os.PathLike[str] = ".",
        timeout: float = 60,
        env: dict[str, str] | None = None,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        *,
        pid_namespace: bool | None = None,
        python: str | None = None,
    ):
        """`pid_namespace`: None = use one when available, True = require it, False = never (killpg + /proc walk).

        `python`: the interpreter for Python blocks (default ``sys.executable``, as in AG2).
        """
        super().__init__(timeout=timeout, output_cap=output_cap)
        self._work_dir = Path(work_dir).absolute()
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self.extra_env = dict(env or {})
        available = pid_namespace_available()
        if pid_namespace and not available:
            raise CodeExecutionError(
                "LocalCodeExecutor(pid_namespace=True) needs 'unshare --pid' (util-linux) and root; it is not usable "
                "here. Use pid_namespace=None to fall back to process-group killing."
            )
        self.pid_namespace = available if pid_namespace is None else bool(pid_namespace)
        self.python = python or sys.executable
        self._bash = shutil.which("bash") or "/bin/bash"
        self._unshare = shutil.which("unshare") or "unshare"

    @property
    def work_dir(self) -> Path:
        return self._work_dir

    def _run_file(self, lang: str, relpath: str) -> ProcOutcome:
        argv = [self.python if lang == "python" else self._bash, relpath]
        env = minimal_env(str(self._work_dir), self.extra_env)
        if self.pid_namespace:
            argv = [self._unshare, *_UNSHARE, *_INIT, *argv]
            kill = kill_group
        else:
            token = secrets.token_hex(16)
            env[_TOKEN_VAR] = token
            kill = functools.partial(kill_tree, token=token)
        return run_process(
            argv,
            cwd=str(self._work_dir),
            env=env,
            timeout=self.timeout,
            output_cap=self.output_cap,
            cancel=self._cancel,
            kill=kill,
        )

    def close(self) -> None:
        """Nothing to release (the work dir is the caller's and is kept)."""
