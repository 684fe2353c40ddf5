"""Code execution for agents: extraction, the executors (local, bubblewrap sandbox, Docker) and sandboxed tools.

Exports are resolved lazily (PEP 562) so that importing the package — which `studio.runtime` may do — costs only the
tiny `base` module; `subprocess`, `hashlib` and friends load when an executor is first used. The Docker SDK itself is
imported only when a `DockerCodeExecutor` is constructed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from studio.runtime.code.base import CodeBlock, CodeExecutor, CodeResult

if TYPE_CHECKING:
    from studio.runtime.code.docker_exec import DockerCodeExecutor, DockerUnavailableError, cleanup_orphans
    from studio.runtime.code.extract import CODE_BLOCK_PATTERN, extract_code, infer_lang
    from studio.runtime.code.local import LocalCodeExecutor
    from studio.runtime.code.reply import CodeExecutionSettings, code_execution_reply
    from studio.runtime.code.sandbox import SandboxCodeExecutor, SandboxUnavailableError
    from studio.runtime.code.tool_runner import SandboxedTool, check_tool_source

_LAZY = {
    "CODE_BLOCK_PATTERN": "extract",
    "extract_code": "extract",
    "infer_lang": "extract",
    "LocalCodeExecutor": "local",
    "SandboxCodeExecutor": "sandbox",
    "SandboxUnavailableError": "sandbox",
    "DockerCodeExecutor": "docker_exec",
    "DockerUnavailableError": "docker_exec",
    "cleanup_orphans": "docker_exec",
    "SandboxedTool": "tool_runner",
    "check_tool_source": "tool_runner",
    "CodeExecutionSettings": "reply",
    "code_execution_reply": "reply",
}

__all__ = [
    "CODE_BLOCK_PATTERN",
    "CodeBlock",
    "CodeExecutionSettings",
    "CodeExecutor",
    "CodeResult",
    "DockerCodeExecutor",
    "DockerUnavailableError",
    "LocalCodeExecutor",
    "SandboxCodeExecutor",
    "SandboxUnavailableError",
    "SandboxedTool",
    "check_tool_source",
    "cleanup_orphans",
    "code_execution_reply",
    "extract_code",
    "infer_lang",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
