"""The `CodeExecutor` interface shared by the local, sandbox (bubblewrap) and Docker executors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(slots=True)
class CodeBlock:
    code: str
    language: str


@dataclass(slots=True)
class CodeResult:
    """Result of running a list of blocks (stops at the first non-zero exit).

    `output` is stderr then stdout per block, concatenated (AG2 executor path); `stdout`/`stderr` are kept separately
    so the legacy AG2 path can format its `Code output:` the way it always did.
    """

    exit_code: int
    output: str
    stdout: str = ""
    stderr: str = ""
    code_file: str | None = None
    # Added for the run manager and the legacy AG2 formatting (all default to False, so older callers are unaffected).
    timed_out: bool = False
    cancelled: bool = False
    truncated: bool = False


@runtime_checkable
class CodeExecutor(Protocol):
    def execute_code_blocks(self, code_blocks: list[CodeBlock]) -> CodeResult: ...

    def cancel(self) -> None:
        """Kill whatever is running now (the whole process tree / container), from any thread."""
        ...
