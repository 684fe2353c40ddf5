"""What an agent calls to execute code found in its messages: AG2's `code_execution_config` semantics (RUNTIME.md §1.7).

`CodeExecutionSettings.from_config(config, agent_name=...)`:

* ``False``/``None`` → None (code execution disabled).
* **Executor path** — ``{"executor": obj | "local" | "sandbox" | "docker"}`` (AG2's ``"commandline-local"`` means
  ``"local"``); constructor arguments for a named executor go under the key of its name, as in AG2
  (``{"executor": "sandbox", "sandbox": {"timeout": 10}}``); ``work_dir``/``use_docker``/``timeout`` next to
  ``executor`` raise ValueError. Replies use the executor's output (stderr+stdout).
* **Legacy path** — ``{}`` / ``{"work_dir", "use_docker", "timeout", "last_n_messages"}``. ``use_docker`` defaults to
  the environment variable ``AUTOGEN_USE_DOCKER`` (default ``"True"``); ``True`` or an image name (or a list: the first
  image present) selects `DockerCodeExecutor` (default image ``python:3-slim``), ``False`` the `LocalCodeExecutor`.
  Replies use stdout on success and stderr on failure, per block, as AG2's ``execute_code`` did.

Deliberate deviations from AG2, documented:

* Docker requested but unavailable → `DockerUnavailableError` **at construction, always**. AG2 raises only outside a
  container and silently runs the code natively inside one (``/.dockerenv``); we never do that.
* The legacy default ``work_dir`` is ``"coding"`` relative to the current directory. AG2's default is a directory
  inside the installed package (``autogen/extensions``) — a defect (writes into site-packages, shared by every user).
* Legacy timeout: exit 1 and ``"Timeout"`` as in AG2; a cancel gives exit 125 and ``"Cancelled"`` (AG2 had none).
* A lone fenced block explicitly labelled ``unknown`` is executed (and fails as an unknown language); AG2 skips it.

`code_execution_reply(settings, messages)` applies the scan rule and formats the reply text exactly as AG2 does:
``f"exitcode: {code} ({'execution succeeded' if code == 0 else 'execution failed'})\\nCode output: {logs}"``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.runtime.code._blocks import CANCEL_MESSAGE, TIMEOUT_MESSAGE
from studio.runtime.code.base import CodeBlock, CodeExecutor
from studio.runtime.code.extract import executable_lang, extract_code

LEGACY_KEYS = ("work_dir", "use_docker", "timeout")
LEGACY_DEFAULT_WORK_DIR = "coding"
LEGACY_DEFAULT_TIMEOUT = 600
_TRUE = ("1", "true", "yes", "t", "y", "on")
_FALSE = ("0", "false", "no", "f", "n", "off", "none")


def _use_docker_from_env() -> bool:
    raw = os.environ.get("AUTOGEN_USE_DOCKER", "True").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"AUTOGEN_USE_DOCKER must be a boolean such as 'True' or 'False', got {raw!r}.")


def _named_executor(name: str, kwargs: Mapping[str, Any]) -> CodeExecutor:
    if name in ("local", "commandline-local"):
        from studio.runtime.code.local import LocalCodeExecutor

        warnings.warn(
            "The 'local' code executor runs model-written code unsandboxed with your privileges, files and network.",
            UserWarning,
            stacklevel=4,
        )
        return LocalCodeExecutor(**kwargs)
    if name == "sandbox":
        from studio.runtime.code.sandbox import SandboxCodeExecutor

        return SandboxCodeExecutor(**kwargs)
    if name == "docker":
        from studio.runtime.code.docker_exec import DockerCodeExecutor

        return DockerCodeExecutor(**kwargs)
    raise ValueError(f"Unknown code executor {name!r}; use 'sandbox', 'docker', 'local' or a CodeExecutor object.")


def _docker_executor(use_docker: Any, work_dir: str, timeout: float) -> CodeExecutor:
    from studio.runtime.code.docker_exec import DEFAULT_IMAGE, DockerCodeExecutor, DockerUnavailableError

    if use_docker is True:
        images = [DEFAULT_IMAGE]
    elif isinstance(use_docker, str):
        images = [use_docker]
    else:
        images = [str(image) for image in use_docker]
    if not images:
        raise ValueError("use_docker is an empty list of images.")
    problems = []
    for image in images:
        try:
            return DockerCodeExecutor(image, timeout=timeout, work_dir=work_dir)
        except DockerUnavailableError as exc:
            problems.append(exc.reason)
            if "cannot reach the Docker daemon" in exc.reason:
                break
    raise DockerUnavailableError(
        "code_execution_config asks for Docker (use_docker, default from AUTOGEN_USE_DOCKER=True) and it cannot be "
        f"used: {'; '.join(problems)} Set use_docker=False to run locally (unsandboxed) or use "
        "{'executor': 'sandbox'}."
    )


@dataclass
class CodeExecutionSettings:
    """The resolved `code_execution_config` of one agent."""

    executor: CodeExecutor
    legacy: bool
    last_n_messages: int | str = "auto"
    agent_name: str = ""
    owns_executor: bool = True
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, code_execution_config: Any, *, agent_name: str = "") -> CodeExecutionSettings | None:
        if code_execution_config is False or code_execution_config is None:
            return None
        if not isinstance(code_execution_config, Mapping):
            raise ValueError(f"code_execution_config must be a dict or False, got {code_execution_config!r}.")
        config = dict(code_execution_config)
        last_n = config.get("last_n_messages", "auto")
        if last_n != "auto" and not (isinstance(last_n, int) and not isinstance(last_n, bool) and last_n >= 0):
            raise ValueError("last_n_messages must be either a non-negative integer, or the string 'auto'.")
        if "executor" in config:
            clash = [key for key in LEGACY_KEYS if key in config]
            if clash:
                raise ValueError(
                    f"code_execution_config of {agent_name or 'the agent'}: {', '.join(clash)} cannot be set together "
                    "with 'executor'; configure the executor object instead."
                )
            executor = config["executor"]
            if isinstance(executor, str):
                kwargs = config.get(executor) or {}
                return cls(_named_executor(executor, kwargs), False, last_n, agent_name, True, config)
            if not callable(getattr(executor, "execute_code_blocks", None)):
                raise ValueError(
                    f"code_execution_config['executor'] must be a CodeExecutor or a name, got {executor!r}."
                )
            return cls(executor, False, last_n, agent_name, False, config)
        use_docker = config.get("use_docker")
        if use_docker is None:
            use_docker = _use_docker_from_env()
        work_dir = str(config.get("work_dir") or LEGACY_DEFAULT_WORK_DIR)
        timeout = float(config.get("timeout") or LEGACY_DEFAULT_TIMEOUT)
        if use_docker is False:
            from studio.runtime.code.local import LocalCodeExecutor

            executor = LocalCodeExecutor(work_dir=work_dir, timeout=timeout)
        else:
            executor = _docker_executor(use_docker, work_dir, timeout)
        return cls(executor, True, last_n, agent_name, True, config)

    def cancel(self) -> None:
        self.executor.cancel()

    def close(self) -> None:
        """Release what this agent's config created (a container, a temp work dir); a given executor is left open."""
        close = getattr(self.executor, "close", None)
        if self.owns_executor and callable(close):
            close()


def message_text(content: Any) -> str:
    """A message's content as text: a str, the text parts of a multimodal list, or "" for None."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return str(content)


def _messages_to_scan(messages: Sequence[Mapping[str, Any]], last_n: int | str) -> int:
    if last_n != "auto":
        return int(last_n)
    count = 0  # everything since this agent last spoke: the trailing run of role "user" messages
    for message in reversed(messages):
        if message.get("role") != "user":
            break
        count += 1
    return count


def _format(exit_code: int, logs: str) -> str:
    return f"exitcode: {exit_code} ({'execution succeeded' if exit_code == 0 else 'execution failed'})\nCode output: {logs}"


def _run_legacy(executor: CodeExecutor, blocks: list[CodeBlock]) -> tuple[int, str, str]:
    """AG2's legacy loop: one block at a time, logs "\\n"+stdout on success / "\\n"+stderr on failure, stop on failure."""
    logs_all, outputs, exit_code = "", [], 0
    for block in blocks:
        if executable_lang(block.language) is None:
            exit_code, logs = 1, f"unknown language {block.language}"
            outputs.append("\n" + logs)
        else:
            result = executor.execute_code_blocks([block])
            outputs.append(result.output)
            exit_code = result.exit_code
            if getattr(result, "timed_out", False):
                exit_code, logs = 1, TIMEOUT_MESSAGE
            elif getattr(result, "cancelled", False):
                logs = CANCEL_MESSAGE
            else:
                logs = result.stdout if exit_code == 0 else result.stderr
        logs_all += "\n" + logs
        if exit_code != 0:
            break
    return exit_code, logs_all, "".join(outputs)


def code_execution_reply(
    settings: CodeExecutionSettings | None, messages: Sequence[Mapping[str, Any]]
) -> tuple[bool, str | None, dict[str, Any] | None]:
    """Execute the code of the newest message (within the scan window) that has any; ``(False, None, None)`` if none.

    Returns ``(True, reply_text, info)``; `info` = ``{"blocks", "exit_code", "output", "executor"}`` for the agent's
    CodeExecution event. Executor failures (`CodeExecutionError`, e.g. the Docker daemon died) propagate.
    """
    if settings is None:
        return False, None, None
    n = _messages_to_scan(messages, settings.last_n_messages)
    for message in list(messages)[::-1][: min(n, len(messages))]:
        pairs = extract_code(message_text(message.get("content")))
        if not pairs:
            continue
        blocks = [CodeBlock(code=code, language=lang) for lang, code in pairs]
        if settings.legacy:
            exit_code, logs, output = _run_legacy(settings.executor, blocks)
        else:
            result = settings.executor.execute_code_blocks(blocks)
            exit_code, logs = result.exit_code, result.output
            output = result.output
        info = {
            "blocks": [{"language": b.language, "code": b.code} for b in blocks],
            "exit_code": exit_code,
            "output": output,
            "executor": type(settings.executor).__name__,
        }
        return True, _format(exit_code, logs), info
    return False, None, None
