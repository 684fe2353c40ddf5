"""Code execution policy and executors: which executor an agent's `code_execution.mode` gets, and where it runs.

* `off` → no code execution (`code_execution_config=False`);
* `sandbox` → the deployment's isolated executor, `code_execution_default`: `"sandbox"` (bubblewrap, the default) or
  `"docker"` (for machines without unprivileged user namespaces); `"off"` turns code execution off for every agent
  (a Settings kill switch: agents that need it then fail to build, saying so);
* `docker` → `DockerCodeExecutor` with the spec's image;
* `local` → `LocalCodeExecutor` (no isolation at all), only when the caller passes `allow_local_code=True` — the
  studio's explicit Settings switch. There is never a silent fallback from one executor to another.

Work directories: the build's run directory holds one sub-directory per purpose — `workspace/` for code blocks (or the
spec's `work_dir` name, which agents may share), `tools/` for sandboxed Python tools, `python_exec/` for the built-in —
so two runs never share files and a tool's side effects land inside the run's directory, in the sandbox's view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.errors import BuildError, CodeExecutionError
from studio.spec import AgentSpec

EXECUTOR_DEFAULTS = ("sandbox", "docker", "off")
"""Valid values of `code_execution_default`."""

LOCAL_REFUSED = (
    "Local (unsandboxed) code execution must be enabled explicitly in Settings: it runs model-written code as you, "
    "with your files and your network. Choose mode 'sandbox' (or 'docker') instead, or enable local execution."
)


def check_default(code_execution_default: str) -> None:
    if code_execution_default not in EXECUTOR_DEFAULTS:
        raise BuildError(
            f"code_execution_default {code_execution_default!r} is not valid; use 'sandbox' (bubblewrap), 'docker' or "
            "'off'. Local execution is never a default: it is chosen per agent and enabled in Settings."
        )


def effective_mode(agent: AgentSpec, code_execution_default: str) -> str:
    """The executor kind the agent really gets: off, sandbox, docker or local."""
    mode = agent.code_execution.mode
    return code_execution_default if mode == "sandbox" else mode


def policy_problem(agent: AgentSpec, path: str, *, code_execution_default: str, allow_local_code: bool) -> str | None:
    """Why the agent's code execution cannot be built under this policy (None when it can)."""
    requested = agent.code_execution.mode
    if requested == "off":
        return None
    mode = effective_mode(agent, code_execution_default)
    if mode == "off":
        return (
            f"{path}.code_execution.mode: code execution is turned off in Settings, and the agent {agent.name!r} "
            "needs it; turn it back on, or set the agent's mode to 'off'."
        )
    if mode == "local" and not allow_local_code:
        return f"{path}.code_execution.mode: {LOCAL_REFUSED}"
    return None


def make_executor(agent: AgentSpec, path: str, *, run_dir: Path, code_execution_default: str) -> Any:
    """The executor for the agent's code blocks (None when its code execution is off). Policy is checked before."""
    ce = agent.code_execution
    mode = effective_mode(agent, code_execution_default)
    if ce.mode == "off":
        return None
    work = run_dir / (ce.work_dir or "workspace")
    try:
        if mode == "sandbox":
            from studio.runtime.code.sandbox import SandboxCodeExecutor

            return SandboxCodeExecutor(work_dir=work, timeout=ce.timeout, network=ce.network)
        if mode == "docker":
            from studio.runtime.code.docker_exec import DockerCodeExecutor

            return DockerCodeExecutor(
                ce.image, timeout=ce.timeout, work_dir=work, network=ce.network, run_id=run_dir.name
            )
        from studio.runtime.code.local import LocalCodeExecutor

        work.mkdir(parents=True, exist_ok=True)
        return LocalCodeExecutor(work_dir=work, timeout=ce.timeout)
    except CodeExecutionError as e:
        raise BuildError(
            f"The code executor of agent {agent.name!r} is unavailable: {e}", path=f"{path}.code_execution"
        )
    except (ValueError, OSError) as e:
        raise BuildError(
            f"The code executor of agent {agent.name!r} cannot be set up: {e}", path=f"{path}.code_execution"
        ) from None


def sandbox_executor(run_dir: Path, purpose: str, *, timeout: float = 60) -> Any:
    """A bubblewrap sandbox (no network) for tools of the run, in `run_dir/purpose`."""
    from studio.runtime.code.sandbox import SandboxCodeExecutor

    try:
        return SandboxCodeExecutor(work_dir=run_dir / purpose, timeout=max(1.0, timeout))
    except CodeExecutionError as e:
        raise BuildError(f"Tools need the code sandbox, which is unavailable: {e}", path="tools") from None
